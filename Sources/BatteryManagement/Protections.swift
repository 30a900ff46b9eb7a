import ControlMath

/// Battery protections as data: one row per diagnostic (foxBMS style). Thresholds, debounce
/// and delays live in `ProtectionTable.rows` and nowhere else; docs/bms-protections.md
/// explains every row and the tests iterate over the table.

/// Identifier of a diagnostic: its row in `ProtectionTable.rows` and its code in the fault log.
public enum DiagnosticID: UInt8, Sendable {
  case cellOvervoltageWarning = 0
  case cellOvervoltageDerate
  case cellOvervoltageFault
  case cellUndervoltageWarning
  case cellUndervoltageDerate
  case cellUndervoltageFault
  case chargeOvertemperatureWarning
  case chargeOvertemperatureDerate
  case chargeOvertemperatureFault
  case dischargeOvertemperatureWarning
  case dischargeOvertemperatureDerate
  case dischargeOvertemperatureFault
  case chargeUndertemperatureWarning
  case chargeUndertemperatureDerate
  case chargeUndertemperatureFault
  case dischargeUndertemperatureWarning
  case dischargeUndertemperatureDerate
  case dischargeUndertemperatureFault
  case chargeOvercurrentWarning
  case chargeOvercurrentDerate
  case chargeOvercurrentFault
  case dischargeOvercurrentWarning
  case dischargeOvercurrentDerate
  case dischargeOvercurrentFault
  case openWireFault
  case implausibleMeasurementWarning
}

/// What a diagnostic row compares against its threshold.
public enum MonitoredQuantity: UInt8, Sendable {
  case maxCellVoltage_V
  case minCellVoltage_V
  case maxTemperature_C
  case minTemperature_C
  /// Discharge current (positive part of the pack current).
  case dischargeCurrent_A
  /// Charge current as a positive magnitude.
  case chargeCurrent_A
  case openWireCount
  case implausibleCellCount
}

/// The three tiers: a warning is reported; a derate cuts the allowed current in the affected
/// direction; a fault latches and requests the contactors open after the row's delay.
public enum Severity: UInt8, Comparable, Sendable {
  case none = 0
  case warning = 1
  case derate = 2
  case fault = 3

  public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
}

/// Current direction in which a row is evaluated. Temperature limits differ for charge and
/// discharge; outside its direction a row's condition is false.
public enum CurrentDirection: UInt8, Sendable {
  case any
  case charging
  case discharging
}

/// Which power limit a derate cuts.
public enum DerateDirection: UInt8, Sendable {
  case charge
  case discharge
  case both
}

public struct ProtectionRow: Sendable {
  public var id: DiagnosticID
  public var quantity: MonitoredQuantity
  /// True when the row trips at or above the threshold, false at or below.
  public var tripsAbove: Bool
  public var threshold: Float
  /// The value must come back by this much (in the row's unit) before a warning or derate
  /// releases.
  public var hysteresis: Float
  public var severity: Severity
  public var direction: CurrentDirection
  public var derates: DerateDirection
  /// How long the condition must hold before the row is active (and how long it must be
  /// absent before a warning or derate releases).
  public var debounce_ms: UInt32
  /// Fault rows: time from activation to the contactor-open request, which gives the vehicle
  /// the chance to bring the current down first.
  public var delay_ms: UInt32
  /// Whether activation is written to the non-volatile fault log.
  public var recorded: Bool
  /// Required time from the limit being crossed to the contactors being open (safety goal).
  public var reactionGoal_ms: UInt32

  public init(
    id: DiagnosticID, quantity: MonitoredQuantity, tripsAbove: Bool, threshold: Float,
    hysteresis: Float, severity: Severity, direction: CurrentDirection,
    derates: DerateDirection, debounce_ms: UInt32, delay_ms: UInt32, recorded: Bool,
    reactionGoal_ms: UInt32
  ) {
    self.id = id
    self.quantity = quantity
    self.tripsAbove = tripsAbove
    self.threshold = threshold
    self.hysteresis = hysteresis
    self.severity = severity
    self.direction = direction
    self.derates = derates
    self.debounce_ms = debounce_ms
    self.delay_ms = delay_ms
    self.recorded = recorded
    self.reactionGoal_ms = reactionGoal_ms
  }
}

