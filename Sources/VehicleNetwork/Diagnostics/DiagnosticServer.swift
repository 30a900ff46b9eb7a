import ControlMath
import Platform

/// Addresses, transport and server parameters of one ECU's diagnostic server.
public struct DiagnosticServerConfiguration: Sendable {
  /// Physically addressed requests arrive here (e.g. 0x7E0)...
  public var physicalRequestID: UInt32
  /// ...and every response leaves here (e.g. 0x7E8).
  public var responseID: UInt32
  /// Functionally addressed requests (single frames only, ISO 15765-2), 0x7DF on 11-bit CAN.
  public var functionalRequestID: UInt32
  public var isoTp: IsoTpConfiguration
  public var uds: UDSServerConfiguration
  /// Where the security record (8 bytes) and the DTC record (`DTCManager.recordSize` bytes)
  /// live in the non-volatile store.
  public var securityRecordOffset: Int
  public var dtcRecordOffset: Int

  public init(
    physicalRequestID: UInt32, responseID: UInt32, functionalRequestID: UInt32 = 0x7DF,
    uds: UDSServerConfiguration = UDSServerConfiguration(), padding: UInt8? = 0xCC,
    securityRecordOffset: Int = 0, dtcRecordOffset: Int = 16
  ) {
    self.physicalRequestID = physicalRequestID
    self.responseID = responseID
    self.functionalRequestID = functionalRequestID
    self.isoTp = IsoTpConfiguration(
      transmitID: responseID, receiveID: physicalRequestID, padding: padding)
    self.uds = uds
    self.securityRecordOffset = securityRecordOffset
    self.dtcRecordOffset = dtcRecordOffset
  }

  /// The inverter's addresses (0x7E0 / 0x7E8).
  public static var inverter: DiagnosticServerConfiguration {
    DiagnosticServerConfiguration(physicalRequestID: 0x7E0, responseID: 0x7E8)
  }

  /// The BMS's addresses (0x7E1 / 0x7E9).
  public static var battery: DiagnosticServerConfiguration {
    DiagnosticServerConfiguration(physicalRequestID: 0x7E1, responseID: 0x7E9)
  }
}

/// What `restore` found in the non-volatile store.
public struct DiagnosticRestoreResult: Equatable, Sendable {
  /// The security record: valid, erased (all 0xFF: a new ECU, the counter starts at 0) or
  /// corrupt (the counter starts at its maximum).
  public var securityRecord: DiagnosticRecordState
  /// The DTC record was valid (else every DTC starts cleared).
  public var dtcRecordValid: Bool

  public init(securityRecord: DiagnosticRecordState, dtcRecordValid: Bool) {
    self.securityRecord = securityRecord
    self.dtcRecordValid = dtcRecordValid
  }
}

public enum DiagnosticRecordState: Equatable, Sendable {
  case valid
  case erased
  case corrupt
}

/// A complete UDS-on-CAN diagnostic server an ECU embeds: the ISO-TP endpoint on the physical
/// request/response identifiers, single-frame functional requests on 0x7DF, the UDS server
/// with its DTC manager, and the persistence of the SecurityAccess attempt counter and the DTC
/// record. Generic over the ECU's `DiagnosticApplication` (live data, routines) and its key
/// algorithm: no closures, no existentials, no heap.
///
/// Embedding, per ECU:
///
///     var diagnostics = DiagnosticServer(
///       configuration: .inverter, application: InverterDiagnostics(),
///       keys: XTEASecurityKeyAlgorithm.development,
///       dataIdentifiers: .ecuIdentification(), dtcs: inverterDTCTable, now_ms: now)
///     diagnostics.restore(from: store, now_ms: now, entropy: uniqueID)  // once at power-up
///     diagnostics.dtcs.startOperationCycle()
///     // every received CAN frame:
///     diagnostics.receive(frame, now_ms: now)
///     // every few milliseconds:
///     while let frame = diagnostics.poll(now_ms: now) { can.transmit(frame) }
///     diagnostics.persist(into: &store)
///     if let reset = diagnostics.takeResetRequest() { /* reset the MCU */ }
public struct DiagnosticServer<Application: DiagnosticApplication, Keys: UDSSecurityKeyAlgorithm> {
  public static var outboxCapacity: Int { 4 }
  static var securityRecordSize: Int { 8 }

