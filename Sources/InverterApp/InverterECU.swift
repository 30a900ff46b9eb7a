import Platform
import Scheduling

/// The e-axle inverter ECU: its logic wired to the board's hardware protocols, as the task
/// set the cyclic scheduler runs. Generic over the protocols so the same ECU runs on a board,
/// in the HIL rig and in host tests with fakes.
public struct InverterECU<Sensors: InverterSensors, Stage: PowerStage, Bus: CANController>:
  TaskSet, MeasurementSource
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
  /// Control periods without a trustworthy sample.
  public private(set) var missingSamples: UInt32 = 0

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
      if lastSample == nil { missingSamples &+= 1 }
      lastCommand = .off
      stage.apply(lastCommand)
    case .torqueManagement, .canStatus, .housekeeping, .none:
      break
    }
  }

  /// Measurement channels: 0 phase A current counts, 1 phase B current counts, 2 DC-link
  /// counts, 3 rotor angle counts, 4 power-stage mode, 5 rejected samples.
  public var measurements: [16 of Float] {
    var values: [16 of Float] = .init(repeating: 0)
    if let sample = lastSample {
      values[0] = Float(Int(sample.phaseCurrentCounts[0]))
      values[1] = Float(Int(sample.phaseCurrentCounts[1]))
      values[2] = Float(Int(sample.dcLinkVoltageCounts))
      values[3] = Float(Int(sample.rotorAngleCounts))
    }
    values[4] = Float(Int(lastCommand.mode.rawValue))
    values[5] = Float(Int(missingSamples))
    return values
  }
}
