import Testing

@testable import BatteryManagement

@Suite("Firmware-safe conversions")
struct ConversionTests {
  @Test(
    "float(UInt32) and float(Int64) match Float's own conversion",
    arguments: [
      0, 1, -1, 65_535, 65_536, 4_294_967_295, -4_294_967_296, 360_000_000_000, -123_456_789_012,
    ] as [Int64])
  func floatConversions(value: Int64) {
    #expect(float(value) == Float(value))
    if value >= 0 && value <= Int64(UInt32.max) {
      #expect(float(UInt32(value)) == Float(value))
    }
  }

  @Test("int64(Int) sign-extends", arguments: [0, 1, -1, Int(Int32.max), Int(Int32.min)])
  func signExtension(value: Int) {
    #expect(int64(value) == Int64(value))
  }

  @Test(
    "roundedToInt rounds halves away from zero",
    arguments: [(0.49, 0), (0.5, 1), (-0.5, -1), (-1.49, -1), (2.5, 3)] as [(Float, Int)])
  func rounding(value: Float, expected: Int) {
    #expect(roundedToInt(value) == expected)
  }
}
