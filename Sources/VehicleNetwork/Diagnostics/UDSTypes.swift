/// ISO 14229-1 negative response codes used by the server.
public enum UDSNegativeResponseCode: UInt8, Sendable {
  case generalReject = 0x10
  case serviceNotSupported = 0x11
  case subFunctionNotSupported = 0x12
  case incorrectMessageLengthOrInvalidFormat = 0x13
  case responseTooLong = 0x14
  case busyRepeatRequest = 0x21
  case conditionsNotCorrect = 0x22
  case requestSequenceError = 0x24
  case requestOutOfRange = 0x31
  case securityAccessDenied = 0x33
  case invalidKey = 0x35
  case exceededNumberOfAttempts = 0x36
  case requiredTimeDelayNotExpired = 0x37
  case requestCorrectlyReceivedResponsePending = 0x78
  case subFunctionNotSupportedInActiveSession = 0x7E
  case serviceNotSupportedInActiveSession = 0x7F

  /// ISO 14229-1: a functionally addressed request gets no negative response with these
  /// codes (the request was for some other ECU's services).
  public var isSuppressedForFunctionalRequests: Bool {
    switch self {
    case .serviceNotSupported, .subFunctionNotSupported, .requestOutOfRange,
      .serviceNotSupportedInActiveSession, .subFunctionNotSupportedInActiveSession:
      return true
    default:
      return false
    }
  }
}

/// Diagnostic sessions (DiagnosticSessionControl sub-functions).
public enum UDSSession: UInt8, Sendable {
  case defaultSession = 0x01
  case programming = 0x02
  case extended = 0x03
}

/// A set of sessions, for the "allowed in" columns of the data-identifier table. A plain bit
/// set rather than an OptionSet: OptionSet's array-literal initializer allocates.
public struct UDSSessions: Equatable, Sendable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static let none = UDSSessions(rawValue: 0)
  public static let defaultSession = UDSSessions(rawValue: 1)
  public static let programming = UDSSessions(rawValue: 2)
  public static let extended = UDSSessions(rawValue: 4)
  public static let all = UDSSessions(rawValue: 7)
  public static let nonDefault = UDSSessions(rawValue: 6)

  public func union(_ other: UDSSessions) -> UDSSessions {
    UDSSessions(rawValue: rawValue | other.rawValue)
  }

  public func contains(_ session: UDSSession) -> Bool {
    switch session {
    case .defaultSession: return rawValue & UDSSessions.defaultSession.rawValue != 0
    case .programming: return rawValue & UDSSessions.programming.rawValue != 0
    case .extended: return rawValue & UDSSessions.extended.rawValue != 0
    }
  }
}

/// A response the server built: positive, negative, or none (suppressed).
public struct UDSResponse: Sendable {
  /// Longest response the server builds; longer ones are refused with responseTooLong.
  public static let capacity = 256
  public private(set) var count = 0
  private var bytes = [256 of UInt8](repeating: 0)

  public init() {}

  public var isEmpty: Bool { count == 0 }

  /// Byte `index` (0 ..< count); 0 outside.
  public subscript(index: Int) -> UInt8 { index >= 0 && index < count ? bytes[index] : 0 }

  /// Calls `body` with the response bytes, e.g. to hand them to the ISO-TP sender. Mutating
  /// only so that it runs in place, without a copy of the 256-byte buffer.
  public mutating func withBytes<Result>(_ body: (Span<UInt8>) -> Result) -> Result {
    body(bytes.span.extracting(0..<count))
  }

  /// The negative response code if this is a negative response.
  public var negativeResponseCode: UDSNegativeResponseCode? {
    count == 3 && bytes[0] == 0x7F ? UDSNegativeResponseCode(rawValue: bytes[2]) : nil
  }

  mutating func clear() { count = 0 }

  /// Appends a byte; false (and nothing written) when full.
  @discardableResult
  mutating func append(_ byte: UInt8) -> Bool {
    guard count < UDSResponse.capacity else { return false }
    bytes[count] = byte
    count += 1
    return true
  }

