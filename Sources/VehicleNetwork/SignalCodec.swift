import Platform

/// Widening to 64 bits. The generic widening initializers (`UInt64(x)`, `Int64(x)`,
/// `init(truncatingIfNeeded:)`) go through an allocated word array in Embedded Swift on 32-bit
/// targets (Swift 6.3.1, armv7em, rejected by -no-allocations); `_truncatingBits` from a
/// machine word does not.
@inline(__always) func widen(_ x: UInt8) -> UInt64 { UInt64(_truncatingBits: UInt(x)) }

@inline(__always) func widen(_ x: UInt) -> UInt64 { UInt64(_truncatingBits: x) }

/// Sign-extending: on a 32-bit target `_truncatingBits` only fills the low word.
@inline(__always) func widen(_ x: Int) -> Int64 {
  let low = Int64(_truncatingBits: UInt(bitPattern: x))
  return x < 0 ? low | ~Int64(_truncatingBits: UInt.max) : low
}

@inline(__always) func widen(_ x: Int) -> UInt64 { UInt64(bitPattern: widen(x) as Int64) }

/// Bit order of a CAN signal as a DBC file writes it: `@1` Intel (little-endian), `@0`
/// Motorola (big-endian).
public enum ByteOrder: Sendable {
  case intel
  case motorola
}

/// Where a signal's raw bits sit in an 8-byte CAN payload, in DBC conventions: for Intel the
/// start bit is the least significant bit, for Motorola the most significant bit, both counted
/// byte by byte with bit 0 the least significant bit of byte 0 (DBC "sawtooth" numbering).
public struct SignalLayout: Sendable {
  public var startBit: UInt8
  /// 1...64 bits.
  public var length: UInt8
  public var byteOrder: ByteOrder
  public var isSigned: Bool

  public init(startBit: UInt8, length: UInt8, byteOrder: ByteOrder, isSigned: Bool) {
    self.startBit = startBit
    self.length = length
    self.byteOrder = byteOrder
    self.isSigned = isSigned
  }

  /// All ones in the low `length` bits.
  var mask: UInt64 { length >= 64 ? UInt64.max : (UInt64(1) &<< widen(Int(length))) &- 1 }

  /// Right shift that brings the signal's least significant bit to bit 0 of the payload word
  /// for this byte order (little-endian word for Intel, big-endian word for Motorola). A layout
  /// that does not fit in 64 bits yields nil instead of trapping.
  var shift: Int? {
    let start = Int(startBit)
    let count = Int(length)
    guard count >= 1, count <= 64, start < 64 else { return nil }
    switch byteOrder {
    case .intel:
      return start + count <= 64 ? start : nil
    case .motorola:
      // Position of the MSB counted from the most significant bit of the big-endian word.
      let msbFromTop = (start / 8) * 8 + (7 - start % 8)
      let end = msbFromTop + count
      return end <= 64 ? 64 - end : nil
    }
  }

  /// The lowest and highest raw value the bits can hold, as signed integers.
  var rawRange: (minimum: Int64, maximum: Int64) {
    if isSigned {
      let half = length >= 64 ? Int64.max : (Int64(1) &<< widen(Int(length) - 1)) - 1
      return (-half - 1, half)
    }
    return (0, length >= 63 ? Int64.max : (Int64(1) &<< widen(Int(length))) - 1)
  }
}

/// Packs and unpacks raw signal bits in a CAN payload and converts them to physical values
/// (`physical = raw × factor + offset`). Total functions: malformed layouts read as zero and
/// write nothing rather than trapping.
public enum SignalCodec {
  static func littleEndianWord(_ data: [8 of UInt8]) -> UInt64 {
    var word: UInt64 = 0
    for i in 0..<8 { word |= widen(data[i]) &<< widen(8 * i) }
    return word
  }

  static func bigEndianWord(_ data: [8 of UInt8]) -> UInt64 {
    var word: UInt64 = 0
    for i in 0..<8 { word = (word &<< 8) | widen(data[i]) }
    return word
  }

  /// `Float(value)` without the generic `BinaryInteger` initializer, which goes through an
  /// allocated word array in Embedded Swift; `Int` is 32 bits on the target.
  static func float(_ value: Int64) -> Float {
    if value >= -0x8000_0000, value <= 0x7FFF_FFFF {
      return Float(Int(Int32(truncatingIfNeeded: value)))
    }
    let high = Float(Int(Int32(truncatingIfNeeded: value &>> 32)))
    let middle = Float(Int(Int32(truncatingIfNeeded: (value &>> 16) & 0xFFFF)))
    let low = Float(Int(Int32(truncatingIfNeeded: value & 0xFFFF)))
    return (high * 65536 + middle) * 65536 + low
  }

