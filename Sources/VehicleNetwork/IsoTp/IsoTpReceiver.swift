import Platform

/// What the receiver made of one frame.
public enum IsoTpReceiveResult: Equatable, Sendable {
  case nothing
  /// Transmit this flow control now (after a first frame or at the end of a block).
  case sendFlowControl(CANFrame)
  /// A whole message of this length is in the receiver's buffer until the next single or
  /// first frame starts another one.
  case messageComplete(length: Int)
}

/// The receiver's diagnostic counters. Every frame on the receive identifier lands in exactly
/// one of accepted, malformed, unexpected, wrongSequence or overflow.
public struct IsoTpReceiverCounters: Equatable, Sendable {
  public var framesReceived: UInt32 = 0
  public var framesAccepted: UInt32 = 0
  /// Reserved PCI type, impossible length field, too short a DLC.
  public var malformed: UInt32 = 0
  /// A consecutive frame while no message is being received, or a flow control.
  public var unexpected: UInt32 = 0
  public var wrongSequence: UInt32 = 0
  /// First frames refused with flow status overflow.
  public var overflow: UInt32 = 0
  public var timeoutsCr: UInt32 = 0
  /// Flow controls with status WAIT sent while the application was busy.
  public var waitsSent: UInt32 = 0
  public var messagesStarted: UInt32 = 0
  public var messagesCompleted: UInt32 = 0
  /// Receptions given up: wrong sequence, malformed consecutive frame, N_Cr timeout, or
  /// replaced by a new single/first frame (ISO 15765-2: the new one wins).
  public var messagesAborted: UInt32 = 0

  public init() {}
}

/// Reassembles single, first and consecutive frames into a message and produces the flow
/// control the sender needs. Step-driven: `receive` per frame, `poll` at least every few
/// milliseconds for the N_Cr timeout and for deferred flow control.
///
/// While `isApplicationBusy` is set (the application still works on the previous message), a
/// first frame is answered with flow status WAIT, repeated every `waitInterval_ms` (N_Br)
/// from `poll`; once the flag clears, `poll` sends continue-to-send. After `maxWaitFrames`
/// WAITs the reception is refused with overflow. A single frame cannot be deferred (ISO-TP
/// has no flow control for it) and is always taken.
public struct IsoTpReceiver: Sendable {
  public let configuration: IsoTpConfiguration
  public private(set) var counters = IsoTpReceiverCounters()
  /// True while a segmented message is being received (including while it is held off with
  /// WAIT).
  public private(set) var isReceiving = false
  /// Set by the application while it cannot take a new segmented message.
  public var isApplicationBusy = false
  /// Length of the last completed message, 0 if none.
  public private(set) var messageLength = 0

  private var buffer = IsoTpBuffer(repeating: 0)
  private var expectedLength = 0
  private var receivedLength = 0
  private var nextSequenceNumber: UInt8 = 0
  private var framesInBlock: UInt8 = 0
  private var lastFrame_ms: UInt32 = 0
  /// A first frame held off with WAIT: its payload waits here so the buffer keeps the
  /// previous message until the application is done with it.
  private var isWaiting = false
  private var heldFirstFrame = [6 of UInt8](repeating: 0)
  private var waitsForThisMessage: UInt8 = 0

  public init(configuration: IsoTpConfiguration) {
    self.configuration = configuration
  }

  /// Byte `index` of the message (0 ..< messageLength); 0 outside.
  public subscript(index: Int) -> UInt8 {
    index >= 0 && index < messageLength ? buffer[index] : 0
  }

  /// Calls `body` with the last completed message (empty if none), without copying it.
  public func withMessage<Result>(_ body: (Span<UInt8>) -> Result) -> Result {
    body(buffer.span.extracting(0..<messageLength))
  }

  /// Handles one frame. Frames on other identifiers are ignored and not counted.
  public mutating func receive(_ frame: CANFrame, now_ms: UInt32) -> IsoTpReceiveResult {
    guard configuration.accepts(frame) else { return .nothing }
    counters.framesReceived &+= 1
    guard frame.length >= 1, frame.length <= 8 else { return malformed() }
    switch IsoTp.FrameType(rawValue: frame.data[0] >> 4) {
    case .single: return single(frame)
    case .first: return first(frame, now_ms: now_ms)
    case .consecutive: return consecutive(frame, now_ms: now_ms)
    case .flowControl:
      counters.unexpected &+= 1
      return .nothing
    case nil: return malformed()
    }
  }

