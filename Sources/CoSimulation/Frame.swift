import ControlMath
import Platform

/// The co-simulation frame format (docs/cosim-protocol.md): every control period the HIL rig
/// sends an ECU one sample frame and the ECU answers with one actuation frame.
///
///     offset  size  field
///     0       2     magic "KC" (0x4B 0x43)
///     2       1     version (1)
///     3       1     kind (FrameKind)
///     4       2     payload length in bytes, little-endian
///     6       2     reserved, 0
///     8       4     sequence number (the control period), little-endian
///     12      n     payload
///     12+n    4     CRC-32/ISO-HDLC over bytes 0 ..< 12+n, little-endian
public enum FrameFormat {
  public static let magic: (UInt8, UInt8) = (0x4B, 0x43)
  public static let version: UInt8 = 1
  public static let headerSize = 12
  public static let checksumSize = 4
  public static let maxFrameSize = 512
  public static let maxPayloadSize = maxFrameSize - headerSize - checksumSize
  /// CAN frames one co-simulation frame carries in either direction; more wait a period.
  public static let maxCANFrames = 8
  /// Bytes of one CAN frame record: identifier (bit 31 = extended) u32, length u8, flags u8,
  /// data 8.
  public static let canRecordSize = 14
  /// Telemetry values (Float) each actuation frame carries for the rig's trace.
  public static let telemetryCount = 16
}

public enum FrameKind: UInt8, Sendable {
  case inverterSample = 0x01
  case batterySample = 0x02
  case inverterActuation = 0x81
  case batteryActuation = 0x82
}

/// Why a received frame was rejected. Every case is counted by the receiver and answered with
/// outputs held safe; none of them traps.
public enum FrameError: Error, Equatable, Sendable {
  case badMagic
  case unsupportedVersion(UInt8)
  case unexpectedKind(UInt8)
  /// The header's payload length does not fit the buffer or the payload's own contents.
  case badLength(Int)
  case checksumMismatch
  case sequenceGap(expected: UInt32, received: UInt32)
  case tooManyCANFrames(Int)
  case invalidCANFrame
  case invalidField
}

/// Little-endian field access on received bytes. Reads past the end return 0, so a malformed
/// frame can never index out of bounds; decoders check lengths before they read.
///
/// Decoders read through one `Span` of the frame: on Cortex-M, reading the InlineArray through
/// a method of the 516-byte `FrameBuffer` value copied the whole buffer per access (measured:
/// 63 548 instructions to decode a 46-byte frame).
extension Span where Element == UInt8 {
  @inlinable
  public func u8(_ offset: Int) -> UInt8 {
    offset >= 0 && offset < count ? self[offset] : 0
  }

  @inlinable
  public func u16(_ offset: Int) -> UInt16 {
    UInt16(u8(offset)) | UInt16(u8(offset + 1)) << 8
  }

  @inlinable
  public func u32(_ offset: Int) -> UInt32 {
    UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16
  }

  @inlinable
  public func f32(_ offset: Int) -> Float { Float(bitPattern: u32(offset)) }

  /// Bytes that follow the 12-byte header at the start of this span (payload and CRC). A
  /// transport reads the header, calls this, then reads the rest.
  public func frameRemainingLength() throws(FrameError) -> Int {
    guard count >= FrameFormat.headerSize else { throw .badLength(count) }
    guard u8(0) == FrameFormat.magic.0, u8(1) == FrameFormat.magic.1 else { throw .badMagic }
    guard u8(2) == FrameFormat.version else { throw .unsupportedVersion(u8(2)) }
    let payload = Int(u16(4))
    guard payload <= FrameFormat.maxPayloadSize else { throw .badLength(payload) }
    return payload + FrameFormat.checksumSize
  }

  /// Validates a complete frame of the expected kind and returns its sequence number and the
  /// payload's offset range.
  public func validateFrame(kind: FrameKind) throws(FrameError) -> (
    sequence: UInt32, payload: Range<Int>
  ) {
    let remaining = try frameRemainingLength()
    guard count == FrameFormat.headerSize + remaining else { throw .badLength(count) }
    guard u8(3) == kind.rawValue else { throw .unexpectedKind(u8(3)) }
    let end = count - FrameFormat.checksumSize
    guard CRC32ISOHDLC.checksum(extracting(0..<end)) == u32(end) else {
      throw .checksumMismatch
    }
    return (u32(8), FrameFormat.headerSize..<end)
  }