  mutating func setNegative(service: UInt8, _ code: UDSNegativeResponseCode) {
    count = 0
    append(0x7F)
    append(service)
    append(code.rawValue)
  }
}

/// A small big-endian byte record the application fills for the server: the value of a live
/// data identifier, or the status record of a routine.
public struct UDSDataRecord: Sendable {
  public static let capacity = 64
  public private(set) var count = 0
  private var bytes = [64 of UInt8](repeating: 0)

  public init() {}

  /// Byte `index` (0 ..< count); 0 outside.
  public subscript(index: Int) -> UInt8 { index >= 0 && index < count ? bytes[index] : 0 }

  /// Appends a byte; false (and nothing written) when full.
  @discardableResult
  public mutating func append(_ byte: UInt8) -> Bool {
    guard count < UDSDataRecord.capacity else { return false }
    bytes[count] = byte
    count += 1
    return true
  }

  @discardableResult
  public mutating func append(u16 value: UInt16) -> Bool {
    append(UInt8(truncatingIfNeeded: value &>> 8)) && append(UInt8(truncatingIfNeeded: value))
  }

  @discardableResult
  public mutating func append(u32 value: UInt32) -> Bool {
    append(u16: UInt16(truncatingIfNeeded: value &>> 16))
      && append(u16: UInt16(truncatingIfNeeded: value))
  }

  /// IEEE 754 single precision, big-endian.
  @discardableResult
  public mutating func append(f32 value: Float) -> Bool { append(u32: value.bitPattern) }

  public mutating func clear() { count = 0 }
}

/// Where a routine (or another access-controlled item) may be used.
public struct UDSAccess: Sendable {
  public var sessions: UDSSessions
  /// SecurityAccess level needed, 0 = none.
  public var securityLevel: UInt8

  public init(sessions: UDSSessions, securityLevel: UInt8 = 0) {
    self.sessions = sessions
    self.securityLevel = securityLevel
  }
}

/// RoutineControl (0x31) sub-functions.
public enum UDSRoutineControlType: UInt8, Sendable {
  case start = 0x01
  case stop = 0x02
  case requestResults = 0x03
}

/// What the application made of a routine control request.
public enum UDSRoutineOutcome: Equatable, Sendable {
  /// Done: the positive response carries the status record written so far.
  case completed
  /// Still running beyond P2: the server answers 0x78 (response pending) and asks again
  /// through `continueRoutine` on every poll until the outcome is final.
  case pending
  /// Refused with this negative response code (e.g. 0x22, 0x24, 0x31, 0x72).
  case rejected(UDSNegativeResponseCode)
}

/// ECUReset (0x11) sub-functions the server accepts.
public enum UDSResetType: UInt8, Sendable {
  case hardReset = 0x01
  case softReset = 0x03
}

/// The ECU's side of the diagnostic server: live data identifiers, routines and a
/// notification of written identifiers. The server is generic over it (no closures, no
/// existentials); every method is called synchronously from `handle` or `poll`.
public protocol DiagnosticApplication {
  /// Appends the current value of live data identifier `id` to `record`; false when the
  /// application does not serve `id` in `session` (the server then treats it as unknown).
  mutating func readData(_ id: UInt16, session: UDSSession, into record: inout UDSDataRecord)
    -> Bool
  /// The sessions and security level routine `id` needs, or nil when it does not exist.
  func routineAccess(_ id: UInt16) -> UDSAccess?
  /// Starts, stops or reads the results of routine `id`; the status record goes to `result`.
  mutating func routineControl(
    _ id: UInt16, _ type: UDSRoutineControlType, options: Span<UInt8>, now_ms: UInt32,
    result: inout UDSDataRecord
  ) -> UDSRoutineOutcome
  /// Asked on every poll after `routineControl` returned `.pending`, until it returns a final
  /// outcome.
  mutating func continueRoutine(
    _ id: UInt16, _ type: UDSRoutineControlType, now_ms: UInt32, result: inout UDSDataRecord
  ) -> UDSRoutineOutcome
  /// Identifier `id` of the data-identifier table was written with `value` (e.g. to persist
  /// it).
  mutating func didWrite(_ id: UInt16, value: Span<UInt8>)
}

