import BatteryApp
import BatteryManagement
import Platform
import Scheduling
import Testing
import VehicleNetwork

@Suite("Battery ECU on a pack model")
struct BatteryECUTests {
  @Test("tasks run at 1 ms, 10 ms, 100 ms, 40 ms and 1 s and feed the watchdog")
  func taskRates() throws {
    var rig = try ECURig()
    _ = rig.run(ms: 2_000)
    #expect(rig.ecu.jobs[0] == 2_000 && rig.ecu.jobs[1] == 200)
    #expect(rig.ecu.jobs[2] == 20 && rig.ecu.jobs[3] == 20)
    #expect(rig.ecu.jobs[4] == 50 && rig.ecu.jobs[5] == 2)
    #expect(rig.watchdog.feeds == 2)
  }

  @Test("key Run over CAN: precharge, then BMS_State Closed within 2 s, precharge relay open")
  func keyRunCloses() throws {
    var rig = try ECURig()
    _ = rig.run(ms: 100)
    #expect(rig.bmsState == BMSStatus.State.standby.rawValue)
    rig.key = .run
    var sawPrecharge = false
    let closedAfter = rig.run(ms: 2_000) { rig in
      if rig.model.command.precharge && !rig.model.command.positiveMain { sawPrecharge = true }
      return rig.bmsState == BMSStatus.State.closed.rawValue
    }
    let time = try #require(closedAfter)
    print("BMS_State Closed", time, "ms after key Run")
    #expect(sawPrecharge)
    #expect(
      rig.model.command == ContactorSet(negativeMain: true, positiveMain: true, precharge: false))
    #expect(rig.ecu.measurements[3] == 3)
    // The vehicle sees it on CAN too (the next BMS_Status).
    _ = rig.run(ms: 100)
    let status = try #require(
      rig.bus.frames(id: BMSStatus.id).last.flatMap { BMSStatus.decode($0.frame) })
    #expect(status.state == .closed && status.contactorPositive && status.contactorNegative)
    #expect(!status.contactorPrecharge)
  }

  @Test("BMS_State is Closed only while both mains are closed and precharge is done")
  func closedStateMatchesContactors() throws {
    var rig = try ECURig()
    rig.key = .run
    for _ in 0..<1_500 {
      _ = rig.run(ms: 1)
      let c = rig.model.command
      let closed = c.negativeMain && c.positiveMain && !c.precharge
      #expect((rig.bmsState == BMSStatus.State.closed.rawValue) == closed)
    }
  }

  @Test("key Off: contactors open (after the current has fallen below 5 A)")
  func keyOffOpens() throws {
    var rig = try ECURig()
    rig.key = .run
    _ = rig.run(ms: 1_000)
    rig.model.load_A = 40
    _ = rig.run(ms: 200)
    rig.key = .off
    // Under load the sequencer waits for the current to fall (up to 2 s).
    _ = rig.run(ms: 300)
    #expect(rig.model.command.positiveMain)
    #expect(rig.bmsState == BMSStatus.State.opening.rawValue)
    rig.model.load_A = 0
    let opened = rig.run(ms: 100) { $0.model.command == .allOpen }
    #expect(opened != nil)
    _ = rig.run(ms: 1_200)
    #expect(rig.bmsState == BMSStatus.State.standby.rawValue)
  }

  @Test(
    "BMS_Status, BMS_Limits, BMS_CellStatistics every 100 ms and BMS_CellVoltages every 40 ms decode to the pack's values"
  )
  func statusFrames() throws {
    var rig = try ECURig(soc: 0.6)
    rig.key = .run
    _ = rig.run(ms: 3_000)
    let start = rig.ms
    rig.model.load_A = 50
    _ = rig.run(ms: 2_000)
    let recent = { (id: UInt32) in rig.bus.frames(id: id).filter { $0.ms >= start } }
    #expect(recent(BMSStatus.id).count == 20)
    #expect(recent(BMSLimits.id).count == 20)
    #expect(recent(BMSCellStatistics.id).count == 20)
    #expect(recent(BMSCellVoltages.id).count == 50)
    let gaps = zip(recent(BMSStatus.id).dropFirst(), recent(BMSStatus.id)).map { $0.ms - $1.ms }
    #expect(gaps.allSatisfy { $0 == 100 })

    let status = try #require(recent(BMSStatus.id).last.flatMap { BMSStatus.decode($0.frame) })
    #expect(abs(Double(status.packVoltage_V) - rig.model.packVoltage_V) < 0.2)
    #expect(abs(status.packCurrent_A - 50) < 0.2)
    #expect(abs(Double(status.soc_pct) - rig.model.meanSOC * 100) < 5)
    #expect(status.soh_pct == 100)

    let limits = try #require(recent(BMSLimits.id).last.flatMap { BMSLimits.decode($0.frame) })
    // 25 °C, 60 % SOC, cells mid-range: the continuous ratings of the 20p group.
    #expect(limits.chargeCurrentLimit_A == 70 && limits.dischargeCurrentLimit_A == 145)
    let expectedDischarge_kW =
      145 * (rig.model.openCircuitVoltage_V - 145 * 96 * rig.model.r0_Ohm) / 1000
    #expect(abs(Double(limits.dischargePowerLimit_kW) - expectedDischarge_kW) < 1.5)

    let stats = try #require(
      recent(BMSCellStatistics.id).last.flatMap { BMSCellStatistics.decode($0.frame) })
    let cell_V = rig.model.cellVoltage_V(0, current_A: 50)
    #expect(abs(Double(stats.minCellVoltage_V) - cell_V) < 0.003)
    #expect(abs(Double(stats.maxCellVoltage_V) - cell_V) < 0.003)
    #expect(stats.minCellTemperature_degC == 25 && stats.maxCellTemperature_degC == 25)

    let indices = recent(BMSCellVoltages.id).compactMap { BMSCellVoltages.decode($0.frame)?.index }
    #expect(Array(indices.prefix(24)).sorted() == Array(0...23))
    let frame = try #require(
      recent(BMSCellVoltages.id).compactMap { BMSCellVoltages.decode($0.frame) }.first)
    #expect(abs(Double(frame.cellVoltage_V[0]) - cell_V) < 0.003)
  }

  @Test("BMS_Limits passes an E2E Profile 1 check with data ID 0x302 on every frame")
  func limitsE2E() throws {
    var rig = try ECURig()
    rig.key = .run
    _ = rig.run(ms: 3_000)
    var checker = E2EChecker(
      dataID: BMSLimits.e2eDataID, maxDeltaCounter: 1, timeoutChecks: 1, framesToValid: 1)
    let frames = rig.bus.frames(id: BMSLimits.id)
    #expect(frames.count == 30)
    var statuses: [E2EStatus] = []
    for sent in frames { statuses.append(checker.check(sent.frame)) }
    #expect(statuses.first == .initial)
    #expect(statuses.dropFirst().allSatisfy { $0 == .ok })
    var other = E2EChecker(
      dataID: VCUTorqueRequest.e2eDataID, maxDeltaCounter: 1, timeoutChecks: 1, framesToValid: 1)
    #expect(other.check(frames[0].frame) == .crcError)
  }

  @Test("a cell at 4.26 V opens the contactors within 500 ms (incl. 30 ms relay time)")
  func overvoltageOpens() throws {
    var rig = try ECURig(soc: 0.9)
    rig.key = .run
    _ = rig.run(ms: 1_500)
    #expect(rig.bmsState == BMSStatus.State.closed.rawValue)
    rig.model.cellOverride_mV[17] = 4_260
    let opened = rig.run(ms: 1_000) { $0.model.command == .allOpen }
    let time = try #require(opened)
    print("over-voltage: contactors open after", time, "ms")
    #expect(time + Int(ProtectionTable.contactorOpening_ms) <= 500)
    #expect(rig.bmsState == BMSStatus.State.fault.rawValue)
    #expect(rig.ecu.activeFaultCode == DiagnosticID.cellOvervoltageFault.rawValue + 1)
    #expect(rig.ecu.measurements[12] == Float(DiagnosticID.cellOvervoltageFault.rawValue + 1))
    // Zero limits go out with the fault.
    _ = rig.run(ms: 100)
    let limits = try #require(
      rig.bus.frames(id: BMSLimits.id).last.flatMap { BMSLimits.decode($0.frame) })
    #expect(limits.chargeCurrentLimit_A == 0 && limits.dischargeCurrentLimit_A == 0)
  }

  @Test("a missing scan holds the contactors, stops balancing and is counted")
  func missingScanHolds() throws {
    var rig = try ECURig()
    rig.key = .run
    _ = rig.run(ms: 1_500)
    let closed = rig.model.command
    rig.model.dropScans = 9
    _ = rig.run(ms: 95)
    #expect(rig.model.command == closed)
    #expect(rig.ecu.balancingCellCount == 0 && rig.model.balancingMask[0] == 0)
    #expect(rig.ecu.missingScans == 9 && rig.ecu.measurements[13] == 9)
    #expect(rig.bmsState == BMSStatus.State.closed.rawValue)
    _ = rig.run(ms: 100)
    #expect(!rig.ecu.monitorLost && rig.model.command == closed)
  }

  @Test("10 consecutive missing scans (100 ms): fault, contactors open")
  func tenMissingScansOpen() throws {
    var rig = try ECURig()
    rig.key = .run
    _ = rig.run(ms: 1_500)
    rig.model.dropScans = 1_000
    let opened = rig.run(ms: 200) { $0.model.command == .allOpen }
    let time = try #require(opened)
    #expect(time <= 110)
    #expect(rig.ecu.monitorLost)
    #expect(rig.bmsState == BMSStatus.State.fault.rawValue)
    #expect(rig.ecu.activeFaultCode == BatteryManager.monitorLostCode)
    // Scans back: the contactors stay open until a key cycle.
    rig.model.dropScans = 0
    _ = rig.run(ms: 1_500)
    #expect(rig.model.command == .allOpen)
    rig.key = .off
    _ = rig.run(ms: 100)
    rig.key = .run
    let reclosed = rig.run(ms: 2_000) { $0.bmsState == BMSStatus.State.closed.rawValue }
    #expect(reclosed != nil)
  }

  @Test("a missing pack sample is not integrated and does not move the contactors")
  func missingSample() throws {
    var rig = try ECURig()
    rig.key = .run
    _ = rig.run(ms: 1_500)
    let closed = rig.model.command
    rig.model.dropSamples = 5
    _ = rig.run(ms: 5)
    #expect(rig.ecu.missingSamples == 5)
    #expect(rig.model.command == closed)
  }

  @Test("an open sense wire blocks precharge")
  func openWireBlocksPrecharge() throws {
    var rig = try ECURig()
    rig.model.openWire = [50]
    rig.key = .run
    var everClosed = false
    _ = rig.run(ms: 3_000) { rig in
      if rig.model.command != .allOpen { everClosed = true }
      return false
    }
    #expect(!everClosed)
    #expect(rig.bmsState == BMSStatus.State.fault.rawValue)
    #expect(rig.ecu.activeFaultCode == DiagnosticID.openWireFault.rawValue + 1)
  }

  @Test("VCU_TorqueRequest lost for 500 ms with contactors closed: contactors open")
  func vehicleRequestTimeout() throws {
    var rig = try ECURig()
    rig.key = .run
    _ = rig.run(ms: 1_500)
    rig.vcuSending = false
    _ = rig.run(ms: 450)
    #expect(rig.ecu.contactorRequest == .close && rig.model.command.positiveMain)
    let opened = rig.run(ms: 200) { $0.model.command == .allOpen }
    let time = try #require(opened)
    #expect(time <= 80)
  }

  @Test("a VCU_TorqueRequest with a wrong E2E CRC does not close the contactors")
  func corruptRequestIgnored() throws {
    var rig = try ECURig()
    rig.corruptVCU = true
    rig.key = .run
    _ = rig.run(ms: 1_000)
    #expect(rig.model.command == .allOpen)
    #expect(rig.ecu.contactorRequest == .open)
  }

  @Test("all 8 frames delivered in one period are read")
  func readsEveryFrame() throws {
    var rig = try ECURig()
    rig.vcuSending = false
    for _ in 0..<7 { rig.bus.inbox.append(CANFrame(id: 0x181, length: 8)) }
    var frame = VCUTorqueRequest(
      torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: false,
      torqueRequest_Nm: 0, speedRequest_rpm: 0, keyState: .run
    ).encode()
    rig.vcu.protect(&frame)
    rig.bus.inbox.append(frame)
    _ = rig.run(ms: 1)
    #expect(rig.bus.inbox.isEmpty)
    #expect(rig.ecu.keyState == .run)
  }

  @Test("unbalanced cells at rest: balancing runs on the high cells")
  func balancingAtRest() throws {
    var rig = try ECURig(soc: 0.5)
    for cell in [3, 40, 77] { rig.model.soc[cell] = 0.6 }
    rig.model.refresh()
    _ = rig.run(ms: 100)
    #expect(rig.ecu.balancingCellCount == 3)
    #expect(rig.ecu.measurements[11] == 3)
    #expect(rig.model.balancingMask[0] == 1 << 3)
  }

  @Test("SOC survives a reset: the next ECU on the same store starts from the saved record")
  func persistence() throws {
    var first = try ECURig(soc: 0.8)
    #expect(!first.ecu.restoredFromStore)
    first.key = .run
    _ = first.run(ms: 5_000)
    first.key = .off
    _ = first.run(ms: 200)
    #expect(first.ecu.saves >= 1)
    let saved = first.ecu.manager.persistentData.stateOfCharge
    // The filters started at 50 % and have moved towards the pack's 80 %.
    #expect(saved > 0.6)

    let second = try ECURig(soc: 0.8, store: first.ecu.store)
    #expect(second.ecu.restoredFromStore)
    #expect(abs(second.ecu.manager.stateOfCharge.meanFilter.soc - saved) < 0.001)
    let fresh = try ECURig(soc: 0.8)
    #expect(fresh.ecu.manager.stateOfCharge.meanFilter.soc == 0.5)
  }

  @Test("measurement channels carry the documented quantities")
  func measurementChannels() throws {
    var rig = try ECURig(soc: 0.6)
    rig.key = .run
    _ = rig.run(ms: 2_000)
    rig.model.load_A = 30
    _ = rig.run(ms: 500)
    let m = rig.ecu.measurements
    #expect(abs(Double(m[0]) - 60) < 10)
    #expect(m[1] == 100 && abs(m[15] - 100) < 10)
    #expect(m[2] == 3 && m[3] == 3)
    #expect(abs(Double(m[4]) - rig.model.cellVoltage_V(0, current_A: 30)) < 0.002)
    #expect(m[5] == m[4])
    #expect(abs(m[6] - 30) < 0.01)
    #expect(abs(Double(m[7]) - rig.model.packVoltage_V) < 0.1)
    #expect(m[8] == 70 && m[9] == 145)
    #expect(m[10] == 25 && m[11] == 0 && m[12] == 0 && m[13] == 0)
    #expect(m[14] == Float(SOCMode.kalman.rawValue))
  }
}

