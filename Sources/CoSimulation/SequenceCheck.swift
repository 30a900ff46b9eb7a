/// The receiver's view of the frame stream: the next expected sequence number and a count of
/// every rejection by cause, for the console and the rig's error report.
public struct LinkDiagnostics: Sendable {
  public private(set) var accepted: UInt32 = 0
  public private(set) var badMagic: UInt32 = 0
  public private(set) var badVersion: UInt32 = 0
  public private(set) var badKind: UInt32 = 0
  public private(set) var badLength: UInt32 = 0
  public private(set) var badChecksum: UInt32 = 0
  public private(set) var sequenceGaps: UInt32 = 0
  public private(set) var badContent: UInt32 = 0
  private var expectedSequence: UInt32? = nil

  public init() {}

  public var rejected: UInt32 {
    badMagic &+ badVersion &+ badKind &+ badLength &+ badChecksum &+ sequenceGaps &+ badContent
  }

  /// Checks that `sequence` follows the last accepted one (the first frame sets the start).
  /// After a gap the stream resynchronises on the received number.
  public mutating func accept(sequence: UInt32) throws(FrameError) {
    defer { expectedSequence = sequence &+ 1 }
    if let expected = expectedSequence, expected != sequence {
      sequenceGaps &+= 1
      throw .sequenceGap(expected: expected, received: sequence)
    }
    accepted &+= 1
  }

  /// A frame whose header carried `sequence` was rejected for its content: it still took its
  /// place in the stream, so the next frame is expected to follow it (without this, every
  /// rejected frame also made its successor a sequence gap — found in the HIL rig).
  public mutating func skip(sequence: UInt32) {
    expectedSequence = sequence &+ 1
  }

  public mutating func count(_ error: FrameError) {
    switch error {
    case .badMagic: badMagic &+= 1
    case .unsupportedVersion: badVersion &+= 1
    case .unexpectedKind: badKind &+= 1
    case .badLength: badLength &+= 1
    case .checksumMismatch: badChecksum &+= 1
    case .sequenceGap: break  // counted by accept(sequence:)
    case .tooManyCANFrames, .invalidCANFrame, .invalidField: badContent &+= 1
    }
  }
}
