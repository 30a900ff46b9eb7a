import ControlMath
import Testing

/// Largest |error| of sin and cos against the Double reference over `angles`.
private func maxSinCosError(_ angles: some Sequence<Float>) -> (sin: Double, cos: Double) {
  var worstSin = 0.0
  var worstCos = 0.0
  for angle in angles {
    let result = sinCos(angle)
    worstSin = max(worstSin, abs(Double(result.sin) - Reference.sine(Double(angle))))
    worstCos = max(worstCos, abs(Double(result.cos) - Reference.cosine(Double(angle))))
  }
  return (worstSin, worstCos)
}

@Test func sinCosErrorIsWithin2e5OverOneMillionPointsOfOneTurn() {
  let count = 1_000_000
  let step = 2 * Double.pi / Double(count)
  let error = maxSinCosError((0..<count).lazy.map { Float(Double($0) * step) })
  #expect(error.sin <= 2e-5)
  #expect(error.cos <= 2e-5)
  // The polynomials are far better than the requirement; a much larger error means a
  // regression even if it still passes the bound above.
  #expect(error.sin <= 1e-6)
  #expect(error.cos <= 1e-6)
}

@Test func sinCosErrorIsWithin2e5ForNegativeAndMultiTurnAngles() {
  let count = 1_000_000
  let lower = -20 * Double.pi
  let step = 40 * Double.pi / Double(count)
  let error = maxSinCosError((0..<count).lazy.map { Float(lower + Double($0) * step) })
  #expect(error.sin <= 2e-5)
  #expect(error.cos <= 2e-5)
}

@Test func sinCosErrorIsWithin2e5ForRandomAnglesUpTo1e4Radians() {
  var rng = SplitMix64(seed: 1)
  let error = maxSinCosError((0..<200_000).lazy.map { _ in Float(rng.next(in: -1e4, 1e4)) })
  #expect(error.sin <= 2e-5)
  #expect(error.cos <= 2e-5)
}

@Test func sinCosIsExactAtZeroAndSignCorrectAtQuadrantBoundaries() {
  #expect(sinCos(0) == SinCos(sin: 0, cos: 1))
  let half = Float.pi / 2
  for (angle, expectedSin, expectedCos) in [
    (half, 1.0, 0.0), (Float.pi, 0.0, -1.0), (3 * half, -1.0, 0.0), (-half, -1.0, 0.0),
  ] {
    let result = sinCos(angle)
    #expect(abs(Double(result.sin) - expectedSin) <= 1e-6)
    #expect(abs(Double(result.cos) - expectedCos) <= 1e-6)
  }
}

@Test func sinCosStaysWithinUnitMagnitudeForHugeFiniteAngles() {
  for angle: Float in [1e6, -1e6, 1e12, -3.4e38, Float.greatestFiniteMagnitude] {
    let result = sinCos(angle)
    #expect(abs(result.sin) <= 1 && abs(result.cos) <= 1)
  }
}

@Test func sinCosOfNaNIsNaN() {
  let result = sinCos(.nan)
  #expect(result.sin.isNaN && result.cos.isNaN)
}

@Test func atan2ErrorIsWithin1e4RadiansAroundTheCircleAtManyRadii() {
  let count = 1_000_000
  var worst = 0.0
  for i in 0..<count {
    let angle = -Double.pi + 2 * Double.pi * Double(i) / Double(count)
    let radius = [1e-3, 0.5, 1, 300, 1e5][i % 5]
    let x = Float(radius * Reference.cosine(angle))
    let y = Float(radius * Reference.sine(angle))
    let expected = Reference.arcTangent2(Double(y), Double(x))
    worst = max(worst, angleDistance(Double(atan2(y: y, x: x)), expected))
  }
  #expect(worst <= 1e-4)
  #expect(worst <= 1e-5)  // measured ≈ 2e-6; much more means a coefficient regression
}

@Test func atan2ErrorIsWithin1e4RadiansOnAGridIncludingTheAxes() {
  var worst = 0.0
  for i in -100...100 {
    for j in -100...100 where i != 0 || j != 0 {
      let x = Float(i) * 0.01
      let y = Float(j) * 0.01
      let expected = Reference.arcTangent2(Double(y), Double(x))
      worst = max(worst, angleDistance(Double(atan2(y: y, x: x)), expected))
    }
  }
  #expect(worst <= 1e-4)
}

@Test func atan2OnTheAxesAndAtTheOriginIsDefined() {
  #expect(atan2(y: 0, x: 0) == 0)
  #expect(atan2(y: -0.0, x: -0.0) == 0)
  #expect(atan2(y: 0, x: 1) == 0)
  #expect(abs(atan2(y: 1, x: 0) - Float.pi / 2) <= 1e-6)
  #expect(abs(atan2(y: -1, x: 0) + Float.pi / 2) <= 1e-6)
  #expect(abs(atan2(y: 0, x: -1) - Float.pi) <= 1e-6)
  #expect(abs(atan2(y: -0.0, x: -1) - Float.pi) <= 1e-6)
}

@Test func atan2OfNaNIsNaN() {
  #expect(atan2(y: .nan, x: 1).isNaN)
  #expect(atan2(y: 1, x: .nan).isNaN)
}

/// Float's nearest value to π, the bound of the wrapped ranges (`Float.pi` is rounded down).
private let nearestPi = Float(Double.pi)

