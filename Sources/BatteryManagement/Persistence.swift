import ControlMath
import Platform

/// What survives reset and power loss: SOC, SOH, counters and a fault log, kept as a
/// double-buffered record (two slots, sequence counter, CRC-32) in a `NonVolatileStore`.
///
/// A save always overwrites the slot that does not hold the newest valid record, and writes
/// the CRC last, so a power cut at any byte leaves the newest valid record intact: a load then
/// returns either the old record or the new one, never a mix.

/// One fault-log entry: which diagnostic and when (operating seconds).
public struct FaultLogEntry: Equatable, Sendable {
  /// `DiagnosticID.rawValue`, or 100 + `ContactorFault.rawValue`.
  public var code: UInt8
  public var operatingTime_s: UInt32

  public init(code: UInt8, operatingTime_s: UInt32) {
    self.code = code
    self.operatingTime_s = operatingTime_s
  }

  public static let contactorCodeBase: UInt8 = 100
}

/// The last `capacity` faults, oldest overwritten first.
public struct FaultLog: Equatable, Sendable {
  public static let capacity = 8
  private var entries: [8 of FaultLogEntry]
  /// Index of the next write.
  private var head: UInt8
  public private(set) var count: UInt8

  public init() {
    entries = .init(repeating: FaultLogEntry(code: 0, operatingTime_s: 0))
    head = 0
    count = 0
  }

  public mutating func append(_ entry: FaultLogEntry) {
    entries[Int(head)] = entry
    head = (head + 1) % UInt8(FaultLog.capacity)
    count = min(count + 1, UInt8(FaultLog.capacity))
  }

  /// Entry `index`, 0 = oldest.
  public func entry(_ index: Int) -> FaultLogEntry? {
    guard index >= 0 && index < Int(count) else { return nil }
    let start = (Int(head) + FaultLog.capacity - Int(count)) % FaultLog.capacity
    return entries[(start + index) % FaultLog.capacity]
  }

  public static func == (a: FaultLog, b: FaultLog) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<Int(a.count) where a.entry(i) != b.entry(i) { return false }
    return true
  }
}

public struct PersistentBatteryData: Equatable, Sendable {
  public var stateOfCharge: Float
  public var capacity_Ah: Float
  public var resistanceRatio: Float
  /// Charge taken out over the pack's life; equivalent full cycles = this / capacity.
  public var dischargeThroughput_Ah: Float
  public var equivalentFullCycles: UInt32
  public var contactorOpenedUnderLoadCount: UInt32
  public var operatingTime_s: UInt32
  public var faultLog: FaultLog

  public init(
    stateOfCharge: Float, capacity_Ah: Float, resistanceRatio: Float,
    dischargeThroughput_Ah: Float, equivalentFullCycles: UInt32,
    contactorOpenedUnderLoadCount: UInt32, operatingTime_s: UInt32, faultLog: FaultLog
  ) {
    self.stateOfCharge = stateOfCharge
    self.capacity_Ah = capacity_Ah
    self.resistanceRatio = resistanceRatio
    self.dischargeThroughput_Ah = dischargeThroughput_Ah
    self.equivalentFullCycles = equivalentFullCycles
    self.contactorOpenedUnderLoadCount = contactorOpenedUnderLoadCount
    self.operatingTime_s = operatingTime_s
    self.faultLog = faultLog
  }
}

public enum PersistenceError: UInt8, Error, Equatable, Sendable {
  case storeTooSmall
  case writeFailed
  case noValidRecord
}

/// The record format: magic "KB" (2), version (1), payload length (1), sequence (4),
/// payload, CRC-32/ISO-HDLC over everything before it (4). Little endian.
public enum BatteryRecordStore {
  public static let slotSize = 128
  public static let magic: UInt16 = 0x424B
  public static let version: UInt8 = 1
  public static let headerSize = 8
  public static let payloadSize = 4 * 7 + 2 + FaultLog.capacity * 5
  public static let recordSize = headerSize + payloadSize + 4

  /// The newest valid record and its sequence number.
  public static func load(from store: borrowing some NonVolatileStore) throws(PersistenceError)
    -> (data: PersistentBatteryData, sequence: UInt32)
  {
    guard store.capacity >= 2 * slotSize else { throw .storeTooSmall }
    let a = readSlot(store, 0)
    let b = readSlot(store, 1)
    switch (a, b) {
    case (nil, nil): throw .noValidRecord
    case (let x?, nil): return x
    case (nil, let y?): return y
    case (let x?, let y?): return isNewer(y.sequence, than: x.sequence) ? y : x
    }
  }

