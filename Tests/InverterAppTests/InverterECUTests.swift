import InverterApp
import MotorControl
import Platform
import Scheduling
import Testing
import VehicleNetwork

private let ratedTorque_Nm = Double(InverterCalibration.brandA.limits.motoringTorque_Nm)

// MARK: Schedule

@Test func taskRatesAt50MicrosecondControlPeriod() {
  let ecu = TestECU(sensors: FakeSensors(), stage: FakeStage(), bus: FakeBus(), store: RAMStore())
  #expect(ecu.controlPeriodMicroseconds == 50)
  #expect(ecu.periodTicks(of: TestECU.Task.currentLoop.rawValue) == 1)
  #expect(ecu.periodTicks(of: 1) == 20)  // 1 kHz
  #expect(ecu.periodTicks(of: 2) == 200)  // 100 Hz
  #expect(ecu.periodTicks(of: 3) == 2000)  // 10 Hz
  #expect(ecu.supervisionTicks == 2000)
}

@Test func oneSecondWithoutTheVehicleSamplesEveryPeriodFeedsTheWatchdogAndStaysOff() throws {
  var ecu = TestECU(sensors: FakeSensors(), stage: FakeStage(), bus: FakeBus(), store: RAMStore())
  ecu.sensors.next = EAxlePlant().sample()
  var dog = FakeWatchdog()
  var scheduler = try CyclicScheduler(tasks: ecu, supervisionTicks: ecu.supervisionTicks)
  for _ in 0..<20_000 { scheduler.runOnePeriod(&ecu, watchdog: &dog) }
  #expect(ecu.sensors.samples == 20_000)
  #expect(ecu.jobs[1] == 1000)
  #expect(ecu.jobs[2] == 100)
  #expect(ecu.jobs[3] == 10)
  #expect(dog.feeds == 10)
  #expect(ecu.drive.stateMachine.state == .standby)
  #expect(ecu.stage.last == .off)
}

@Test func defaultCalibrationWithoutTheBrandFlagIsBrandA() {
  #expect(TestECU.defaultCalibration.limits.motoringTorque_Nm == 160)
  #expect(TestECU.defaultCalibration.limits.torqueRise_Nm_s == 2000)
}

// MARK: Key on and enable

@Test func keyOnWithoutEnableWaitsInStandbyThenEnableRunsWithin2Milliseconds() {
  var rig = Rig()
  rig.run(milliseconds: 60)
  #expect(rig.state == .standby)
  #expect(rig.channel(.state) == Float(Int(InverterState.standby.rawValue)))
  #expect(rig.channel(.stageMode) == Float(Int(PowerStageMode.off.rawValue)))
  rig.vcu.enable = true
  rig.run(milliseconds: 12)  // the next 10 ms frame, then one 1 kHz job
  #expect(rig.state == .running)
  #expect(rig.channel(.stageMode) == Float(Int(PowerStageMode.modulating.rawValue)))
}

@Test func enableWithTheKeyInAccessoryDoesNotRun() {
  var rig = Rig()
  rig.vcu.keyState = .accessory
  rig.vcu.enable = true
  rig.run(milliseconds: 100)
  #expect(rig.state == .standby)
}

// MARK: Torque path

@Test func torqueStepOf100NmGivesTheMTPAReferencesAndTorqueWithin2PercentOfRated() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 100)
  let expected = referenceMTPA(torque_Nm: 100)
  // Reference tolerance: the firmware's Newton iteration is within 1e-4 of the current, Float
  // rounding adds less than 0.01 A.
  #expect(abs(Double(rig.channel(.idReference)) - expected.id) <= 0.1)
  #expect(abs(Double(rig.channel(.iqReference)) - expected.iq) <= 0.1)
  #expect(abs(rig.channel(.torqueReference) - 100) <= 0.01)
  #expect(abs(rig.plant.torque_Nm - 100) <= 0.02 * ratedTorque_Nm)
  #expect(abs(Double(rig.channel(.torqueEstimate)) - 100) <= 0.02 * ratedTorque_Nm)
  #expect(abs(Double(rig.channel(.speed)) - 1000) <= 5)
  #expect(rig.channel(.torqueRequest) == 100)
  #expect(rig.channel(.faultCode) == 0)
}

@Test func negativeTorqueRequestRegeneratesWithin2PercentOfRated() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: -60)
  #expect(abs(rig.plant.torque_Nm + 60) <= 0.02 * ratedTorque_Nm)
}

