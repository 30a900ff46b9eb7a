/// Timing and SecurityAccess parameters of the server.
public struct UDSServerConfiguration: Sendable {
  /// S3server: a non-default session falls back to the default session after this long
  /// without a request (ISO 14229-2: 5000 ms).
  public var sessionTimeout_ms: UInt32
  /// P2server and P2*server reported in the DiagnosticSessionControl response.
  public var p2_ms: UInt16
  public var p2Extended_ms: UInt32
  /// Security levels 1...n are served (sub-functions 0x01...2n).
  public var securityLevels: UInt8
  /// Wrong keys in a row before SecurityAccess locks out.
  public var maxKeyAttempts: UInt8
  /// How long the lockout lasts.
  public var lockoutDelay_ms: UInt32

  public init(
    sessionTimeout_ms: UInt32 = 5000, p2_ms: UInt16 = 50, p2Extended_ms: UInt32 = 5000,
    securityLevels: UInt8 = 1, maxKeyAttempts: UInt8 = 3, lockoutDelay_ms: UInt32 = 10_000
  ) {
    self.sessionTimeout_ms = sessionTimeout_ms
    self.p2_ms = p2_ms
    self.p2Extended_ms = p2Extended_ms
    self.securityLevels = securityLevels
    self.maxKeyAttempts = maxKeyAttempts
    self.lockoutDelay_ms = lockoutDelay_ms
  }
}

/// Seeds for SecurityAccess: xorshift32, whose sequence from a non-zero state visits every
/// non-zero 32-bit value once before repeating, so a seed is never 0 (0 means "already
/// unlocked" on the wire) and never repeats within 2^32 − 1 requests. The initial state must
/// differ per ECU and power cycle (unique ID mixed with a boot counter), or seeds would
/// replay across resets.
public struct UDSSeedGenerator: Sendable {
  private var state: UInt32

  public init(entropy: UInt32) {
    state = entropy == 0 ? 0x6D2B_79F5 : entropy
  }

  public mutating func next() -> UInt32 {
    state ^= state &<< 13
    state ^= state &>> 17
    state ^= state &<< 5
    return state
  }
}

/// ISO 14229-1 server core: DiagnosticSessionControl (0x10) with the S3 timeout,
/// TesterPresent (0x3E), ReadDataByIdentifier (0x22), WriteDataByIdentifier (0x2E) from a
/// table, and SecurityAccess (0x27) with attempt counting and lockout.
///
/// Negative responses are checked in this order: 0x11 service not supported, 0x7F not in
/// this session, 0x12 sub-function not supported (a request too short to carry the
/// sub-function is 0x13 at that point), 0x13 length, 0x22 conditions, 0x24 sequence, 0x31
/// out of range, 0x33 security, 0x35 invalid key, 0x36 attempts exceeded, 0x37 delay not
/// expired. Functionally addressed requests get no 0x11/0x12/0x31/0x7F response.
public struct UDSServer<Keys: UDSSecurityKeyAlgorithm> {
  public let configuration: UDSServerConfiguration
  public var dataIdentifiers: DataIdentifierTable
  public private(set) var session = UDSSession.defaultSession
  /// Unlocked security level, 0 = locked.
  public private(set) var securityLevel: UInt8 = 0

  private let keys: Keys
  private var seeds: UDSSeedGenerator
  private var lastRequest_ms: UInt32 = 0
  /// The seed sent and the level it was for, until a key answers it.
  private var pendingSeed: UInt32 = 0
  private var pendingLevel: UInt8 = 0
  private var failedAttempts: UInt8 = 0
  private var isLockedOut = false
  private var lockoutStart_ms: UInt32 = 0

  public init(
    configuration: UDSServerConfiguration, keys: Keys, dataIdentifiers: DataIdentifierTable,
    seedEntropy: UInt32
  ) {
    self.configuration = configuration
    self.keys = keys
    self.dataIdentifiers = dataIdentifiers
    self.seeds = UDSSeedGenerator(entropy: seedEntropy)
  }

