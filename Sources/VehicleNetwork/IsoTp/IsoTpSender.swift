import Platform

/// Why a message could not be queued for sending.
public enum IsoTpSendError: Error, Equatable, Sendable {
  /// A message is still being sent.
  case busy
  /// Empty, or longer than `IsoTp.maxMessageLength`.
  case invalidLength
}

/// The sender's diagnostic counters.
public struct IsoTpSenderCounters: Equatable, Sendable {
  public var messagesStarted: UInt32 = 0
  public var messagesSent: UInt32 = 0
  public var flowControlsReceived: UInt32 = 0
  /// Flow controls while none was awaited, or too short to read.
  public var unexpectedFlowControls: UInt32 = 0
  public var timeoutsBs: UInt32 = 0
  /// The receiver answered with flow status overflow.
  public var overflowsReported: UInt32 = 0
  /// More WAIT flow controls in a row than N_WFTmax.
  public var waitLimitExceeded: UInt32 = 0
  /// A flow control with a reserved flow status.
  public var invalidFlowStatus: UInt32 = 0
  /// Transmissions given up for any of the reasons above.
  public var messagesAborted: UInt32 = 0

  public init() {}
}

/// Segments a message into single, first and consecutive frames and paces them by the
/// receiver's flow control (block size, STmin, WAIT, overflow). Step-driven: `send` starts a
/// message and returns its first frame, `receiveFlowControl` takes the peer's flow control,
/// `poll` returns the next frame when one is due (call it until it returns nil) and runs the
/// N_Bs timeout.
public struct IsoTpSender: Sendable {
  public let configuration: IsoTpConfiguration
  public private(set) var counters = IsoTpSenderCounters()

  private enum State: Equatable {
    case idle
    case awaitingFlowControl
    case sending
  }

  private var state = State.idle
  private var buffer = IsoTpBuffer(repeating: 0)
  private var length = 0
  private var sentLength = 0
  private var nextSequenceNumber: UInt8 = 0
  /// Consecutive frames left in the current block; nil = no block limit.
  private var framesLeftInBlock: UInt8? = nil
  private var separation_ms: UInt32 = 0
  private var lastEvent_ms: UInt32 = 0
  private var hasSentConsecutiveInBlock = false
  private var waitFrames: UInt8 = 0

  public init(configuration: IsoTpConfiguration) {
    self.configuration = configuration
  }

  /// True from `send` until the last frame is out or the transmission was aborted.
  public var isBusy: Bool { state != .idle }

  /// Copies `message` into the send buffer and returns the frame to transmit now: a single
  /// frame (the message is then done) or a first frame (then wait for flow control).
  public mutating func send(_ message: Span<UInt8>, now_ms: UInt32) throws(IsoTpSendError)
    -> CANFrame
  {
    guard state == .idle else { throw .busy }
    guard message.count >= 1, message.count <= IsoTp.maxMessageLength else {
      throw .invalidLength
    }
    for i in 0..<message.count { buffer[i] = message[i] }
    length = message.count
    counters.messagesStarted &+= 1
    var data = [8 of UInt8](repeating: 0)
    if length <= IsoTp.singleFrameCapacity {
      data[0] = UInt8(truncatingIfNeeded: length)
      for i in 0..<length { data[1 + i] = buffer[i] }
      counters.messagesSent &+= 1
      return configuration.frame(data, used: 1 + length)
    }
    data[0] = 0x10 | UInt8(truncatingIfNeeded: length &>> 8)
    data[1] = UInt8(truncatingIfNeeded: length)
    for i in 0..<IsoTp.firstFrameCapacity { data[2 + i] = buffer[i] }
    sentLength = IsoTp.firstFrameCapacity
    nextSequenceNumber = 1
    waitFrames = 0
    state = .awaitingFlowControl
    lastEvent_ms = now_ms
    return configuration.frame(data, used: 8)
  }

  /// Handles a flow control from the peer. Frames on other identifiers, and frames that are
  /// not flow control, are ignored.
  public mutating func receiveFlowControl(_ frame: CANFrame, now_ms: UInt32) {
    guard configuration.accepts(frame), frame.length >= 1, frame.data[0] >> 4 == 3 else {
      return
    }
    guard state == .awaitingFlowControl, frame.length >= 3 else {
      counters.unexpectedFlowControls &+= 1
      return
    }
    counters.flowControlsReceived &+= 1
    switch IsoTp.FlowStatus(rawValue: frame.data[0] & 0x0F) {
    case .continueToSend:
      let blockSize = frame.data[1]
      framesLeftInBlock = blockSize == 0 ? nil : blockSize
      separation_ms = IsoTp.separationTime_ms(frame.data[2])
      waitFrames = 0
      hasSentConsecutiveInBlock = false
      state = .sending
      lastEvent_ms = now_ms
    case .wait:
      waitFrames += 1
      if waitFrames > configuration.maxWaitFrames {
        counters.waitLimitExceeded &+= 1
        abort()
      } else {
        lastEvent_ms = now_ms  // N_Bs restarts with each WAIT
      }
    case .overflow:
      counters.overflowsReported &+= 1
      abort()
    case nil:
      counters.invalidFlowStatus &+= 1
      abort()
    }
  }

  /// The next consecutive frame if one is due now, else nil. Also gives up when no flow
  /// control arrived within N_Bs.
  public mutating func poll(now_ms: UInt32) -> CANFrame? {
    switch state {
    case .idle:
      return nil
    case .awaitingFlowControl:
      if now_ms &- lastEvent_ms >= configuration.timeoutBs_ms {
        counters.timeoutsBs &+= 1
        abort()
      }
      return nil
    case .sending:
      // STmin separates consecutive frames; the first one after a flow control goes at once.
      if hasSentConsecutiveInBlock, now_ms &- lastEvent_ms < separation_ms { return nil }
      return nextConsecutiveFrame(now_ms: now_ms)
    }
  }

  private mutating func nextConsecutiveFrame(now_ms: UInt32) -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    data[0] = 0x20 | nextSequenceNumber
    let count = min(IsoTp.consecutiveFrameCapacity, length - sentLength)
    for i in 0..<count { data[1 + i] = buffer[sentLength + i] }
    sentLength += count
    nextSequenceNumber = (nextSequenceNumber + 1) & 0x0F
    lastEvent_ms = now_ms
    hasSentConsecutiveInBlock = true
    if sentLength == length {
      state = .idle
      counters.messagesSent &+= 1
    } else if let left = framesLeftInBlock {
      if left <= 1 {
        state = .awaitingFlowControl
      } else {
        framesLeftInBlock = left - 1
      }
    }
    return configuration.frame(data, used: 1 + count)
  }

  private mutating func abort() {
    state = .idle
    counters.messagesAborted &+= 1
  }
}
