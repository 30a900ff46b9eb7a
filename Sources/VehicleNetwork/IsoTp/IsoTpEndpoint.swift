import Platform

/// One node's end of an ISO-TP connection: a receiver and a sender on the same pair of
/// identifiers, so an ECU receives requests and sends responses (and a tester the reverse).
/// Flow controls arriving on the receive identifier go to the sender, everything else to the
/// receiver.
public struct IsoTpEndpoint: Sendable {
  public var receiver: IsoTpReceiver
  public var sender: IsoTpSender

  public init(configuration: IsoTpConfiguration) {
    receiver = IsoTpReceiver(configuration: configuration)
    sender = IsoTpSender(configuration: configuration)
  }

  public mutating func receive(_ frame: CANFrame, now_ms: UInt32) -> IsoTpReceiveResult {
    if frame.length >= 1, frame.data[0] >> 4 == 3 {
      sender.receiveFlowControl(frame, now_ms: now_ms)
      return .nothing
    }
    return receiver.receive(frame, now_ms: now_ms)
  }

  /// Runs both timeouts and returns the next frame due: the receiver's deferred flow control
  /// first, then the sender's next consecutive frame (call until nil).
  public mutating func poll(now_ms: UInt32) -> CANFrame? {
    if let flowControl = receiver.poll(now_ms: now_ms) { return flowControl }
    return sender.poll(now_ms: now_ms)
  }

  public mutating func send(_ message: Span<UInt8>, now_ms: UInt32) throws(IsoTpSendError)
    -> CANFrame
  {
    try sender.send(message, now_ms: now_ms)
  }
}
