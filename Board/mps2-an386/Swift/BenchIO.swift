import Platform

// The ECU's hardware as seen on a bench with nothing connected: used by the standalone mode
// (`ticks=N`), where the images run their scheduler without the HIL rig.

/// Inverter sense inputs at rest: zero phase current (mid-scale), no DC link, 25 °C.
public struct BenchInverterSensors: InverterSensors {
  public init() {}

  public mutating func sample() -> InverterSample? {
    InverterSample(
      phaseCurrentCounts: [2048, 2048], dcLinkVoltageCounts: 0, rotorAngleCounts: 0,
      inverterTemperatureCounts: 650, motorTemperatureCounts: 650)
  }
}

/// Gate drivers with no power stage behind them: remembers the last command.
public struct BenchPowerStage: PowerStage {
  public private(set) var lastCommand: PowerStageCommand = .off
  public init() {}
  public mutating func apply(_ command: PowerStageCommand) { lastCommand = command }
}

/// A CAN controller on an unconnected bus: nothing is received and nothing is acknowledged, so
/// every transmission fails and is counted.
public struct UnconnectedCANController: CANController {
  public private(set) var failedTransmissions: UInt32 = 0
  public init() {}

  public mutating func transmit(_ frame: CANFrame) -> Bool {
    failedTransmissions &+= 1
    return false
  }

  public mutating func receive() -> CANFrame? { nil }
}

/// A cell monitor with no cells connected: every sense wire reads open.
public struct BenchCellMonitor: CellMonitor {
  public private(set) var balancingMask: [3 of UInt32] = .init(repeating: 0)
  public init() {}

  public mutating func scan() -> CellScan? {
    var scan = CellScan()
    for cell in 0..<BatteryCapacity.maxCells { scan.openWire[cell] = true }
    return scan
  }

  public mutating func setBalancing(_ mask: [3 of UInt32]) { balancingMask = mask }
}

public struct BenchPackSensors: PackSensors {
  public init() {}

  public mutating func sample() -> PackSample? {
    PackSample(current_mA: 0, packVoltage_dV: 0, linkVoltage_dV: 0, feedback: .allOpen)
  }
}

public struct BenchContactors: ContactorDriver {
  public private(set) var lastCommand: ContactorSet = .allOpen
  public init() {}
  public mutating func apply(_ command: ContactorSet) { lastCommand = command }
}
