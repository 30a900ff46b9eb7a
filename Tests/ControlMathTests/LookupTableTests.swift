import ControlMath
import Testing

/// Piecewise-linear interpolation with end clamping, in Double, by linear search.
private func referenceInterpolation(_ xs: [Double], _ ys: [Double], _ x: Double) -> Double {
  if x <= xs[0] { return ys[0] }
  if x >= xs[xs.count - 1] { return ys[ys.count - 1] }
  var i = 0
  while x >= xs[i + 1] { i += 1 }
  return ys[i] + (x - xs[i]) / (xs[i + 1] - xs[i]) * (ys[i + 1] - ys[i])
}

/// Current derating over temperature, the shape of a typical calibration curve.
private let deratingBreakpoints: [6 of Float] = [-40, 0, 25, 60, 85, 105]
private let deratingValues: [6 of Float] = [0.5, 0.9, 1, 1, 0.6, 0]

private func doubles<let N: Int>(_ values: [N of Float]) -> [Double] {
  (0..<N).map { Double(values[$0]) }
}

@Test func lookup1DMatchesLinearInterpolationWithin1e5() throws {
  var table = try LookupTable1D(breakpoints: deratingBreakpoints, values: deratingValues)
  let xs = doubles(deratingBreakpoints)
  let ys = doubles(deratingValues)
  var rng = SplitMix64(seed: 20)
  for _ in 0..<100_000 {
    let x = Float(rng.next(in: -60, 120))
    let expected = referenceInterpolation(xs, ys, Double(x))
    #expect(abs(Double(table.lookup(x)) - expected) <= 1e-5)
  }
}

@Test func lookup1DReturnsTheTableValueAtEachBreakpoint() throws {
  var table = try LookupTable1D(breakpoints: deratingBreakpoints, values: deratingValues)
  for i in 0..<6 { #expect(table.lookup(deratingBreakpoints[i]) == deratingValues[i]) }
}

@Test func lookup1DHoldsTheEndValuesOutsideTheBreakpoints() throws {
  var table = try LookupTable1D(breakpoints: deratingBreakpoints, values: deratingValues)
  #expect(table.lookup(-1_000) == 0.5)
  #expect(table.lookup(1_000) == 0)
  #expect(table.lookup(-.infinity) == 0.5)
  #expect(table.lookup(.infinity) == 0)
}

@Test func lookup1DOfNaNIsNaN() throws {
  var table = try LookupTable1D(breakpoints: deratingBreakpoints, values: deratingValues)
  #expect(table.lookup(.nan).isNaN)
}

@Test func lookup1DRejectsRepeatedBreakpoint() {
  #expect(throws: LookupTableError.breakpointsNotIncreasing(index: 2)) {
    try LookupTable1D(breakpoints: [0, 1, 1, 2], values: [0, 0, 0, 0])
  }
}

@Test func lookup1DRejectsDecreasingBreakpoint() {
  #expect(throws: LookupTableError.breakpointsNotIncreasing(index: 3)) {
    try LookupTable1D(breakpoints: [0, 1, 2, 1.5], values: [0, 0, 0, 0])
  }
}

@Test func lookup1DRejectsNonFiniteBreakpointsAndValues() {
  #expect(throws: LookupTableError.breakpointNotFinite(index: 1)) {
    try LookupTable1D(breakpoints: [0, .nan, 2], values: [0, 0, 0])
  }
  #expect(throws: LookupTableError.breakpointNotFinite(index: 2)) {
    try LookupTable1D(breakpoints: [0, 1, .infinity], values: [0, 0, 0])
  }
  #expect(throws: LookupTableError.valueNotFinite(index: 0)) {
    try LookupTable1D(breakpoints: [0, 1, 2], values: [.nan, 0, 0])
  }
}

@Test func lookup1DRejectsFewerThanTwoBreakpoints() {
  #expect(throws: LookupTableError.tooFewBreakpoints) {
    try LookupTable1D(breakpoints: [1], values: [1])
  }
}

/// Torque limit over speed (x) and DC-link voltage (y).
private let speedAxis: [4 of Float] = [0, 1_000, 3_000, 6_000]
private let voltageAxis: [3 of Float] = [250, 350, 450]
private let torqueLimits: [3 of [4 of Float]] = [
  [200, 190, 100, 40],
  [250, 240, 150, 70],
  [260, 255, 200, 110],
]

