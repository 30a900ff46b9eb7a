import Platform
import Scheduling

/// The battery-module manager ECU: its logic wired to the board's hardware protocols, as the
/// task set the cyclic scheduler runs (1 ms base period).
public struct BatteryECU<
  Monitor: CellMonitor, Pack: PackSensors, Relays: ContactorDriver, Bus: CANController
>: TaskSet, MeasurementSource {
  public enum Task: Int {
    /// 1 ms: current sample and charge integration.
    case currentIntegration = 0
    /// 10 ms: cell-monitor scan, plausibility and protections.
    case cellScan = 1
    /// 100 ms: CAN status and limits.
    case canStatus = 2
    /// 1 s: state estimation housekeeping and persistence.
    case estimation = 3
  }

  public var controlPeriodMicroseconds: UInt32 { 1000 }

  public var monitor: Monitor
  public var pack: Pack
  public var relays: Relays
  public var bus: Bus

  public private(set) var lastPackSample: PackSample?
  public private(set) var jobs: [4 of UInt32] = .init(repeating: 0)

  public init(monitor: Monitor, pack: Pack, relays: Relays, bus: Bus) {
    self.monitor = monitor
    self.pack = pack
    self.relays = relays
    self.bus = bus
  }

  public var taskCount: Int { 4 }

  public func periodTicks(of task: Int) -> UInt32 {
    switch Task(rawValue: task) {
    case .currentIntegration: return 1
    case .cellScan: return 10
    case .canStatus: return 100
    case .estimation, .none: return 1000
    }
  }

  public var supervisionTicks: UInt32 { 1000 }

  public mutating func run(task: Int, tick: UInt32) {
    jobs[task] &+= 1
    switch Task(rawValue: task) {
    case .currentIntegration:
      lastPackSample = pack.sample()
    case .cellScan:
      // No contactor logic yet: the relays stay open (the safe state).
      _ = monitor.scan()
      relays.apply(.allOpen)
    case .canStatus, .estimation, .none:
      break
    }
  }

  /// Measurement channels: 0 pack current A, 1 pack voltage V, 2 link voltage V.
  public var measurements: [16 of Float] {
    var values: [16 of Float] = .init(repeating: 0)
    if let pack = lastPackSample {
      values[0] = Float(Int(pack.current_mA)) / 1000
      values[1] = Float(Int(pack.packVoltage_dV)) / 10
      values[2] = Float(Int(pack.linkVoltage_dV)) / 10
    }
    return values
  }
}
