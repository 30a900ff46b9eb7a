import BoardSupport

/// `key=value` arguments given to the image with QEMU's
/// `-semihosting-config enable=on,arg=IMAGE,arg=key=value,...`. Unknown keys and malformed
/// values are rejected with a message naming them, and the run exits with `badCommandLine`.
public struct CommandLine {
  public static let capacity = 256
  private var bytes: [256 of UInt8] = .init(repeating: 0)
  private var length = 0

  /// Reads the command line; an image started without semihosting arguments has an empty one.
  public init() {
    var buffer: [256 of UInt8] = .init(repeating: 0)
    var mutable = buffer.mutableSpan
    let count = mutable.withUnsafeMutableBufferPointer { pointer -> CInt in
      guard let base = pointer.baseAddress else { return -1 }
      return semihosting_command_line(base, pointer.count)
    }
    bytes = buffer
    length = max(0, min(Int(count), CommandLine.capacity - 1))
  }

  /// Checks every argument after the image name against `known`; on an unknown one prints
  /// it and exits.
  public func validate<let count: Int>(known: [count of StaticString]) {
    forEachArgument { start, end in
      var equals = start
      while equals < end && bytes[equals] != 0x3D { equals += 1 }
      for index in 0..<count where matches(known[index], start, equals) { return }
      Console.write("error: unknown argument '")
      for i in start..<end { Console.write(byte: bytes[i]) }
      Console.write("'")
      Console.newline()
      Board.exit(.badCommandLine)
    }
  }

  /// The decimal value of `key=N`, `fallback` when absent; exits with a message when N is not
  /// a decimal number that fits 32 bits.
  public func unsignedValue(_ key: StaticString, default fallback: UInt32) -> UInt32 {
    var result = fallback
    forEachArgument { start, end in
      var equals = start
      while equals < end && bytes[equals] != 0x3D { equals += 1 }
      guard matches(key, start, equals) else { return }
      var value: UInt32 = 0
      var valid = equals + 1 < end
      for i in (equals + 1)..<max(equals + 1, end) {
        let digit = bytes[i] &- 0x30
        let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
        let (sum, carry) = times10.addingReportingOverflow(UInt32(digit))
        if digit > 9 || overflow || carry {
          valid = false
          break
        }
        value = sum
      }
      guard valid else {
        Console.write("error: argument '")
        Console.write(key)
        Console.write("' needs a decimal number below 2^32")
        Console.newline()
        Board.exit(.badCommandLine)
      }
      result = value
    }
    return result
  }

  /// Copies the value of `key=VALUE` into `destination` NUL-terminated; false when the key is
  /// absent, exits with a message when the value is empty or does not fit.
  public func copyValue<let size: Int>(_ key: StaticString, into destination: inout [size of UInt8])
    -> Bool
  {
    var found = false
    forEachArgument { start, end in
      var equals = start
      while equals < end && bytes[equals] != 0x3D { equals += 1 }
      guard matches(key, start, equals) else { return }
      let length = end - equals - 1
      guard length > 0, length < size else {
        Console.write("error: argument '")
        Console.write(key)
        Console.write("' needs a value of 1 to ")
        Console.write(decimal: UInt32(size - 1))
        Console.write(" characters")
        Console.newline()
        Board.exit(.badCommandLine)
      }
      for i in 0..<length { destination[i] = bytes[equals + 1 + i] }
      destination[length] = 0
      found = true
    }
    return found
  }

  private func matches(_ key: StaticString, _ start: Int, _ end: Int) -> Bool {
    key.withUTF8Buffer { keyBytes in
      guard keyBytes.count == end - start else { return false }
      for i in 0..<keyBytes.count where keyBytes[i] != bytes[start + i] { return false }
      return true
    }
  }

  /// Calls `body(start, end)` for each space-separated argument after the first (the image).
  private func forEachArgument(_ body: (Int, Int) -> Void) {
    var index = 0
    var argument = 0
    while index < length {
      while index < length && bytes[index] == 0x20 { index += 1 }
      let start = index
      while index < length && bytes[index] != 0x20 { index += 1 }
      if index > start {
        if argument > 0 { body(start, index) }
        argument += 1
      }
    }
  }
}