public enum ProtectionTable {
  public static let rowCount = 26
  /// Current below which the pack counts as neither charging nor discharging (sensor offset
  /// and balancing currents stay below it).
  public static let directionDeadband_A: Float = 1
  /// Worst-case time for a relay to open once its coil is released (datasheet class of HV
  /// contactors), added to every reaction-time budget.
  public static let contactorOpening_ms: UInt32 = 30
  /// Period at which the monitor is stepped for each quantity: cell voltages and temperatures
  /// arrive with each 10 ms scan, the current every 1 ms.
  public static func samplePeriod_ms(_ quantity: MonitoredQuantity) -> UInt32 {
    switch quantity {
    case .dischargeCurrent_A, .chargeCurrent_A: return 1
    default: return 10
    }
  }

  // Reaction goals: cell voltage 500 ms, current 200 ms, temperature 6 s.
  // Budget = debounce + delay + one sample period + contactor opening ≤ goal (tested).
  public static let rows: [26 of ProtectionRow] = [
    ProtectionRow(
      id: .cellOvervoltageWarning, quantity: .maxCellVoltage_V, tripsAbove: true, threshold: 4.15,
      hysteresis: 0.02,
      severity: .warning, direction: .any, derates: .charge, debounce_ms: 100, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .cellOvervoltageDerate, quantity: .maxCellVoltage_V, tripsAbove: true, threshold: 4.18,
      hysteresis: 0.02,
      severity: .derate, direction: .any, derates: .charge, debounce_ms: 100, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .cellOvervoltageFault, quantity: .maxCellVoltage_V, tripsAbove: true, threshold: 4.25,
      hysteresis: 0,
      severity: .fault, direction: .any, derates: .both, debounce_ms: 100, delay_ms: 200,
      recorded: true, reactionGoal_ms: 500),
    ProtectionRow(
      id: .cellUndervoltageWarning, quantity: .minCellVoltage_V, tripsAbove: false, threshold: 3.0,
      hysteresis: 0.05,
      severity: .warning, direction: .any, derates: .discharge, debounce_ms: 100, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .cellUndervoltageDerate, quantity: .minCellVoltage_V, tripsAbove: false, threshold: 2.8,
      hysteresis: 0.05,
      severity: .derate, direction: .any, derates: .discharge, debounce_ms: 100, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .cellUndervoltageFault, quantity: .minCellVoltage_V, tripsAbove: false, threshold: 2.5,
      hysteresis: 0,
      severity: .fault, direction: .any, derates: .both, debounce_ms: 100, delay_ms: 200,
      recorded: true, reactionGoal_ms: 500),
    ProtectionRow(
      id: .chargeOvertemperatureWarning, quantity: .maxTemperature_C, tripsAbove: true,
      threshold: 40, hysteresis: 2,
      severity: .warning, direction: .charging, derates: .charge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .chargeOvertemperatureDerate, quantity: .maxTemperature_C, tripsAbove: true,
      threshold: 43, hysteresis: 2,
      severity: .derate, direction: .charging, derates: .charge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .chargeOvertemperatureFault, quantity: .maxTemperature_C, tripsAbove: true, threshold: 45,
      hysteresis: 0,
      severity: .fault, direction: .charging, derates: .both, debounce_ms: 1_000, delay_ms: 2_000,
      recorded: true, reactionGoal_ms: 6_000),
    ProtectionRow(
      id: .dischargeOvertemperatureWarning, quantity: .maxTemperature_C, tripsAbove: true,
      threshold: 52, hysteresis: 2,
      severity: .warning, direction: .any, derates: .discharge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .dischargeOvertemperatureDerate, quantity: .maxTemperature_C, tripsAbove: true,
      threshold: 56, hysteresis: 2,
      severity: .derate, direction: .any, derates: .discharge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .dischargeOvertemperatureFault, quantity: .maxTemperature_C, tripsAbove: true,
      threshold: 60, hysteresis: 0,
      severity: .fault, direction: .any, derates: .both, debounce_ms: 1_000, delay_ms: 2_000,
      recorded: true, reactionGoal_ms: 6_000),
    ProtectionRow(
      id: .chargeUndertemperatureWarning, quantity: .minTemperature_C, tripsAbove: false,
      threshold: 5, hysteresis: 2,
      severity: .warning, direction: .charging, derates: .charge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .chargeUndertemperatureDerate, quantity: .minTemperature_C, tripsAbove: false,
      threshold: 2, hysteresis: 2,
      severity: .derate, direction: .charging, derates: .charge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .chargeUndertemperatureFault, quantity: .minTemperature_C, tripsAbove: false,
      threshold: 0, hysteresis: 0,
      severity: .fault, direction: .charging, derates: .both, debounce_ms: 1_000, delay_ms: 2_000,
      recorded: true, reactionGoal_ms: 6_000),
    ProtectionRow(
      id: .dischargeUndertemperatureWarning, quantity: .minTemperature_C, tripsAbove: false,
      threshold: -10, hysteresis: 2,
      severity: .warning, direction: .any, derates: .discharge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .dischargeUndertemperatureDerate, quantity: .minTemperature_C, tripsAbove: false,
      threshold: -15, hysteresis: 2,
      severity: .derate, direction: .any, derates: .discharge, debounce_ms: 1_000, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .dischargeUndertemperatureFault, quantity: .minTemperature_C, tripsAbove: false,
      threshold: -20, hysteresis: 0,
      severity: .fault, direction: .any, derates: .both, debounce_ms: 1_000, delay_ms: 2_000,
      recorded: true, reactionGoal_ms: 6_000),
    ProtectionRow(
      id: .chargeOvercurrentWarning, quantity: .chargeCurrent_A, tripsAbove: true, threshold: 75,
      hysteresis: 5,
      severity: .warning, direction: .charging, derates: .charge, debounce_ms: 10, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .chargeOvercurrentDerate, quantity: .chargeCurrent_A, tripsAbove: true, threshold: 85,
      hysteresis: 5,
      severity: .derate, direction: .charging, derates: .charge, debounce_ms: 10, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .chargeOvercurrentFault, quantity: .chargeCurrent_A, tripsAbove: true, threshold: 100,
      hysteresis: 0,
      severity: .fault, direction: .charging, derates: .both, debounce_ms: 10, delay_ms: 100,
      recorded: true, reactionGoal_ms: 200),
    ProtectionRow(
      id: .dischargeOvercurrentWarning, quantity: .dischargeCurrent_A, tripsAbove: true,
      threshold: 160, hysteresis: 10,
      severity: .warning, direction: .discharging, derates: .discharge, debounce_ms: 10,
      delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .dischargeOvercurrentDerate, quantity: .dischargeCurrent_A, tripsAbove: true,
      threshold: 180, hysteresis: 10,
      severity: .derate, direction: .discharging, derates: .discharge, debounce_ms: 10, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
    ProtectionRow(
      id: .dischargeOvercurrentFault, quantity: .dischargeCurrent_A, tripsAbove: true,
      threshold: 200, hysteresis: 0,
      severity: .fault, direction: .discharging, derates: .both, debounce_ms: 10, delay_ms: 100,
      recorded: true, reactionGoal_ms: 200),
    ProtectionRow(
      id: .openWireFault, quantity: .openWireCount, tripsAbove: true, threshold: 1, hysteresis: 0,
      severity: .fault, direction: .any, derates: .both, debounce_ms: 50, delay_ms: 200,
      recorded: true, reactionGoal_ms: 500),
    ProtectionRow(
      id: .implausibleMeasurementWarning, quantity: .implausibleCellCount, tripsAbove: true,
      threshold: 1, hysteresis: 0,
      severity: .warning, direction: .any, derates: .both, debounce_ms: 50, delay_ms: 0,
      recorded: false, reactionGoal_ms: 0),
  ]

  /// Worst-case time from a limit crossing to open contactors for a fault row.
  public static func reactionBudget_ms(_ row: ProtectionRow) -> UInt32 {
    row.debounce_ms + row.delay_ms + samplePeriod_ms(row.quantity) + contactorOpening_ms
  }
}

/// What the protections say after a step.
public struct ProtectionStatus: Equatable, Sendable {
  /// Bit n set while row n is active (faults stay set until reset).
  public var active: UInt32
  /// Bit n set on the step where row n became active and is recorded: write it to the log.
  public var newlyRecorded: UInt32
  public var highestSeverity: Severity
  public var chargeDerated: Bool
  public var dischargeDerated: Bool
  /// A fault has passed its delay: open the contactors now, even under load.
  public var openContactors: Bool

