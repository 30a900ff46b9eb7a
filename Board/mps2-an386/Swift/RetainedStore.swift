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
