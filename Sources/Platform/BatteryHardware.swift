/// What the battery-module manager ECU reads from and drives on its board.

/// Capacities of the fixed storage a cell-monitor scan uses. A pack description may use fewer.
public enum BatteryCapacity {
  /// Cells in series the ECU can monitor (e.g. 8 modules × 12 cells).
  public static let maxCells = 96
  /// Temperature sensors the ECU can read (e.g. 8 modules × 4 sensors).
  public static let maxTemperatureSensors = 32
}

/// One cell-monitor scan: every cell voltage and temperature, plus the open-wire test result.
public struct CellScan: Sendable {
  public var cellVoltage_mV: [96 of UInt16]
  /// Temperatures in 0.1 °C.
  public var temperature_dC: [32 of Int16]
  /// True where the monitor's open-wire test found the sense wire above that cell open: the
  /// voltage reported for that cell is then meaningless.
  public var openWire: [96 of Bool]

  public init() {
    cellVoltage_mV = .init(repeating: 0)
    temperature_dC = .init(repeating: 0)
    openWire = .init(repeating: false)
  }
}

/// Pack-level measurements from the current sensor and the high-voltage measurement.
public struct PackSample: Equatable, Sendable {
  /// Pack current in mA, positive when discharging.
  public var current_mA: Int32
  /// Battery-side and DC-link-side (after the contactors) voltages in 0.1 V.
  public var packVoltage_dV: UInt16
  public var linkVoltage_dV: UInt16
  /// Auxiliary contactor feedback: true where the contact is sensed closed.
  public var feedback: ContactorSet

  public init(
    current_mA: Int32, packVoltage_dV: UInt16, linkVoltage_dV: UInt16, feedback: ContactorSet
  ) {
    self.current_mA = current_mA
    self.packVoltage_dV = packVoltage_dV
    self.linkVoltage_dV = linkVoltage_dV
    self.feedback = feedback
  }
}

/// The three high-voltage relays, as a command or as sensed feedback.
public struct ContactorSet: Equatable, Sendable {
  public var negativeMain: Bool
  public var positiveMain: Bool
  public var precharge: Bool

  public init(negativeMain: Bool, positiveMain: Bool, precharge: Bool) {
    self.negativeMain = negativeMain
    self.positiveMain = positiveMain
    self.precharge = precharge
  }

  public static let allOpen = ContactorSet(
    negativeMain: false, positiveMain: false, precharge: false)
}

/// The cell-monitor chain (AFE). A scan returns the measurements of the last completed cycle,
/// or nil when the chain did not deliver one (communication fault, lost co-simulation frame).
public protocol CellMonitor {
  mutating func scan() -> CellScan?
  /// Passive-balancing switches: bit n closes the bleed resistor of cell n.
  mutating func setBalancing(_ mask: [3 of UInt32])
}

/// Current sensor and high-voltage measurement; nil when this period has no valid sample.
public protocol PackSensors {
  mutating func sample() -> PackSample?
}

/// The contactor drivers. Commands take effect immediately; the feedback follows.
public protocol ContactorDriver {
  mutating func apply(_ command: ContactorSet)
}
