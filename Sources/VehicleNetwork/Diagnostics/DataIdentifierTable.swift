/// One row of the data-identifier table: who may read and write it.
public struct DataIdentifier: Sendable {
  public var id: UInt16
  /// Value length in bytes (fixed-length records).
  public var length: Int
  public var readSessions: UDSSessions
  /// Empty = read-only.
  public var writeSessions: UDSSessions
  /// SecurityAccess level needed to write, 0 = none.
  public var writeSecurityLevel: UInt8

  public init(
    id: UInt16, length: Int, readSessions: UDSSessions = .all, writeSessions: UDSSessions = .none,
    writeSecurityLevel: UInt8 = 0
  ) {
    self.id = id
    self.length = length
    self.readSessions = readSessions
    self.writeSessions = writeSessions
    self.writeSecurityLevel = writeSecurityLevel
  }
}

/// Why a row could not be added.
public enum DataIdentifierTableError: Error, Equatable, Sendable {
  case tableFull
  case storageFull
  case duplicate
  case invalidLength
}

/// The data identifiers served by ReadDataByIdentifier (0x22) and WriteDataByIdentifier
/// (0x2E): rows plus their values in one fixed byte pool. The application keeps the values
/// current with `setValue` and reads written values with `value`.
public struct DataIdentifierTable: Sendable {
  public static let maxEntries = 16
  public static let storageCapacity = 256

  public private(set) var count = 0
  private var entries = [16 of DataIdentifier](
    repeating: DataIdentifier(id: 0, length: 0))
  private var offsets = [16 of Int](repeating: 0)
  private var storage = [256 of UInt8](repeating: 0)
  private var used = 0

  public init() {}

  public mutating func add(_ entry: DataIdentifier) throws(DataIdentifierTableError) {
    guard count < DataIdentifierTable.maxEntries else { throw .tableFull }
    guard entry.length >= 1 else { throw .invalidLength }
    guard index(of: entry.id) == nil else { throw .duplicate }
    guard used + entry.length <= DataIdentifierTable.storageCapacity else { throw .storageFull }
    entries[count] = entry
    offsets[count] = used
    used += entry.length
    count += 1
  }

  func index(of id: UInt16) -> Int? {
    for i in 0..<count where entries[i].id == id { return i }
    return nil
  }

  public func entry(_ id: UInt16) -> DataIdentifier? {
    guard let i = index(of: id) else { return nil }
    return entries[i]
  }

  /// Byte `byte` of the value of `id`; 0 if either is out of range.
  public func value(_ id: UInt16, byte: Int) -> UInt8 {
    guard let i = index(of: id), byte >= 0, byte < entries[i].length else { return 0 }
    return storage[offsets[i] + byte]
  }

  /// Sets the whole value of `id`; false if unknown or of another length.
  @discardableResult
  public mutating func setValue(_ id: UInt16, _ bytes: Span<UInt8>) -> Bool {
    guard let i = index(of: id), bytes.count == entries[i].length else { return false }
    for k in 0..<bytes.count { storage[offsets[i] + k] = bytes[k] }
    return true
  }

  mutating func setValue(at i: Int, from request: Span<UInt8>, offset: Int) {
    for k in 0..<entries[i].length { storage[offsets[i] + k] = request[offset + k] }
  }

  func entry(at i: Int) -> DataIdentifier { entries[i] }

  func value(at i: Int, byte: Int) -> UInt8 { storage[offsets[i] + byte] }
}
