import Foundation
import MotorControl
import Platform
import Testing

/// The current-loop equations written out again in Double with libm, independently of the
/// firmware's Float code, its sine polynomial and its small-angle latency rotation.
private struct ReferenceStep {
  var duties: [Double]
  var vd: Double
  var vq: Double
  var id: Double
  var iq: Double
  var angleError: Double
  var speed: Double
}

private func clamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(max(x, lo), hi) }

private func referenceStep(
  calibration cal: InverterCalibration, offsets: (Double, Double), angleOffset: Int,
  integrators: (d: Double, q: Double), pllAngle: UInt32, pllSpeed: Double, filteredSpeed: Double,
  sample: InverterSample, reference: (d: Double, q: Double)
) -> ReferenceStep {
  let t = Double(cal.tuning.controlPeriod_s)
  let gain = Double(cal.scaling.phaseCurrent_A_per_count)
  let ia = (Double(sample.phaseCurrentCounts[0]) - offsets.0) * gain
  let ib = (Double(sample.phaseCurrentCounts[1]) - offsets.1) * gain
  let link = Double(sample.dcLinkVoltageCounts) * Double(cal.scaling.dcLink_V_per_count)
  let pp = Int(cal.motor.polePairs)
  let electricalCounts = ((Int(sample.rotorAngleCounts) * pp - angleOffset) % 65536 + 65536) % 65536
  let theta = Double(electricalCounts) * 2 * Double.pi / 65536

  // PLL: error wrapped to [−π, π), speed integrator, then the speed filter.
  let predicted = Double(pllAngle) * 2 * Double.pi / 4_294_967_296
  var error = theta - predicted
  while error >= Double.pi { error -= 2 * Double.pi }
  while error < -Double.pi { error += 2 * Double.pi }
  let wn = Double(cal.tuning.pllNaturalFrequency_rad_s)
  let speed = pllSpeed + wn * wn * t * error
  let wc = Double(cal.tuning.speedFilterCutoff_rad_s) * t
  let omega = filteredSpeed + wc / (1 + wc) * (speed - filteredSpeed)

  let alpha = ia
  let beta = (ia + 2 * ib) / 3.0.squareRoot()
  let id = cos(theta) * alpha + sin(theta) * beta
  let iq = cos(theta) * beta - sin(theta) * alpha

  let ld = Double(cal.motor.inductanceD_H)
  let lq = Double(cal.motor.inductanceQ_H)
  let psi = Double(cal.motor.fluxLinkage_Wb)
  let bandwidth = Double(cal.tuning.currentLoopBandwidth_per_period) / t
  let limit = Double(cal.tuning.voltageLimit_fraction) * link / 3.0.squareRoot()
  let ffd = -omega * lq * reference.q
  let ffq = omega * (ld * reference.d + psi)

  func pi(error e: Double, integrator: Double, l: Double, low: Double, high: Double) -> Double {
    let kp = bandwidth * l
    let unlimited = kp * e + integrator
    return clamp(unlimited, low, high)
  }
  let vd =
    pi(
      error: reference.d - id, integrator: integrators.d, l: ld, low: -limit - ffd,
      high: limit - ffd) + ffd
  let qLimit = max(limit * limit - vd * vd, 0).squareRoot()
  let vq =
    pi(
      error: reference.q - iq, integrator: integrators.q, l: lq, low: -qLimit - ffq,
      high: qLimit - ffq) + ffq

  // Exact rotation to the angle 1.5 periods ahead, then inverse Park and min/max SVM.
  let advanced = theta + omega * Double(cal.tuning.latencyCompensation_periods) * t
  let va = cos(advanced) * vd - sin(advanced) * vq
  let vb = sin(advanced) * vd + cos(advanced) * vq
  let phases = [
    va, -0.5 * va + 0.5 * 3.0.squareRoot() * vb, -0.5 * va - 0.5 * 3.0.squareRoot() * vb,
  ]
  let offset = 0.5 * (phases.max()! + phases.min()!)
  return ReferenceStep(
    duties: phases.map { 0.5 + ($0 - offset) / link }, vd: vd, vq: vq, id: id, iq: iq,
    angleError: error, speed: omega)
}

private struct GoldenCase {
  var sample: InverterSample
  var reference: (d: Double, q: Double)
  var integrators: (d: Double, q: Double)
  var pllSpeed: Double
  var filteredSpeed: Double
}

private let goldenCases: [GoldenCase] = [
  // Motoring at ≈ 1900 rpm, inside the voltage circle.
  GoldenCase(
    sample: InverterSample(
      phaseCurrentCounts: [2300, 1900], dcLinkVoltageCounts: 1750, rotorAngleCounts: 12345,
      inverterTemperatureCounts: 700, motorTemperatureCounts: 700),
    reference: (-50, 120), integrators: (3, -2), pllSpeed: 800, filteredSpeed: 790),
  // Reverse rotation, braking.
  GoldenCase(
    sample: InverterSample(
      phaseCurrentCounts: [1700, 2400], dcLinkVoltageCounts: 1500, rotorAngleCounts: 60000,
      inverterTemperatureCounts: 700, motorTemperatureCounts: 700),
    reference: (-20, 60), integrators: (-1.5, 4), pllSpeed: -1500, filteredSpeed: -1480),
  // A d-axis demand beyond the circle: vd takes the whole limit, vq gets nothing.
  GoldenCase(
    sample: InverterSample(
      phaseCurrentCounts: [2048, 2048], dcLinkVoltageCounts: 1750, rotorAngleCounts: 4000,
      inverterTemperatureCounts: 700, motorTemperatureCounts: 700),
    reference: (-300, 50), integrators: (0, 0), pllSpeed: 0, filteredSpeed: 0),
]

