import Platform
import Testing

@testable import BatteryManagement

/// The manager on a simulated pack and DC link, stepped like the ECU's task set: 1 ms current,
/// 10 ms scan, 100 ms estimation. Times are counted in 1 ms ticks.
struct ManagerRig {
  var manager: BatteryManager
  var plant = LinkPlant()
  var scan = referenceScan()
  var request = ContactorRequest.open
  var tick = 0
  var lastMask: [3 of UInt32] = .init(repeating: 0)
  var lastLimits = PowerLimits.zero

  init(restored: PersistentBatteryData? = nil) throws {
    manager = try BatteryManager(pack: try PackDescription.reference(), restored: restored)
    plant.pack_V = 355.2
  }

  mutating func run(ms: Int) {
    for _ in 0..<ms {
      tick += 1
      plant.command = manager.stepCurrent(plant.sample)
      if tick % 10 == 0 {
        let out = manager.stepScan(scan, plant.sample, request: request)
        plant.command = out.contactors
        lastMask = out.balancing
      }
      if tick % 100 == 0 { lastLimits = manager.stepEstimation().limits }
      plant.step(0.001)
    }
  }

  /// Milliseconds until the contactor command is all-open (nil if not within `limit`).
  mutating func timeToOpen(limit: Int) -> Int? {
    for elapsed in 1...limit {
      run(ms: 1)
      if plant.command == .allOpen { return elapsed }
    }
    return nil
  }

  func logged(_ code: UInt8) -> Bool {
    for i in 0..<Int(manager.faultLog.count) where manager.faultLog.entry(i)?.code == code {
      return true
    }
    return false
  }
}

@Suite("Battery manager (all functions at their rates)")
struct BatteryManagerTests {
  @Test("closes through precharge and publishes full limits for a healthy pack")
  func closesAndPublishesLimits() throws {
    var rig = try ManagerRig()
    rig.request = .close
    rig.run(ms: 3_000)
    #expect(rig.manager.contactors.state == .closed)
    #expect(rig.lastLimits.chargeCurrent_A == 70 && rig.lastLimits.dischargeCurrent_A == 145)
    #expect(rig.lastLimits.dischargePower_W > 40_000)
  }

  @Test("one cell at 4.26 V: contactors commanded open within 500 ms − 30 ms relay time")
  func overvoltageReaction() throws {
    var rig = try ManagerRig()
    rig.request = .close
    rig.run(ms: 3_000)
    rig.scan.cellVoltage_mV[17] = 4_260
    let opened = rig.timeToOpen(limit: 1_000)
    let time = try #require(opened)
    print("over-voltage: contactors commanded open after", time, "ms")
    #expect(time + Int(ProtectionTable.contactorOpening_ms) <= 500)
    #expect(rig.logged(DiagnosticID.cellOvervoltageFault.rawValue))
    #expect(rig.lastLimits == .zero || rig.manager.protection.status.faultPresent)
  }

  @Test("250 A discharge: contactors commanded open within 200 ms − 30 ms relay time")
  func overcurrentReaction() throws {
    var rig = try ManagerRig()
    rig.request = .close
    rig.run(ms: 3_000)
    rig.plant.current_A = 250
    let opened = rig.timeToOpen(limit: 1_000)
    let time = try #require(opened)
    print("over-current: contactors commanded open after", time, "ms")
    #expect(time + Int(ProtectionTable.contactorOpening_ms) <= 200)
    #expect(rig.logged(DiagnosticID.dischargeOvercurrentFault.rawValue))
  }

  @Test("a sensor at 61 °C while discharging: contactors commanded open within 6 s")
  func overtemperatureReaction() throws {
    var rig = try ManagerRig()
    rig.request = .close
    rig.run(ms: 3_000)
    rig.plant.current_A = 20
    rig.scan.temperature_dC[12] = 610
    let opened = rig.timeToOpen(limit: 10_000)
    let time = try #require(opened)
    print("over-temperature: contactors commanded open after", time, "ms")
    #expect(time + Int(ProtectionTable.contactorOpening_ms) <= 6_000)
  }

  @Test("an open sense wire blocks precharge and is logged")
  func openWireBlocksPrecharge() throws {
    var rig = try ManagerRig()
    rig.scan.openWire[50] = true
    rig.request = .close
    rig.run(ms: 3_000)
    #expect(rig.plant.command == .allOpen && rig.manager.contactors.state == .open)
    #expect(rig.logged(DiagnosticID.openWireFault.rawValue))
    #expect(rig.lastLimits == .zero)
  }

  @Test("the persisted record restores SOC, SOH and the fault log after a reset")
  func persistenceRoundTripThroughManager() throws {
    var rig = try ManagerRig()
    rig.request = .close
    rig.run(ms: 3_000)
    rig.scan.cellVoltage_mV[3] = 4_260
    rig.run(ms: 1_000)
    var store = PowerCutStore()
    let saved = rig.manager.persistentData
    try BatteryRecordStore.save(saved, to: &store)
    let loaded = try BatteryRecordStore.load(from: store).data
    let restored = try ManagerRig(restored: loaded)
    #expect(restored.manager.faultLog == saved.faultLog && saved.faultLog.count >= 1)
    #expect(restored.manager.stateOfCharge.meanFilter.soc == saved.stateOfCharge)
    #expect(restored.manager.stateOfHealth.capacity_Ah == saved.capacity_Ah)
    #expect(restored.manager.persistentData.operatingTime_s == saved.operatingTime_s)
  }
}

@Suite("Battery manager reset in place")
struct BatteryManagerResetTests {
  @Test("reset(pack:restored:) after a fault gives the same behaviour as a new manager")
  func resetMatchesInit() throws {
    var used = try ManagerRig()
    used.request = .close
    used.run(ms: 2_000)
    used.scan.cellVoltage_mV[3] = 4_260
    used.run(ms: 1_000)
    #expect(used.manager.protection.status.faultPresent)
    var restarted = try ManagerRig()
    var manager = used.manager
    try manager.reset(pack: try PackDescription.reference(), restored: nil)
    restarted.manager = manager
    var fresh = try ManagerRig()
    for rig in [0, 1] {
      var r = rig == 0 ? fresh : restarted
      r.request = .close
      r.run(ms: 3_000)
      if rig == 0 { fresh = r } else { restarted = r }
    }
    #expect(restarted.manager.persistentData == fresh.manager.persistentData)
    #expect(restarted.manager.contactors.state == .closed)
    #expect(restarted.lastLimits == fresh.lastLimits)
    #expect(restarted.manager.lastEstimate == fresh.manager.lastEstimate)
  }
}

@Suite("Memory footprint")
struct FootprintTests {
  @Test("the whole battery manager state fits in 4 KB of RAM")
  func managerFitsInFourKilobytes() {
    print(
      "sizes: BatteryManager", MemoryLayout<BatteryManager>.size, "CellChemistry",
      MemoryLayout<CellChemistry>.size, "StateOfChargeEstimator",
      MemoryLayout<StateOfChargeEstimator>.size, "ProtectionMonitor",
      MemoryLayout<ProtectionMonitor>.size)
    #expect(MemoryLayout<BatteryManager>.size <= 4_096)
  }
}
