// Stand-ins with the API of ControlMath (lookup table, debounce counter, low-pass, CRC-32)
// until that module lands; this file is deleted when BatteryManagement imports it.

struct LookupTable1D<let N: Int>: Sendable {
  let xs: [N of Float]
  let ys: [N of Float]

  init(breakpoints: [N of Float], values: [N of Float]) throws(LookupTableError) {
    for i in 1..<N where !(breakpoints[i] > breakpoints[i - 1]) {
      throw .breakpointsNotIncreasing(index: i)
    }
    xs = breakpoints
    ys = values
  }

  var breakpoints: [N of Float] { xs }
  var values: [N of Float] { ys }

  func lookup(_ x: Float) -> Float {
    if x <= xs[0] { return ys[0] }
    if x >= xs[N - 1] { return ys[N - 1] }
    var lo = 0
    var hi = N - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if x < xs[mid] { hi = mid } else { lo = mid }
    }
    let t = (x - xs[lo]) / (xs[hi] - xs[lo])
    return ys[lo] + t * (ys[hi] - ys[lo])
  }
}

public enum LookupTableError: Error, Equatable, Sendable {
  case breakpointsNotIncreasing(index: Int)
}

enum DebounceEvent: Sendable, Equatable {
  case none
  case tripped
  case healed
}

struct DebounceCounter: Sendable {
  let tripCount: UInt16
  let healCount: UInt16
  var tripped: Bool
  var run: UInt16

  init(tripCount: UInt16, healCount: UInt16, isTripped: Bool = false) {
    self.tripCount = tripCount
    self.healCount = healCount
    self.tripped = isTripped
    self.run = 0
  }

  var isTripped: Bool { tripped }

  mutating func update(failing: Bool) -> DebounceEvent {
    guard failing != tripped else {
      run = 0
      return .none
    }
    if run < UInt16.max { run += 1 }
    let needed = tripped ? healCount : tripCount
    guard run >= needed else { return .none }
    run = 0
    tripped = failing
    return failing ? .tripped : .healed
  }
}

struct LowPassFilter: Sendable {
  var alpha: Float
  var output: Float

  init(alpha: Float, initialOutput: Float = 0) {
    self.alpha = min(max(alpha, 0), 1)
    self.output = initialOutput
  }

  mutating func step(_ input: Float) -> Float {
    output += alpha * (input - output)
    return output
  }

  mutating func reset(to value: Float) {
    output = value
  }
}

struct CRC32ISOHDLC: Sendable {
  var register: UInt32 = 0xFFFF_FFFF

  init() {}

  mutating func update(_ byte: UInt8) {
    register ^= UInt32(byte)
    for _ in 0..<8 {
      register = (register & 1) != 0 ? (register >> 1) ^ 0xEDB8_8320 : register >> 1
    }
  }

  mutating func update(_ bytes: Span<UInt8>) {
    for i in bytes.indices { update(bytes[i]) }
  }

  func finish() -> UInt32 { register ^ 0xFFFF_FFFF }

  static func checksum(_ bytes: Span<UInt8>) -> UInt32 {
    var crc = CRC32ISOHDLC()
    crc.update(bytes)
    return crc.finish()
  }
}