/// An application with no live data and no routines.
public struct NoDiagnosticApplication: DiagnosticApplication, Sendable {
  public init() {}
  public func readData(_ id: UInt16, session: UDSSession, into record: inout UDSDataRecord)
    -> Bool
  { false }
  public func routineAccess(_ id: UInt16) -> UDSAccess? { nil }
  public func routineControl(
    _ id: UInt16, _ type: UDSRoutineControlType, options: Span<UInt8>, now_ms: UInt32,
    result: inout UDSDataRecord
  ) -> UDSRoutineOutcome { .rejected(.requestOutOfRange) }
  public func continueRoutine(
    _ id: UInt16, _ type: UDSRoutineControlType, now_ms: UInt32, result: inout UDSDataRecord
  ) -> UDSRoutineOutcome { .rejected(.generalReject) }
  public func didWrite(_ id: UInt16, value: Span<UInt8>) {}
}

/// Identifiers this project assigns (ISO 14229-1 Annex C ranges).
public enum UDSIdentifiers {
  /// vehicleIdentificationNumberDataIdentifier: 17 ASCII bytes.
  public static let vin: UInt16 = 0xF190
  /// ECUSerialNumberDataIdentifier: 16 ASCII bytes.
  public static let ecuSerialNumber: UInt16 = 0xF18C
  /// vehicleManufacturerECUSoftwareVersionNumberDataIdentifier: 8 ASCII bytes.
  public static let softwareVersion: UInt16 = 0xF195
  /// Active calibration (first identifier of the vehicle-manufacturer-specific F1A0...F1EF
  /// range): brand letter (ASCII), calibration set index, calibration version (u16).
  public static let activeCalibration: UInt16 = 0xF1A0
  /// The freeze-frame signals inside a DTC snapshot record: up to 8 IEEE 754 floats.
  public static let freezeFrameSignals: UInt16 = 0xDF00
  /// RoutineControl identifiers of the ECUs (their applications serve them).
  public static let inverterOffsetCalibrationRoutine: UInt16 = 0xFF00
  public static let balancingTestRoutine: UInt16 = 0xFF01
}

extension DataIdentifierTable {
  /// The identification rows every Kairo ECU serves: VIN (writable in the extended session
  /// at security level 1, end of line), serial number and software version (read-only) and
  /// the active calibration (writable in the extended session at level 1). The ECU fills the
  /// values with `setValue`.
  public static func ecuIdentification() -> DataIdentifierTable {
    var table = DataIdentifierTable()
    table.addIdentificationRows()
    return table
  }

  /// Adds the rows of `ecuIdentification()` in place (an ECU filling the table of its
  /// server in static storage, without a copy of the table on the stack).
  public mutating func addIdentificationRows() {
    // Four rows in an empty 16-row table cannot fail.
    try? add(
      DataIdentifier(
        id: UDSIdentifiers.vin, length: 17, writeSessions: .extended, writeSecurityLevel: 1))
    try? add(DataIdentifier(id: UDSIdentifiers.ecuSerialNumber, length: 16))
    try? add(DataIdentifier(id: UDSIdentifiers.softwareVersion, length: 8))
    try? add(
      DataIdentifier(
        id: UDSIdentifiers.activeCalibration, length: 4, writeSessions: .extended,
        writeSecurityLevel: 1))
  }
}

/// The brand-specific SecurityAccess key computation (kept out of the server so each brand
/// ships its own).
public protocol UDSSecurityKeyAlgorithm {
  func key(seed: UInt32, level: UInt8) -> UInt32
}
