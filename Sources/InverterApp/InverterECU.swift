import Platform
import Scheduling

/// The e-axle inverter ECU: its logic wired to the board's hardware protocols, as the task
/// set the cyclic scheduler runs. Generic over the protocols so the same ECU runs on a board,
/// in the HIL rig and in host tests with fakes.
public struct InverterECU<Sensors: InverterSensors, Stage: PowerStage, Bus: CANController>:
  TaskSet
{
  /// Task indices, highest priority first.
  public enum Task: Int {
    /// Every control period: sample, current loop, PWM update.
    case currentLoop = 0
    /// 1 kHz: torque/speed management, derating, protections.
    case torqueManagement = 1
    /// 100 Hz: CAN status messages.
    case canStatus = 2
    /// 10 Hz: housekeeping (temperatures, counters, diagnostics aging).
    case housekeeping = 3
  }

  public var sensors: Sensors
  public var stage: Stage
  public var bus: Bus
  public let controlPeriodMicroseconds: UInt32

  /// The last sample and the command applied for it.
  public private(set) var lastSample: InverterSample?
  public private(set) var lastCommand: PowerStageCommand = .off
  /// Jobs run per task, for the console summary and the tests.
  public private(set) var jobs: [4 of UInt32] = .init(repeating: 0)

  public init(sensors: Sensors, stage: Stage, bus: Bus, controlPeriodMicroseconds: UInt32) {
    self.sensors = sensors
    self.stage = stage
    self.bus = bus
    self.controlPeriodMicroseconds = controlPeriodMicroseconds
  }

  public var taskCount: Int { 4 }

  public func periodTicks(of task: Int) -> UInt32 {
    let ticksPerMillisecond = max(1, 1000 / controlPeriodMicroseconds)
    switch Task(rawValue: task) {
    case .currentLoop: return 1
    case .torqueManagement: return ticksPerMillisecond
    case .canStatus: return 10 * ticksPerMillisecond
    case .housekeeping, .none: return 100 * ticksPerMillisecond
    }
  }

  /// One supervision cycle is the slowest task's period.
  public var supervisionTicks: UInt32 { periodTicks(of: Task.housekeeping.rawValue) }

  public mutating func run(task: Int, tick: UInt32) {
    jobs[task] &+= 1
    switch Task(rawValue: task) {
    case .currentLoop:
      // No torque path yet: the power stage stays off (the safe state at standstill).
      lastSample = sensors.sample()
      lastCommand = .off
      stage.apply(lastCommand)
    case .torqueManagement, .canStatus, .housekeeping, .none:
      break
    }
  }
}
