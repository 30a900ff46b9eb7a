// Table-driven CRCs with the parameters and check values of the CRC RevEng catalogue
// (check = CRC of the ASCII bytes "123456789"). The tables are literals in CRCTables.swift.
//
// Each CRC is a small value: `init()` starts, `update` feeds one byte or a span, `finish()`
// returns the checksum and leaves the state usable for more bytes. `init(resuming:)` continues
// from a previous checksum, as AUTOSAR's Crc_CalculateCRC* do with a start value on a
// non-first call.

/// CRC-8/SAE-J1850: poly 0x1D, init 0xFF, not reflected, xorout 0xFF, check 0x4B.
/// The CRC of AUTOSAR E2E profiles 1 and 2.
@frozen
public struct CRC8SAEJ1850: Sendable {
  @usableFromInline var register: UInt8

  public init() {
    register = 0xFF
  }

  /// Continues a computation whose `finish()` returned `checksum`.
  public init(resuming checksum: UInt8) {
    register = checksum ^ 0xFF
  }

  @inlinable
  public mutating func update(_ byte: UInt8) {
    register = CRCTables.crc8SAEJ1850[Int(register ^ byte)]
  }

  @inlinable
  public mutating func update(_ bytes: Span<UInt8>) {
    for i in bytes.indices { update(bytes[i]) }
  }

  @inlinable
  public func finish() -> UInt8 {
    register ^ 0xFF
  }

  /// The CRC of `bytes` in one call.
  @inlinable
  public static func checksum(_ bytes: Span<UInt8>) -> UInt8 {
    var crc = CRC8SAEJ1850()
    crc.update(bytes)
    return crc.finish()
  }
}

/// CRC-8/AUTOSAR (AUTOSAR "CRC8H2F"): poly 0x2F, init 0xFF, not reflected, xorout 0xFF,
/// check 0xDF.
@frozen
public struct CRC8AUTOSAR: Sendable {
  @usableFromInline var register: UInt8

  public init() {
    register = 0xFF
  }

  /// Continues a computation whose `finish()` returned `checksum`.
  public init(resuming checksum: UInt8) {
    register = checksum ^ 0xFF
  }

  @inlinable
  public mutating func update(_ byte: UInt8) {
    register = CRCTables.crc8AUTOSAR[Int(register ^ byte)]
  }

  @inlinable
  public mutating func update(_ bytes: Span<UInt8>) {
    for i in bytes.indices { update(bytes[i]) }
  }

  @inlinable
  public func finish() -> UInt8 {
    register ^ 0xFF
  }

  /// The CRC of `bytes` in one call.
  @inlinable
  public static func checksum(_ bytes: Span<UInt8>) -> UInt8 {
    var crc = CRC8AUTOSAR()
    crc.update(bytes)
    return crc.finish()
  }
}

/// CRC-16/IBM-3740, a.k.a. CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected,
/// xorout 0, check 0x29B1.
@frozen
public struct CRC16IBM3740: Sendable {
  @usableFromInline var register: UInt16

  public init() {
    register = 0xFFFF
  }

  /// Continues a computation whose `finish()` returned `checksum`.
  public init(resuming checksum: UInt16) {
    register = checksum
  }

  @inlinable
  public mutating func update(_ byte: UInt8) {
    let index = UInt8(truncatingIfNeeded: register >> 8) ^ byte
    register = (register << 8) ^ CRCTables.crc16IBM3740[Int(index)]
  }

  @inlinable
  public mutating func update(_ bytes: Span<UInt8>) {
    for i in bytes.indices { update(bytes[i]) }
  }

  @inlinable
  public func finish() -> UInt16 {
    register
  }

  /// The CRC of `bytes` in one call.
  @inlinable
  public static func checksum(_ bytes: Span<UInt8>) -> UInt16 {
    var crc = CRC16IBM3740()
    crc.update(bytes)
    return crc.finish()
  }
}

/// CRC-32/ISO-HDLC (the CRC of Ethernet, zlib and PNG): poly 0x04C11DB7, init 0xFFFFFFFF,
/// reflected, xorout 0xFFFFFFFF, check 0xCBF43926.
@frozen
public struct CRC32ISOHDLC: Sendable {
  @usableFromInline var register: UInt32

  public init() {
    register = 0xFFFF_FFFF
  }

  /// Continues a computation whose `finish()` returned `checksum`.
  public init(resuming checksum: UInt32) {
    register = checksum ^ 0xFFFF_FFFF
  }

  @inlinable
  public mutating func update(_ byte: UInt8) {
    let index = UInt8(truncatingIfNeeded: register) ^ byte
    register = (register >> 8) ^ CRCTables.crc32ISOHDLC[Int(index)]
  }

  @inlinable
  public mutating func update(_ bytes: Span<UInt8>) {
    for i in bytes.indices { update(bytes[i]) }
  }

  @inlinable
  public func finish() -> UInt32 {
    register ^ 0xFFFF_FFFF
  }

  /// The CRC of `bytes` in one call.
  @inlinable
  public static func checksum(_ bytes: Span<UInt8>) -> UInt32 {
    var crc = CRC32ISOHDLC()
    crc.update(bytes)
    return crc.finish()
  }
}
