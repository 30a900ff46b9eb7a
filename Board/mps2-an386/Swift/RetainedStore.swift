import BoardSupport
import Platform

/// The board's `NonVolatileStore`: 256 bytes of RAM in `.noinit` (Board C), which startup
/// neither loads nor clears. It keeps its contents over a watchdog or software reset, not over
/// a power cycle: on a real ECU this is where data flash (EEPROM emulation) goes. Power loss
/// during a save is what the record format's double buffering and CRC cover; the host tests
/// simulate it with a store that cuts the power after any byte.
public struct RetainedRAMStore: NonVolatileStore {
  public init() {}

  /// Backs the region with the host file named by the NUL-terminated `path` (semihosting):
  /// loaded from it now, every later write written through. False when the file can be
  /// neither opened nor created. For the HIL rig, which restarts the image on the same file
  /// to reset the ECU mid-run (a QEMU process restart loses its RAM, a reset does not).
  public static func attachHostFile(_ path: [160 of UInt8]) -> Bool {
    var copy = path
    copy[159] = 0
    var span = copy.mutableSpan
    return span.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let base = buffer.baseAddress else { return false }
      return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
        retained_store_attach_file($0) == 0
      }
    }
  }

  public var capacity: Int { Int(retained_store_size()) }

  public func read(at offset: Int) -> UInt8 {
    guard offset >= 0 && offset < capacity else { return 0xFF }
    return retained_store_load(UInt32(offset))
  }

  public mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0 && offset < capacity else { return false }
    retained_store_store(UInt32(offset), byte)
    return true
  }
}

/// The second retained-RAM region (.noinit, 664 bytes): the diagnostic server's records
/// (SecurityAccess attempt counter and boot count at 0, DTC record at 16). Kept apart from
/// `RetainedRAMStore` so the BMS's double-buffered record keeps its layout.
public struct RetainedDiagnosticStore: NonVolatileStore {
  public init() {}

  /// Erases the region (every byte 0xFF, as an erased data-flash sector) after a power-on
  /// reset: RAM holds no record then, and the diagnostic server reads a region that is neither
  /// erased nor valid as a record cut by a power loss (attempts exhausted, a 10 s
  /// SecurityAccess lockout). Watchdog and software resets keep the records.
  public static func erase(after cause: ResetCause) {
    guard cause == .powerOn else { return }
    for offset in 0..<diagnostic_store_size() { diagnostic_store_store(offset, 0xFF) }
  }

  public var capacity: Int { Int(diagnostic_store_size()) }

  public func read(at offset: Int) -> UInt8 {
    guard offset >= 0 && offset < capacity else { return 0xFF }
    return diagnostic_store_load(UInt32(offset))
  }

  public mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0 && offset < capacity else { return false }
    diagnostic_store_store(UInt32(offset), byte)
    return true
  }
}