  /// Falls back to the default session when S3 expired, and ends an expired lockout.
  public mutating func poll(now_ms: UInt32) {
    if session != .defaultSession, now_ms &- lastRequest_ms >= configuration.sessionTimeout_ms {
      enter(.defaultSession)
    }
    if isLockedOut, now_ms &- lockoutStart_ms >= configuration.lockoutDelay_ms {
      isLockedOut = false
      failedAttempts = 0
    }
  }

  /// Handles one request and writes the response (empty when suppressed).
  public mutating func handle(
    _ request: Span<UInt8>, isFunctional: Bool = false, now_ms: UInt32,
    response: inout UDSResponse
  ) {
    response.clear()
    guard request.count >= 1 else { return }
    poll(now_ms: now_ms)
    lastRequest_ms = now_ms
    let service = request[0]
    var suppressPositive = false
    let outcome: UDSNegativeResponseCode?
    switch service {
    case 0x10:
      outcome = sessionControl(request, &response, &suppressPositive)
    case 0x3E:
      outcome = testerPresent(request, &response, &suppressPositive)
    case 0x22:
      outcome = readDataByIdentifier(request, &response)
    case 0x2E:
      outcome = writeDataByIdentifier(request, &response)
    case 0x27:
      outcome = securityAccess(request, now_ms: now_ms, &response, &suppressPositive)
    default:
      outcome = .serviceNotSupported
    }
    if let code = outcome {
      if isFunctional, code.isSuppressedForFunctionalRequests {
        response.clear()
      } else {
        response.setNegative(service: service, code)
      }
    } else if suppressPositive {
      response.clear()
    }
  }

  private mutating func enter(_ newSession: UDSSession) {
    session = newSession
    // Every session change relocks (ISO 14229-1 SecurityAccess).
    securityLevel = 0
    pendingLevel = 0
  }

  private func subFunction(_ request: Span<UInt8>, _ suppress: inout Bool) -> UInt8 {
    suppress = request[1] & 0x80 != 0
    return request[1] & 0x7F
  }

  // MARK: 0x10 DiagnosticSessionControl

  private mutating func sessionControl(
    _ request: Span<UInt8>, _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    guard let target = UDSSession(rawValue: subFunction(request, &suppress)) else {
      return .subFunctionNotSupported
    }
    guard request.count == 2 else { return .incorrectMessageLengthOrInvalidFormat }
    // Programming is entered from the extended session only.
    if target == .programming, session == .defaultSession { return .conditionsNotCorrect }
    enter(target)
    let p2Extended = configuration.p2Extended_ms / 10
    response.append(0x50)
    response.append(target.rawValue)
    response.append(UInt8(truncatingIfNeeded: configuration.p2_ms &>> 8))
    response.append(UInt8(truncatingIfNeeded: configuration.p2_ms))
    response.append(UInt8(truncatingIfNeeded: p2Extended &>> 8))
    response.append(UInt8(truncatingIfNeeded: p2Extended))
    return nil
  }

  // MARK: 0x3E TesterPresent

  private func testerPresent(
    _ request: Span<UInt8>, _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    guard subFunction(request, &suppress) == 0x00 else { return .subFunctionNotSupported }
    guard request.count == 2 else { return .incorrectMessageLengthOrInvalidFormat }
    response.append(0x7E)
    response.append(0x00)
    return nil
  }

  // MARK: 0x22 ReadDataByIdentifier

  /// At most this many identifiers per request (ISO 14229-1 lets the server limit it; more
  /// is a length error).
  public static var maxIdentifiersPerRead: Int { 8 }

  private func readDataByIdentifier(_ request: Span<UInt8>, _ response: inout UDSResponse)
    -> UDSNegativeResponseCode?
  {
    let identifiers = (request.count - 1) / 2
    guard request.count >= 3, (request.count - 1) % 2 == 0,
      identifiers <= Self.maxIdentifiersPerRead
    else { return .incorrectMessageLengthOrInvalidFormat }
    response.append(0x62)
    var served = 0
    for n in 0..<identifiers {
      let id = UInt16(request[1 + 2 * n]) &<< 8 | UInt16(request[2 + 2 * n])
      // Identifiers not readable in this session are skipped; only if none is left the
      // request is out of range (ISO 14229-1 ReadDataByIdentifier).
      guard let i = dataIdentifiers.index(of: id),
        dataIdentifiers.entry(at: i).readSessions.contains(session)
      else { continue }
      let entry = dataIdentifiers.entry(at: i)
      guard response.count + 2 + entry.length <= UDSResponse.capacity else {
        return .responseTooLong
      }
      response.append(request[1 + 2 * n])
      response.append(request[2 + 2 * n])
      for k in 0..<entry.length { response.append(dataIdentifiers.value(at: i, byte: k)) }
      served += 1
    }
    return served == 0 ? .requestOutOfRange : nil
  }