/// Tolerance 2e-4 on duties (≈ 0.07 V at 350 V): Float rounding of ≈ 200 V quantities and the
/// firmware's sine polynomial (≤ 2e-5) and latency rotation (angle error Δ⁵/120 < 1e-8 here).
@Test(arguments: 0..<3)
func currentLoopStepMatchesDoublePrecisionGoldenVectorWithin2e4(index: Int) {
  let golden = goldenCases[index]
  let calibration = InverterCalibration.brandA
  let parameters = CurrentLoopParameters(
    calibration: calibration,
    offsets: CurrentSensorOffsets(phaseA_counts: 2050, phaseB_counts: 2045),
    angleOffset_counts: 1234)
  var loop = CurrentLoop(parameters: parameters)
  loop.state.dAxis.integrator = Float(golden.integrators.d)
  loop.state.qAxis.integrator = Float(golden.integrators.q)
  loop.state.pllAngle = 0x1234_5678
  loop.state.pllSpeed_rad_s = Float(golden.pllSpeed)
  loop.state.speedFilter.output = Float(golden.filteredSpeed)

  let expected = referenceStep(
    calibration: calibration, offsets: (2050, 2045), angleOffset: 1234,
    integrators: golden.integrators, pllAngle: 0x1234_5678, pllSpeed: golden.pllSpeed,
    filteredSpeed: golden.filteredSpeed, sample: golden.sample, reference: golden.reference)
  let out = loop.step(
    CurrentLoopInputs(
      sample: golden.sample,
      reference: DirectQuadrature(d: Float(golden.reference.d), q: Float(golden.reference.q)),
      enable: true, safeMode: .off))

  #expect(out.command.mode == .modulating)
  #expect(abs(Double(out.current.d) - expected.id) <= 1e-3)
  #expect(abs(Double(out.current.q) - expected.iq) <= 1e-3)
  #expect(abs(Double(out.voltage.d) - expected.vd) <= 1e-2)
  #expect(abs(Double(out.voltage.q) - expected.vq) <= 1e-2)
  #expect(abs(Double(out.angleError_rad) - expected.angleError) <= 1e-5)
  #expect(abs(Double(out.electricalSpeed_rad_s) - expected.speed) <= 1e-2)
  for phase in 0..<3 {
    #expect(abs(Double(out.command.duties[phase]) - expected.duties[phase]) <= 2e-4)
    let counts = expected.duties[phase] * Double(calibration.pwmPeriod_counts)
    #expect(abs(Double(out.compare_counts[phase]) - counts) <= 1.5)
  }
}

@Test func dAxisPriorityGivesTheWholeVoltageCircleToD() {
  let calibration = InverterCalibration.brandA
  let parameters = CurrentLoopParameters(
    calibration: calibration,
    offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
    angleOffset_counts: 0)
  var loop = CurrentLoop(parameters: parameters)
  let out = loop.step(
    CurrentLoopInputs(
      sample: goldenCases[2].sample, reference: DirectQuadrature(d: -300, q: 50), enable: true,
      safeMode: .off))
  let limit = 0.98 * 350 / 3.0.squareRoot()
  #expect(abs(Double(out.voltage.d) + limit) <= 1e-3)
  #expect(abs(out.voltage.q) <= 0.05)
  #expect(abs(out.voltageDemand_fraction(parameters: parameters) - 1) <= 1e-4)
}

@Test func currentAmplitudeAbove380ATripsToTheSafeModeInTheSamePeriod() {
  let calibration = InverterCalibration.brandA
  let parameters = CurrentLoopParameters(
    calibration: calibration,
    offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
    angleOffset_counts: 0)
  // a = b = 190 A (760 counts), c = −380 A: the amplitude is exactly 380 A, at the trip level.
  for (b, trips) in [(UInt16(2048 + 760), false), (UInt16(2048 + 761), true)] {
    var loop = CurrentLoop(parameters: parameters)
    let sample = InverterSample(
      phaseCurrentCounts: [b, b], dcLinkVoltageCounts: 1750, rotorAngleCounts: 0,
      inverterTemperatureCounts: 700, motorTemperatureCounts: 700)
    let out = loop.step(
      CurrentLoopInputs(
        sample: sample, reference: DirectQuadrature(d: 0, q: 0), enable: true,
        safeMode: .activeShortCircuit))
    #expect(out.overcurrent == trips)
    #expect(out.command.mode == (trips ? .activeShortCircuit : .modulating))
  }
}
