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
  /// Wrong keys in a row before SecurityAccess locks out: the last one is answered with
  /// 0x36 and starts the lockout delay.
  public var maxKeyAttempts: UInt8
  /// How long the lockout lasts (seeds and keys are answered with 0x37 meanwhile).
  public var lockoutDelay_ms: UInt32
  /// After power-up seeds are refused with 0x37 for this long, so resetting the ECU does not
  /// speed up key guessing; when the restored attempt counter had reached `maxKeyAttempts`,
  /// the full `lockoutDelay_ms` applies from power-up instead.
  public var bootDelay_ms: UInt32
  /// While a routine answered "pending", 0x78 is repeated this often (below P2*server).
  public var responsePendingInterval_ms: UInt32

  public init(
    sessionTimeout_ms: UInt32 = 5000, p2_ms: UInt16 = 50, p2Extended_ms: UInt32 = 5000,
    securityLevels: UInt8 = 1, maxKeyAttempts: UInt8 = 2, lockoutDelay_ms: UInt32 = 10_000,
    bootDelay_ms: UInt32 = 1000, responsePendingInterval_ms: UInt32 = 2000
  ) {
    self.sessionTimeout_ms = sessionTimeout_ms
    self.p2_ms = p2_ms
    self.p2Extended_ms = p2Extended_ms
    self.securityLevels = securityLevels
    self.maxKeyAttempts = maxKeyAttempts
    self.lockoutDelay_ms = lockoutDelay_ms
    self.bootDelay_ms = bootDelay_ms
    self.responsePendingInterval_ms = responsePendingInterval_ms
    self.maxKeyAttempts = max(maxKeyAttempts, 1)
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

/// CommunicationControl (0x28) state: which message groups the ECU may receive and transmit.
/// The ECU checks it before sending its cyclic application frames; diagnostics themselves are
/// never switched off.
public struct UDSCommunicationState: Equatable, Sendable {
  public var normalReceive = true
  public var normalTransmit = true
  public var networkManagementReceive = true
  public var networkManagementTransmit = true

  public init() {}
}

/// ISO 14229-1 server: DiagnosticSessionControl (0x10) with the S3 timeout, ECUReset (0x11),
/// ClearDiagnosticInformation (0x14), ReadDTCInformation (0x19), ReadDataByIdentifier (0x22)
/// and WriteDataByIdentifier (0x2E) from a table plus the application's live data,
/// SecurityAccess (0x27) with attempt counting, lockout and power-up delay,
/// CommunicationControl (0x28), RoutineControl (0x31) dispatched to the application with
/// response pending (0x78), TesterPresent (0x3E) and ControlDTCSetting (0x85).
///
/// Negative responses are checked in this order: 0x11 service not supported, 0x7F not in
/// this session, 0x12 sub-function not supported (a request too short to carry the
/// sub-function is 0x13 at that point), 0x13 length, 0x22 conditions, 0x24 sequence, 0x31
/// out of range, 0x33 security, 0x35 invalid key, 0x36 attempts exceeded, 0x37 delay not
/// expired, then 0x78 while a routine runs longer than P2. Functionally addressed requests
/// get no 0x11/0x12/0x31/0x7E/0x7F response. The suppress-positive-response bit is honoured
/// on every service with a sub-function (0x10, 0x11, 0x27, 0x28, 0x31, 0x3E, 0x85); 0x19's
/// report types have no such bit, so 0x19 with bit 7 set is 0x12.
public struct UDSServer<Keys: UDSSecurityKeyAlgorithm> {
  public let configuration: UDSServerConfiguration
  public var dataIdentifiers: DataIdentifierTable
  public var dtcs: DTCManager
  public private(set) var session = UDSSession.defaultSession
  /// Unlocked security level, 0 = locked.
  public private(set) var securityLevel: UInt8 = 0
  /// Wrong keys since the last correct one; the ECU persists it (`DiagnosticServer` does)
  /// and hands it back to `init` after a reset.
  public private(set) var failedKeyAttempts: UInt8 = 0
  /// Set whenever `failedKeyAttempts` changed; the persisting side clears it.
  public var failedKeyAttemptsChanged = false
  public private(set) var communication = UDSCommunicationState()
  /// An ECUReset the server answered; the ECU resets once the response is on the bus (the
  /// `DiagnosticServer` waits for the ISO-TP sender) and clears it with `takeResetRequest`.
  public private(set) var resetRequest: UDSResetType?

  private let keys: Keys
  private var seeds: UDSSeedGenerator
  private var lastRequest_ms: UInt32 = 0
  /// The seed sent and the level it was for, until a key answers it.
  private var pendingSeed: UInt32 = 0
  private var pendingLevel: UInt8 = 0
  /// The SecurityAccess delay (lockout or power-up) and when it started.
  private var isDelayActive = true
  private var delayStart_ms: UInt32
  private var delay_ms: UInt32
  /// A routine that answered "pending": what to ask again and when 0x78 was last sent.
  private var pendingRoutine: (id: UInt16, type: UDSRoutineControlType)? = nil
  private var lastPending_ms: UInt32 = 0
  private var routineRecord = UDSDataRecord()

  /// `restoredFailedKeyAttempts` is the persisted counter from before the reset, `now_ms`
  /// the power-up time (the SecurityAccess delay starts there).
  public init(
    configuration: UDSServerConfiguration, keys: Keys, dataIdentifiers: DataIdentifierTable,
    seedEntropy: UInt32, dtcs: DTCManager = DTCManager(), restoredFailedKeyAttempts: UInt8 = 0,
    now_ms: UInt32 = 0
  ) {
    self.configuration = configuration
    self.keys = keys
    self.dataIdentifiers = dataIdentifiers
    self.dtcs = dtcs
    self.seeds = UDSSeedGenerator(entropy: seedEntropy)
    self.failedKeyAttempts = min(restoredFailedKeyAttempts, configuration.maxKeyAttempts)
    self.delayStart_ms = now_ms
    self.delay_ms =
      failedKeyAttempts >= configuration.maxKeyAttempts
      ? configuration.lockoutDelay_ms : configuration.bootDelay_ms
    self.lastRequest_ms = now_ms
  }

  /// True while SecurityAccess answers 0x37.
  public var isSecurityDelayActive: Bool { isDelayActive }

  /// True while a routine is running past its response-pending answer.
  public var isResponsePending: Bool { pendingRoutine != nil }

  /// Falls back to the default session when S3 expired, and ends an expired SecurityAccess
  /// delay.
  public mutating func poll(now_ms: UInt32) {
    // S3 does not run while a response is pending (ISO 14229-2).
    if pendingRoutine != nil { lastRequest_ms = now_ms }
    if session != .defaultSession, now_ms &- lastRequest_ms >= configuration.sessionTimeout_ms {
      enter(.defaultSession)
    }
    if isDelayActive, now_ms &- delayStart_ms >= delay_ms {
      isDelayActive = false
      // One more wrong key after a lockout locks out again at once: the counter is only
      // reset by a correct key.
      if failedKeyAttempts >= configuration.maxKeyAttempts {
        failedKeyAttempts = configuration.maxKeyAttempts - 1
        failedKeyAttemptsChanged = true
      }
    }
  }

  /// Hands the answered reset request to the ECU (once).
  public mutating func takeResetRequest() -> UDSResetType? {
    defer { resetRequest = nil }
    return resetRequest
  }

  /// Handles one request with no application (no live data, no routines).
  public mutating func handle(
    _ request: Span<UInt8>, isFunctional: Bool = false, now_ms: UInt32,
    response: inout UDSResponse
  ) {
    var none = NoDiagnosticApplication()
    handle(
      request, isFunctional: isFunctional, now_ms: now_ms, application: &none,
      response: &response)
  }

  /// Handles one request and writes the response (empty when suppressed).
  public mutating func handle<Application: DiagnosticApplication>(
    _ request: Span<UInt8>, isFunctional: Bool = false, now_ms: UInt32,
    application: inout Application, response: inout UDSResponse
  ) {
    response.clear()
    guard request.count >= 1 else { return }
    poll(now_ms: now_ms)
    lastRequest_ms = now_ms
    let service = request[0]
    var suppressPositive = false
    let outcome: UDSNegativeResponseCode?
    if pendingRoutine != nil, service != 0x3E {
      // One request at a time: the routine in progress still owes its final response.
      outcome = .busyRepeatRequest
    } else {
      switch service {
      case 0x10:
        outcome = sessionControl(request, &response, &suppressPositive)
      case 0x11:
        outcome = ecuReset(request, &response, &suppressPositive)
      case 0x14:
        outcome = clearDiagnosticInformation(request, &response)
      case 0x19:
        outcome = readDTCInformation(request, &response)
      case 0x22:
        outcome = readDataByIdentifier(request, &application, &response)
      case 0x27:
        outcome = securityAccess(request, now_ms: now_ms, &response, &suppressPositive)
      case 0x28:
        outcome = communicationControl(request, &response, &suppressPositive)
      case 0x2E:
        outcome = writeDataByIdentifier(request, &application, &response)
      case 0x31:
        outcome = routineControl(
          request, now_ms: now_ms, &application, &response, &suppressPositive)
      case 0x3E:
        outcome = testerPresent(request, &response, &suppressPositive)
      case 0x85:
        outcome = controlDTCSetting(request, &response, &suppressPositive)
      default:
        outcome = .serviceNotSupported
      }
    }
    if let code = outcome {
      if isFunctional, code.isSuppressedForFunctionalRequests {
        response.clear()
      } else {
        response.setNegative(service: service, code)
      }
      if code == .requestCorrectlyReceivedResponsePending {
        lastPending_ms = now_ms
      }
    } else if suppressPositive {
      response.clear()
    }
  }

  /// While a routine is pending: asks the application again and writes its final response,
  /// or a repeated 0x78 when `responsePendingInterval_ms` passed; else leaves `response`
  /// empty.
  public mutating func pollPending<Application: DiagnosticApplication>(
    now_ms: UInt32, application: inout Application, response: inout UDSResponse
  ) {
    response.clear()
    guard let routine = pendingRoutine else { return }
    lastRequest_ms = now_ms
    routineRecord.clear()
    let outcome = application.continueRoutine(
      routine.id, routine.type, now_ms: now_ms, result: &routineRecord)
    switch outcome {
    case .pending:
      guard now_ms &- lastPending_ms >= configuration.responsePendingInterval_ms else { return }
      lastPending_ms = now_ms
      response.setNegative(service: 0x31, .requestCorrectlyReceivedResponsePending)
    case .completed:
      pendingRoutine = nil
      // After a 0x78 the final positive response is sent even when suppression was asked
      // for (ISO 14229-1, response pending).
      appendRoutineResponse(routine.id, routine.type, &response)
    case .rejected(let code):
      pendingRoutine = nil
      response.setNegative(service: 0x31, code)
    }
  }

  private mutating func enter(_ newSession: UDSSession) {
    if newSession == .defaultSession {
      // Leaving for the default session undoes CommunicationControl and ControlDTCSetting
      // (ISO 14229-1).
      communication = UDSCommunicationState()
      dtcs.isSettingEnabled = true
    }
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

  // MARK: 0x11 ECUReset

  private mutating func ecuReset(
    _ request: Span<UInt8>, _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    guard let type = UDSResetType(rawValue: subFunction(request, &suppress)) else {
      return .subFunctionNotSupported
    }
    guard request.count == 2 else { return .incorrectMessageLengthOrInvalidFormat }
    resetRequest = type
    response.append(0x51)
    response.append(type.rawValue)
    return nil
  }

  // MARK: 0x14 ClearDiagnosticInformation

  private mutating func clearDiagnosticInformation(
    _ request: Span<UInt8>, _ response: inout UDSResponse
  ) -> UDSNegativeResponseCode? {
    guard request.count == 4 else { return .incorrectMessageLengthOrInvalidFormat }
    let group = UInt32(request[1]) &<< 16 | UInt32(request[2]) &<< 8 | UInt32(request[3])
    guard dtcs.clear(group: group) else { return .requestOutOfRange }
    response.append(0x54)
    return nil
  }

  // MARK: 0x19 ReadDTCInformation

  // The request handlers are `mutating` only so that they run in place: a non-mutating
  // method copied the whole server (tables included, ≈ 2 KB) into its frame on Cortex-M.

  private mutating func readDTCInformation(_ request: Span<UInt8>, _ response: inout UDSResponse)
    -> UDSNegativeResponseCode?
  {
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    let reportType = request[1]
    switch reportType {
    case 0x01, 0x02:
      guard request.count == 3 else { return .incorrectMessageLengthOrInvalidFormat }
      let mask = request[2]
      response.append(0x59)
      response.append(reportType)
      response.append(DTCManager.availabilityMask)
      if reportType == 0x01 {
        var matches = 0
        for i in 0..<dtcs.count
        where dtcs.entryInPlace(at: i).status.rawValue & mask & DTCManager.availabilityMask != 0 {
          matches += 1
        }
        response.append(0x01)  // DTCFormatIdentifier: ISO 14229-1 DTC format
        response.append(UInt8(truncatingIfNeeded: matches &>> 8))
        response.append(UInt8(truncatingIfNeeded: matches))
        return nil
      }
      for i in 0..<dtcs.count
      where dtcs.entryInPlace(at: i).status.rawValue & mask & DTCManager.availabilityMask != 0 {
        appendDTC(i, &response)
      }
      return nil
    case 0x04, 0x06:
      guard request.count == 6 else { return .incorrectMessageLengthOrInvalidFormat }
      let number = UInt32(request[2]) &<< 16 | UInt32(request[3]) &<< 8 | UInt32(request[4])
      let record = request[5]
      guard let i = dtcs.indexInPlace(of: number) else { return .requestOutOfRange }
      response.append(0x59)
      response.append(reportType)
      appendDTC(i, &response)
      return reportType == 0x04
        ? appendSnapshot(i, record: record, &response)
        : appendExtendedData(i, record: record, &response)
    default:
      return .subFunctionNotSupported
    }
  }

  private mutating func appendDTC(_ i: Int, _ response: inout UDSResponse) {
    let entry = dtcs.entryInPlace(at: i)
    let number = entry.definition.number
    response.append(UInt8(truncatingIfNeeded: number &>> 16))
    response.append(UInt8(truncatingIfNeeded: number &>> 8))
    response.append(UInt8(truncatingIfNeeded: number))
    response.append(entry.status.rawValue)
  }

  /// Snapshot record 0x01 (0xFF = all records): one identifier, 0xDF00, with the eight
  /// freeze-frame floats big-endian. No record when none was captured.
  private mutating func appendSnapshot(_ i: Int, record: UInt8, _ response: inout UDSResponse)
    -> UDSNegativeResponseCode?
  {
    guard record == 0x01 || record == 0xFF else { return .requestOutOfRange }
    let entry = dtcs.entryInPlace(at: i)
    guard entry.hasFreezeFrame else { return nil }
    let frame = entry.freezeFrame
    response.append(0x01)
    response.append(0x01)  // DTCSnapshotRecordNumberOfIdentifiers
    response.append(UInt8(truncatingIfNeeded: UDSIdentifiers.freezeFrameSignals &>> 8))
    response.append(UInt8(truncatingIfNeeded: UDSIdentifiers.freezeFrameSignals))
    for s in 0..<FreezeFrame.signalCount {
      let bits = frame.signals[s].bitPattern
      response.append(UInt8(truncatingIfNeeded: bits &>> 24))
      response.append(UInt8(truncatingIfNeeded: bits &>> 16))
      response.append(UInt8(truncatingIfNeeded: bits &>> 8))
      response.append(UInt8(truncatingIfNeeded: bits))
    }
    return nil
  }

  /// Extended data record 0x01 occurrence counter, 0x02 aging counter (failure-free cycles);
  /// 0xFF = both.
  private mutating func appendExtendedData(_ i: Int, record: UInt8, _ response: inout UDSResponse)
    -> UDSNegativeResponseCode?
  {
    let entry = dtcs.entryInPlace(at: i)
    switch record {
    case 0x01:
      response.append(0x01)
      response.append(entry.occurrences)
    case 0x02:
      response.append(0x02)
      response.append(entry.failureFreeCycles)
    case 0xFF:
      response.append(0x01)
      response.append(entry.occurrences)
      response.append(0x02)
      response.append(entry.failureFreeCycles)
    default:
      return .requestOutOfRange
    }
    return nil
  }

  // MARK: 0x22 ReadDataByIdentifier

  /// At most this many identifiers per request (ISO 14229-1 lets the server limit it; more
  /// is a length error).
  public static var maxIdentifiersPerRead: Int { 8 }

  private mutating func readDataByIdentifier<Application: DiagnosticApplication>(
    _ request: Span<UInt8>, _ application: inout Application, _ response: inout UDSResponse
  ) -> UDSNegativeResponseCode? {
    let identifiers = (request.count - 1) / 2
    guard request.count >= 3, (request.count - 1) % 2 == 0,
      identifiers <= Self.maxIdentifiersPerRead
    else { return .incorrectMessageLengthOrInvalidFormat }
    response.append(0x62)
    var served = 0
    var live = UDSDataRecord()
    for n in 0..<identifiers {
      let id = UInt16(request[1 + 2 * n]) &<< 8 | UInt16(request[2 + 2 * n])
      // Identifiers not readable in this session are skipped; only if none is left the
      // request is out of range (ISO 14229-1 ReadDataByIdentifier).
      if let i = dataIdentifiers.index(of: id) {
        let entry = dataIdentifiers.entry(at: i)
        guard entry.readSessions.contains(session) else { continue }
        guard response.count + 2 + entry.length <= UDSResponse.capacity else {
          return .responseTooLong
        }
        response.append(request[1 + 2 * n])
        response.append(request[2 + 2 * n])
        dataIdentifiers.appendValue(at: i, to: &response)
        served += 1
        continue
      }
      live.clear()
      guard application.readData(id, session: session, into: &live) else { continue }
      guard response.count + 2 + live.count <= UDSResponse.capacity else {
        return .responseTooLong
      }
      response.append(request[1 + 2 * n])
      response.append(request[2 + 2 * n])
      for k in 0..<live.count { response.append(live[k]) }
      served += 1
    }
    return served == 0 ? .requestOutOfRange : nil
  }

  // MARK: 0x2E WriteDataByIdentifier

  private mutating func writeDataByIdentifier<Application: DiagnosticApplication>(
    _ request: Span<UInt8>, _ application: inout Application, _ response: inout UDSResponse
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
    application.didWrite(id, value: request.extracting(3..<request.count))
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
    // Already unlocked at this level: the seed is all zeros (ISO 14229-1).
    let isUnlocked = securityLevel == level
    guard isUnlocked || !isDelayActive else { return .requiredTimeDelayNotExpired }
    let seed = isUnlocked ? 0 : seeds.next()
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
    guard !isDelayActive else { return .requiredTimeDelayNotExpired }
    let key =
      UInt32(request[2]) &<< 24 | UInt32(request[3]) &<< 16 | UInt32(request[4]) &<< 8
      | UInt32(request[5])
    let expected = keys.key(seed: pendingSeed, level: level)
    // A seed answers one key, right or wrong: no guessing several keys per seed.
    pendingLevel = 0
    guard key == expected else {
      failedKeyAttempts = min(failedKeyAttempts + 1, configuration.maxKeyAttempts)
      failedKeyAttemptsChanged = true
      guard failedKeyAttempts >= configuration.maxKeyAttempts else { return .invalidKey }
      isDelayActive = true
      delayStart_ms = now_ms
      delay_ms = configuration.lockoutDelay_ms
      return .exceededNumberOfAttempts
    }
    if failedKeyAttempts != 0 {
      failedKeyAttempts = 0
      failedKeyAttemptsChanged = true
    }
    securityLevel = level
    response.append(0x67)
    response.append(function)
    return nil
  }

  // MARK: 0x28 CommunicationControl

  private mutating func communicationControl(
    _ request: Span<UInt8>, _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard session != .defaultSession else { return .serviceNotSupportedInActiveSession }
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    let control = subFunction(request, &suppress)
    // 0x00...0x03: enable/disable receive and transmit; the node-addressed 0x04/0x05 are not
    // served.
    guard control <= 0x03 else { return .subFunctionNotSupported }
    guard request.count == 3 else { return .incorrectMessageLengthOrInvalidFormat }
    let type = request[2]
    // Bits 0-1: 1 normal, 2 network management, 3 both; bits 4-7: subnet, 0 = all. Only
    // "all subnets" is served.
    guard type & 0x03 != 0, type & 0xFC == 0 else { return .requestOutOfRange }
    let receive = control == 0x00 || control == 0x01
    let transmit = control == 0x00 || control == 0x02
    if type & 0x01 != 0 {
      communication.normalReceive = receive
      communication.normalTransmit = transmit
    }
    if type & 0x02 != 0 {
      communication.networkManagementReceive = receive
      communication.networkManagementTransmit = transmit
    }
    response.append(0x68)
    response.append(control)
    return nil
  }

  // MARK: 0x31 RoutineControl

  private mutating func routineControl<Application: DiagnosticApplication>(
    _ request: Span<UInt8>, now_ms: UInt32, _ application: inout Application,
    _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard session != .defaultSession else { return .serviceNotSupportedInActiveSession }
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    guard let type = UDSRoutineControlType(rawValue: subFunction(request, &suppress)) else {
      return .subFunctionNotSupported
    }
    guard request.count >= 4 else { return .incorrectMessageLengthOrInvalidFormat }
    let id = UInt16(request[2]) &<< 8 | UInt16(request[3])
    guard let access = application.routineAccess(id), access.sessions.contains(session) else {
      return .requestOutOfRange
    }
    guard access.securityLevel == 0 || securityLevel == access.securityLevel else {
      return .securityAccessDenied
    }
    routineRecord.clear()
    let outcome = application.routineControl(
      id, type, options: request.extracting(4..<request.count), now_ms: now_ms,
      result: &routineRecord)
    switch outcome {
    case .completed:
      appendRoutineResponse(id, type, &response)
      return nil
    case .pending:
      pendingRoutine = (id, type)
      return .requestCorrectlyReceivedResponsePending
    case .rejected(let code):
      return code
    }
  }

  private mutating func appendRoutineResponse(
    _ id: UInt16, _ type: UDSRoutineControlType, _ response: inout UDSResponse
  ) {
    response.append(0x71)
    response.append(type.rawValue)
    response.append(UInt8(truncatingIfNeeded: id &>> 8))
    response.append(UInt8(truncatingIfNeeded: id))
    for k in 0..<routineRecord.count { response.append(routineRecord[k]) }
  }

  // MARK: 0x3E TesterPresent

  private mutating func testerPresent(
    _ request: Span<UInt8>, _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    guard subFunction(request, &suppress) == 0x00 else { return .subFunctionNotSupported }
    guard request.count == 2 else { return .incorrectMessageLengthOrInvalidFormat }
    response.append(0x7E)
    response.append(0x00)
    return nil
  }

  // MARK: 0x85 ControlDTCSetting

  private mutating func controlDTCSetting(
    _ request: Span<UInt8>, _ response: inout UDSResponse, _ suppress: inout Bool
  ) -> UDSNegativeResponseCode? {
    guard session != .defaultSession else { return .serviceNotSupportedInActiveSession }
    guard request.count >= 2 else { return .incorrectMessageLengthOrInvalidFormat }
    let setting = subFunction(request, &suppress)
    guard setting == 0x01 || setting == 0x02 else { return .subFunctionNotSupported }
    // Optional DTCSettingControlOptionRecord: only the group of all DTCs.
    guard request.count == 2 || request.count == 5 else {
      return .incorrectMessageLengthOrInvalidFormat
    }
    if request.count == 5, request[2] != 0xFF || request[3] != 0xFF || request[4] != 0xFF {
      return .requestOutOfRange
    }
    dtcs.isSettingEnabled = setting == 0x01
    response.append(0xC5)
    response.append(setting)
    return nil
  }
}

extension UDSServer: Sendable where Keys: Sendable {}