  public init() {
    active = 0
    newlyRecorded = 0
    highestSeverity = .none
    chargeDerated = false
    dischargeDerated = false
    openContactors = false
  }

  public func isActive(_ id: DiagnosticID) -> Bool { (active &>> UInt32(id.rawValue)) & 1 != 0 }
  /// Any fault (latched), whether or not its delay has passed.
  public var faultPresent: Bool { highestSeverity == .fault }
}

/// Evaluates the rows of `ProtectionTable.rows`: the voltage, temperature and plausibility
/// rows with every scan (10 ms), the current rows with every current sample (1 ms). Each row
/// is a debounce counter of `debounce_ms / period` samples; a fault then counts its delay in
/// samples and latches until `resetFaults()`.
public struct ProtectionMonitor: Sendable {
  private struct RowState: Sendable {
    var counter: DebounceCounter
    var latched: Bool
    var delaySamples: UInt32
  }

  private var states: [26 of RowState]
  private var charging: Bool
  private var discharging: Bool
  /// Rows recorded since the last summary.
  private var pendingRecorded: UInt32
  public private(set) var status: ProtectionStatus

  public init() {
    states = .init { index in
      let row = ProtectionTable.rows[index]
      let samples = ProtectionMonitor.samples(row.debounce_ms, row.quantity)
      return RowState(
        counter: DebounceCounter(tripCount: samples, healCount: samples), latched: false,
        delaySamples: 0)
    }
    charging = false
    discharging = false
    pendingRecorded = 0
    status = ProtectionStatus()
  }

