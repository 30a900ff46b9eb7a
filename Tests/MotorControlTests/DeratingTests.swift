import MotorControl
import Testing

private let calibration = InverterCalibration.brandA

private func limits(
  inverter: Float = 60, motor: Float = 60, link: Float = 350, speed: Float = 10,
  battery: BatteryLimits = BatteryLimits(discharge_A: 1000, charge_A: 1000)
) -> TorqueLimits {
  Derating.limits(
    DeratingInputs(
      inverterTemperature_C: inverter, motorTemperature_C: motor, dcLink_V: link,
      speed_rad_s: speed, battery: battery),
    limits: calibration.limits, calibration: calibration.derating)
}

@Test func nothingIsDeratedInsideTheNormalRange() {
  let l = limits()
  #expect(l.motoring_Nm == 160)
  #expect(l.generating_Nm == 120)
  #expect(l.phaseCurrent_A == 300)
}

/// Brand A inverter ramp 110 → 125 °C: full at 110, half at 117.5, none at 125.
@Test(arguments: [(Float(110), Float(1)), (117.5, 0.5), (125, 0), (140, 0)])
func inverterTemperatureDeratesLinearlyFrom110To125C(temperature: Float, factor: Float) {
  let l = limits(inverter: temperature)
  #expect(abs(l.motoring_Nm - 160 * factor) <= 1e-3)
  #expect(abs(l.generating_Nm - 120 * factor) <= 1e-3)
  #expect(abs(l.phaseCurrent_A - 300 * factor) <= 1e-3)
}

/// Brand A motor ramp 150 → 170 °C.
@Test(arguments: [(Float(150), Float(1)), (160, 0.5), (170, 0)])
func motorTemperatureDeratesLinearlyFrom150To170C(temperature: Float, factor: Float) {
  #expect(abs(limits(motor: temperature).motoring_Nm - 160 * factor) <= 1e-3)
}

@Test(arguments: [(Float(270), Float(1)), (260, 0.5), (250, 0)])
func motoringTorqueDeratesAsTheLinkSagsFrom270To250V(link: Float, factor: Float) {
  let l = limits(link: link)
  #expect(abs(l.motoring_Nm - 160 * factor) <= 1e-3)
  #expect(l.generating_Nm == 120)
}

@Test(arguments: [(Float(405), Float(1)), (412.5, 0.5), (420, 0)])
func generatingTorqueDeratesAsTheLinkRisesFrom405To420V(link: Float, factor: Float) {
  let l = limits(link: link)
  #expect(abs(l.generating_Nm - 120 * factor) <= 1e-3)
  #expect(l.motoring_Nm == 160)
}

/// 100 A discharge at 350 V = 35 kW from the battery; 92 % reaches the shaft: at 500 rad/s
/// that is 64.4 N·m.
@Test func batteryDischargeLimitBecomesTorqueThroughSpeedAndEfficiency() {
  let l = limits(speed: 500, battery: BatteryLimits(discharge_A: 100, charge_A: 1000))
  #expect(abs(l.motoring_Nm - 100 * 350 * 0.92 / 500) <= 1e-2)
}

/// 50 A charge at 350 V = 17.5 kW into the battery; the shaft must supply 17.5 kW / 0.92.
@Test func batteryChargeLimitBecomesRegenerativeTorqueThroughSpeedAndEfficiency() {
  let l = limits(speed: -400, battery: BatteryLimits(discharge_A: 1000, charge_A: 50))
  #expect(abs(l.generating_Nm - 50 * 350 / 0.92 / 400) <= 1e-2)
}

@Test func zeroBatteryLimitsGiveZeroTorqueAtSpeed() {
  let l = limits(speed: 300, battery: BatteryLimits(discharge_A: 0, charge_A: 0))
  #expect(l.motoring_Nm == 0)
  #expect(l.generating_Nm == 0)
}

/// 80 kW electrical at 700 rad/s: 80 000 · 0.92 / 700 N·m.
@Test func electricalPowerLimitOf80kWCapsTorqueAtSpeed() {
  let l = limits(speed: 700)
  #expect(abs(l.motoring_Nm - 80_000 * 0.92 / 700) <= 1e-2)
}

@Test func motoringTorqueFadesToZeroAtTheSpeedLimit() {
  let top = calibration.limits.speed_rad_s
  #expect(limits(speed: top).motoring_Nm == 0)
  #expect(limits(speed: 0.95 * top).motoring_Nm > 0)
}

@Test func torqueLimitsSwapRolesInReverse() {
  let l = TorqueLimits(motoring_Nm: 100, generating_Nm: 30, phaseCurrent_A: 300)
  #expect(l.clamp(torque_Nm: 200, speed_rad_s: 10) == 100)
  #expect(l.clamp(torque_Nm: -200, speed_rad_s: 10) == -30)
  #expect(l.clamp(torque_Nm: -200, speed_rad_s: -10) == -100)
  #expect(l.clamp(torque_Nm: 200, speed_rad_s: -10) == 30)
}
