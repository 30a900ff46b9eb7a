import MotorControl
import Platform
import VehicleNetwork

/// The inverter's DTCs (docs/diagnostics.md, "Inverter DTCs"): one per protection row, in row
/// order, then the faults outside the protection table. The raw value is the row in the
/// `DTCManager` and the bit in a failure mask.
public enum InverterDTC: Int, Sendable {
  case phaseOvercurrent = 0
  case dcLinkOvervoltage
  case dcLinkUndervoltage
  case overspeed
  case inverterOvertemperature
  case motorOvertemperature
  case angleTrackingError
  case angleJump
  case torqueRequestTimeout
  case batteryLimitsTimeout
  case currentSensorOffset
  case missingSamples
  case torqueRequestE2E
  case batteryLimitsE2E

  /// Rows in the table.
  public static let count = 14

  /// The DTC number of row `row` (0 outside the table).
  public static func number(row: Int) -> UInt32 { InverterDTC(rawValue: row)?.number ?? 0 }

  /// The 3-byte DTC: SAE J2012 code (2 bytes) and failure type byte.
  public var number: UInt32 {
    switch self {
    case .phaseOvercurrent: 0x0A_7819  // P0A78-19 inverter, current above threshold
    case .dcLinkOvervoltage: 0x1A_0017  // P1A00-17 DC link, voltage above threshold
    case .dcLinkUndervoltage: 0x1A_0016  // P1A00-16 DC link, voltage below threshold
    case .overspeed: 0x0A_4400  // P0A44 drive motor position sensor overspeed
    case .inverterOvertemperature: 0x0A_3C98  // P0A3C-98 inverter over temperature
    case .motorOvertemperature: 0x0A_2F98  // P0A2F-98 drive motor over temperature
    case .angleTrackingError: 0x0A_3F64  // P0A3F-64 position sensor, plausibility
    case .angleJump: 0x0A_3F29  // P0A3F-29 position sensor, signal invalid
    case .torqueRequestTimeout: 0xC1_0087  // U0100-87 VCU, missing message
    case .batteryLimitsTimeout: 0xC1_1187  // U0111-87 BMS, missing message
    case .currentSensorOffset: 0x1A_1028  // P1A10-28 current sensor zero adjustment
    case .missingSamples: 0x1A_1131  // P1A11-31 sample acquisition, no signal
    case .torqueRequestE2E: 0xC4_0183  // U0401-83 VCU, protection value incorrect
    case .batteryLimitsE2E: 0xC4_1283  // U0412-83 BMS, protection value incorrect
    }
  }

  /// The ECU's DTC table: a qualified protection result (already debounced by the protection
  /// monitor) sets the DTC at once and one passing test heals it.
  public static func table() -> DTCManager {
    var manager = DTCManager()
    addRows(to: &manager)
    return manager
  }

  /// Adds the rows to an empty manager, in place.
  public static func addRows(to manager: inout DTCManager) {
    for row in 0..<count {
      // 14 distinct rows in an empty 16-row table cannot fail.
      try? manager.add(
        DTCDefinition(
          number: number(row: row), failThreshold: 1, passThreshold: -1,
          requestsWarningIndicator: row <= InverterDTC.angleJump.rawValue))
    }
  }
}

/// Live data identifiers of the inverter (ReadDataByIdentifier), big-endian.
public enum InverterDataIdentifier {
  /// Mechanical motor speed, rpm, signed 16 bit.
  public static let motorSpeed: UInt16 = 0x0100
  /// DC-link voltage, 0.1 V per bit, unsigned 16 bit.
  public static let dcLinkVoltage: UInt16 = 0x0101
  /// Torque estimated from the measured currents, 0.1 N·m per bit, signed 16 bit.
  public static let torque: UInt16 = 0x0102
  /// Drive state (`InverterState` raw value) and active fault code (INV_FaultCode), 2 bytes.
  public static let stateAndFault: UInt16 = 0x0103
}

/// What the inverter's diagnostic application sees of the ECU, refreshed by the 1 kHz job.
public struct InverterLiveData: Sendable {
  public var speed_rpm: Float = 0
  public var dcLink_V: Float = 0
  public var torque_Nm: Float = 0
  public var state = InverterState.initialising
  public var faultCode: UInt8 = 0
  /// The power stage is off (no modulation) and the rotor stands: offsets can be taken.
  public var isStopped = false
  /// The last sample, for the offset routine; `sampleIsNew` until the routine took it.
  public var sample: InverterSample?
  public var sampleIsNew = false

