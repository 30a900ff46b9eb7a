/// What the e-axle inverter ECU reads from and drives on its board.

/// One control period's inverter measurements, raw as the converters deliver them: the ECU
/// owns the conversion to physical units (offset and gain are calibration, not board facts).
public struct InverterSample: Equatable, Sendable {
  /// Phase A and B current, 12-bit ADC counts (2048 ≈ 0 A); phase C is derived.
  public var phaseCurrentCounts: [2 of UInt16]
  /// DC-link voltage, 12-bit ADC counts.
  public var dcLinkVoltageCounts: UInt16
  /// Rotor mechanical angle from the resolver-to-digital converter: 0 ... 65535 is one turn.
  public var rotorAngleCounts: UInt16
  /// Power-module and motor-winding temperatures, 12-bit ADC counts.
  public var inverterTemperatureCounts: UInt16
  public var motorTemperatureCounts: UInt16

  public init(
    phaseCurrentCounts: [2 of UInt16], dcLinkVoltageCounts: UInt16, rotorAngleCounts: UInt16,
    inverterTemperatureCounts: UInt16, motorTemperatureCounts: UInt16
  ) {
    self.phaseCurrentCounts = phaseCurrentCounts
    self.dcLinkVoltageCounts = dcLinkVoltageCounts
    self.rotorAngleCounts = rotorAngleCounts
    self.inverterTemperatureCounts = inverterTemperatureCounts
    self.motorTemperatureCounts = motorTemperatureCounts
  }

  public static func == (a: InverterSample, b: InverterSample) -> Bool {
    a.phaseCurrentCounts[0] == b.phaseCurrentCounts[0]
      && a.phaseCurrentCounts[1] == b.phaseCurrentCounts[1]
      && a.dcLinkVoltageCounts == b.dcLinkVoltageCounts
      && a.rotorAngleCounts == b.rotorAngleCounts
      && a.inverterTemperatureCounts == b.inverterTemperatureCounts
      && a.motorTemperatureCounts == b.motorTemperatureCounts
  }
}

/// How the six switches of the power stage are driven.
public enum PowerStageMode: UInt8, Sendable {
  /// All switches open: the motor freewheels through the diodes.
  case off = 0
  /// Switching at the commanded duties.
  case modulating = 1
  /// All low-side switches closed: the windings are shorted, no current flows back into the
  /// DC link at high speed (the safe state above the field-weakening speed).
  case activeShortCircuit = 2
}

public struct PowerStageCommand: Equatable, Sendable {
  public var mode: PowerStageMode
  /// Phase A, B, C high-side duty cycles in [0, 1]; used only when `mode == .modulating`.
  public var duties: [3 of Float]

  public init(mode: PowerStageMode, duties: [3 of Float]) {
    self.mode = mode
    self.duties = duties
  }

  public static let off = PowerStageCommand(mode: .off, duties: [0.5, 0.5, 0.5])

  public static func == (a: PowerStageCommand, b: PowerStageCommand) -> Bool {
    a.mode == b.mode && a.duties[0] == b.duties[0] && a.duties[1] == b.duties[1]
      && a.duties[2] == b.duties[2]
  }
}

/// The inverter's sampling front end: returns the measurements latched at the start of the
/// current control period, or nil when this period has none the ECU may trust (a converter
/// fault, a lost co-simulation frame); the ECU then drives its safe state.
public protocol InverterSensors {
  mutating func sample() -> InverterSample?
}

/// The gate drivers. The command takes effect at the next PWM period boundary.
public protocol PowerStage {
  mutating func apply(_ command: PowerStageCommand)
}