  public let configuration: DiagnosticServerConfiguration
  public var application: Application
  public var uds: UDSServer<Keys>
  /// 264-byte buffers: the longest request served is a 0x2E of the largest table row (3 +
  /// 256 bytes), the longest response `UDSResponse.capacity` (256); a longer first frame is
  /// refused with flow status overflow. 528 bytes of RAM instead of 8 KiB at the full ISO-TP
  /// size.
  public private(set) var endpoint: BoundedIsoTpEndpoint<264>
  /// Responses that could not be queued because the sender was still busy and the next one
  /// replaced them (a tester waits for each response, so this counts protocol violations).
  public private(set) var responsesDropped: UInt32 = 0
  /// Power-ups counted in the security record; it is mixed into the seed generator's state so
  /// that seeds differ after every reset.
  public private(set) var bootCount: UInt16 = 0

  private var response = UDSResponse()
  private var hasQueuedResponse = false
  private var outbox = [4 of CANFrame](repeating: CANFrame(id: 0, length: 0))
  private var outboxHead = 0
  private var outboxCount = 0
  private var resetAfterTransmit: UDSResetType?
  private var resetReady: UDSResetType?
  private var keys: Keys
  private var bootTime_ms: UInt32

  public init(
    configuration: DiagnosticServerConfiguration, application: Application, keys: Keys,
    dataIdentifiers: DataIdentifierTable, dtcs: DTCManager = DTCManager(),
    seedEntropy: UInt32 = 0, now_ms: UInt32 = 0
  ) {
    self.configuration = configuration
    self.application = application
    self.keys = keys
    self.bootTime_ms = now_ms
    self.endpoint = BoundedIsoTpEndpoint(configuration: configuration.isoTp)
    self.uds = UDSServer(
      configuration: configuration.uds, keys: keys, dataIdentifiers: dataIdentifiers,
      seedEntropy: seedEntropy, dtcs: dtcs, now_ms: now_ms)
  }

  /// The DTC manager (report test results and operation cycles through it). Accessed in
  /// place: a get/set pair would copy the whole table twice per report.
  public var dtcs: DTCManager {
    _read { yield uds.dtcs }
    _modify { yield &uds.dtcs }
  }

  // MARK: Persistence

  /// Reads the security and DTC records once at power-up and restarts the UDS server with the
  /// persisted attempt counter (the power-up delay starts at `now_ms`). A corrupt security
  /// record counts as "attempts exhausted": cutting power while the record is written must not
  /// reset the counter, so the full lockout delay runs from power-up. An erased one (every
  /// byte 0xFF, never written) is a new ECU and starts at 0.
  @discardableResult
  public mutating func restore(
    from store: some NonVolatileStore, now_ms: UInt32, entropy: UInt32 = 0
  ) -> DiagnosticRestoreResult {
    let base = configuration.securityRecordOffset
    var attempts = configuration.uds.maxKeyAttempts
    var security = DiagnosticRecordState.corrupt
    if base >= 0, base + Self.securityRecordSize <= store.capacity {
      var erased = true
      for k in 0..<Self.securityRecordSize where store.read(at: base + k) != 0xFF {
        erased = false
      }
      if erased {
        security = .erased
        attempts = 0
      }
      var crc = CRC16IBM3740()
      for k in 0..<6 { crc.update(store.read(at: base + k)) }
      let stored = UInt16(store.read(at: base + 6)) &<< 8 | UInt16(store.read(at: base + 7))
      if crc.finish() == stored, store.read(at: base) == 0x4B, store.read(at: base + 1) == 0x53,
        store.read(at: base + 2) == 1
      {
        security = .valid
        attempts = store.read(at: base + 3)
        bootCount = UInt16(store.read(at: base + 4)) &<< 8 | UInt16(store.read(at: base + 5))
      }
    }
    bootCount &+= 1
    var dtcs = uds.dtcs
    let dtcValid = dtcs.restore(from: store, at: configuration.dtcRecordOffset)
    // Seeds: the ECU's entropy (unique ID) mixed with the persisted boot counter, through one
    // XTEA block so neighbouring boot counts give unrelated generator states.
    let mixed = XTEASecurityKeyAlgorithm.encrypt(
      entropy, UInt32(bootCount), secret: XTEASecurityKeyAlgorithm.developmentSecret)
    uds = UDSServer(
      configuration: configuration.uds, keys: keys, dataIdentifiers: uds.dataIdentifiers,
      seedEntropy: mixed.0 ^ mixed.1, dtcs: dtcs, restoredFailedKeyAttempts: attempts,
      now_ms: now_ms)
    uds.failedKeyAttemptsChanged = true  // the boot counter changed
    bootTime_ms = now_ms
    return DiagnosticRestoreResult(securityRecord: security, dtcRecordValid: dtcValid)
  }

