import BoardSupport

extension Board {
  /// The board's static storage for the image's ECU state, typed as `ECU`. The image
  /// constructs the ECU there in place and steps it through the pointer, so the state (kilobytes
  /// for the battery ECU) is RAM counted at link time, never a stack frame. Exits with
  /// `linkFailure` when the type does not fit the storage.
  public static func ecuStorage<ECU>(for type: ECU.Type) -> UnsafeMutablePointer<ECU> {
    guard MemoryLayout<ECU>.size <= Int(board_ecu_storage_size()),
      MemoryLayout<ECU>.alignment <= 8,
      let storage = board_ecu_storage()
    else {
      Console.write("error: ECU state (")
      Console.write(decimal: UInt32(MemoryLayout<ECU>.size))
      Console.write(" bytes) does not fit its storage")
      Console.newline()
      exit(.linkFailure)
    }
    return storage.bindMemory(to: ECU.self, capacity: 1)
  }
}