  private static func samples(_ time_ms: UInt32, _ quantity: MonitoredQuantity) -> UInt16 {
    UInt16(clamping: time_ms / ProtectionTable.samplePeriod_ms(quantity))
  }

  private static func isCurrentRow(_ quantity: MonitoredQuantity) -> Bool {
    switch quantity {
    case .dischargeCurrent_A, .chargeCurrent_A: return true
    default: return false
    }
  }

  /// The value a row compares, from a checked measurement.
  public static func value(of quantity: MonitoredQuantity, in m: PackMeasurement) -> Float {
    switch quantity {
    case .maxCellVoltage_V: return m.maxCell_V
    case .minCellVoltage_V: return m.minCell_V
    case .maxTemperature_C: return m.maxTemperature_C
    case .minTemperature_C: return m.minTemperature_C
    case .dischargeCurrent_A: return max(m.current_A, 0)
    case .chargeCurrent_A: return max(-m.current_A, 0)
    case .openWireCount: return Float(m.openWireCount)
    case .implausibleCellCount: return Float(m.implausibleCellCount)
    }
  }

  /// Every 1 ms: the current rows. Positive current discharges.
  public mutating func stepCurrent(current_A: Float) -> ProtectionStatus {
    charging = current_A < -ProtectionTable.directionDeadband_A
    discharging = current_A > ProtectionTable.directionDeadband_A
    var m = PackMeasurement()
    m.current_A = current_A
    for index in 0..<ProtectionTable.rowCount
    where ProtectionMonitor.isCurrentRow(ProtectionTable.rows[index].quantity) {
      evaluate(index, m, statisticsValid: true)
    }
    return summarize()
  }

