import BoardSupport

extension Board {
  /// The board's static storage for the image's ECU state (zero-filled `.bss`), bound to
  /// `ECU`. The image starts the ECU there in place and steps it through the pointer, so the
  /// state (kilobytes for the battery ECU) is RAM counted at link time, never a stack frame.
  /// `ECU` must be a trivial type (no references: every Kairo ECU is), so that its memory may
  /// be written field by field before it holds a whole value. Exits with `linkFailure` when the
  /// type does not fit the storage or is not trivial.
  public static func ecuStorage<ECU>(for type: ECU.Type) -> UnsafeMutablePointer<ECU> {
    guard _isPOD(ECU.self), MemoryLayout<ECU>.size <= Int(board_ecu_storage_size()),
      MemoryLayout<ECU>.alignment <= 8,
      let storage = board_ecu_storage()
    else {
      Console.write("error: ECU state (")
      Console.write(decimal: UInt32(MemoryLayout<ECU>.size))
      Console.write(" bytes) is not trivial or does not fit its storage")
      Console.newline()
      exit(.linkFailure)
    }
    return storage.bindMemory(to: ECU.self, capacity: 1)
  }
}