@Suite("Battery ECU started in place")
struct BatteryECUStartTests {
  /// Runs a key-on drive with an over-voltage fault and returns every CAN frame and the
  /// measurement channels of each millisecond.
  static func trace(_ rig: inout ECURig) -> (frames: [CANFrame], channels: [[Float]]) {
    let firstFrame = rig.bus.sent.count
    var channels: [[Float]] = []
    rig.key = .run
    rig.model.dropScans = 3
    _ = rig.run(ms: 1_500) { rig in
      channels.append((0..<16).map { rig.ecu.measurements[$0] })
      return false
    }
    rig.model.load_A = 30
    rig.model.cellOverride_mV[5] = 4_260
    _ = rig.run(ms: 600) { rig in
      channels.append((0..<16).map { rig.ecu.measurements[$0] })
      return false
    }
    return (rig.bus.sent[firstFrame...].map(\.frame), channels)
  }

  @Test("start(...) on a used ECU gives the same behaviour as a new one (every field reset)")
  func startMatchesInit() throws {
    var used = try ECURig(soc: 0.7)
    _ = Self.trace(&used)
    // A second ECU in the same rig position, built by init on an identical model and store.
    var fresh = try ECURig(soc: 0.7, store: used.ecu.store)
    let description = try PackDescription.reference()
    var restarted = try ECURig(soc: 0.7, store: used.ecu.store)
    // Reuse the used ECU's value (all its fields dirty) for the restarted rig.
    var ecu = used.ecu
    try ecu.start(
      monitor: FakeMonitor(model: restarted.model),
      pack: FakePackSensors(model: restarted.model), relays: FakeRelays(model: restarted.model),
      bus: FakeBus(bus: restarted.bus), store: used.ecu.store,
      diagnosticStore: used.ecu.diagnosticStore, description: description)
    ecu.startDiagnostics()
    restarted.ecu = ecu
    let a = Self.trace(&fresh)
    let b = Self.trace(&restarted)
    #expect(a.frames.count > 50)
    #expect(a.frames == b.frames)
    #expect(a.channels == b.channels)
  }
}
