import Foundation
import MotorControl
import Testing

private let motor = MotorParameters.referenceEAxle

private func torque(_ id: Double, _ iq: Double) -> Double {
  1.5 * Double(motor.polePairs) * iq
    * (Double(motor.fluxLinkage_Wb)
      + (Double(motor.inductanceD_H) - Double(motor.inductanceQ_H)) * id)
}

/// Brute force: the most torque anywhere on the current circle of radius `current`.
private func bruteForceMaximum(current: Double) -> (id: Double, iq: Double, torque: Double) {
  var best = (id: 0.0, iq: 0.0, torque: -Double.infinity)
  for step in 0...200_000 {
    let beta = Double.pi / 2 * Double(step) / 200_000  // angle of the vector past the q axis
    let id = -current * sin(beta)
    let iq = current * cos(beta)
    let t = torque(id, iq)
    if t > best.torque { best = (id, iq, t) }
  }
  return best
}

@Test(arguments: [50.0, 150.0, 300.0, 400.0])
func mtpaForACurrentMagnitudeMatchesBruteForceSearchOverTheCircleWithin0p1A(current: Double) {
  let best = bruteForceMaximum(current: current)
  let point = MaximumTorquePerAmpere.currents(magnitude: Float(current), motor: motor)
  #expect(abs(Double(point.d) - best.id) <= 0.1)
  #expect(abs(Double(point.q) - best.iq) <= 0.1)
}

@Test(arguments: [1.0, 20.0, 80.0, 160.0, 200.0])
func mtpaForATorqueMakesThatTorqueWithTheBruteForceMinimumCurrentWithin0p1Percent(
  torque requested: Double
) {
  let point = MaximumTorquePerAmpere.currents(torque_Nm: Float(requested), motor: motor)
  let id = Double(point.d)
  let iq = Double(point.q)
  #expect(abs(torque(id, iq) - requested) <= 1e-3 * requested)
  // The circle through the point must not allow more torque anywhere else.
  let magnitude = (id * id + iq * iq).squareRoot()
  let best = bruteForceMaximum(current: magnitude)
  #expect(abs(best.torque - requested) <= 1e-3 * requested)
  #expect(abs(best.id - id) <= 0.1 + 1e-3 * magnitude)
}

@Test func mtpaClosedFormIdOfIqLiesOnTheCurveForEveryTorque() {
  for t in stride(from: -200.0, through: 200.0, by: 25.0) {
    let point = MaximumTorquePerAmpere.currents(torque_Nm: Float(t), motor: motor)
    let id = MaximumTorquePerAmpere.directCurrent(quadrature: point.q, motor: motor)
    #expect(abs(id - point.d) <= 0.05)
    #expect((point.q < 0) == (t < 0) || t == 0)
  }
}

@Test func mtpaOfASurfaceMotorIsPureQCurrent() {
  var surface = motor
  surface.inductanceD_H = surface.inductanceQ_H
  let point = MaximumTorquePerAmpere.currents(torque_Nm: 60, motor: surface)
  #expect(point.d == 0)
  #expect(abs(point.q - 60 / (6 * 0.065)) <= 0.01)
}

private func inputs(
  _ request: Float, demand: Float = 0.5, rampToZero: Bool = false,
  limits: TorqueLimits = TorqueLimits(motoring_Nm: 160, generating_Nm: 120, phaseCurrent_A: 300)
) -> TorqueManagerInputs {
  TorqueManagerInputs(
    torqueRequest_Nm: request, limits: limits, speed_rad_s: 100, voltageDemand_fraction: demand,
    rampToZero: rampToZero)
}

@Test func torqueRisesAt2000NmPerSecondAndFallsAt4000NmPerSecond() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 0.001)
  #expect(abs(manager.step(inputs(100)).torque_Nm - 2) <= 1e-3)
  for _ in 0..<99 { _ = manager.step(inputs(100)) }
  #expect(abs(manager.step(inputs(100)).torque_Nm - 100) <= 1e-3)
  #expect(abs(manager.step(inputs(0)).torque_Nm - 96) <= 1e-3)
}

@Test func regenerativeTorqueBuildsUpAtTheRiseRate() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 0.001)
  #expect(abs(manager.step(inputs(-50)).torque_Nm - -2) <= 1e-3)
}

