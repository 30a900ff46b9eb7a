import Foundation
import MotorControl
import Testing

/// Step response of a current loop axis: the periods until the measured current stays within
/// ±2 % of the target, and the overshoot as a share of the target.
private func stepResponse(_ values: [Double], target: Double) -> (settle: Int, overshoot: Double) {
  var settle = values.count
  for k in stride(from: values.count - 1, through: 0, by: -1) {
    if abs(values[k] - target) > 0.02 * abs(target) { break }
    settle = k
  }
  let peak = target > 0 ? values.max() ?? 0 : values.min() ?? 0
  return (settle, max((peak - target) / target, 0))
}

@Test(arguments: [0.0, 500.0])
func qCurrentStepTo50PercentRatedSettlesWithin2PercentIn10PeriodsWith5PercentOvershoot(rpm: Double)
{
  var model = MotorModel()
  model.mechanicalSpeed = rpm * Double.pi / 30
  var rig = CurrentLoopRig(model: model)
  for _ in 0..<40 { rig.period(reference: DirectQuadrature(d: 0, q: 0)) }
  var measured: [Double] = []
  // The sample at index k is taken k periods after the reference step.
  for _ in 0..<30 {
    let out = rig.period(reference: DirectQuadrature(d: 0, q: 150))
    measured.append(Double(out.current.q))
  }
  // One more sample shows the state after the last period.
  measured.append(Double(rig.period(reference: DirectQuadrature(d: 0, q: 150)).current.q))
  let response = stepResponse(measured, target: 150)
  #expect(response.settle <= 10)
  #expect(response.overshoot <= 0.05)
}

@Test func dCurrentStepTo50PercentRatedSettlesWithin2PercentIn10PeriodsWith5PercentOvershoot() {
  var model = MotorModel()
  model.mechanicalSpeed = 1500 * Double.pi / 30
  var rig = CurrentLoopRig(model: model)
  for _ in 0..<40 { rig.period(reference: DirectQuadrature(d: 0, q: 0)) }
  var measured: [Double] = []
  for _ in 0..<31 {
    measured.append(Double(rig.period(reference: DirectQuadrature(d: -150, q: 0)).current.d))
  }
  let response = stepResponse(measured, target: -150)
  #expect(response.settle <= 10)
  #expect(response.overshoot <= 0.05)
}

@Test func steadyCurrentAtSpeedTracksReferenceWithin1Percent() {
  var model = MotorModel()
  model.mechanicalSpeed = 3000 * Double.pi / 30
  var rig = CurrentLoopRig(model: model)
  for _ in 0..<400 { rig.period(reference: DirectQuadrature(d: -100, q: 200)) }
  #expect(abs(rig.model.id - -100) <= 2)
  #expect(abs(rig.model.iq - 200) <= 2)
}

@Test func disabledLoopCommandsSafeModeAndHoldsIntegratorsAtZero() {
  var rig = CurrentLoopRig(model: MotorModel())
  let out = rig.period(reference: DirectQuadrature(d: 0, q: 100), enable: false)
  #expect(out.command.mode == .off)
  #expect(rig.state.dAxis.integrator == 0)
  #expect(rig.state.qAxis.integrator == 0)
}

/// Free acceleration at full torque request with the torque manager closing field weakening:
/// base speed (MTPA at the current limit meets the voltage limit) is computed from the model.
@Test func fieldWeakeningReachesTwiceBaseSpeedAt350VWithCurrentInsideLimit() {
  let calibration = InverterCalibration.brandA
  var model = MotorModel()
  model.speedHeld = false
  var rig = CurrentLoopRig(model: model, calibration: calibration)
  var manager = TorqueManager(
    calibration: calibration, sampleTime_s: calibration.tuning.controlPeriod_s)
  // Base speed: |ψs| at the MTPA point of the 300 A limit against the usable voltage.
  let limit = Double(calibration.limits.phaseCurrent_A)
  let mtpaId =
    (model.psi
      - (model.psi * model.psi + 8 * pow(model.lq - model.ld, 2) * limit * limit)
      .squareRoot()) / (4 * (model.lq - model.ld))
  let mtpaIq = (limit * limit - mtpaId * mtpaId).squareRoot()
  let flux =
    ((model.psi + model.ld * mtpaId) * (model.psi + model.ld * mtpaId)
    + (model.lq * mtpaIq) * (model.lq * mtpaIq)).squareRoot()
  let usable = Double(calibration.tuning.voltageLimit_fraction) * 350 / 3.0.squareRoot()
  let baseSpeed = usable / (model.pp * flux)
  #expect(baseSpeed > 350 && baseSpeed < 500)  // ≈ 4000 rpm: the figure the calibration assumes

  var peakCurrent = 0.0
  var reference = DirectQuadrature(d: 0, q: 0)
  var demand: Float = 0
  var periods = 0
  while rig.model.mechanicalSpeed < 2.05 * baseSpeed && periods < 40_000 {
    let limits = TorqueLimits(
      motoring_Nm: calibration.limits.motoringTorque_Nm, generating_Nm: 0,
      phaseCurrent_A: calibration.limits.phaseCurrent_A)
    let out = manager.step(
      TorqueManagerInputs(
        torqueRequest_Nm: 400, limits: limits, speed_rad_s: Float(rig.model.mechanicalSpeed),
        voltageDemand_fraction: demand, rampToZero: false))
    reference = out.reference
    let loop = rig.period(reference: reference)
    demand = loop.voltageDemand_fraction(parameters: rig.loop.parameters)
    peakCurrent = max(peakCurrent, rig.model.currentMagnitude)
    periods += 1
  }
  #expect(rig.model.mechanicalSpeed >= 2 * baseSpeed)
  // The torque is still positive at twice base speed: the drive is not voltage-locked.
  #expect(rig.model.torque > 5)
  #expect(peakCurrent <= 1.03 * limit)
  #expect(reference.d < -100)  // the field is weakened
}
