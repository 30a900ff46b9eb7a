// Sine, cosine, atan2 and angle wrapping in Float without libm (Embedded Swift has none, and
// the M4F has no rounding instruction either, so `rounded()` would call `roundf`).
//
// Rounding to an integer uses the 1.5 * 2^23 trick: adding it to a Float of magnitude below
// 2^22 leaves the rounded-to-nearest integer in the low mantissa bits, and subtracting it back
// yields that integer as a Float. Swift does not reassociate floating-point arithmetic, so the
// pair survives optimisation.
//
// Polynomial coefficients are minimax fits (Lawson-weighted least squares, rounded to Float);
// the accuracy that counts is the one the host tests measure against Double references.

/// Sine and cosine of one angle, computed together from one range reduction.
@frozen
public struct SinCos: Sendable, Equatable {
  public var sin: Float
  public var cos: Float

  @inlinable
  public init(sin: Float, cos: Float) {
    self.sin = sin
    self.cos = cos
  }
}

/// Sine and cosine of `angle_rad`.
///
/// Measured maximum absolute error ≤ 2e-5 (typically ≈ 1e-7) for |angle| ≤ 1e4 rad. The
/// reduction splits π/2 Cody–Waite style into a part with 8 significant bits, exact times any
/// quadrant index below 2^16, plus a remainder. Whatever the input, the reduced argument is
/// clamped, so a finite input never yields a magnitude above 1; NaN gives NaN.
@inlinable @inline(__always)
public func sinCos(_ angle_rad: Float) -> SinCos {
  let biased = angle_rad * 0.636_619_77 + 12_582_912.0  // angle · 2/π + 1.5 · 2^23
  let quadrant = biased.bitPattern & 3
  let k = biased - 12_582_912.0
  var r = angle_rad - k * 1.570_312_5  // π/2 high part: 201/128
  r = r - k * 4.838_267_9e-4  // π/2 low part
  // |r| ≤ π/4 up to rounding; the clamp only bites for angles too large to reduce.
  if r > 0.8 { r = 0.8 }
  if r < -0.8 { r = -0.8 }
  let r2 = r * r
  let s = r + r * r2 * (-0.166_666_37 + r2 * (0.008_331_585 + r2 * -0.000_194_621_19))
  let c = 1.0 + r2 * (-0.499_998_96 + r2 * (0.041_656_297 + r2 * -0.001_359_782_8))
  let swap = quadrant & 1 != 0
  var sine = swap ? c : s
  var cosine = swap ? s : c
  if quadrant & 2 != 0 { sine = -sine }  // quadrants 2 and 3
  if (quadrant &+ 1) & 2 != 0 { cosine = -cosine }  // quadrants 1 and 2
  return SinCos(sin: sine, cos: cosine)
}

/// Sine and cosine of an angle in binary counts, 65536 per turn (angle = counts · 2π/65536),
/// as resolvers and the current loop's electrical angle give it: no range reduction, no
/// quadrant logic, no float-to-integer conversion.
///
/// Entry i = counts / 256 of a 256-per-turn table gives sin a and cos a; the remaining
/// d = (counts mod 256) · 2π/65536 < 0.0246 rad is added by the second-order expansion
/// sin(a + d) ≈ sin a · (1 − d²/2) + cos a · d, cos(a + d) ≈ cos a · (1 − d²/2) − sin a · d,
/// whose error is below d³/6 + d⁴/24 ≤ 2.5e-6 (measured maximum absolute error 2.4e-6 over
/// all 65536 angles).
@inlinable @inline(__always)
public func sinCos(counts: UInt16) -> SinCos {
  let index = Int(counts &>> 8)
  let d = Float(Int(counts & 0xFF)) * 9.587_379_9e-5  // 2π / 65536
  let sine = SineTable.values[index]
  let cosine = SineTable.values[index &+ 64]
  let e = 1 - 0.5 * d * d
  return SinCos(sin: sine * e + cosine * d, cos: cosine * e - sine * d)
}

/// The angle of the vector (x, y) in radians, in [−π, π].
///
/// Measured maximum absolute error ≤ 1e-4 rad (≈ 2e-6 rad is typical) in all quadrants.
/// (0, 0) gives 0. On the negative x axis the result is +π for y = +0 and y = −0 alike
/// (libm gives −π for −0). NaN in either input gives NaN.
@inlinable @inline(__always)
public func atan2(y: Float, x: Float) -> Float {
  let ax = x.magnitude
  let ay = y.magnitude
  let swap = ay > ax
  let numerator = swap ? ax : ay
  let denominator = swap ? ay : ax
  // 0/0 would be NaN; a NaN denominator still divides and propagates.
  let t = denominator == 0 ? 0 : numerator / denominator
  let t2 = t * t
  var a =
    t
    * (0.999_977_23
      + t2
      * (-0.332_622_8
        + t2 * (0.193_540_25 + t2 * (-0.116_426_12 + t2 * (0.052_646_935 + t2 * -0.011_718_964)))))
  if swap { a = 1.570_796_3 - a }
  if x < 0 { a = 3.141_592_7 - a }
  if y < 0 { a = -a }
  return a
}

/// `angle_rad` wrapped to [−π, π), for |angle| up to about 1e5 rad.
///
/// π here is Float's nearest value, 3.1415927, slightly above π (`Float.pi` is 3.1415925,
/// rounded down): a range bounded by `Float.pi` would be narrower than a turn.
@inlinable @inline(__always)
public func wrapAnglePi(_ angle_rad: Float) -> Float {
  let biased = angle_rad * 0.159_154_94 + 12_582_912.0  // angle / 2π + 1.5 · 2^23
  let k = biased - 12_582_912.0
  var r = angle_rad - k * 6.281_25  // 2π high part: 201/32
  r = r - k * 1.935_307_2e-3  // 2π low part
  if r >= 3.141_592_7 { r -= 6.283_185_5 }
  if r < -3.141_592_7 { r += 6.283_185_5 }
  return r
}

/// `angle_rad` wrapped to [0, 2π), for |angle| up to about 1e5 rad, with 2π = 6.2831855
/// (`2 * Float.pi.nextUp`).
@inlinable @inline(__always)
public func wrapAngleTwoPi(_ angle_rad: Float) -> Float {
  var r = wrapAnglePi(angle_rad)
  if r < 0 { r += 6.283_185_5 }
  // A tiny negative angle plus 2π rounds up to 2π itself, which is outside the range.
  if r >= 6.283_185_5 { r = 0 }
  return r
}
