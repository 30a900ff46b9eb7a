import MotorControl
import Platform
import Testing

/// The drive around the dq model: control period every 50 µs, torque management every 20
/// periods (1 kHz), the command applied over the following period.
private struct DriveRig {
  var model = MotorModel()
  var drive = InverterDrive(
    calibration: .brandA, angleOffset_counts: 0, torqueManagementPeriod_s: 1e-3)
  var pending = PowerStageCommand.off
  var request = DriveRequest.idle
  var period = 0
  var last = PowerStageCommand.off
  /// Added to the resolver reading: a sensor fault the motor does not see.
  var resolverError_counts: UInt16 = 0

  init() {
    model.speedHeld = true
    request.battery = BatteryLimits(discharge_A: 400, charge_A: 200)
  }

  mutating func run(periods: Int) {
    for _ in 0..<periods {
      if period % 20 == 0 { drive.torqueManagement(request) }
      var sample = model.sample()
      sample.rotorAngleCounts &+= resolverError_counts
      let command = drive.controlPeriod(sample)
      model.apply(pending, for: 50e-6)
      pending = command
      last = command
      period += 1
    }
  }
}

@Test func startUpCalibratesOffsetsFor1024PeriodsThenWaitsInStandby() {
  var rig = DriveRig()
  rig.run(periods: 1)
  #expect(rig.drive.state == .offsetCalibration)
  rig.run(periods: 1023)
  #expect(rig.drive.state == .offsetCalibration)
  rig.run(periods: 2)
  #expect(rig.drive.state == .standby)
  #expect(rig.last.mode == .off)
}

@Test func runningDriveDelivers50NmWithin2PercentAfterTheRamp() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 2000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.request.torque_Nm = 50
  rig.run(periods: 1000)  // 50 ms: the 2000 N·m/s ramp needs 25
  #expect(rig.drive.state == .running)
  #expect(rig.last.mode == .modulating)
  #expect(abs(rig.model.torque - 50) <= 1)
}

@Test func speedModeHoldsTheReferenceOnTheFreeRotor() {
  var rig = DriveRig()
  rig.model.speedHeld = false
  rig.model.loadTorque = 10
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.request.mode = .speed
  rig.request.speed_rad_s = 200
  rig.run(periods: 20_000)  // 1 s
  #expect(abs(rig.model.mechanicalSpeed - 200) <= 2)
}

@Test func dcLinkOvervoltageLatchesTheFaultAndOpensTheSwitchesAtLowSpeed() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 1000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.request.torque_Nm = 30
  rig.run(periods: 200)
  rig.model.dcLink = 450
  rig.run(periods: 3)
  #expect(rig.drive.state == .running)
  rig.run(periods: 1)
  #expect(rig.drive.state == .fault)
  #expect(rig.last.mode == .off)
  #expect(rig.drive.stateMachine.fault == .protection(ProtectionID.dcLinkOvervoltage.mask))
  // Back to 350 V: latched until the row has healed (200 periods) and a clear is requested.
  rig.model.dcLink = 350
  rig.request.runRequest = false
  rig.run(periods: 400)
  #expect(rig.drive.state == .fault)
  rig.request.clearFaultRequest = true
  rig.run(periods: 40)
  #expect(rig.drive.state == .standby)
}

@Test func standbyAbove5000RpmModulatesZeroCurrent() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 6000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1200)
  #expect(rig.drive.state == .standby)
  #expect(rig.last.mode == .modulating)
  #expect(rig.model.currentMagnitude <= 3)
}

@Test func faultAbove5000RpmShortsTheWindings() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 6000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.run(periods: 100)
  rig.model.dcLink = 450
  rig.run(periods: 4)
  #expect(rig.drive.state == .fault)
  #expect(rig.last.mode == .activeShortCircuit)
}

@Test func lostTorqueRequestRampsTheTorqueToZeroWithoutAFault() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 1000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.request.torque_Nm = 80
  rig.run(periods: 1000)
  #expect(abs(rig.model.torque - 80) <= 2)
  rig.request.torqueRequestAge_s = 0.2
  rig.run(periods: 100)
  let early = rig.model.torque
  rig.run(periods: 100)  // 5 ms at 4000 N·m/s: 20 N·m lower, ± one 1 kHz step (4 N·m)
  #expect(abs(early - rig.model.torque - 20) <= 4.5)
  #expect(rig.model.torque > 5)
  rig.run(periods: 600)
  #expect(abs(rig.model.torque) <= 1)
  #expect(rig.drive.state == .running)
}

@Test func lostBatteryLimitsZeroTheTorqueAtOnce() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 1000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.request.torque_Nm = 80
  rig.run(periods: 1000)
  rig.request.batteryLimitsAge_s = 0.6
  rig.run(periods: 60)  // the next torque-management period plus the current loop's settling
  #expect(abs(rig.model.torque) <= 1)
}

/// A 45° mechanical jump (180° electrical) is an implausible angle: latched fault in 2 periods.
@Test func resolverJumpWhileRunningLatchesAnAngleFaultInTwoPeriods() {
  var rig = DriveRig()
  rig.model.mechanicalSpeed = 1000 * InverterCalibration.rpm.asDouble
  rig.run(periods: 1100)
  rig.request.runRequest = true
  rig.request.torque_Nm = 30
  rig.run(periods: 200)
  rig.resolverError_counts = 8192
  rig.run(periods: 1)
  #expect(rig.drive.state == .running)
  rig.run(periods: 1)
  #expect(rig.drive.state == .fault)
  #expect(
    rig.drive.stateMachine.fault.map {
      if case .protection(let rows) = $0 { rows & ProtectionID.angleJump.mask != 0 } else { false }
    } == true)
}

@Test func newAngleOffsetMovesTheElectricalAngleWithoutAnAngleFault() {
  var rig = DriveRig()
  rig.run(periods: 1100)
  let before = rig.drive.lastLoop!.electricalAngle_rad
  rig.drive.setAngleOffset(16384)  // a quarter electrical turn
  rig.run(periods: 1)
  let after = rig.drive.lastLoop!.electricalAngle_rad
  let turned = (before - after + 2 * Float.pi).truncatingRemainder(dividingBy: 2 * Float.pi)
  #expect(abs(turned - Float.pi / 2) <= 1e-3)
  #expect(abs(rig.drive.lastLoop!.angleError_rad) <= 1e-3)
  rig.run(periods: 100)
  #expect(rig.drive.state == .standby)
}

extension Float {
  fileprivate var asDouble: Double { Double(self) }
}
