import BatteryManagement
import Platform
import VehicleNetwork

/// The BMS's DTCs (docs/diagnostics.md, "BMS DTCs"). The protection table's 26 rows come in
/// groups (warning, derate, fault of one quantity): one DTC per group, failed while any row
/// of the group is active, the group's highest active severity in the freeze frame. The raw
/// value is the row in the `DTCManager` and the bit in a failure mask.
public enum BatteryDTC: Int, Sendable {
  case cellOvervoltage = 0
  case cellUndervoltage
  case chargeOvertemperature
  case dischargeOvertemperature
  case chargeUndertemperature
  case dischargeUndertemperature
  case chargeOvercurrent
  case dischargeOvercurrent
  case openWire
  case implausibleMeasurement
  case vehicleRequestTimeout
  case vehicleRequestE2E
  case prechargeFailed
  case contactorStuckClosed
  case contactorStuckOpen
  case acquisitionLost

  /// Rows in the table (the DTC manager's full capacity).
  public static let count = 16
  /// Protection groups: rows 0...7 cover three protection rows each, 8 and 9 one.
  static let protectionGroups = 10

  public static func number(row: Int) -> UInt32 { BatteryDTC(rawValue: row)?.number ?? 0 }

  /// The 3-byte DTC: SAE J2012 code (2 bytes) and failure type byte.
  public var number: UInt32 {
    switch self {
    case .cellOvervoltage: 0x1B_0117  // P1B01-17 cell voltage above threshold
    case .cellUndervoltage: 0x1B_0116  // P1B01-16 cell voltage below threshold
    case .chargeOvertemperature: 0x1B_0298  // P1B02-98 over temperature while charging
    case .dischargeOvertemperature: 0x1B_0398  // P1B03-98 over temperature while discharging
    case .chargeUndertemperature: 0x1B_024B  // P1B02-4B temperature too low to charge
    case .dischargeUndertemperature: 0x1B_034B  // P1B03-4B temperature too low to discharge
    case .chargeOvercurrent: 0x1B_0419  // P1B04-19 charge current above threshold
    case .dischargeOvercurrent: 0x1B_0519  // P1B05-19 discharge current above threshold
    case .openWire: 0x1B_0613  // P1B06-13 cell sense line open
    case .implausibleMeasurement: 0x1B_0764  // P1B07-64 cell measurement plausibility
    case .vehicleRequestTimeout: 0xC1_0087  // U0100-87 VCU, missing message
    case .vehicleRequestE2E: 0xC4_0183  // U0401-83 VCU, protection value incorrect
    case .prechargeFailed: 0x1B_1092  // P1B10-92 precharge performance
    case .contactorStuckClosed: 0x1B_1173  // P1B11-73 contactor stuck closed (weld, link up)
    case .contactorStuckOpen: 0x1B_1172  // P1B11-72 contactor stuck open (no feedback)
    case .acquisitionLost: 0x1B_2031  // P1B20-31 cell monitor or pack sensors, no signal
    }
  }

  public static func table() -> DTCManager {
    var manager = DTCManager()
    addRows(to: &manager)
    return manager
  }

  /// Adds the rows to an empty manager, in place.
  public static func addRows(to manager: inout DTCManager) {
    for row in 0..<count {
      // 16 distinct rows in an empty 16-row table cannot fail.
      try? manager.add(
        DTCDefinition(
          number: number(row: row), failThreshold: 1, passThreshold: -1,
          requestsWarningIndicator: row != BatteryDTC.implausibleMeasurement.rawValue))
    }
  }
}

/// Live data identifiers of the BMS (ReadDataByIdentifier), big-endian.
public enum BatteryDataIdentifier {
  /// Pack SOC estimate, 0.01 % per bit, unsigned 16 bit.
  public static let stateOfCharge: UInt16 = 0x0200
  /// Pack voltage, 0.1 V per bit, unsigned 16 bit.
  public static let packVoltage: UInt16 = 0x0201
  /// Lowest and highest cell voltage, mV, unsigned 16 bit each (4 bytes).
  public static let minMaxCellVoltage: UInt16 = 0x0202
  /// Pack current, 0.1 A per bit (positive = discharge), signed 16 bit.
  public static let packCurrent: UInt16 = 0x0203
  /// BMS_State and the active fault code, 2 bytes.
  public static let stateAndFault: UInt16 = 0x0204
}

/// What the BMS's diagnostic application sees of the ECU, refreshed every millisecond.
public struct BatteryLiveData: Sendable {
  public var soc_pct: Float = 0
  public var packVoltage_V: Float = 0
  public var packCurrent_A: Float = 0
  public var minCell_V: Float = 0
  public var maxCell_V: Float = 0
  public var state = BMSStatus.State.initializing
  public var faultCode: UInt8 = 0
  public var cellCount = 0

  public init() {}
}