  /// Writes whichever record changed since the last call; cheap when nothing did. Call it
  /// after `poll` (the attempt counter must be stored before the tester can cause a reset).
  public mutating func persist(into store: inout some NonVolatileStore) {
    persistSecurityRecord(into: &store)
    if uds.dtcs.needsSaving {
      uds.dtcs.save(to: &store, at: configuration.dtcRecordOffset)
    }
  }

  /// As `persist`, but the DTC record goes out `dtcBytes` bytes per call
  /// (`DTCManager.saveSlice`), for an ECU whose job cannot take the whole record at once; a
  /// pass starts only when `startDTCPass` (e.g. a rate limit) and the record changed.
  public mutating func persist(
    into store: inout some NonVolatileStore, dtcBytes: Int, startDTCPass: Bool
  ) {
    persistSecurityRecord(into: &store)
    if uds.dtcs.isSavingInSlices || (startDTCPass && uds.dtcs.needsSaving) {
      uds.dtcs.saveSlice(to: &store, at: configuration.dtcRecordOffset, bytes: dtcBytes)
    }
  }

  private mutating func persistSecurityRecord(into store: inout some NonVolatileStore) {
    if uds.failedKeyAttemptsChanged {
      let base = configuration.securityRecordOffset
      var record = [8 of UInt8](repeating: 0)
      record[0] = 0x4B
      record[1] = 0x53
      record[2] = 1
      record[3] = uds.failedKeyAttempts
      record[4] = UInt8(truncatingIfNeeded: bootCount &>> 8)
      record[5] = UInt8(truncatingIfNeeded: bootCount)
      var crc = CRC16IBM3740()
      for k in 0..<6 { crc.update(record[k]) }
      let checksum = crc.finish()
      record[6] = UInt8(truncatingIfNeeded: checksum &>> 8)
      record[7] = UInt8(truncatingIfNeeded: checksum)
      var complete = true
      for k in 0..<Self.securityRecordSize where !store.write(record[k], at: base + k) {
        complete = false
      }
      if complete { uds.failedKeyAttemptsChanged = false }
    }
  }

  // MARK: CAN

  /// Takes one received CAN frame; frames on other identifiers are ignored.
  public mutating func receive(_ frame: CANFrame, now_ms: UInt32) {
    guard !frame.isExtended || configuration.isoTp.isExtendedID else { return }
    if frame.id == configuration.functionalRequestID,
      frame.isExtended == configuration.isoTp.isExtendedID
    {
      receiveFunctional(frame, now_ms: now_ms)
      return
    }
    switch endpoint.receive(frame, now_ms: now_ms) {
    case .nothing:
      break
    case .sendFlowControl(let flowControl):
      enqueue(flowControl)
    case .messageComplete:
      endpoint.receiver.withMessage { request in
        uds.handle(
          request, isFunctional: false, now_ms: now_ms, application: &application,
          response: &response)
      }
      responseBuilt(now_ms: now_ms)
    }
  }

