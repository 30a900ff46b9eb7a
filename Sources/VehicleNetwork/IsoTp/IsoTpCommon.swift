import Platform

/// ISO 15765-2 (ISO-TP) transport over classic CAN, normal addressing, 11- or 29-bit
/// identifiers, messages up to 4095 bytes (the 12-bit first-frame length; the 32-bit escape is
/// answered with an overflow). Time is passed in as a millisecond count that may wrap; nothing
/// here reads a clock.
public enum IsoTp {
  /// Largest message of the 12-bit first-frame length field, and the size of every buffer.
  public static let maxMessageLength = 4095
  /// Classic CAN: a single frame carries at most 7 bytes, a first frame 6, a consecutive
  /// frame 7.
  public static let singleFrameCapacity = 7
  public static let firstFrameCapacity = 6
  public static let consecutiveFrameCapacity = 7

  /// Protocol control information types (high nibble of byte 0).
  enum FrameType: UInt8 {
    case single = 0
    case first = 1
    case consecutive = 2
    case flowControl = 3
  }

  /// Flow status of a flow-control frame (ISO 15765-2 table "FlowStatus").
  public enum FlowStatus: UInt8, Sendable {
    case continueToSend = 0
    case wait = 1
    case overflow = 2
  }

  /// The minimum separation time in microseconds for an STmin byte: 0x00...0x7F are
  /// milliseconds, 0xF1...0xF9 are 100...900 µs; reserved values are read as 0x7F (127 ms),
  /// as ISO 15765-2 requires of a sender.
  public static func separationTime_us(_ stMin: UInt8) -> UInt32 {
    switch stMin {
    case 0x00...0x7F: return UInt32(stMin) * 1000
    case 0xF1...0xF9: return UInt32(stMin - 0xF0) * 100
    default: return 127_000
    }
  }

  /// The wait between consecutive frames in whole milliseconds, rounded up: with a
  /// millisecond time base a 100...900 µs STmin becomes 1 ms, never less than asked for.
  static func separationTime_ms(_ stMin: UInt8) -> UInt32 {
    (separationTime_us(stMin) + 999) / 1000
  }
}

/// Identifiers, padding, flow-control parameters and timeouts of one ISO-TP connection.
public struct IsoTpConfiguration: Sendable {
  /// Identifier this node transmits on (its data frames and its flow control).
  public var transmitID: UInt32
  /// Identifier this node receives on (the peer's data frames and flow control).
  public var receiveID: UInt32
  public var isExtendedID: Bool
  /// Fill byte for unused data bytes (DLC always 8), or nil to send the shortest DLC.
  public var padding: UInt8?
  /// Block size this node's receiver asks for: consecutive frames per flow control, 0 = all.
  public var blockSize: UInt8
  /// STmin byte this node's receiver asks for.
  public var separationTimeMin: UInt8
  /// N_Bs: how long the sender waits for a flow control.
  public var timeoutBs_ms: UInt32
  /// N_Cr: how long the receiver waits for the next consecutive frame.
  public var timeoutCr_ms: UInt32
  /// N_WFTmax: flow-control WAIT frames in a row the sender accepts, and the receiver sends,
  /// before giving up.
  public var maxWaitFrames: UInt8
  /// N_Br: how often the receiver repeats WAIT while the application is busy; below N_Bs of
  /// the peer (ISO 15765-2 asks for less than 0.9 × N_Bs timeout).
  public var waitInterval_ms: UInt32
  /// Longest message the receiver accepts (at most `IsoTp.maxMessageLength`); a longer
  /// first frame is answered with flow status overflow.
  public var maxReceiveLength: Int

  public init(
    transmitID: UInt32, receiveID: UInt32, isExtendedID: Bool = false, padding: UInt8? = 0xCC,
    blockSize: UInt8 = 0, separationTimeMin: UInt8 = 0, timeoutBs_ms: UInt32 = 1000,
    timeoutCr_ms: UInt32 = 1000, maxWaitFrames: UInt8 = 10, waitInterval_ms: UInt32 = 500,
    maxReceiveLength: Int = IsoTp.maxMessageLength
  ) {
    self.transmitID = transmitID
    self.receiveID = receiveID
    self.isExtendedID = isExtendedID
    self.padding = padding
    self.blockSize = blockSize
    self.separationTimeMin = separationTimeMin
    self.timeoutBs_ms = timeoutBs_ms
    self.timeoutCr_ms = timeoutCr_ms
    self.maxWaitFrames = maxWaitFrames
    self.waitInterval_ms = waitInterval_ms
    self.maxReceiveLength = min(max(maxReceiveLength, 1), IsoTp.maxMessageLength)
  }

  func accepts(_ frame: CANFrame) -> Bool {
    frame.id == receiveID && frame.isExtended == isExtendedID
  }

  /// A transmit frame carrying `used` bytes, padded when padding is configured.
  func frame(_ data: [8 of UInt8], used: Int) -> CANFrame {
    var bytes = data
    if let padding {
      for i in used..<8 { bytes[i] = padding }
      return CANFrame(id: transmitID, isExtended: isExtendedID, length: 8, data: bytes)
    }
    for i in used..<8 { bytes[i] = 0 }
    return CANFrame(
      id: transmitID, isExtended: isExtendedID, length: UInt8(truncatingIfNeeded: used),
      data: bytes)
  }

  func flowControl(_ status: IsoTp.FlowStatus) -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    data[0] = 0x30 | status.rawValue
    data[1] = status == .continueToSend ? blockSize : 0
    data[2] = status == .continueToSend ? separationTimeMin : 0
    return frame(data, used: 3)
  }
}

/// Message storage of one direction: `IsoTp.maxMessageLength` bytes (an InlineArray count
/// must be a literal).
typealias IsoTpBuffer = [4095 of UInt8]
