// Stand-ins until ControlMath lands; replaced by its lookup table and CRC.

enum Interpolation {
  static func linear<let N: Int>(_ value: Float, x: [N of Float], y: [N of Float]) -> Float {
    if value <= x[0] { return y[0] }
    if value >= x[N - 1] { return y[N - 1] }
    var low = 0
    var high = N - 1
    while high - low > 1 {
      let mid = (low + high) / 2
      if x[mid] <= value { low = mid } else { high = mid }
    }
    let t = (value - x[low]) / (x[high] - x[low])
    return y[low] + t * (y[high] - y[low])
  }
}

enum Checksum {
  static func crc32(_ bytes: borrowing [128 of UInt8], count: Int) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for i in 0..<count {
      crc ^= UInt32(bytes[i])
      for _ in 0..<8 {
        crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
      }
    }
    return ~crc
  }
}
