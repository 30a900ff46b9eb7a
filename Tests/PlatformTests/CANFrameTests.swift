import Platform
import Testing

@Test func framesCompareOnlyTheirDataBytes() {
  var a = CANFrame(id: 0x123, length: 2)
  var b = CANFrame(id: 0x123, length: 2)
  a.data[0] = 1
  b.data[0] = 1
  b.data[5] = 0xFF  // beyond the length: not part of the frame
  #expect(a == b)
  b.data[1] = 7
  #expect(a != b)
}

@Test func identifierAndLengthLimits() {
  #expect(CANFrame(id: 0x7FF, length: 8).isValid)
  #expect(!CANFrame(id: 0x800, length: 8).isValid)
  #expect(CANFrame(id: 0x800, isExtended: true, length: 8).isValid)
  #expect(!CANFrame(id: 0x2000_0000, isExtended: true, length: 0).isValid)
  #expect(!CANFrame(id: 0x10, length: 9).isValid)
}
