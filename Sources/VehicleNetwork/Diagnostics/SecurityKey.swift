/// SecurityAccess keys from XTEA (Needham and Wheeler, 1997: 64-bit block, 128-bit key,
/// 32 cycles), a published keyed cipher small enough for any tester script to re-implement
/// (docs/diagnostics.md gives it in Python). The block is (seed, 0x4B41_0000 | level) and the
/// key is the xor of the two ciphertext words, so the key depends on the secret, the seed and
/// the level. Without the 128-bit secret, a seed/key pair does not give the next key.
///
/// `developmentSecret` is public on purpose: it unlocks development ECUs only; production
/// builds are given their brand's secret and must never ship this one.
public struct XTEASecurityKeyAlgorithm: UDSSecurityKeyAlgorithm, Sendable {
  /// "KAIRO-DEV-SECRET" in ASCII, as four big-endian words.
  public static let developmentSecret: [4 of UInt32] = [
    0x4B41_4952, 0x4F2D_4445, 0x562D_5345, 0x4352_4554,
  ]

  private let secret: [4 of UInt32]

  public init(secret: [4 of UInt32]) {
    self.secret = secret
  }

  public static var development: XTEASecurityKeyAlgorithm {
    XTEASecurityKeyAlgorithm(secret: developmentSecret)
  }

  public func key(seed: UInt32, level: UInt8) -> UInt32 {
    let block = XTEASecurityKeyAlgorithm.encrypt(
      seed, 0x4B41_0000 | UInt32(level), secret: secret)
    return block.0 ^ block.1
  }

  /// One XTEA block encryption, 32 cycles (64 Feistel rounds).
  public static func encrypt(_ first: UInt32, _ second: UInt32, secret: [4 of UInt32]) -> (
    UInt32, UInt32
  ) {
    var v0 = first
    var v1 = second
    var sum: UInt32 = 0
    let delta: UInt32 = 0x9E37_79B9
    for _ in 0..<32 {
      v0 &+= ((v1 &<< 4 ^ v1 &>> 5) &+ v1) ^ (sum &+ secret[Int(sum & 3)])
      sum &+= delta
      v1 &+= ((v0 &<< 4 ^ v0 &>> 5) &+ v0) ^ (sum &+ secret[Int(sum &>> 11 & 3)])
    }
    return (v0, v1)
  }
}