private func referenceBilinear(_ x: Double, _ y: Double) -> Double {
  let xs = doubles(speedAxis)
  let ys = doubles(voltageAxis)
  // Interpolate each row along x, then the column of row results along y.
  let rows = (0..<3).map { row in referenceInterpolation(xs, doubles(torqueLimits[row]), x) }
  return referenceInterpolation(ys, rows, y)
}

@Test func lookup2DMatchesBilinearInterpolationWithin1e3() throws {
  var table = try LookupTable2D(
    xBreakpoints: speedAxis, yBreakpoints: voltageAxis, values: torqueLimits)
  var rng = SplitMix64(seed: 21)
  for _ in 0..<100_000 {
    let x = Float(rng.next(in: -500, 7_000))
    let y = Float(rng.next(in: 200, 500))
    // Values are up to 260: 1e-3 is about 30 Float ulps.
    #expect(abs(Double(table.lookup(x: x, y: y)) - referenceBilinear(Double(x), Double(y))) <= 1e-3)
  }
}

@Test func lookup2DReturnsTheTableValueAtEachGridPoint() throws {
  var table = try LookupTable2D(
    xBreakpoints: speedAxis, yBreakpoints: voltageAxis, values: torqueLimits)
  for iy in 0..<3 {
    for ix in 0..<4 {
      #expect(table.lookup(x: speedAxis[ix], y: voltageAxis[iy]) == torqueLimits[iy][ix])
    }
  }
}

@Test func lookup2DClampsBothInputsToTheCorners() throws {
  var table = try LookupTable2D(
    xBreakpoints: speedAxis, yBreakpoints: voltageAxis, values: torqueLimits)
  #expect(table.lookup(x: -1, y: 0) == 200)
  #expect(table.lookup(x: 1e9, y: 0) == 40)
  #expect(table.lookup(x: -1, y: 1e9) == 260)
  #expect(table.lookup(x: 1e9, y: 1e9) == 110)
}

@Test func lookup2DOfNaNIsNaN() throws {
  var table = try LookupTable2D(
    xBreakpoints: speedAxis, yBreakpoints: voltageAxis, values: torqueLimits)
  #expect(table.lookup(x: .nan, y: 300).isNaN)
  #expect(table.lookup(x: 100, y: .nan).isNaN)
}

@Test func lookup2DRejectsBadAxesAndValues() {
  #expect(throws: LookupTableError.breakpointsNotIncreasing(index: 1)) {
    try LookupTable2D(xBreakpoints: [0, 0], yBreakpoints: [0, 1], values: [[0, 0], [0, 0]])
  }
  #expect(throws: LookupTableError.breakpointsNotIncreasing(index: 1)) {
    try LookupTable2D(xBreakpoints: [0, 1], yBreakpoints: [1, 0], values: [[0, 0], [0, 0]])
  }
  #expect(throws: LookupTableError.valueNotFinite(index: 3)) {
    try LookupTable2D(
      xBreakpoints: [0, 1], yBreakpoints: [0, 1], values: [[0, 0], [0, .infinity]])
  }
}

@Test func lookupResultsDoNotDependOnTheRememberedSegment() throws {
  var reused1D = try LookupTable1D(breakpoints: deratingBreakpoints, values: deratingValues)
  var reused2D = try LookupTable2D(
    xBreakpoints: speedAxis, yBreakpoints: voltageAxis, values: torqueLimits)
  var rng = SplitMix64(seed: 22)
  var x: Float = 0
  for i in 0..<20_000 {
    // Alternate slow drifts, which hit the remembered segment, with random jumps.
    x = i % 100 < 50 ? x + Float(rng.next(in: -1, 1)) : Float(rng.next(in: -60, 120))
    var fresh1D = try LookupTable1D(breakpoints: deratingBreakpoints, values: deratingValues)
    #expect(reused1D.lookup(x) == fresh1D.lookup(x))
    let speed = x * 60
    let voltage = 300 + x
    var fresh2D = try LookupTable2D(
      xBreakpoints: speedAxis, yBreakpoints: voltageAxis, values: torqueLimits)
    #expect(reused2D.lookup(x: speed, y: voltage) == fresh2D.lookup(x: speed, y: voltage))
  }
}