  // MARK: 0x2E WriteDataByIdentifier

  private mutating func writeDataByIdentifier(
    _ request: Span<UInt8>, _ response: inout UDSResponse
  ) -> UDSNegativeResponseCode? {
    guard request.count >= 4 else { return .incorrectMessageLengthOrInvalidFormat }
    let id = UInt16(request[1]) &<< 8 | UInt16(request[2])
    let index = dataIdentifiers.index(of: id)
    if let index, request.count != 3 + dataIdentifiers.entry(at: index).length {
      return .incorrectMessageLengthOrInvalidFormat
    }
    guard let index, dataIdentifiers.entry(at: index).writeSessions.contains(session) else {
      return .requestOutOfRange
    }
    let needed = dataIdentifiers.entry(at: index).writeSecurityLevel
    guard needed == 0 || securityLevel == needed else { return .securityAccessDenied }
    dataIdentifiers.setValue(at: index, from: request, offset: 3)
    response.append(0x6E)
    response.append(request[1])
    response.append(request[2])
    return nil
  }

  // MARK: 0x27 SecurityAccess

  private mutating func securityAccess(
    _ request: Span<UInt8>, now_ms: UInt32, _ response: inout UDSResponse,
    _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard session != .defaultSession else { return .serviceNotSupportedInActiveSession }
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    let function = subFunction(request, &suppress)
    let level = (function + 1) / 2
    guard function >= 1, level <= configuration.securityLevels else {
      return .subFunctionNotSupported
    }
    let isRequestSeed = function % 2 == 1
    guard request.count == (isRequestSeed ? 2 : 6) else {
      return .incorrectMessageLengthOrInvalidFormat
    }
    return isRequestSeed
      ? requestSeed(level: level, function, &response)
      : sendKey(level: level, request, function, now_ms: now_ms, &response)
  }

  private mutating func requestSeed(
    level: UInt8, _ function: UInt8, _ response: inout UDSResponse
  ) -> UDSNegativeResponseCode? {
    guard !isLockedOut else { return .requiredTimeDelayNotExpired }
    // Already unlocked at this level: the seed is all zeros (ISO 14229-1).
    let seed = securityLevel == level ? 0 : seeds.next()
    pendingSeed = seed
    pendingLevel = seed == 0 ? 0 : level
    response.append(0x67)
    response.append(function)
    response.append(UInt8(truncatingIfNeeded: seed &>> 24))
    response.append(UInt8(truncatingIfNeeded: seed &>> 16))
    response.append(UInt8(truncatingIfNeeded: seed &>> 8))
    response.append(UInt8(truncatingIfNeeded: seed))
    return nil
  }

  private mutating func sendKey(
    level: UInt8, _ request: Span<UInt8>, _ function: UInt8, now_ms: UInt32,
    _ response: inout UDSResponse
  ) -> UDSNegativeResponseCode? {
    guard pendingLevel != 0, pendingLevel == level else { return .requestSequenceError }
    let key =
      UInt32(request[2]) &<< 24 | UInt32(request[3]) &<< 16 | UInt32(request[4]) &<< 8
      | UInt32(request[5])
    let expected = keys.key(seed: pendingSeed, level: level)
    // A seed answers one key, right or wrong: no guessing several keys per seed.
    pendingLevel = 0
    guard key == expected else {
      failedAttempts += 1
      guard failedAttempts >= configuration.maxKeyAttempts else { return .invalidKey }
      isLockedOut = true
      lockoutStart_ms = now_ms
      return .exceededNumberOfAttempts
    }
    failedAttempts = 0
    securityLevel = level
    response.append(0x67)
    response.append(function)
    return nil
  }
}

extension UDSServer: Sendable where Keys: Sendable {}