  /// Reads the CAN block at `offset`, which must end exactly at `end`.
  public func canFrames(at offset: Int, end: Int) throws(FrameError) -> CANFrameBatch {
    guard offset + 4 <= end else { throw .badLength(end - offset) }
    let count = Int(u8(offset))
    guard count <= FrameFormat.maxCANFrames else { throw .tooManyCANFrames(count) }
    guard offset + 4 + count * FrameFormat.canRecordSize == end else {
      throw .badLength(end - offset)
    }
    var batch = CANFrameBatch()
    for index in 0..<count {
      let record = offset + 4 + index * FrameFormat.canRecordSize
      let rawID = u32(record)
      var frame = CANFrame(
        id: rawID & 0x7FFF_FFFF, isExtended: rawID & 0x8000_0000 != 0, length: u8(record + 4))
      guard frame.isValid else { throw .invalidCANFrame }
      for byte in 0..<Int(frame.length) { frame.data[byte] = u8(record + 6 + byte) }
      _ = batch.append(frame)
    }
    return batch
  }
}

/// A fixed buffer holding one frame as bytes: the transport reads into it and the encoders
/// write into it. Writes past the capacity are dropped.
@frozen
public struct FrameBuffer: Sendable {
  public var bytes: [512 of UInt8] = .init(repeating: 0)
  /// Valid bytes from the start.
  public var count = 0

  public init() {}

  public mutating func append(u8 value: UInt8) {
    guard count < FrameFormat.maxFrameSize else { return }
    var storage = bytes.mutableSpan
    storage[count] = value
    count += 1
  }

  public mutating func append(u16 value: UInt16) {
    guard count + 2 <= FrameFormat.maxFrameSize else { return }
    var storage = bytes.mutableSpan
    storage[count] = UInt8(truncatingIfNeeded: value)
    storage[count + 1] = UInt8(truncatingIfNeeded: value >> 8)
    count += 2
  }

  /// One capacity check and one span for the four bytes: the byte-at-a-time version cost 30
  /// instructions per byte on the Cortex-M.
  public mutating func append(u32 value: UInt32) {
    guard count + 4 <= FrameFormat.maxFrameSize else { return }
    var storage = bytes.mutableSpan
    storage[count] = UInt8(truncatingIfNeeded: value)
    storage[count + 1] = UInt8(truncatingIfNeeded: value >> 8)
    storage[count + 2] = UInt8(truncatingIfNeeded: value >> 16)
    storage[count + 3] = UInt8(truncatingIfNeeded: value >> 24)
    count += 4
  }

  public mutating func append(f32 value: Float) { append(u32: value.bitPattern) }

  /// Starts a frame: writes the header with a zero length that `finish()` fills in.
  public mutating func begin(kind: FrameKind, sequence: UInt32) {
    count = 0
    append(u8: FrameFormat.magic.0)
    append(u8: FrameFormat.magic.1)
    append(u8: FrameFormat.version)
    append(u8: kind.rawValue)
    append(u16: 0)
    append(u16: 0)
    append(u32: sequence)
  }

  /// Completes a frame begun with `begin`: payload length and CRC.
  public mutating func finish() {
    let payload = count - FrameFormat.headerSize
    var storage = bytes.mutableSpan
    storage[4] = UInt8(truncatingIfNeeded: payload)
    storage[5] = UInt8(truncatingIfNeeded: payload >> 8)
    let crc = CRC32ISOHDLC.checksum(bytes.span.extracting(0..<count))
    append(u32: crc)
  }

  /// Appends a count byte, three reserved bytes and the records of the batch.
  public mutating func append(canFrames frames: CANFrameBatch) {
    append(u8: UInt8(truncatingIfNeeded: frames.count))
    append(u8: 0)
    append(u16: 0)
    let records = frames.frames.span
    for index in 0..<frames.count {
      let frame = records[index]
      append(u32: frame.id | (frame.isExtended ? 0x8000_0000 : 0))
      append(u8: frame.length)
      append(u8: 0)
      for byte in 0..<8 { append(u8: frame.data[byte]) }
    }
  }
}

/// Up to `FrameFormat.maxCANFrames` CAN frames exchanged in one control period.
public struct CANFrameBatch: Sendable {
  public var frames: [8 of CANFrame] = .init(repeating: CANFrame(id: 0, length: 0))
  public private(set) var count = 0

  public init() {}

  /// False when the batch is full.
  public mutating func append(_ frame: CANFrame) -> Bool {
    guard count < FrameFormat.maxCANFrames else { return false }
    frames[count] = frame
    count += 1
    return true
  }

  public mutating func removeAll() { count = 0 }
}