  /// Every scan (10 ms): the cell voltage, temperature and plausibility rows. The direction
  /// of the current (for the charge/discharge temperature limits) comes from `m.current_A`.
  public mutating func stepScan(_ m: PackMeasurement) -> ProtectionStatus {
    charging = m.current_A < -ProtectionTable.directionDeadband_A
    discharging = m.current_A > ProtectionTable.directionDeadband_A
    // Without a valid cell the statistics are zeros, not readings: the open-wire and
    // plausibility rows cover that case instead.
    let statisticsValid = m.validCellCount > 0 && !m.faults.contains(.noValidCell)
    for index in 0..<ProtectionTable.rowCount
    where !ProtectionMonitor.isCurrentRow(ProtectionTable.rows[index].quantity) {
      evaluate(index, m, statisticsValid: statisticsValid)
    }
    return summarize()
  }

  private mutating func evaluate(_ index: Int, _ m: PackMeasurement, statisticsValid: Bool) {
    let row = ProtectionTable.rows[index]
    var state = states[index]
    let applies: Bool
    switch row.direction {
    case .any: applies = true
    case .charging: applies = charging
    case .discharging: applies = discharging
    }
    let value = ProtectionMonitor.value(of: row.quantity, in: m)
    let beyond = row.tripsAbove ? value >= row.threshold : value <= row.threshold
    let released =
      row.tripsAbove
      ? value < row.threshold - row.hysteresis : value > row.threshold + row.hysteresis
    // Once tripped, the condition holds until the value is back past the hysteresis.
    let holding = state.counter.isTripped ? !released : beyond
    let failing = applies && statisticsValid && holding
    let event = state.counter.update(failing: failing)
    if event == .tripped && row.severity == .fault && !state.latched {
      state.latched = true
      state.delaySamples = 0
      pendingRecorded |= row.recorded ? UInt32(1) &<< UInt32(index) : 0
    } else if state.latched {
      state.delaySamples &+= state.delaySamples < UInt32.max ? 1 : 0
    }
    states[index] = state
  }

  private mutating func summarize() -> ProtectionStatus {
    var next = ProtectionStatus()
    next.newlyRecorded = pendingRecorded
    pendingRecorded = 0
    for index in 0..<ProtectionTable.rowCount {
      let row = ProtectionTable.rows[index]
      let state = states[index]
      let active = row.severity == .fault ? state.latched : state.counter.isTripped
      guard active else { continue }
      next.active |= UInt32(1) &<< UInt32(index)
      next.highestSeverity = max(next.highestSeverity, row.severity)
      if row.severity >= .derate {
        switch row.derates {
        case .charge: next.chargeDerated = true
        case .discharge: next.dischargeDerated = true
        case .both:
          next.chargeDerated = true
          next.dischargeDerated = true
        }
      }
      if row.severity == .fault
        && state.delaySamples >= UInt32(ProtectionMonitor.samples(row.delay_ms, row.quantity))
      {
        next.openContactors = true
      }
    }
    status = next
    return next
  }

  /// Clears latched faults whose condition is gone (after service or an operator reset).
  /// Returns false when a fault condition is still present; those stay latched.
  public mutating func resetFaults() -> Bool {
    var allCleared = true
    for index in 0..<ProtectionTable.rowCount where ProtectionTable.rows[index].severity == .fault {
      if states[index].counter.isTripped {
        allCleared = false
      } else {
        states[index].latched = false
        states[index].delaySamples = 0
      }
    }
    status = ProtectionStatus()
    _ = summarize()
    return allCleared
  }
}
