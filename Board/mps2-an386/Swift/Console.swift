import BoardSupport
import _Volatile

/// The board console on UART0 (the first `-serial` of QEMU). `print` writes here through
/// `putchar`; everything is written synchronously so nothing is lost before a reset or exit.
public enum Console {
  public static func start() {
    let uart = CMSDKUART.uart0
    uart.bauddiv.store(16)  // the smallest divider the CMSDK UART accepts
    uart.ctrl.store(CMSDKUART.ctrlTXEnable | CMSDKUART.ctrlRXEnable)
  }

  public static func write(byte: UInt8) {
    let uart = CMSDKUART.uart0
    while uart.state.load() & CMSDKUART.stateTXFull != 0 {}
    uart.data.store(UInt32(byte))
  }

  public static func write(_ text: StaticString) {
    text.withUTF8Buffer { bytes in
      for byte in bytes { write(byte: byte) }
    }
  }

  public static func write(hex value: UInt32) {
    write("0x")
    var shift: UInt32 = 28
    while true {
      let nibble = UInt8(truncatingIfNeeded: (value >> shift) & 0xF)
      write(byte: nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10)
      if shift == 0 { break }
      shift -= 4
    }
  }

  public static func write(decimal value: UInt32) {
    var digits: [10 of UInt8] = .init(repeating: 0)
    var count = 0
    var rest = value
    repeat {
      digits[count] = 0x30 + UInt8(truncatingIfNeeded: rest % 10)
      rest /= 10
      count += 1
    } while rest != 0
    while count > 0 {
      count -= 1
      write(byte: digits[count])
    }
  }

  public static func write(decimal value: Int32) {
    if value < 0 { write(byte: 0x2D) }
    write(decimal: value.magnitude)
  }

  /// Writes `value / 10^decimals` with exactly `decimals` digits after the point (Embedded
  /// Swift cannot print a Float without the heap).
  public static func write(fixed value: Int32, decimals: Int) {
    var scale: UInt32 = 1
    for _ in 0..<decimals { scale *= 10 }
    if value < 0 { write(byte: 0x2D) }
    write(decimal: value.magnitude / scale)
    guard decimals > 0 else { return }
    write(byte: 0x2E)
    var fraction = value.magnitude % scale
    var digitScale = scale / 10
    while digitScale > 0 {
      write(byte: 0x30 + UInt8(truncatingIfNeeded: fraction / digitScale))
      fraction %= digitScale
      digitScale /= 10
    }
  }

  public static func newline() { write(byte: 0x0A) }
}

/// The C `putchar` the Embedded Swift `print` calls.
@c(putchar)
public func boardPutchar(_ character: CInt) -> CInt {
  Console.write(byte: UInt8(truncatingIfNeeded: character))
  return character
}
