/// ISO 14229-1 negative response codes used by the server.
public enum UDSNegativeResponseCode: UInt8, Sendable {
  case generalReject = 0x10
  case serviceNotSupported = 0x11
  case subFunctionNotSupported = 0x12
  case incorrectMessageLengthOrInvalidFormat = 0x13
  case responseTooLong = 0x14
  case conditionsNotCorrect = 0x22
  case requestSequenceError = 0x24
  case requestOutOfRange = 0x31
  case securityAccessDenied = 0x33
  case invalidKey = 0x35
  case exceededNumberOfAttempts = 0x36
  case requiredTimeDelayNotExpired = 0x37
  case serviceNotSupportedInActiveSession = 0x7F

  /// ISO 14229-1: a functionally addressed request gets no negative response with these
  /// codes (the request was for some other ECU's services).
  var isSuppressedForFunctionalRequests: Bool {
    switch self {
    case .serviceNotSupported, .subFunctionNotSupported, .requestOutOfRange,
      .serviceNotSupportedInActiveSession:
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

  /// Calls `body` with the response bytes, e.g. to hand them to the ISO-TP sender.
  public func withBytes<Result>(_ body: (Span<UInt8>) -> Result) -> Result {
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

/// The brand-specific SecurityAccess key computation (kept out of the server so each brand
/// ships its own).
public protocol UDSSecurityKeyAlgorithm {
  func key(seed: UInt32, level: UInt8) -> UInt32
}