@Test func lostTorqueRequestHoldsTorqueFor100msThenReachesZeroWithin200ms() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 100)
  // The last frame was sent at the current tick or up to 10 ms before.
  rig.sendTorqueRequests = false
  rig.run(milliseconds: 85)
  #expect(abs(rig.plant.torque_Nm - 100) <= 0.02 * ratedTorque_Nm)
  rig.run(milliseconds: 115)
  #expect(rig.channel(.torqueReference) == 0)
  #expect(abs(rig.plant.torque_Nm) <= 0.02 * ratedTorque_Nm)
  #expect(rig.state == .running)
  #expect(rig.channel(.faultCode) == Float(Int(ProtectionID.torqueRequestTimeout.rawValue) + 1))
  #expect(rig.channel(.torqueRequestE2E) == Float(Int(E2EStatus.lost.measurementCode)))
}

@Test func torqueReturnsWhenTheTorqueRequestIsReceivedAgain() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 80)
  rig.sendTorqueRequests = false
  rig.run(milliseconds: 300)
  rig.sendTorqueRequests = true
  rig.run(milliseconds: 100)
  #expect(abs(rig.plant.torque_Nm - 80) <= 0.02 * ratedTorque_Nm)
}

// MARK: E2E

@Test func frameWithABadCRCIsIgnored() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 50)
  rig.vcu.torqueRequest_Nm = 150
  var frame = rig.torqueRequestFrame()
  frame.data[0] ^= 0x01
  rig.vcu.torqueRequest_Nm = 50
  rig.extraFrames = [frame]
  rig.run(periods: 20)
  #expect(rig.channel(.torqueRequestE2E) == Float(Int(E2EStatus.crcError.measurementCode)))
  rig.run(milliseconds: 20)
  #expect(rig.channel(.torqueRequest) == 50)
  #expect(abs(rig.ecu.torque.torque_Nm - 50) <= 0.01)
}

@Test func frameRepeatingTheLastCounterIsIgnoredEvenWithAGoodCRC() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 50)
  // Wait for the next regular frame, then send another with its counter and a new value.
  let start = rig.tick
  while rig.tick == start || (rig.tick - Rig.vcuPhase) % Rig.vcuPeriods != 1 {
    rig.run(periods: 1)
  }
  var replay = rig.vcuProtector
  var frame = rig.vcu.encode()
  frame.data[2] = 0xDC  // 150 N·m: 1500 = 0x05DC
  frame.data[3] = 0x05
  // The protector is one ahead of the last frame sent: step a copy back by 14 (mod 15).
  for _ in 0..<14 {
    var scratch = frame
    replay.protect(&scratch)
  }
  replay.protect(&frame)
  #expect(E2EProfile1.counter(of: frame) == (rig.vcuProtector.counter + 14) % 15)
  rig.extraFrames = [frame]
  rig.run(periods: 20)
  #expect(rig.channel(.torqueRequestE2E) == Float(Int(E2EStatus.repeated.measurementCode)))
  #expect(rig.channel(.torqueRequest) == 50)
}

@Test func streamOfCorruptedFramesCountsAsLostAndRampsTorqueToZero() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 100)
  rig.corruptTorqueRequests = true
  rig.run(milliseconds: 200)
  #expect(rig.channel(.torqueReference) == 0)
  #expect(abs(rig.plant.torque_Nm) <= 0.02 * ratedTorque_Nm)
}

@Test func everyFrameOfAPeriodIsReadEightInOnePeriod() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 40)
  // Seven frames of other messages ahead of a torque request, all in one period.
  var burst: [CANFrame] = []
  for k in 0..<7 { burst.append(CANFrame(id: 0x301 + UInt32(k % 4), length: 8)) }
  rig.vcu.torqueRequest_Nm = 70
  burst.append(rig.torqueRequestFrame())
  rig.extraFrames = burst
  rig.run(periods: 1)
  rig.sendTorqueRequests = false  // only the burst's request can bring 70 N·m
  rig.run(periods: 40)
  #expect(rig.channel(.torqueRequest) == 70)
  #expect(rig.ecu.receiver.droppedFrames == 0)
}

// MARK: Battery limits

