import MotorControl
import Platform
import Testing

private let rpm = InverterCalibration.rpm

// MARK: Safe state by speed

@Test func safeStateIsPwmOffBelow5000RpmFromStandstill() {
  var selector = SafeStateSelector(calibration: InverterCalibration.brandA.safeState)
  #expect(selector.update(speed_rad_s: 0) == .off)
  #expect(selector.update(speed_rad_s: 4_999 * rpm) == .off)
}

@Test func safeStateIsActiveShortCircuitFrom5000RpmInEitherDirection() {
  var forward = SafeStateSelector(calibration: InverterCalibration.brandA.safeState)
  #expect(forward.update(speed_rad_s: 5_000 * rpm) == .activeShortCircuit)
  var reverse = SafeStateSelector(calibration: InverterCalibration.brandA.safeState)
  #expect(reverse.update(speed_rad_s: -5_001 * rpm) == .activeShortCircuit)
}

@Test func activeShortCircuitIsHeldDownTo4500RpmThenPwmOff() {
  var selector = SafeStateSelector(calibration: InverterCalibration.brandA.safeState)
  _ = selector.update(speed_rad_s: 6_000 * rpm)
  #expect(selector.update(speed_rad_s: 4_600 * rpm) == .activeShortCircuit)
  #expect(selector.update(speed_rad_s: 4_501 * rpm) == .activeShortCircuit)
  #expect(selector.update(speed_rad_s: 4_500 * rpm) == .off)
  #expect(selector.update(speed_rad_s: 4_900 * rpm) == .off)
}

/// The switch-over speed must lie below the speed where the back-EMF line-to-line peak reaches
/// the lowest DC link (250 V), or opening the switches would already rectify into the link.
@Test func activeShortCircuitStartsBelowTheUncontrolledRectificationSpeedAt250V() {
  let motor = MotorParameters.referenceEAxle
  let rectification = 250 / (1.732_050_8 * motor.fluxLinkage_Wb * Float(Int(motor.polePairs)))
  #expect(InverterCalibration.brandA.safeState.activeShortCircuitAbove_rad_s < rectification)
}

// MARK: State machine

private func inputs(
  offset: OffsetCalibrationResult = .inProgress, run: Bool = false, protections: UInt16 = 0,
  clear: Bool = false
) -> InverterStateInputs {
  InverterStateInputs(
    offsetCalibration: offset, runRequest: run, safeStateProtections: protections,
    clearFaultRequest: clear)
}

private let goodOffsets = OffsetCalibrationResult.done(
  CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2049))

private func runningMachine() -> InverterStateMachine {
  var machine = InverterStateMachine()
  _ = machine.step(inputs())
  _ = machine.step(inputs(offset: goodOffsets))
  _ = machine.step(inputs(offset: goodOffsets, run: true))
  return machine
}

@Test func startUpGoesThroughOffsetCalibrationToStandbyThenRun() {
  var machine = InverterStateMachine()
  #expect(machine.state == .initialising)
  #expect(machine.step(inputs(run: true)) == .offsetCalibration)
  #expect(machine.step(inputs(run: true)) == .offsetCalibration)
  #expect(machine.step(inputs(offset: goodOffsets, run: true)) == .standby)
  #expect(machine.step(inputs(offset: goodOffsets, run: true)) == .running)
  #expect(machine.step(inputs(offset: goodOffsets, run: false)) == .standby)
}

@Test func implausibleOffsetLatchesAFaultAndClearingRerunsTheCalibration() {
  var machine = InverterStateMachine()
  _ = machine.step(inputs())
  let bad = OffsetCalibrationResult.implausible(
    CurrentSensorOffsets(phaseA_counts: 2200, phaseB_counts: 2048))
  #expect(machine.step(inputs(offset: bad)) == .fault)
  #expect(machine.fault == .currentSensorOffset)
  #expect(machine.step(inputs(offset: bad, clear: true)) == .offsetCalibration)
}

