import Foundation
import MotorControl
import Platform
import Testing

@Test func electricalAngleIsMechanicalTimesPolePairsMinusOffsetModuloOneTurn() {
  for (mechanical, offset) in [(UInt16(0), UInt16(0)), (16384, 0), (20000, 1234), (65535, 65000)] {
    let expected = (Int(mechanical) * 4 - Int(offset)) & 0xFFFF
    let counts = ResolverAngle.electricalCounts(
      mechanicalCounts: mechanical, polePairs: 4, offset_counts: offset)
    #expect(Int(counts) == expected)
    let angle = ResolverAngle.electricalAngle_rad(
      mechanicalCounts: mechanical, polePairs: 4, offset_counts: offset)
    #expect(abs(Double(angle) - Double(expected) * 2 * Double.pi / 65536) <= 1e-5)
  }
}

@Test func alignmentOffsetMakesTheAlignedPositionElectricalZero() {
  let offset = ResolverAngle.offset(alignedMechanicalCounts: 12345, polePairs: 4)
  #expect(
    ResolverAngle.electricalCounts(mechanicalCounts: 12345, polePairs: 4, offset_counts: offset)
      == 0)
}

/// A 0.2 rad offset error at zero current shows as vd = ωψ·sin δ, vq = ωψ·cos δ; the correction
/// brings the offset to within 2 counts (2e-4 rad) of the true one.
@Test(arguments: [Float(0.2), -0.2, 1.5])
func offsetCorrectionFromZeroCurrentVoltagesRecoversTheAngleError(delta: Float) {
  let trueOffset: UInt16 = 5000
  let wrongOffset =
    trueOffset &- UInt16(truncatingIfNeeded: Int(delta / ResolverAngle.radiansPerCount))
  for speed: Float in [800, -800] {
    let emf = speed * 0.065
    let corrected = ResolverAngle.correctedOffset(
      wrongOffset, voltageD_V: emf * Float(sin(Double(delta))),
      voltageQ_V: emf * Float(cos(Double(delta))), electricalSpeed_rad_s: speed)
    let error = Int(Int16(bitPattern: corrected &- trueOffset))
    #expect(abs(error) <= 2)
  }
}

private func parameters() -> CurrentLoopParameters {
  CurrentLoopParameters(
    calibration: .brandA, offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
    angleOffset_counts: 0)
}

private func resolverSample(_ mechanical: Double) -> InverterSample {
  let turns = mechanical / (2 * Double.pi)
  let counts = Int(((turns - turns.rounded(.down)) * 65536).rounded(.down)) & 0xFFFF
  return InverterSample(
    phaseCurrentCounts: [2048, 2048], dcLinkVoltageCounts: 1750,
    rotorAngleCounts: UInt16(counts), inverterTemperatureCounts: 700, motorTemperatureCounts: 700)
}

/// The PLL locks from standstill onto a constant 6000 rpm within 20 ms: speed within 0.5 %,
/// angle error below one resolver count's worth of noise (0.01 rad).
@Test func pllSpeedEstimateConvergesOnAConstantSpeedWithin20ms() {
  let p = parameters()
  var loop = CurrentLoop(parameters: p)
  let speed = 6000 * Double.pi / 30
  var angle = 0.0
  var out: CurrentLoopOutputs?
  for _ in 0..<400 {
    out = loop.step(
      CurrentLoopInputs(
        sample: resolverSample(angle), reference: DirectQuadrature(d: 0, q: 0), enable: false,
        safeMode: .off))
    angle += speed * 50e-6
  }
  #expect(abs(Double(out!.mechanicalSpeed_rad_s) - speed) <= 0.005 * speed)
  #expect(abs(out!.angleError_rad) <= 0.01)
}

@Test func aResolverJumpOf90DegreesElectricalShowsAsAnAngleErrorAboveTheJumpThreshold() {
  let p = parameters()
  var loop = CurrentLoop(parameters: p)
  let idle = DirectQuadrature(d: 0, q: 0)
  loop.state.presetAngle(resolverSample(1.0), electricalSpeed_rad_s: 0, parameters: p)
  let steady = loop.step(
    CurrentLoopInputs(
      sample: resolverSample(1.0), reference: idle, enable: false, safeMode: .off))
  #expect(abs(steady.angleError_rad) <= 1e-3)
  let jumped = loop.step(
    CurrentLoopInputs(
      sample: resolverSample(1.0 + Double.pi / 8), reference: idle, enable: false,
      safeMode: .off))
  #expect(abs(jumped.angleError_rad - Float.pi / 2) <= 1e-3)
  #expect(jumped.angleError_rad > ProtectionTable.brandA[.angleJump].threshold)
}

/// At constant speed the PLL error stays small across the 2π wrap of the electrical angle.
@Test func pllErrorStaysSmallAcrossTheAngleWrap() {
  let p = parameters()
  var loop = CurrentLoop(parameters: p)
  let speed = 3000 * Double.pi / 30
  var angle = 0.0
  loop.state.presetAngle(resolverSample(0), electricalSpeed_rad_s: Float(speed * 4), parameters: p)
  var worst: Float = 0
  for _ in 0..<2000 {
    let out = loop.step(
      CurrentLoopInputs(
        sample: resolverSample(angle), reference: DirectQuadrature(d: 0, q: 0), enable: false,
        safeMode: .off))
    worst = max(worst, abs(out.angleError_rad))
    angle += speed * 50e-6
  }
  #expect(worst <= 0.01)
}
