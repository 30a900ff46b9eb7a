#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// SplitMix64 (Steele, Lea, Flood 2014): a seeded, deterministic generator so that property
/// tests replay the same sequences on every run and machine.
struct SplitMix64 {
  private var state: UInt64

  init(seed: UInt64) {
    state = seed
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1).
  mutating func nextUnit() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// Uniform in [lower, upper).
  mutating func next(in lower: Double, _ upper: Double) -> Double {
    lower + (upper - lower) * nextUnit()
  }

  /// Uniform in 0..<bound.
  mutating func next(below bound: Int) -> Int {
    Int(next() % UInt64(bound))
  }
}

/// Double-precision references from the host C library.
enum Reference {
  static func sine(_ x: Double) -> Double { sin(x) }
  static func cosine(_ x: Double) -> Double { cos(x) }
  static func arcTangent2(_ y: Double, _ x: Double) -> Double { atan2(y, x) }
  static func roundToInteger(_ x: Double) -> Double { x.rounded() }
  static func exponentialMinusOne(_ x: Double) -> Double { expm1(x) }
  static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
}

/// Absolute difference of two angles, taking the wrap into account (π and −π are equal).
func angleDistance(_ a: Double, _ b: Double) -> Double {
  var d = (a - b).truncatingRemainder(dividingBy: 2 * Double.pi)
  if d > Double.pi { d -= 2 * Double.pi }
  if d < -Double.pi { d += 2 * Double.pi }
  return abs(d)
}
