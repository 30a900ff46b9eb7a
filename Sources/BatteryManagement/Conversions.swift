// Integer → Float conversions that stay concrete in firmware builds: the generic
// `Float(_: some BinaryInteger)` walks `words`, an array, which -no-allocations rejects for
// Int32/UInt32/Int64 sources. Int is 32 bits on the MCU, hence the split.

func float(_ value: UInt32) -> Float {
  Float(Int(value &>> 16)) * 65_536 + Float(Int(value & 0xFFFF))
}

func float(_ value: Int64) -> Float {
  // On the magnitude, so the two parts never cancel (−1 would be −2³² + (2³² − 1), which Float
  // rounds to 0). Int64.min has no positive counterpart: it is −2⁶³ exactly.
  if value == Int64.min { return -9.223_372e18 }
  if value < 0 { return -float(0 - value) }
  let high = Int(Int32(truncatingIfNeeded: value &>> 32))
  return Float(high) * 4_294_967_296 + float(UInt32(truncatingIfNeeded: value))
}

/// Int → Int64 with sign extension (the generic widening initialisers walk `words` too).
func int64(_ value: Int) -> Int64 {
  var result = Int64(_truncatingBits: UInt(bitPattern: value))
  if Int.bitWidth == 32 && value < 0 { result -= 4_294_967_296 }
  return result
}

/// Nearest integer, halves away from zero, for |value| < 2^31 (`Float.rounded()` is a libm
/// `roundf` call, which the firmware does not link).
func roundedToInt(_ value: Float) -> Int {
  Int(value >= 0 ? value + 0.5 : value - 0.5)
}