  /// The raw bits of a signal, zero-extended.
  public static func unpack(_ data: [8 of UInt8], _ layout: SignalLayout) -> UInt64 {
    guard let shift = layout.shift else { return 0 }
    let word = layout.byteOrder == .intel ? littleEndianWord(data) : bigEndianWord(data)
    return (word &>> widen(shift)) & layout.mask
  }

  /// The raw value of a signal, sign-extended when the layout is signed.
  public static func unpackInteger(_ data: [8 of UInt8], _ layout: SignalLayout) -> Int64 {
    let bits = unpack(data, layout)
    guard layout.isSigned, layout.length < 64 else { return Int64(bitPattern: bits) }
    let signBit = UInt64(1) &<< widen(Int(layout.length) - 1)
    return (bits & signBit) != 0 ? Int64(bitPattern: bits | ~layout.mask) : Int64(bitPattern: bits)
  }

  /// Writes the low `length` bits of `raw` into the signal's position, leaving other bits alone.
  public static func pack(_ raw: UInt64, into data: inout [8 of UInt8], _ layout: SignalLayout) {
    guard let shift = layout.shift else { return }
    let fieldMask = layout.mask &<< widen(shift)
    let field = (raw & layout.mask) &<< widen(shift)
    if layout.byteOrder == .intel {
      let word = (littleEndianWord(data) & ~fieldMask) | field
      for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: word &>> widen(8 * i)) }
    } else {
      let word = (bigEndianWord(data) & ~fieldMask) | field
      for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: word &>> widen(56 - 8 * i)) }
    }
  }

  /// Writes a signed or unsigned raw value, clamped to what the bits can hold.
  public static func packInteger(
    _ raw: Int64, into data: inout [8 of UInt8], _ layout: SignalLayout
  ) {
    let range = layout.rawRange
    let clamped = min(max(raw, range.minimum), range.maximum)
    pack(UInt64(bitPattern: clamped), into: &data, layout)
  }
}

/// A signal with a physical value in `Float` (`physical = raw × factor + offset`) and the DBC
/// range [minimum, maximum].
public struct ScaledSignal: Sendable {
  public var layout: SignalLayout
  public var factor: Float
  public var offset: Float
  public var minimum: Float
  public var maximum: Float

  public init(
    _ layout: SignalLayout, factor: Float, offset: Float, minimum: Float, maximum: Float
  ) {
    self.layout = layout
    self.factor = factor
    self.offset = offset
    self.minimum = minimum
    self.maximum = maximum
  }

  public func decode(_ data: [8 of UInt8]) -> Float {
    SignalCodec.float(SignalCodec.unpackInteger(data, layout)) * factor + offset
  }

  /// The raw value for a physical value: clamped to [minimum, maximum] first (a request beyond
  /// the range is sent as the range limit, never wrapped), NaN treated as 0 before clamping,
  /// then rounded to the nearest step (ties away from zero) and clamped to the raw bit range.
  public func raw(_ value: Float) -> Int64 {
    let finite = value.isNaN ? 0 : value
    let physical = min(max(finite, minimum), maximum)
    let steps = (physical - offset) / factor
    let range = layout.rawRange
    // Clamping in Float before the conversion keeps Int64(_:) from trapping.
    let lower = SignalCodec.float(range.minimum)
    let upper = SignalCodec.float(range.maximum)
    let bounded = min(max(steps, lower), upper)
    let rounded = bounded >= 0 ? bounded + 0.5 : bounded - 0.5
    if rounded >= upper { return range.maximum }
    if rounded <= lower { return range.minimum }
    return min(max(Int64(rounded), range.minimum), range.maximum)
  }

  public func encode(_ value: Float, into data: inout [8 of UInt8]) {
    SignalCodec.packInteger(raw(value), into: &data, layout)
  }
}

/// A signal whose physical value is an integer (factor 1, integer offset), such as a state,
/// an index, a counter or a flag.
public struct IntegerSignal: Sendable {
  public var layout: SignalLayout
  public var offset: Int64
  public var minimum: Int64
  public var maximum: Int64

  public init(_ layout: SignalLayout, offset: Int64, minimum: Int64, maximum: Int64) {
    self.layout = layout
    self.offset = offset
    self.minimum = minimum
    self.maximum = maximum
  }

  public func decode(_ data: [8 of UInt8]) -> Int64 {
    SignalCodec.unpackInteger(data, layout) &+ offset
  }

  /// Clamps to [minimum, maximum] (documented DBC range), then to the raw bit range.
  public func encode(_ value: Int, into data: inout [8 of UInt8]) {
    encode(widen(value) as Int64, into: &data)
  }

  public func encode(_ value: UInt, into data: inout [8 of UInt8]) {
    encode(Int64(bitPattern: widen(value)), into: &data)
  }

  public func encode(_ value: Int64, into data: inout [8 of UInt8]) {
    let physical = min(max(value, minimum), maximum)
    SignalCodec.packInteger(physical &- offset, into: &data, layout)
  }
}