@Test func bmsDischargeLimitOf20ACapsMotoringTorqueAtThePowerItAllows() {
  var rig = Rig(speed_rpm: 1000)
  rig.bms.dischargeCurrentLimit_A = 20
  rig.driveAt(torque_Nm: 100)
  // T = I·V·η / ω with η = 0.92 (calibration), V = 350 V, ω = 1000 rpm.
  let limit = 20 * 350 * 0.92 / (1000 * Double.pi / 30)
  #expect(abs(Double(rig.channel(.motoringLimit)) - limit) <= 0.01 * limit)
  #expect(abs(rig.plant.torque_Nm - limit) <= 0.02 * ratedTorque_Nm)
  let status = rig.lastSent(INVStatus.self)
  #expect(status?.deratingCurrent == true)
}

@Test func bmsPowerLimitOf10kWCapsMotoringTorque() {
  var rig = Rig(speed_rpm: 2000)
  rig.bms.dischargePowerLimit_kW = 10
  rig.driveAt(torque_Nm: 100)
  let limit = 10_000 * 0.92 / (2000 * Double.pi / 30)
  #expect(abs(Double(rig.channel(.motoringLimit)) - limit) <= 0.01 * limit)
  #expect(abs(rig.plant.torque_Nm - limit) <= 0.02 * ratedTorque_Nm)
}

@Test func lostBatteryLimitsZeroTheTorqueAfter500ms() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 100)
  rig.sendBatteryLimits = false
  rig.run(milliseconds: 300)  // the last frame is at most 100 ms older than this
  #expect(abs(rig.plant.torque_Nm - 100) <= 0.02 * ratedTorque_Nm)
  rig.run(milliseconds: 300)
  #expect(rig.channel(.motoringLimit) == 0)
  #expect(abs(rig.plant.torque_Nm) <= 0.02 * ratedTorque_Nm)
  #expect(rig.channel(.faultCode) == Float(Int(ProtectionID.batteryLimitsTimeout.rawValue) + 1))
}

// MARK: Lost samples

@Test(arguments: [(1000.0, PowerStageMode.off), (6000.0, PowerStageMode.activeShortCircuit)])
func lostSampleAppliesTheSafeStateBySpeedForThatPeriodOnly(
  speed_rpm: Double, safeMode: PowerStageMode
) {
  var rig = Rig(speed_rpm: speed_rpm)
  rig.driveAt(torque_Nm: 0)
  #expect(rig.ecu.stage.last.mode == .modulating)
  rig.dropNextSample = true
  rig.run(periods: 1)
  #expect(rig.ecu.stage.last.mode == safeMode)
  #expect(rig.channel(.missingSamples) == 1)
  rig.run(periods: 1)
  #expect(rig.ecu.stage.last.mode == .modulating)
  #expect(rig.state == .running)
}

// MARK: Status transmission

@Test func statusFramesLeaveEvery10msAndDecodeToTheDriveState() throws {
  var rig = Rig(speed_rpm: 1500)
  rig.driveAt(torque_Nm: 60)
  rig.transmitted = []
  rig.run(milliseconds: 100)
  for id in [INVStatus.id, INVStatus2.id] {
    let ticks = rig.transmitted.filter { $0.frame.id == id }.map(\.tick)
    #expect(ticks.count == 10)
    #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $1 - $0 == 200 })
  }
  let status = try #require(rig.lastSent(INVStatus.self))
  #expect(status.state == .running)
  #expect(abs(Int(status.speed_rpm) - 1500) <= 5)
  #expect(abs(status.dcVoltage_V - 350) <= 0.5)
  #expect(abs(Double(status.torque_Nm) - 60) <= 0.25 + 0.02 * ratedTorque_Nm)
  // Mechanical power over the link plus copper loss: T·ω / V, within 10 %.
  let dcCurrent = 60 * 1500 * Double.pi / 30 / 350
  #expect(abs(Double(status.dcCurrent_A) - dcCurrent) <= 0.1 * dcCurrent)
  #expect(status.faultCode == 0)
  #expect(!status.deratingTemperature && !status.deratingVoltage && !status.deratingSpeed)
  let status2 = try #require(rig.lastSent(INVStatus2.self))
  #expect(status2.inverterTemperature_degC == 25)
  #expect(status2.motorTemperature_degC == 25)
  #expect(abs(Double(status2.currentQ_A) - rig.plant.iq_A) <= 2)
  #expect(abs(Double(status2.currentD_A) - rig.plant.id_A) <= 2)
}