  /// Writes `data` as the next record into the slot not holding the newest valid one.
  @discardableResult
  public static func save(_ data: PersistentBatteryData, to store: inout some NonVolatileStore)
    throws(PersistenceError) -> UInt32
  {
    guard store.capacity >= 2 * slotSize else { throw .storeTooSmall }
    let a = readSlot(store, 0)
    let b = readSlot(store, 1)
    var target = 0
    var sequence: UInt32 = 1
    switch (a, b) {
    case (nil, nil): break
    case (let x?, nil):
      target = 1
      sequence = x.sequence &+ 1
    case (nil, let y?):
      target = 0
      sequence = y.sequence &+ 1
    case (let x?, let y?):
      if isNewer(y.sequence, than: x.sequence) {
        target = 0
        sequence = y.sequence &+ 1
      } else {
        target = 1
        sequence = x.sequence &+ 1
      }
    }
    let bytes = encode(data, sequence: sequence)
    let base = target * slotSize
    for i in 0..<recordSize {
      guard store.write(bytes[i], at: base + i) else { throw .writeFailed }
    }
    return sequence
  }

  /// Serial-number comparison (RFC 1982 style), so the counter may wrap.
  static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
    Int32(bitPattern: a &- b) > 0
  }

  static func readSlot(_ store: borrowing some NonVolatileStore, _ slot: Int)
    -> (data: PersistentBatteryData, sequence: UInt32)?
  {
    var bytes: [128 of UInt8] = .init(repeating: 0)
    let base = slot * slotSize
    for i in 0..<recordSize { bytes[i] = store.read(at: base + i) }
    return decode(bytes)
  }

  static func encode(_ d: PersistentBatteryData, sequence: UInt32) -> [128 of UInt8] {
    var w = ByteWriter()
    w.u16(magic)
    w.u8(version)
    w.u8(UInt8(payloadSize))
    w.u32(sequence)
    w.u32(d.stateOfCharge.bitPattern)
    w.u32(d.capacity_Ah.bitPattern)
    w.u32(d.resistanceRatio.bitPattern)
    w.u32(d.dischargeThroughput_Ah.bitPattern)
    w.u32(d.equivalentFullCycles)
    w.u32(d.contactorOpenedUnderLoadCount)
    w.u32(d.operatingTime_s)
    w.u8(d.faultLog.count)
    w.u8(0)
    for i in 0..<FaultLog.capacity {
      let e = d.faultLog.entry(i) ?? FaultLogEntry(code: 0, operatingTime_s: 0)
      w.u8(e.code)
      w.u32(e.operatingTime_s)
    }
    let crc = CRC32ISOHDLC.checksum(w.bytes.span.extracting(0..<w.position))
    w.u32(crc)
    return w.bytes
  }

  static func decode(_ bytes: [128 of UInt8]) -> (data: PersistentBatteryData, sequence: UInt32)? {
    var r = ByteReader(bytes: bytes)
    guard r.u16() == magic, r.u8() == version, r.u8() == UInt8(payloadSize) else { return nil }
    let crcOffset = headerSize + payloadSize
    let computed = CRC32ISOHDLC.checksum(bytes.span.extracting(0..<crcOffset))
    var crcReader = ByteReader(bytes: bytes, position: crcOffset)
    guard crcReader.u32() == computed else { return nil }
    let sequence = r.u32()
    let soc = Float(bitPattern: r.u32())
    let capacity = Float(bitPattern: r.u32())
    let resistance = Float(bitPattern: r.u32())
    let throughput = Float(bitPattern: r.u32())
    let cycles = r.u32()
    let underLoad = r.u32()
    let operating = r.u32()
    let logCount = min(Int(r.u8()), FaultLog.capacity)
    _ = r.u8()
    var log = FaultLog()
    for i in 0..<FaultLog.capacity {
      let code = r.u8()
      let time = r.u32()
      if i < logCount { log.append(FaultLogEntry(code: code, operatingTime_s: time)) }
    }
    return (
      PersistentBatteryData(
        stateOfCharge: soc, capacity_Ah: capacity, resistanceRatio: resistance,
        dischargeThroughput_Ah: throughput, equivalentFullCycles: cycles,
        contactorOpenedUnderLoadCount: underLoad, operatingTime_s: operating, faultLog: log),
      sequence
    )
  }
}

private struct ByteWriter {
  var bytes: [128 of UInt8] = .init(repeating: 0xFF)
  var position = 0

  mutating func u8(_ v: UInt8) {
    bytes[position] = v
    position += 1
  }

  mutating func u16(_ v: UInt16) {
    u8(UInt8(truncatingIfNeeded: v))
    u8(UInt8(truncatingIfNeeded: v >> 8))
  }

  mutating func u32(_ v: UInt32) {
    u16(UInt16(truncatingIfNeeded: v))
    u16(UInt16(truncatingIfNeeded: v >> 16))
  }
}

private struct ByteReader {
  let bytes: [128 of UInt8]
  var position = 0

  init(bytes: [128 of UInt8], position: Int = 0) {
    self.bytes = bytes
    self.position = position
  }

  mutating func u8() -> UInt8 {
    let v = bytes[position]
    position += 1
    return v
  }

  mutating func u16() -> UInt16 {
    let low = UInt16(u8())
    return low | UInt16(u8()) << 8
  }

  mutating func u32() -> UInt32 {
    let low = UInt32(u16())
    return low | UInt32(u16()) << 16
  }
}