  /// A functional request is a single frame (ISO 15765-2 forbids segmenting it); anything else
  /// on 0x7DF is ignored.
  private mutating func receiveFunctional(_ frame: CANFrame, now_ms: UInt32) {
    guard frame.length >= 2, frame.data[0] >> 4 == 0 else { return }
    let length = Int(frame.data[0] & 0x0F)
    guard length >= 1, length <= IsoTp.singleFrameCapacity, length < Int(frame.length) else {
      return
    }
    var request = [7 of UInt8](repeating: 0)
    for i in 0..<length { request[i] = frame.data[1 + i] }
    uds.handle(
      request.span.extracting(0..<length), isFunctional: true, now_ms: now_ms,
      application: &application, response: &response)
    responseBuilt(now_ms: now_ms)
  }

  private mutating func responseBuilt(now_ms: UInt32) {
    if let reset = uds.takeResetRequest() { resetAfterTransmit = reset }
    guard !response.isEmpty else { return }
    if hasQueuedResponse { responsesDropped &+= 1 }
    hasQueuedResponse = true
    startQueuedResponse(now_ms: now_ms)
  }

  private mutating func startQueuedResponse(now_ms: UInt32) {
    guard hasQueuedResponse, !endpoint.sender.isBusy else { return }
    hasQueuedResponse = false
    let first = response.withBytes { bytes in
      try? endpoint.send(bytes, now_ms: now_ms)
    }
    if let first { enqueue(first) }
  }

  private mutating func enqueue(_ frame: CANFrame) {
    guard outboxCount < Self.outboxCapacity else {
      responsesDropped &+= 1
      return
    }
    outbox[(outboxHead + outboxCount) % Self.outboxCapacity] = frame
    outboxCount += 1
  }

  /// Runs the timers (S3, SecurityAccess delay, ISO-TP timeouts, pending routines) and returns
  /// the next frame to transmit; call until nil every few milliseconds.
  public mutating func poll(now_ms: UInt32) -> CANFrame? {
    uds.poll(now_ms: now_ms)
    if uds.isResponsePending, !hasQueuedResponse {
      uds.pollPending(now_ms: now_ms, application: &application, response: &response)
      if !response.isEmpty { hasQueuedResponse = true }
    }
    startQueuedResponse(now_ms: now_ms)
    if outboxCount > 0 {
      let frame = outbox[outboxHead]
      outboxHead = (outboxHead + 1) % Self.outboxCapacity
      outboxCount -= 1
      return frame
    }
    if let frame = endpoint.poll(now_ms: now_ms) { return frame }
    // The reset waits until the last frame of its response was handed out.
    if let reset = resetAfterTransmit, !endpoint.sender.isBusy, !hasQueuedResponse {
      resetAfterTransmit = nil
      resetReady = reset
    }
    return nil
  }

  /// Hands up to `limit` frames to `bus` (the frame `held` first, if any). A frame the controller
  /// refuses is kept in `held` for the next call, so a full transmit queue delays a response but
  /// never loses a frame of it. Returns false when even `held` could not be sent.
  public mutating func transmit<Bus: CANController>(
    through bus: inout Bus, held: inout CANFrame?, limit: Int, now_ms: UInt32
  ) -> Bool {
    var sent = 0
    if let frame = held {
      guard bus.transmit(frame) else { return false }
      held = nil
      sent = 1
    }
    while sent < limit, let frame = poll(now_ms: now_ms) {
      guard bus.transmit(frame) else {
        held = frame
        break
      }
      sent += 1
    }
    return true
  }

  /// An ECUReset whose positive response has been transmitted (or was suppressed): the ECU
  /// persists what it must and resets. Returned once.
  public mutating func takeResetRequest() -> UDSResetType? {
    defer { resetReady = nil }
    return resetReady
  }
}