/// The BMS's `DiagnosticApplication`: live data and the balancing test routine 0xFF01.
///
/// Routine 0xFF01 (extended session, security level 1) switches the balancing resistors of
/// every odd cell (option byte 0x01 or none; cells 1, 3, 5, … in the DBC's 1-based numbering)
/// or every even cell (0x02) on for `testDuration_ms`, instead of the balancing algorithm's
/// choice. Start is refused with 0x22 unless the BMS is in Standby (contactors open, no
/// fault), 0x31 for another option; the test aborts when that condition ends. Status record
/// (start, stop, results): state (0 never run, 1 running, 2 completed, 3 stopped, 4 aborted)
/// and the number of cells switched on.
public struct BatteryDiagnostics: DiagnosticApplication, Sendable {
  public static let testDuration_ms: UInt32 = 5000

  public var live = BatteryLiveData()
  public private(set) var testState: UInt8 = 0
  public private(set) var testMask: [3 of UInt32] = .init(repeating: 0)
  private var testStart_ms: UInt32 = 0

  public init() {}

  public var isTestRunning: Bool { testState == 1 }

  public mutating func readData(
    _ id: UInt16, session: UDSSession, into record: inout UDSDataRecord
  ) -> Bool {
    switch id {
    case BatteryDataIdentifier.stateOfCharge:
      record.append(u16: Self.unsigned(live.soc_pct * 100))
    case BatteryDataIdentifier.packVoltage:
      record.append(u16: Self.unsigned(live.packVoltage_V * 10))
    case BatteryDataIdentifier.minMaxCellVoltage:
      record.append(u16: Self.unsigned(live.minCell_V * 1000))
      record.append(u16: Self.unsigned(live.maxCell_V * 1000))
    case BatteryDataIdentifier.packCurrent:
      let x = min(max(live.packCurrent_A * 10, -32_768), 32_767)
      let rounded = Int32(x + (x >= 0 ? 0.5 : -0.5))
      record.append(u16: UInt16(bitPattern: Int16(truncatingIfNeeded: rounded)))
    case BatteryDataIdentifier.stateAndFault:
      record.append(live.state.rawValue)
      record.append(live.faultCode)
    default:
      return false
    }
    return true
  }

  /// `x` rounded and clamped to 0...65535; NaN gives 0.
  static func unsigned(_ x: Float) -> UInt16 {
    guard x > 0 else { return 0 }
    return UInt16(truncatingIfNeeded: Int32(min(x, 65_535) + 0.5))
  }

  public func routineAccess(_ id: UInt16) -> UDSAccess? {
    id == UDSIdentifiers.balancingTestRoutine
      ? UDSAccess(sessions: .extended, securityLevel: 1) : nil
  }

  public mutating func routineControl(
    _ id: UInt16, _ type: UDSRoutineControlType, options: Span<UInt8>, now_ms: UInt32,
    result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    switch type {
    case .start:
      guard options.count <= 1 else { return .rejected(.incorrectMessageLengthOrInvalidFormat) }
      let pattern = options.count == 1 ? options[0] : 1
      guard pattern == 1 || pattern == 2 else { return .rejected(.requestOutOfRange) }
      guard live.state == .standby else { return .rejected(.conditionsNotCorrect) }
      testMask = Self.mask(firstCell: Int(pattern) - 1, cellCount: live.cellCount)
      testStart_ms = now_ms
      testState = 1
    case .stop:
      guard testState == 1 else { return .rejected(.requestSequenceError) }
      end(3)
    case .requestResults:
      guard testState != 0 else { return .rejected(.requestSequenceError) }
    }
    appendStatus(&result)
    return .completed
  }

  public func continueRoutine(
    _ id: UInt16, _ type: UDSRoutineControlType, now_ms: UInt32, result: inout UDSDataRecord
  ) -> UDSRoutineOutcome { .rejected(.generalReject) }

  public func didWrite(_ id: UInt16, value: Span<UInt8>) {}

  /// Every millisecond: ends the test after its duration, or when the BMS left Standby.
  public mutating func update(now_ms: UInt32) {
    guard testState == 1 else { return }
    if live.state != .standby {
      end(4)
    } else if now_ms &- testStart_ms >= Self.testDuration_ms {
      end(2)
    }
  }

  private mutating func end(_ state: UInt8) {
    testState = state
  }

  private func appendStatus(_ result: inout UDSDataRecord) {
    result.append(testState)
    let cells =
      testMask[0].nonzeroBitCount + testMask[1].nonzeroBitCount
      + testMask[2].nonzeroBitCount
    result.append(UInt8(truncatingIfNeeded: cells))
  }

  /// Every second cell from `firstCell` (0-based), `cellCount` cells, 32 per word.
  static func mask(firstCell: Int, cellCount: Int) -> [3 of UInt32] {
    var mask = [3 of UInt32](repeating: 0)
    var cell = firstCell
    while cell < min(cellCount, 96) {
      mask[cell / 32] |= 1 << UInt32(cell % 32)
      cell += 2
    }
    return mask
  }
}