  public init() {}
}

/// The inverter's `DiagnosticApplication`: live data and the current-sensor offset routine
/// 0xFF00.
///
/// Routine 0xFF00 (extended session, security level 1) measures the current-sensor offsets
/// with the power stage off, one sample per millisecond over the calibration's sample count,
/// with the start-up calibration's plausibility limit. Start is refused with 0x22 unless the
/// drive is in standby with the power stage off and the rotor below `maxStandstill_rpm`; it
/// answers 0x78 while measuring and aborts with 0x22 if the drive leaves that condition.
/// Result record: status (0 offsets plausible, 1 implausible, 2 aborted), phase A and B
/// offsets in ADC counts (IEEE 754 float each). The measured offsets are reported, not
/// applied: the running offsets are the start-up calibration's.
public struct InverterDiagnostics: DiagnosticApplication, Sendable {
  public static let maxStandstill_rpm: Float = 30

  public var live = InverterLiveData()
  private var calibrator: OffsetCalibrator
  /// 0 plausible, 1 implausible, 2 aborted, 0xFF never run.
  public private(set) var routineStatus: UInt8 = 0xFF
  private var measured = CurrentSensorOffsets(phaseA_counts: 0, phaseB_counts: 0)
  private var running = false

  public init(settings: OffsetCalibrationSettings, nominalZero_counts: Float) {
    calibrator = OffsetCalibrator(settings: settings, nominalZero_counts: nominalZero_counts)
  }

  public mutating func readData(
    _ id: UInt16, session: UDSSession, into record: inout UDSDataRecord
  ) -> Bool {
    switch id {
    case InverterDataIdentifier.motorSpeed:
      record.append(u16: UInt16(bitPattern: Self.scaled(live.speed_rpm, 1)))
    case InverterDataIdentifier.dcLinkVoltage:
      record.append(u16: UInt16(bitPattern: Self.scaled(max(live.dcLink_V, 0), 10)))
    case InverterDataIdentifier.torque:
      record.append(u16: UInt16(bitPattern: Self.scaled(live.torque_Nm, 10)))
    case InverterDataIdentifier.stateAndFault:
      record.append(live.state.rawValue)
      record.append(live.faultCode)
    default:
      return false
    }
    return true
  }

  /// `value × factor` rounded and clamped to Int16; NaN gives 0.
  static func scaled(_ value: Float, _ factor: Float) -> Int16 {
    let x = value * factor
    guard !x.isNaN else { return 0 }
    let clamped = min(max(x, -32_768), 32_767)
    return Int16(truncatingIfNeeded: Int32(clamped + (clamped >= 0 ? 0.5 : -0.5)))
  }

  public func routineAccess(_ id: UInt16) -> UDSAccess? {
    id == UDSIdentifiers.inverterOffsetCalibrationRoutine
      ? UDSAccess(sessions: .extended, securityLevel: 1) : nil
  }

  public mutating func routineControl(
    _ id: UInt16, _ type: UDSRoutineControlType, options: Span<UInt8>, now_ms: UInt32,
    result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    switch type {
    case .start:
      guard live.isStopped, live.state == .standby else { return .rejected(.conditionsNotCorrect) }
      calibrator.restart()
      live.sampleIsNew = false
      running = true
      return .pending
    case .stop:
      guard running else { return .rejected(.requestSequenceError) }
      return .completed
    case .requestResults:
      guard routineStatus != 0xFF else { return .rejected(.requestSequenceError) }
      appendResult(&result)
      return .completed
    }
  }

  public mutating func continueRoutine(
    _ id: UInt16, _ type: UDSRoutineControlType, now_ms: UInt32, result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    guard running else { return .rejected(.generalReject) }
    guard live.isStopped, live.state == .standby else {
      running = false
      routineStatus = 2
      return .rejected(.conditionsNotCorrect)
    }
    guard live.sampleIsNew, let sample = live.sample else { return .pending }
    live.sampleIsNew = false
    switch calibrator.add(sample) {
    case .inProgress:
      return .pending
    case .done(let offsets):
      measured = offsets
      routineStatus = 0
    case .implausible(let offsets):
      measured = offsets
      routineStatus = 1
    }
    running = false
    appendResult(&result)
    return .completed
  }

  private func appendResult(_ result: inout UDSDataRecord) {
    result.append(routineStatus)
    result.append(f32: measured.phaseA_counts)
    result.append(f32: measured.phaseB_counts)
  }

  public func didWrite(_ id: UInt16, value: Span<UInt8>) {}
}