@Test func rampToZeroTakesTheTorqueDownAtTheFallRate() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 0.001)
  for _ in 0..<100 { _ = manager.step(inputs(100)) }
  #expect(abs(manager.step(inputs(100, rampToZero: true)).torque_Nm - 96) <= 1e-3)
}

@Test func aFallingTorqueLimitActsAtOnceNotAtTheRampRate() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 0.001)
  for _ in 0..<100 { _ = manager.step(inputs(100)) }
  let out = manager.step(inputs(100, limits: .zero))
  #expect(out.torque_Nm == 0)
  #expect(out.reference == DirectQuadrature(d: 0, q: 0))
}

@Test func requestBeyondTheCurrentCircleIsHeldAtTheMtpaPointOn300A() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 1)
  let limits = TorqueLimits(motoring_Nm: 1000, generating_Nm: 1000, phaseCurrent_A: 300)
  let out = manager.step(inputs(400, limits: limits))
  let magnitude = (out.reference.d * out.reference.d + out.reference.q * out.reference.q)
    .squareRoot()
  #expect(abs(magnitude - 300) <= 0.1)
  let edge = MaximumTorquePerAmpere.currents(magnitude: 300, motor: motor)
  #expect(abs(out.reference.d - edge.d) <= 0.1)
}

@Test func fieldWeakeningDrivesIdNegativeWhileVoltageDemandExceeds92Percent() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 50e-6)
  for _ in 0..<3000 { _ = manager.step(inputs(50)) }
  let before = manager.step(inputs(50, demand: 0.5))
  #expect(before.fieldWeakening_A == 0)
  var out = before
  for _ in 0..<200 { out = manager.step(inputs(50, demand: 1.0)) }
  // 20 000 A/s per unit error × 0.08 × 10 ms = 16 A.
  #expect(abs(out.fieldWeakening_A - -16) <= 0.1)
  #expect(out.reference.d < before.reference.d - 15)
  // Same torque at the weakened id: iq drops as the reluctance torque grows.
  #expect(abs(out.torque_Nm - 50) <= 0.05)
  #expect(out.reference.q < before.reference.q)
}

@Test func fieldWeakeningReleasesWhenVoltageDemandFallsBelow92Percent() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 50e-6)
  for _ in 0..<200 { _ = manager.step(inputs(0, demand: 1.0)) }
  var out = manager.step(inputs(0, demand: 1.0))
  #expect(out.fieldWeakening_A < 0)
  for _ in 0..<400 { out = manager.step(inputs(0, demand: 0.5)) }
  #expect(out.fieldWeakening_A == 0)
}

@Test func fieldWeakeningNeverTakesTheCurrentOutsideTheCircle() {
  var manager = TorqueManager(calibration: .brandA, sampleTime_s: 50e-6)
  for _ in 0..<40_000 {
    let out = manager.step(inputs(160, demand: 1.0))
    let magnitude = (out.reference.d * out.reference.d + out.reference.q * out.reference.q)
      .squareRoot()
    #expect(magnitude <= 300.01)
    if magnitude > 300.01 { break }
  }
}

@Test func speedControllerOutputStaysInsideTheTorqueLimits() {
  var controller = SpeedController(tuning: .reference, sampleTime_s: 0.001)
  let limits = TorqueLimits(motoring_Nm: 100, generating_Nm: 40, phaseCurrent_A: 300)
  #expect(controller.step(speedReference_rad_s: 1000, speed_rad_s: 10, limits: limits) == 100)
  #expect(controller.step(speedReference_rad_s: -1000, speed_rad_s: 10, limits: limits) == -40)
}

@Test func speedModeHoldsTheSpeedReferenceWithin1PercentOnAnInertia() {
  var controller = SpeedController(tuning: .reference, sampleTime_s: 0.001)
  let limits = TorqueLimits(motoring_Nm: 160, generating_Nm: 120, phaseCurrent_A: 300)
  var speed: Float = 0
  for _ in 0..<3000 {
    let torque = controller.step(speedReference_rad_s: 300, speed_rad_s: speed, limits: limits)
    speed += 0.001 * (torque - 5) / 0.05  // 5 N·m of friction load
  }
  #expect(abs(speed - 300) <= 3)
}
