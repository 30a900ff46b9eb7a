import ControlMath

/// The inverter's protections, one per row of the protection table (the raw value is the row).
public enum ProtectionID: UInt8, Sendable {
  case phaseOvercurrent = 0
  case dcLinkOvervoltage = 1
  case dcLinkUndervoltage = 2
  case overspeed = 3
  case inverterOvertemperature = 4
  case motorOvertemperature = 5
  case angleTrackingError = 6
  case angleJump = 7
  case torqueRequestTimeout = 8
  case batteryLimitsTimeout = 9

  /// Bit of this protection in a `ProtectionStatus` mask.
  @inlinable
  public var mask: UInt16 { 1 << UInt16(rawValue) }
}

/// The measured quantity a protection watches.
public enum ProtectionSignal: UInt8, Sendable {
  /// Amplitude of the phase-current vector (the phases' common peak), A.
  case currentAmplitude_A
  case dcLink_V
  /// |mechanical speed|, rad/s.
  case speedMagnitude_rad_s
  case inverterTemperature_C
  case motorTemperature_C
  /// |PLL angle error| (measured − predicted electrical angle), rad.
  case angleError_rad
  /// Time since the last valid torque-request message, s.
  case torqueRequestAge_s
  /// Time since the last valid battery-limits message from the BMS, s.
  case batteryLimitsAge_s
}

/// What the inverter does when a protection trips.
public enum ProtectionReaction: UInt8, Sendable {
  /// Latched fault: the power stage goes to the safe state chosen by speed (PWM off or active
  /// short circuit) and stays there until the cause is gone and a clear is requested.
  case safeState
  /// The torque reference ramps to zero at the calibrated fall rate; recovers by itself.
  case rampTorqueToZero
  /// The torque limits drop to zero at once (the battery may no longer accept current);
  /// recovers by itself.
  case zeroTorque
}

/// One row of the protection table (foxBMS style): what is watched, against which threshold,
/// how many consecutive samples trip and heal it, and the reaction.
public struct ProtectionRule: Sendable {
  public var id: ProtectionID
  public var signal: ProtectionSignal
  /// True: violated when the signal is above the threshold; false: when below.
  public var tripsAbove: Bool
  public var threshold: Float
  /// Consecutive violating samples (control periods) that trip; 1 = no debounce, trips in the
  /// same period.
  public var tripSamples: UInt16
  /// Consecutive passing samples after which the cause counts as gone.
  public var healSamples: UInt16
  public var reaction: ProtectionReaction

  public init(
    id: ProtectionID, signal: ProtectionSignal, tripsAbove: Bool, threshold: Float,
    tripSamples: UInt16, healSamples: UInt16, reaction: ProtectionReaction
  ) {
    self.id = id
    self.signal = signal
    self.tripsAbove = tripsAbove
    self.threshold = threshold
    self.tripSamples = tripSamples
    self.healSamples = healSamples
    self.reaction = reaction
  }

  /// Whether `value` violates this rule. Exactly at the threshold is not a violation; NaN is
  /// (a sensor that reads NaN is not trusted).
  @inlinable
  public func isViolated(by value: Float) -> Bool {
    tripsAbove ? !(value <= threshold) : !(value >= threshold)
  }
}

/// The protection table: one row per `ProtectionID`, in raw-value order.
public struct ProtectionTable: Sendable {
  public static let count = 10
  public var rules: [10 of ProtectionRule]

  public init(rules: [10 of ProtectionRule]) {
    self.rules = rules
  }

  // Get-only subscripts and a setter method: a settable subscript would be a `_modify`
  // coroutine, whose frame Embedded Swift allocates on the heap.
  public subscript(id: ProtectionID) -> ProtectionRule {
    rules[Int(id.rawValue)]
  }

  public mutating func setThreshold(_ threshold: Float, for id: ProtectionID) {
    rules[Int(id.rawValue)].threshold = threshold
  }

  /// Brand A thresholds; docs/inverter-protections.md gives the reasons for each figure.
  /// Samples are control periods (50 µs).
  public static var brandA: ProtectionTable {
    ProtectionTable(rules: [
      ProtectionRule(
        id: .phaseOvercurrent, signal: .currentAmplitude_A, tripsAbove: true, threshold: 380,
        tripSamples: 1, healSamples: 20, reaction: .safeState),
      ProtectionRule(
        id: .dcLinkOvervoltage, signal: .dcLink_V, tripsAbove: true, threshold: 440,
        tripSamples: 4, healSamples: 200, reaction: .safeState),
      ProtectionRule(
        id: .dcLinkUndervoltage, signal: .dcLink_V, tripsAbove: false, threshold: 230,
        tripSamples: 20, healSamples: 2000, reaction: .safeState),
      ProtectionRule(
        id: .overspeed, signal: .speedMagnitude_rad_s, tripsAbove: true,
        threshold: 12_600 * InverterCalibration.rpm, tripSamples: 20, healSamples: 200,
        reaction: .safeState),
      ProtectionRule(
        id: .inverterOvertemperature, signal: .inverterTemperature_C, tripsAbove: true,
        threshold: 130, tripSamples: 2000, healSamples: 2000, reaction: .safeState),
      ProtectionRule(
        id: .motorOvertemperature, signal: .motorTemperature_C, tripsAbove: true, threshold: 180,
        tripSamples: 2000, healSamples: 2000, reaction: .safeState),
      ProtectionRule(
        id: .angleTrackingError, signal: .angleError_rad, tripsAbove: true, threshold: 0.3,
        tripSamples: 20, healSamples: 200, reaction: .safeState),
      ProtectionRule(
        id: .angleJump, signal: .angleError_rad, tripsAbove: true, threshold: 1.0,
        tripSamples: 2, healSamples: 200, reaction: .safeState),
      ProtectionRule(
        id: .torqueRequestTimeout, signal: .torqueRequestAge_s, tripsAbove: true,
        threshold: 0.1, tripSamples: 1, healSamples: 1, reaction: .rampTorqueToZero),
      ProtectionRule(
        id: .batteryLimitsTimeout, signal: .batteryLimitsAge_s, tripsAbove: true,
        threshold: 0.5, tripSamples: 1, healSamples: 1, reaction: .zeroTorque),
    ])
  }