/// Whether `wrapped` is `angle` minus a whole number of turns, within `tolerance` rad.
private func differsByWholeTurns(_ angle: Float, _ wrapped: Float, tolerance: Double) -> Bool {
  let difference = Double(angle) - Double(wrapped)
  let turns = Reference.roundToInteger(difference / (2 * Double.pi))
  return abs(difference - turns * 2 * Double.pi) <= tolerance
}

@Test func wrapAngleTwoPiLandsInZeroToTwoPiWithin1e5RadiansOfTheInput() {
  var rng = SplitMix64(seed: 2)
  for _ in 0..<200_000 {
    let angle = Float(rng.next(in: -1000, 1000))
    let wrapped = wrapAngleTwoPi(angle)
    #expect(wrapped >= 0 && wrapped < 2 * nearestPi)
    #expect(differsByWholeTurns(angle, wrapped, tolerance: 1e-5))
  }
}

@Test func wrapAnglePiLandsInMinusPiToPiWithin1e5RadiansOfTheInput() {
  var rng = SplitMix64(seed: 3)
  for _ in 0..<200_000 {
    let angle = Float(rng.next(in: -1000, 1000))
    let wrapped = wrapAnglePi(angle)
    #expect(wrapped >= -nearestPi && wrapped < nearestPi)
    #expect(differsByWholeTurns(angle, wrapped, tolerance: 1e-5))
  }
}

@Test func wrapAngleEdgeCasesStayInsideTheirHalfOpenRanges() {
  let edges: [Float] = [
    0, -0.0, -1e-9, 1e-9, -Float.leastNonzeroMagnitude, Float.pi, -Float.pi, 2 * Float.pi,
    -2 * Float.pi, nearestPi, -nearestPi, 2 * nearestPi, -2 * nearestPi, (2 * Float.pi).nextDown,
    3 * Float.pi, -3 * Float.pi, 3 * nearestPi, -3 * nearestPi, 1e5, -1e5,
  ]
  for angle in edges {
    let zeroToTwoPi = wrapAngleTwoPi(angle)
    let minusPiToPi = wrapAnglePi(angle)
    #expect(zeroToTwoPi >= 0 && zeroToTwoPi < 2 * nearestPi)
    #expect(minusPiToPi >= -nearestPi && minusPiToPi < nearestPi)
    #expect(differsByWholeTurns(angle, zeroToTwoPi, tolerance: 1e-6))
    #expect(differsByWholeTurns(angle, minusPiToPi, tolerance: 1e-6))
  }
}

@Test func clampLimitsToTheRangeAndPassesNaN() {
  #expect(clamp(5, lower: -1, upper: 2) == 2)
  #expect(clamp(-5, lower: -1, upper: 2) == -1)
  #expect(clamp(0.5, lower: -1, upper: 2) == 0.5)
  #expect(clamp(.nan, lower: -1, upper: 2).isNaN)
}

@Test func magnitudeOfTwoVectorMatchesDoubleWithinOneUlp() {
  var rng = SplitMix64(seed: 4)
  for _ in 0..<10_000 {
    let x = Float(rng.next(in: -500, 500))
    let y = Float(rng.next(in: -500, 500))
    let expected = (Double(x) * Double(x) + Double(y) * Double(y)).squareRoot()
    let result = magnitude(x: x, y: y)
    #expect(abs(Double(result) - expected) <= Double(result.ulp) * 1.5)
  }
}

/// Largest |error| of `sinCos(counts:)` over all 65536 angles against the Double reference.
private func maxCountsSinCosError() -> (sin: Double, cos: Double) {
  var worstSin = 0.0
  var worstCos = 0.0
  for counts in 0...Int(UInt16.max) {
    let angle = Double(counts) * 2 * Double.pi / 65536
    let result = sinCos(counts: UInt16(counts))
    worstSin = max(worstSin, abs(Double(result.sin) - Reference.sine(angle)))
    worstCos = max(worstCos, abs(Double(result.cos) - Reference.cosine(angle)))
  }
  return (worstSin, worstCos)
}

@Test func sinCosOfCountsErrorIsWithin2e5OverEveryCountOfOneTurn() {
  let error = maxCountsSinCosError()
  #expect(error.sin <= 2e-5)
  #expect(error.cos <= 2e-5)
  // The second-order expansion's bound is d³/6 + d⁴/24 ≈ 2.5e-6 at the table's step; more
  // means a wrong table entry or expansion even if the requirement above still holds.
  #expect(error.sin <= 3e-6)
  #expect(error.cos <= 3e-6)
}

@Test func sinCosOfCountsIsExactAtTheQuarterTurns() {
  #expect(sinCos(counts: 0) == SinCos(sin: 0, cos: 1))
  #expect(sinCos(counts: 16384) == SinCos(sin: 1, cos: 0))
  #expect(sinCos(counts: 49152) == SinCos(sin: -1, cos: 0))
  #expect(sinCos(counts: 32768) == SinCos(sin: 0, cos: -1))
}

@Test func sinCosOfCountsAgreesWithSinCosOfRadiansWithin2e5() {
  var rng = SplitMix64(seed: 7)
  for _ in 0..<10_000 {
    let counts = UInt16(truncatingIfNeeded: rng.next())
    let byCounts = sinCos(counts: counts)
    let byRadians = sinCos(Float(Double(counts) * 2 * Double.pi / 65536))
    #expect(abs(byCounts.sin - byRadians.sin) <= 2e-5)
    #expect(abs(byCounts.cos - byRadians.cos) <= 2e-5)
  }
}
