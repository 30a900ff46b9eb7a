import ControlMath
import Testing

/// The catalogue's check input, the ASCII bytes "123456789".
private let checkInput: [UInt8] = Array("123456789".utf8)

/// Bit-at-a-time CRC in the Rocksoft model of the RevEng catalogue, independent of the tables.
private func bitwiseCRC(
  _ bytes: [UInt8], width: Int, poly: UInt64, initial: UInt64, reflected: Bool, xorOut: UInt64
) -> UInt64 {
  let mask: UInt64 = (1 << width) - 1
  let top: UInt64 = 1 << (width - 1)
  var register = initial
  for byte in bytes {
    let input = reflected ? UInt64(reflect(UInt64(byte), bits: 8)) : UInt64(byte)
    register ^= input << (width - 8)
    for _ in 0..<8 {
      register = (register & top != 0) ? ((register << 1) ^ poly) : (register << 1)
      register &= mask
    }
  }
  if reflected { register = reflect(register, bits: width) }
  return register ^ xorOut
}

private func reflect(_ value: UInt64, bits: Int) -> UInt64 {
  var result: UInt64 = 0
  for i in 0..<bits where value & (1 << i) != 0 { result |= 1 << (bits - 1 - i) }
  return result
}

@Test func crc8SAEJ1850CheckValueIs0x4B() {
  #expect(CRC8SAEJ1850.checksum(checkInput.span) == 0x4B)
}

@Test func crc8AUTOSARCheckValueIs0xDF() {
  #expect(CRC8AUTOSAR.checksum(checkInput.span) == 0xDF)
}

@Test func crc16IBM3740CheckValueIs0x29B1() {
  #expect(CRC16IBM3740.checksum(checkInput.span) == 0x29B1)
}

@Test func crc32ISOHDLCCheckValueIs0xCBF43926() {
  #expect(CRC32ISOHDLC.checksum(checkInput.span) == 0xCBF4_3926)
}

@Test func crcOfEmptyInputIsInitXorXorOut() {
  let empty: [UInt8] = []
  #expect(CRC8SAEJ1850.checksum(empty.span) == 0x00)
  #expect(CRC8AUTOSAR.checksum(empty.span) == 0x00)
  #expect(CRC16IBM3740.checksum(empty.span) == 0xFFFF)
  #expect(CRC32ISOHDLC.checksum(empty.span) == 0)
}

@Test func everySingleByteMatchesTheBitwiseDefinition() {
  for value in 0...255 {
    let byte = [UInt8(value)]
    #expect(
      UInt64(CRC8SAEJ1850.checksum(byte.span))
        == bitwiseCRC(byte, width: 8, poly: 0x1D, initial: 0xFF, reflected: false, xorOut: 0xFF))
    #expect(
      UInt64(CRC8AUTOSAR.checksum(byte.span))
        == bitwiseCRC(byte, width: 8, poly: 0x2F, initial: 0xFF, reflected: false, xorOut: 0xFF))
    #expect(
      UInt64(CRC16IBM3740.checksum(byte.span))
        == bitwiseCRC(byte, width: 16, poly: 0x1021, initial: 0xFFFF, reflected: false, xorOut: 0))
    #expect(
      UInt64(CRC32ISOHDLC.checksum(byte.span))
        == bitwiseCRC(
          byte, width: 32, poly: 0x04C1_1DB7, initial: 0xFFFF_FFFF, reflected: true,
          xorOut: 0xFFFF_FFFF))
  }
}

@Test func randomMessagesMatchTheBitwiseDefinition() {
  var rng = SplitMix64(seed: 40)
  for _ in 0..<500 {
    let message = (0..<rng.next(below: 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    #expect(
      UInt64(CRC8SAEJ1850.checksum(message.span))
        == bitwiseCRC(message, width: 8, poly: 0x1D, initial: 0xFF, reflected: false, xorOut: 0xFF))
    #expect(
      UInt64(CRC8AUTOSAR.checksum(message.span))
        == bitwiseCRC(message, width: 8, poly: 0x2F, initial: 0xFF, reflected: false, xorOut: 0xFF))
    #expect(
      UInt64(CRC16IBM3740.checksum(message.span))
        == bitwiseCRC(
          message, width: 16, poly: 0x1021, initial: 0xFFFF, reflected: false, xorOut: 0))
    #expect(
      UInt64(CRC32ISOHDLC.checksum(message.span))
        == bitwiseCRC(
          message, width: 32, poly: 0x04C1_1DB7, initial: 0xFFFF_FFFF, reflected: true,
          xorOut: 0xFFFF_FFFF))
  }
}

@Test func bytewiseAndSpanUpdatesGiveTheOneShotResult() {
  var crc = CRC32ISOHDLC()
  for byte in checkInput.prefix(4) { crc.update(byte) }
  let rest: [9 of UInt8] = [0x35, 0x36, 0x37, 0x38, 0x39, 0, 0, 0, 0]
  crc.update(rest.span.extracting(0..<5))
  #expect(crc.finish() == 0xCBF4_3926)
}

@Test func resumingFromAPartialChecksumContinuesTheComputation() {
  let head = Array(checkInput.prefix(3))
  let tail = Array(checkInput.dropFirst(3))
  var crc8 = CRC8SAEJ1850(resuming: CRC8SAEJ1850.checksum(head.span))
  crc8.update(tail.span)
  #expect(crc8.finish() == 0x4B)
  var crc8H2F = CRC8AUTOSAR(resuming: CRC8AUTOSAR.checksum(head.span))
  crc8H2F.update(tail.span)
  #expect(crc8H2F.finish() == 0xDF)
  var crc16 = CRC16IBM3740(resuming: CRC16IBM3740.checksum(head.span))
  crc16.update(tail.span)
  #expect(crc16.finish() == 0x29B1)
  var crc32 = CRC32ISOHDLC(resuming: CRC32ISOHDLC.checksum(head.span))
  crc32.update(tail.span)
  #expect(crc32.finish() == 0xCBF4_3926)
}

@Test func finishLeavesTheStateUsableForMoreBytes() {
  var crc = CRC16IBM3740()
  crc.update(Array(checkInput.prefix(5)).span)
  _ = crc.finish()
  crc.update(Array(checkInput.dropFirst(5)).span)
  #expect(crc.finish() == 0x29B1)
}

@Test func startUpSelfTestPassesOnAHealthyBuild() {
  #expect(ControlMathSelfTest.run())
}
