import Platform
import Testing

@testable import VehicleNetwork

/// Reference packer written independently of the codec: walks the DBC bit numbering one bit
/// at a time (Intel: LSB at the start bit, upwards; Motorola: MSB at the start bit, downwards
/// within a byte, then to bit 7 of the next byte).
private func referenceBitPositions(_ layout: SignalLayout) -> [Int] {
  var positions: [Int] = []  // from the signal's MSB to its LSB
  if layout.byteOrder == .intel {
    for k in 0..<Int(layout.length) { positions.insert(Int(layout.startBit) + k, at: 0) }
  } else {
    var position = Int(layout.startBit)
    for _ in 0..<Int(layout.length) {
      positions.append(position)
      position = position % 8 == 0 ? position + 15 : position - 1
    }
  }
  return positions
}

private func referencePack(_ raw: UInt64, _ layout: SignalLayout, into data: inout [UInt8]) {
  let positions = referenceBitPositions(layout)
  for (k, position) in positions.enumerated() {
    let bit = (raw >> UInt64(positions.count - 1 - k)) & 1
    data[position / 8] &= ~UInt8(1 << (position % 8))
    data[position / 8] |= UInt8(bit) << UInt8(position % 8)
  }
}

private func referenceFits(_ layout: SignalLayout) -> Bool {
  referenceBitPositions(layout).allSatisfy { $0 >= 0 && $0 < 64 }
}

private func inline(_ bytes: [UInt8]) -> [8 of UInt8] {
  var data = [8 of UInt8](repeating: 0)
  for i in 0..<8 { data[i] = bytes[i] }
  return data
}

private func bytes(_ data: [8 of UInt8]) -> [UInt8] { (0..<8).map { data[$0] } }

/// xorshift64*: deterministic test randomness.
struct TestRandom {
  var state: UInt64
  init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
  mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
  }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
  mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

@Test func motorolaSixteenBitsAtStartBit7AreBytes0And1BigEndian() {
  var data = [8 of UInt8](repeating: 0)
  let layout = SignalLayout(startBit: 7, length: 16, byteOrder: .motorola, isSigned: false)
  SignalCodec.pack(0x1234, into: &data, layout)
  #expect(bytes(data) == [0x12, 0x34, 0, 0, 0, 0, 0, 0])
  #expect(SignalCodec.unpack(data, layout) == 0x1234)
}

@Test func intelTwelveBitsAtStartBit4SpanTwoBytesLittleEndian() {
  var data = [8 of UInt8](repeating: 0)
  let layout = SignalLayout(startBit: 4, length: 12, byteOrder: .intel, isSigned: false)
  SignalCodec.pack(0xABC, into: &data, layout)
  #expect(bytes(data) == [0xC0, 0xAB, 0, 0, 0, 0, 0, 0])
}

@Test func signedRawValuesAreSignExtended() {
  let layout = SignalLayout(startBit: 12, length: 12, byteOrder: .intel, isSigned: true)
  var data = [8 of UInt8](repeating: 0)
  SignalCodec.packInteger(-3, into: &data, layout)
  #expect(SignalCodec.unpackInteger(data, layout) == -3)
  SignalCodec.packInteger(-5000, into: &data, layout)  // beyond -2048: clamped
  #expect(SignalCodec.unpackInteger(data, layout) == -2048)
}

@Test func packingLeavesOtherBitsUntouched() {
  var data = inline([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
  SignalCodec.pack(
    0, into: &data, SignalLayout(startBit: 45, length: 8, byteOrder: .motorola, isSigned: false))
  // Motorola start 45 length 8: byte 5 bits 5...0 and byte 6 bits 7...6.
  #expect(bytes(data) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC0, 0x3F, 0xFF])
}

@Test func layoutsBeyondSixtyFourBitsReadZeroAndWriteNothing() {
  let layout = SignalLayout(startBit: 60, length: 8, byteOrder: .intel, isSigned: false)
  var data = inline([1, 2, 3, 4, 5, 6, 7, 8])
  SignalCodec.pack(0xFF, into: &data, layout)
  #expect(bytes(data) == [1, 2, 3, 4, 5, 6, 7, 8])
  #expect(SignalCodec.unpack(data, layout) == 0)
}

@Test func randomLayoutsMatchTheBitWalkingReferenceIn5000Cases() {
  var random = TestRandom(seed: 0x5EED_0001)
  var checked = 0
  while checked < 5000 {
    let layout = SignalLayout(
      startBit: UInt8(random.below(64)), length: UInt8(1 + random.below(64)),
      byteOrder: random.below(2) == 0 ? .intel : .motorola, isSigned: random.below(2) == 0)
    guard referenceFits(layout) else { continue }
    checked += 1
    let background = (0..<8).map { _ in random.byte() }
    let mask: UInt64 = layout.length == 64 ? .max : (1 << UInt64(layout.length)) - 1
    let raw = random.next() & mask
    var expected = background
    referencePack(raw, layout, into: &expected)
    var data = inline(background)
    SignalCodec.pack(raw, into: &data, layout)
    #expect(bytes(data) == expected)
    #expect(SignalCodec.unpack(data, layout) == raw)
  }
}

@Test func scaledSignalClampsToTheDBCRangeAndRoundsToTheNearestStep() {
  let signal = ScaledSignal(
    SignalLayout(startBit: 16, length: 16, byteOrder: .intel, isSigned: true),
    factor: 0.1, offset: 0, minimum: -400, maximum: 400)
  #expect(signal.raw(123.44) == 1234)
  #expect(signal.raw(123.46) == 1235)
  #expect(signal.raw(-123.46) == -1235)
  #expect(signal.raw(1000) == 4000)
  #expect(signal.raw(-1e30) == -4000)
  #expect(signal.raw(.infinity) == 4000)
  #expect(signal.raw(.nan) == 0)
}

@Test func scaledSignalWithOffsetDecodesWithinHalfAStep() {
  let signal = ScaledSignal(
    SignalLayout(startBit: 0, length: 8, byteOrder: .intel, isSigned: false),
    factor: 0.5, offset: -40, minimum: -40, maximum: 87.5)
  var data = [8 of UInt8](repeating: 0)
  signal.encode(25.3, into: &data)
  #expect(data[0] == 131)  // (25.3 + 40) / 0.5 = 130.6 -> 131
  #expect(abs(signal.decode(data) - 25.3) <= 0.25)
}

@Test func floatConversionOfWideRawValuesIsExactToFloatPrecision() {
  for value: Int64 in [
    0, 1, -1, 0x7FFF_FFFF, -0x8000_0000, 0x1_0000_0000, -0x1_2345_6789, .max, .min,
  ] {
    let expected = Double(value)
    #expect(abs(Double(SignalCodec.float(value)) - expected) <= abs(expected) * 1.2e-7)
  }
}