  /// Runs the N_Cr timeout and deferred flow control; returns a flow control to transmit now,
  /// if any.
  public mutating func poll(now_ms: UInt32) -> CANFrame? {
    guard isReceiving else { return nil }
    if isWaiting {
      if !isApplicationBusy {
        isWaiting = false
        messageLength = 0
        for i in 0..<IsoTp.firstFrameCapacity { buffer[i] = heldFirstFrame[i] }
        lastFrame_ms = now_ms
        return configuration.flowControl(.continueToSend)
      }
      guard now_ms &- lastFrame_ms >= configuration.waitInterval_ms else { return nil }
      lastFrame_ms = now_ms
      if waitsForThisMessage >= configuration.maxWaitFrames {
        isWaiting = false
        abort()
        return configuration.flowControl(.overflow)
      }
      waitsForThisMessage += 1
      counters.waitsSent &+= 1
      return configuration.flowControl(.wait)
    }
    guard now_ms &- lastFrame_ms >= configuration.timeoutCr_ms else { return nil }
    counters.timeoutsCr &+= 1
    abort()
    return nil
  }

  private mutating func malformed() -> IsoTpReceiveResult {
    counters.malformed &+= 1
    return .nothing
  }

  private mutating func abort() {
    isReceiving = false
    isWaiting = false
    counters.messagesAborted &+= 1
  }

  /// A new single or first frame ends a reception in progress (ISO 15765-2, unexpected PDU).
  private mutating func startNewMessage() {
    if isReceiving { abort() }
    counters.framesAccepted &+= 1
    counters.messagesStarted &+= 1
  }

  private mutating func single(_ frame: CANFrame) -> IsoTpReceiveResult {
    let length = Int(frame.data[0] & 0x0F)
    // SF_DL 0 is the CAN FD escape; classic CAN allows 1...7 within the DLC.
    guard length >= 1, length <= IsoTp.singleFrameCapacity, length < Int(frame.length) else {
      return malformed()
    }
    startNewMessage()
    for i in 0..<length { buffer[i] = frame.data[1 + i] }
    messageLength = length
    counters.messagesCompleted &+= 1
    return .messageComplete(length: length)
  }

  private mutating func first(_ frame: CANFrame, now_ms: UInt32) -> IsoTpReceiveResult {
    guard frame.length == 8 else { return malformed() }
    let length = Int(frame.data[0] & 0x0F) &<< 8 | Int(frame.data[1])
    if length == 0 {
      // 32-bit escape length: only legal above 4095 bytes, which no buffer here holds.
      let escaped =
        UInt32(frame.data[2]) &<< 24 | UInt32(frame.data[3]) &<< 16 | UInt32(frame.data[4]) &<< 8
        | UInt32(frame.data[5])
      guard escaped > UInt32(IsoTp.maxMessageLength) else { return malformed() }
      return refuse()
    }
    // A message that fits a single frame must not be segmented.
    guard length > IsoTp.singleFrameCapacity else { return malformed() }
    guard length <= configuration.maxReceiveLength else { return refuse() }
    startNewMessage()
    isReceiving = true
    expectedLength = length
    receivedLength = IsoTp.firstFrameCapacity
    nextSequenceNumber = 1
    framesInBlock = 0
    lastFrame_ms = now_ms
    if isApplicationBusy {
      for i in 0..<IsoTp.firstFrameCapacity { heldFirstFrame[i] = frame.data[2 + i] }
      isWaiting = true
      waitsForThisMessage = 1
      counters.waitsSent &+= 1
      return .sendFlowControl(configuration.flowControl(.wait))
    }
    messageLength = 0
    for i in 0..<IsoTp.firstFrameCapacity { buffer[i] = frame.data[2 + i] }
    return .sendFlowControl(configuration.flowControl(.continueToSend))
  }

  private mutating func refuse() -> IsoTpReceiveResult {
    counters.overflow &+= 1
    return .sendFlowControl(configuration.flowControl(.overflow))
  }

  private mutating func consecutive(_ frame: CANFrame, now_ms: UInt32) -> IsoTpReceiveResult {
    guard isReceiving, !isWaiting else {
      counters.unexpected &+= 1
      return .nothing
    }
    guard frame.data[0] & 0x0F == nextSequenceNumber else {
      counters.wrongSequence &+= 1
      abort()
      return .nothing
    }
    let count = min(IsoTp.consecutiveFrameCapacity, expectedLength - receivedLength)
    guard Int(frame.length) - 1 >= count else {
      counters.malformed &+= 1
      abort()
      return .nothing
    }
    counters.framesAccepted &+= 1
    for i in 0..<count { buffer[receivedLength + i] = frame.data[1 + i] }
    receivedLength += count
    nextSequenceNumber = (nextSequenceNumber + 1) & 0x0F
    lastFrame_ms = now_ms
    if receivedLength == expectedLength {
      isReceiving = false
      messageLength = expectedLength
      counters.messagesCompleted &+= 1
      return .messageComplete(length: expectedLength)
    }
    guard configuration.blockSize > 0 else { return .nothing }
    framesInBlock += 1
    guard framesInBlock == configuration.blockSize else { return .nothing }
    framesInBlock = 0
    return .sendFlowControl(configuration.flowControl(.continueToSend))
  }
}
