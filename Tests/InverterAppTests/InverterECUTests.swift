import InverterApp
import Platform
import Scheduling
import Testing

struct FakeSensors: InverterSensors {
  var samples = 0
  mutating func sample() -> InverterSample? {
    samples += 1
    return InverterSample(
      phaseCurrentCounts: [2048, 2048], dcLinkVoltageCounts: 1750, rotorAngleCounts: 0,
      inverterTemperatureCounts: 650, motorTemperatureCounts: 650)
  }
}

struct FakeStage: PowerStage {
  var commands: [PowerStageCommand] = []
  mutating func apply(_ command: PowerStageCommand) { commands.append(command) }
}

struct FakeBus: CANController {
  var sent: [CANFrame] = []
  var inbox: [CANFrame] = []
  mutating func transmit(_ frame: CANFrame) -> Bool {
    sent.append(frame)
    return true
  }
  mutating func receive() -> CANFrame? { inbox.isEmpty ? nil : inbox.removeFirst() }
}

struct FakeWatchdog: Watchdog {
  var feeds = 0
  mutating func feed() { feeds += 1 }
}

@Test func taskRatesAt50MicrosecondControlPeriod() {
  let ecu = InverterECU(
    sensors: FakeSensors(), stage: FakeStage(), bus: FakeBus(), controlPeriodMicroseconds: 50)
  #expect(
    ecu.periodTicks(of: InverterECU<FakeSensors, FakeStage, FakeBus>.Task.currentLoop.rawValue) == 1
  )
  #expect(ecu.periodTicks(of: 1) == 20)  // 1 kHz
  #expect(ecu.periodTicks(of: 2) == 200)  // 100 Hz
  #expect(ecu.periodTicks(of: 3) == 2000)  // 10 Hz
  #expect(ecu.supervisionTicks == 2000)
}

@Test func oneSecondOfSchedulingSamplesEveryPeriodAndFeedsTheWatchdog() throws {
  var ecu = InverterECU(
    sensors: FakeSensors(), stage: FakeStage(), bus: FakeBus(), controlPeriodMicroseconds: 50)
  var dog = FakeWatchdog()
  var scheduler = try CyclicScheduler(tasks: ecu, supervisionTicks: ecu.supervisionTicks)
  for _ in 0..<20_000 { scheduler.runOnePeriod(&ecu, watchdog: &dog) }
  #expect(ecu.sensors.samples == 20_000)
  #expect(ecu.jobs[1] == 1000)
  #expect(ecu.jobs[2] == 100)
  #expect(ecu.jobs[3] == 10)
  #expect(dog.feeds == 10)
  // Without a torque path the only command is the safe state at standstill.
  #expect(ecu.stage.commands.allSatisfy { $0 == .off })
}
