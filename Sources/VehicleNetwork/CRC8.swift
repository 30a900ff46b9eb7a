/// CRC-8 with the SAE J1850 polynomial 0x1D (MSB first, no reflection), table-free: eight
/// shifts per byte is cheap enough for 8-byte CAN payloads and keeps 256 bytes out of flash.
enum CRC8SAEJ1850 {
  static let polynomial: UInt8 = 0x1D

  /// Continues a CRC over one byte; `crc` is the running register (no final XOR applied).
  static func update(_ crc: UInt8, _ byte: UInt8) -> UInt8 {
    var register = crc ^ byte
    for _ in 0..<8 {
      register = (register & 0x80) != 0 ? (register << 1) ^ polynomial : register << 1
    }
    return register
  }
}
