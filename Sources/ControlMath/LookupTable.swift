/// Why a lookup table was rejected.
public enum LookupTableError: Error, Equatable, Sendable {
  /// Fewer than two breakpoints on an axis.
  case tooFewBreakpoints
  /// A breakpoint is NaN or infinite.
  case breakpointNotFinite(index: Int)
  /// Breakpoint `index` is not greater than breakpoint `index - 1`.
  case breakpointsNotIncreasing(index: Int)
  /// A table value is NaN or infinite (`index` counts row-major for 2-D tables).
  case valueNotFinite(index: Int)
}

/// Checks one axis: at least two finite, strictly increasing breakpoints.
private func validate<let N: Int>(axis: [N of Float]) throws(LookupTableError) {
  guard N >= 2 else { throw .tooFewBreakpoints }
  for i in 0..<N {
    guard axis[i].isFinite else { throw .breakpointNotFinite(index: i) }
    if i > 0 && !(axis[i] > axis[i - 1]) { throw .breakpointsNotIncreasing(index: i) }
  }
}

/// A calibration curve: `N` breakpoints with one value each, linear interpolation between
/// them, the end values held outside (no extrapolation). A NaN input gives NaN.
///
/// Validated at construction, so a table that exists is always well formed.
///
/// `lookup` is `mutating` because it remembers the segment it last used and tries that one
/// first (inputs such as temperatures and speeds move slowly, so most lookups skip the
/// search). It also keeps the table in place: with Swift 6.3 a non-mutating method on a
/// table held in a struct copied the whole table to the stack on every call on Cortex-M
/// (1.1 KB for a 16 × 16 map), while an `inout` self is passed by address.
@frozen
public struct LookupTable1D<let N: Int>: Sendable {
  @usableFromInline let xs: [N of Float]
  @usableFromInline let ys: [N of Float]
  /// Lower breakpoint index of the segment used last; only a search hint.
  @usableFromInline var segment: Int

  /// Throws when there are fewer than two breakpoints, a breakpoint or value is not finite, or
  /// the breakpoints are not strictly increasing.
  public init(breakpoints: [N of Float], values: [N of Float]) throws(LookupTableError) {
    try validate(axis: breakpoints)
    for i in 0..<N where !values[i].isFinite { throw .valueNotFinite(index: i) }
    self.xs = breakpoints
    self.ys = values
    self.segment = 0
  }

  public var breakpoints: [N of Float] { xs }
  public var values: [N of Float] { ys }

  /// The interpolated value at `x`.
  @inlinable
  public mutating func lookup(_ x: Float) -> Float {
    if x <= xs[0] { return ys[0] }
    if x >= xs[N - 1] { return ys[N - 1] }
    var lo = segment
    if !(x >= xs[lo] && x < xs[lo + 1]) {
      // Invariant: xs[lo] <= x < xs[hi] (for non-NaN x).
      lo = 0
      var hi = N - 1
      while hi - lo > 1 {
        let mid = (lo + hi) / 2
        if x < xs[mid] { hi = mid } else { lo = mid }
      }
      segment = lo
    }
    let t = (x - xs[lo]) / (xs[lo + 1] - xs[lo])
    return ys[lo] + t * (ys[lo + 1] - ys[lo])
  }
}

/// A calibration map over two inputs: `NX` breakpoints on x, `NY` on y, and `values[iy][ix]`;
/// bilinear interpolation, each input clamped to its axis. A NaN input gives NaN.
///
/// `lookup` is `mutating` for the same reasons as `LookupTable1D.lookup`.
@frozen
public struct LookupTable2D<let NX: Int, let NY: Int>: Sendable {
  @usableFromInline let xs: [NX of Float]
  @usableFromInline let ys: [NY of Float]
  @usableFromInline let zs: [NY of [NX of Float]]
  /// Lower breakpoint indices of the cell used last; only a search hint.
  @usableFromInline var cellX: Int
  @usableFromInline var cellY: Int

  /// Throws as `LookupTable1D.init` does, for either axis; `valueNotFinite` carries the
  /// row-major index `iy * NX + ix`.
  public init(
    xBreakpoints: [NX of Float], yBreakpoints: [NY of Float], values: [NY of [NX of Float]]
  ) throws(LookupTableError) {
    try validate(axis: xBreakpoints)
    try validate(axis: yBreakpoints)
    for iy in 0..<NY {
      for ix in 0..<NX where !values[iy][ix].isFinite {
        throw .valueNotFinite(index: iy * NX + ix)
      }
    }
    self.xs = xBreakpoints
    self.ys = yBreakpoints
    self.zs = values
    self.cellX = 0
    self.cellY = 0
  }

  public var xBreakpoints: [NX of Float] { xs }
  public var yBreakpoints: [NY of Float] { ys }
  public var values: [NY of [NX of Float]] { zs }

  /// The interpolated value at (`x`, `y`).
  @inlinable
  public mutating func lookup(x: Float, y: Float) -> Float {
    // Per axis: the cell [i, i + 1] holding the clamped input, and the fraction within it.
    var ix = cellX
    var tx: Float = 0
    if x >= xs[NX - 1] {
      ix = NX - 2
      tx = 1
    } else if x > xs[0] {
      if !(x >= xs[ix] && x < xs[ix + 1]) {
        ix = 0
        var hi = NX - 1
        while hi - ix > 1 {
          let mid = (ix + hi) / 2
          if x < xs[mid] { hi = mid } else { ix = mid }
        }
        cellX = ix
      }
      tx = (x - xs[ix]) / (xs[ix + 1] - xs[ix])
    } else {
      ix = 0
      tx = x.isNaN ? x : 0
    }
    var iy = cellY
    var ty: Float = 0
    if y >= ys[NY - 1] {
      iy = NY - 2
      ty = 1
    } else if y > ys[0] {
      if !(y >= ys[iy] && y < ys[iy + 1]) {
        iy = 0
        var hi = NY - 1
        while hi - iy > 1 {
          let mid = (iy + hi) / 2
          if y < ys[mid] { hi = mid } else { iy = mid }
        }
        cellY = iy
      }
      ty = (y - ys[iy]) / (ys[iy + 1] - ys[iy])
    } else {
      iy = 0
      ty = y.isNaN ? y : 0
    }
    // Weighted form: exact at the cell corners, so clamped inputs return table values.
    let z00 = zs[iy][ix]
    let z01 = zs[iy][ix + 1]
    let z10 = zs[iy + 1][ix]
    let z11 = zs[iy + 1][ix + 1]
    let lower = z00 * (1 - tx) + z01 * tx
    let upper = z10 * (1 - tx) + z11 * tx
    return lower * (1 - ty) + upper * ty
  }
}
