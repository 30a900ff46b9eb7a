import BatteryApp
import Platform
import Scheduling
import Testing

struct FakeMonitor: CellMonitor {
  var scans = 0
  var mask: [3 of UInt32] = .init(repeating: 0)
  mutating func scan() -> CellScan? {
    scans += 1
    return CellScan()
  }
  mutating func setBalancing(_ mask: [3 of UInt32]) { self.mask = mask }
}

struct FakePack: PackSensors {
  var samples = 0
  mutating func sample() -> PackSample? {
    samples += 1
    return PackSample(current_mA: 0, packVoltage_dV: 3500, linkVoltage_dV: 0, feedback: .allOpen)
  }
}

struct FakeRelays: ContactorDriver {
  var commands: [ContactorSet] = []
  mutating func apply(_ command: ContactorSet) { commands.append(command) }
}

struct FakeBus: CANController {
  mutating func transmit(_ frame: CANFrame) -> Bool { true }
  mutating func receive() -> CANFrame? { nil }
}

struct FakeWatchdog: Watchdog {
  var feeds = 0
  mutating func feed() { feeds += 1 }
}

@Test func tasksRunAt1msAnd10msAnd100msAnd1s() throws {
  var ecu = BatteryECU(
    monitor: FakeMonitor(), pack: FakePack(), relays: FakeRelays(), bus: FakeBus())
  var dog = FakeWatchdog()
  var scheduler = try CyclicScheduler(tasks: ecu, supervisionTicks: ecu.supervisionTicks)
  for _ in 0..<2000 { scheduler.runOnePeriod(&ecu, watchdog: &dog) }
  #expect(ecu.pack.samples == 2000)
  #expect(ecu.monitor.scans == 200)
  #expect(ecu.jobs[2] == 20)
  #expect(ecu.jobs[3] == 2)
  #expect(dog.feeds == 2)
  #expect(ecu.relays.commands.allSatisfy { $0 == .allOpen })
}