@Test func statusReportsReadyInStandbyAndFaultWithItsCode() {
  var rig = Rig(speed_rpm: 1000)
  rig.run(milliseconds: 70)
  let ready = rig.lastSent(INVStatus.self)
  #expect(ready?.state == .ready)
  rig.plant.dcLink_V = 450
  rig.run(milliseconds: 20)
  let fault = rig.lastSent(INVStatus.self)
  #expect(fault?.state == .fault)
  #expect(fault?.faultCode == ProtectionID.dcLinkOvervoltage.rawValue + 1)
}

// MARK: Faults and power-up

@Test func latchedFaultIsClearedOnlyByTheVCUWithdrawingTheEnable() {
  var rig = Rig(speed_rpm: 1000)
  rig.driveAt(torque_Nm: 30)
  rig.plant.dcLink_V = 450
  rig.run(milliseconds: 2)
  #expect(rig.state == .fault)
  rig.plant.dcLink_V = 350
  rig.run(milliseconds: 50)
  #expect(rig.state == .fault)  // still enabled: no clear
  rig.vcu.enable = false
  rig.run(milliseconds: 20)
  #expect(rig.state == .standby)
  rig.vcu.enable = true
  rig.run(milliseconds: 20)
  #expect(rig.state == .running)
}

@Test func powerUpBeforePrechargeClearsTheUndervoltageAndStillMeasuresTheOffsets() {
  var rig = Rig(speed_rpm: 0)
  rig.plant.dcLink_V = 0
  rig.plant.phaseAOffset_counts = 8
  rig.run(milliseconds: 20)
  #expect(rig.state == .fault)
  rig.plant.dcLink_V = 350  // precharge done
  rig.run(milliseconds: 200)
  #expect(rig.state == .standby)
  #expect(rig.ecu.drive.currentLoop.parameters.currentOffsetA_counts == 2056)
}

// MARK: Brands

@Test func brandBLimitsTorqueTo130NmAndRampsAt800NmPerSecond() {
  var brandA = Rig(calibration: .brandA, speed_rpm: 1000)
  var brandB = Rig(calibration: .brandB, speed_rpm: 1000)
  brandA.vcu.enable = true
  brandB.vcu.enable = true
  brandA.vcu.torqueRequest_Nm = 200
  brandB.vcu.torqueRequest_Nm = 200
  brandA.run(milliseconds: 60)
  brandB.run(milliseconds: 60)
  #expect(brandA.state == .running)
  #expect(brandB.state == .running)
  // 50 ms of ramp: brand B at 800 N·m/s rises 40 N·m (± one 1 kHz step), brand A 100.
  let startA = brandA.channel(.torqueReference)
  let startB = brandB.channel(.torqueReference)
  brandA.run(milliseconds: 50)
  brandB.run(milliseconds: 50)
  #expect(abs(brandB.channel(.torqueReference) - startB - 40) <= 0.8)
  #expect(abs(brandA.channel(.torqueReference) - startA - 100) <= 2)
  brandA.run(milliseconds: 200)
  brandB.run(milliseconds: 200)
  #expect(brandA.channel(.motoringLimit) == 160)
  #expect(brandB.channel(.motoringLimit) == 130)
  #expect(abs(brandA.plant.torque_Nm - 160) <= 0.02 * ratedTorque_Nm)
  #expect(abs(brandB.plant.torque_Nm - 130) <= 0.02 * ratedTorque_Nm)
}

@Test func ninthFrameBetweenTwoOneKilohertzJobsIsDroppedAndCounted() {
  var rig = Rig(speed_rpm: 1000)
  rig.run(milliseconds: 60)
  rig.sendTorqueRequests = false
  // Right after a 1 kHz job: nine torque requests before the next one drains the queue.
  while rig.tick % 20 != 1 { rig.run(periods: 1) }
  var burst: [CANFrame] = []
  for _ in 0..<9 { burst.append(rig.torqueRequestFrame()) }
  rig.extraFrames = burst
  rig.run(periods: 20)
  #expect(rig.ecu.receiver.droppedFrames == 1)
  #expect(DriveCommandReceiver.queueCapacity == 8)
}

@Test func speedModeRequestReachesTheDriveInRadiansPerSecond() {
  var rig = Rig(speed_rpm: 1000)
  rig.vcu.controlMode = .speed
  rig.vcu.speedRequest_rpm = 1500
  rig.vcu.enable = true
  rig.run(milliseconds: 20)
  #expect(rig.ecu.drive.request.mode == .speed)
  #expect(abs(Double(rig.ecu.drive.request.speed_rad_s) - 1500 * Double.pi / 30) <= 1e-3)
  #expect(rig.ecu.drive.request.runRequest)
}
