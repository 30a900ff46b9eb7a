/// Start-up known-answer tests of the module, run by every ECU image before it schedules any
/// task: a miscompiled or corrupted table (a flipped flash bit in a CRC table, a polynomial
/// coefficient) shows here instead of as wrong torque. Each returns false on a mismatch.
public enum ControlMathSelfTest {
  /// CRC check values from the reveng catalogue over "123456789".
  public static func checksums() -> Bool {
    let check: [9 of UInt8] = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]
    return CRC32ISOHDLC.checksum(check.span) == 0xCBF4_3926
      && CRC16IBM3740.checksum(check.span) == 0x29B1
      && CRC8SAEJ1850.checksum(check.span) == 0x4B
      && CRC8AUTOSAR.checksum(check.span) == 0xDF
  }

  /// sin/cos and atan2 at angles whose values are exact, within the specified accuracy.
  public static func trigonometry() -> Bool {
    let sixth = sinCos(Float.pi / 6)  // sin 30° = 0.5, cos = √3/2
    let quarter = atan2(y: 1, x: 1)
    let back = atan2(y: -1, x: -1)
    return abs(sixth.sin - 0.5) <= 2e-5 && abs(sixth.cos - 0.866_025_4) <= 2e-5
      && abs(quarter - Float.pi / 4) <= 1e-4 && abs(back + 3 * Float.pi / 4) <= 1e-4
  }

  public static func run() -> Bool { checksums() && trigonometry() }
}