@Test func safeStateProtectionLatchesTheFaultFromRun() {
  var machine = runningMachine()
  #expect(machine.state == .running)
  let cause = ProtectionID.dcLinkOvervoltage.mask
  #expect(machine.step(inputs(offset: goodOffsets, run: true, protections: cause)) == .fault)
  #expect(machine.fault == .protection(cause))
  // Cause gone but no clear request: still latched.
  #expect(machine.step(inputs(offset: goodOffsets, run: true)) == .fault)
}

@Test func clearIsRefusedWhileTheCauseIsStillPresent() {
  var machine = runningMachine()
  let cause = ProtectionID.motorOvertemperature.mask
  _ = machine.step(inputs(offset: goodOffsets, run: true, protections: cause))
  #expect(machine.step(inputs(offset: goodOffsets, protections: cause, clear: true)) == .fault)
  #expect(machine.step(inputs(offset: goodOffsets, clear: true)) == .standby)
  #expect(machine.fault == nil)
}

@Test func latchedFaultRecordsEveryCauseSeen() {
  var machine = runningMachine()
  _ = machine.step(inputs(protections: ProtectionID.overspeed.mask))
  _ = machine.step(inputs(protections: ProtectionID.angleJump.mask))
  #expect(machine.fault == .protection(ProtectionID.overspeed.mask | ProtectionID.angleJump.mask))
}

@Test func powerStageModeFollowsTheStateAndTheSafeModeBySpeed() {
  var machine = InverterStateMachine()
  #expect(machine.powerStageMode(safeMode: .activeShortCircuit) == .off)
  machine = runningMachine()
  #expect(machine.powerStageMode(safeMode: .activeShortCircuit) == .modulating)
  _ = machine.step(inputs(protections: ProtectionID.overspeed.mask))
  #expect(machine.powerStageMode(safeMode: .activeShortCircuit) == .activeShortCircuit)
  #expect(machine.powerStageMode(safeMode: .off) == .off)
}

// MARK: Offset calibration

private func sample(_ a: UInt16, _ b: UInt16) -> InverterSample {
  InverterSample(
    phaseCurrentCounts: [a, b], dcLinkVoltageCounts: 0, rotorAngleCounts: 0,
    inverterTemperatureCounts: 0, motorTemperatureCounts: 0)
}

@Test func offsetCalibrationAveragesAll1024Samples() {
  var calibrator = OffsetCalibrator(
    settings: InverterCalibration.brandA.offsetCalibration, nominalZero_counts: 2048)
  var result = OffsetCalibrationResult.inProgress
  for k in 0..<1024 {
    #expect(result == .inProgress)
    // Alternating ±3 counts of noise around 2050 and 2040.
    let noise: Int = k % 2 == 0 ? 3 : -3
    result = calibrator.add(sample(UInt16(2050 + noise), UInt16(2040 - noise)))
  }
  #expect(result == .done(CurrentSensorOffsets(phaseA_counts: 2050, phaseB_counts: 2040)))
}

@Test func offsetMoreThan40CountsFromNominalIsImplausible() {
  for (a, plausible) in [(UInt16(2088), true), (UInt16(2089), false), (UInt16(2007), false)] {
    var calibrator = OffsetCalibrator(
      settings: InverterCalibration.brandA.offsetCalibration, nominalZero_counts: 2048)
    var result = OffsetCalibrationResult.inProgress
    for _ in 0..<1024 { result = calibrator.add(sample(a, 2048)) }
    let offsets = CurrentSensorOffsets(phaseA_counts: Float(Int(a)), phaseB_counts: 2048)
    #expect(result == (plausible ? .done(offsets) : .implausible(offsets)))
  }
}

@Test func faultBeforeTheOffsetsWereTakenReRunsTheCalibrationWhenCleared() {
  var machine = InverterStateMachine()
  _ = machine.step(inputs())
  #expect(machine.state == .offsetCalibration)
  let undervoltage = ProtectionID.dcLinkUndervoltage.mask
  #expect(machine.step(inputs(protections: undervoltage)) == .fault)
  #expect(machine.step(inputs(clear: true)) == .offsetCalibration)
}