  /// Brand B: the gentler set trips on overspeed and temperature earlier.
  public static var brandB: ProtectionTable {
    var table = brandA
    table.setThreshold(11_000 * InverterCalibration.rpm, for: .overspeed)
    table.setThreshold(125, for: .inverterOvertemperature)
    table.setThreshold(170, for: .motorOvertemperature)
    return table
  }
}

/// One sample of every signal the protection table watches.
public struct ProtectionInputs: Sendable {
  public var currentAmplitude_A: Float
  public var dcLink_V: Float
  public var speedMagnitude_rad_s: Float
  public var inverterTemperature_C: Float
  public var motorTemperature_C: Float
  public var angleError_rad: Float
  public var torqueRequestAge_s: Float
  public var batteryLimitsAge_s: Float

  public init(
    currentAmplitude_A: Float, dcLink_V: Float, speedMagnitude_rad_s: Float,
    inverterTemperature_C: Float, motorTemperature_C: Float, angleError_rad: Float,
    torqueRequestAge_s: Float, batteryLimitsAge_s: Float
  ) {
    self.currentAmplitude_A = currentAmplitude_A
    self.dcLink_V = dcLink_V
    self.speedMagnitude_rad_s = speedMagnitude_rad_s
    self.inverterTemperature_C = inverterTemperature_C
    self.motorTemperature_C = motorTemperature_C
    self.angleError_rad = angleError_rad
    self.torqueRequestAge_s = torqueRequestAge_s
    self.batteryLimitsAge_s = batteryLimitsAge_s
  }

  public subscript(signal: ProtectionSignal) -> Float {
    switch signal {
    case .currentAmplitude_A: currentAmplitude_A
    case .dcLink_V: dcLink_V
    case .speedMagnitude_rad_s: speedMagnitude_rad_s
    case .inverterTemperature_C: inverterTemperature_C
    case .motorTemperature_C: motorTemperature_C
    case .angleError_rad: angleError_rad
    case .torqueRequestAge_s: torqueRequestAge_s
    case .batteryLimitsAge_s: batteryLimitsAge_s
    }
  }

  public mutating func set(_ signal: ProtectionSignal, to value: Float) {
    switch signal {
    case .currentAmplitude_A: currentAmplitude_A = value
    case .dcLink_V: dcLink_V = value
    case .speedMagnitude_rad_s: speedMagnitude_rad_s = value
    case .inverterTemperature_C: inverterTemperature_C = value
    case .motorTemperature_C: motorTemperature_C = value
    case .angleError_rad: angleError_rad = value
    case .torqueRequestAge_s: torqueRequestAge_s = value
    case .batteryLimitsAge_s: batteryLimitsAge_s = value
    }
  }
}

/// Tripped protections after one evaluation, as bit masks (`ProtectionID.mask`).
public struct ProtectionStatus: Equatable, Sendable {
  /// Every row currently in the tripped state.
  public var tripped: UInt16
  /// The rows that tripped on this very sample.
  public var newlyTripped: UInt16

  public init(tripped: UInt16, newlyTripped: UInt16) {
    self.tripped = tripped
    self.newlyTripped = newlyTripped
  }

  public func isTripped(_ id: ProtectionID) -> Bool { tripped & id.mask != 0 }

  /// Whether any tripped row has the given reaction, looked up in `table`.
  public func demands(_ reaction: ProtectionReaction, in table: ProtectionTable) -> Bool {
    for row in 0..<ProtectionTable.count
    where tripped & (1 << UInt16(row)) != 0 && table.rules[row].reaction == reaction {
      return true
    }
    return false
  }
}

/// Evaluates the protection table once per control period with one debounce counter per row.
public struct ProtectionMonitor: Sendable {
  public let table: ProtectionTable
  public private(set) var counters: [10 of DebounceCounter]

  public init(table: ProtectionTable) {
    self.table = table
    counters = .init { row in
      DebounceCounter(
        tripCount: table.rules[row].tripSamples, healCount: table.rules[row].healSamples)
    }
  }

  public mutating func evaluate(_ inputs: ProtectionInputs) -> ProtectionStatus {
    var status = ProtectionStatus(tripped: 0, newlyTripped: 0)
    for row in 0..<ProtectionTable.count {
      let rule = table.rules[row]
      let event = counters[row].update(failing: rule.isViolated(by: inputs[rule.signal]))
      let bit: UInt16 = 1 << UInt16(row)
      if counters[row].isTripped { status.tripped |= bit }
      if event == .tripped { status.newlyTripped |= bit }
    }
    return status
  }
}
