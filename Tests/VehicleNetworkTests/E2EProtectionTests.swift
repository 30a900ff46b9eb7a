import Platform
import Testing

@testable import VehicleNetwork

/// Bitwise CRC-8, polynomial 0x1D, parameterised start and final XOR; independent of the
/// firmware implementation.
private func referenceCRC8(_ bytes: [UInt8], start: UInt8, finalXOR: UInt8) -> UInt8 {
  var crc = start
  for byte in bytes {
    for bit in (0..<8).reversed() {
      let feedback = ((crc >> 7) ^ (byte >> UInt8(bit))) & 1
      crc = (crc << 1) ^ (feedback == 1 ? 0x1D : 0)
    }
  }
  return crc ^ finalXOR
}

private let dataID: UInt16 = 0x0101

private func payload(counter: UInt8 = 0) -> CANFrame {
  var frame = CANFrame(id: 0x101, length: 8)
  for i in 2..<8 { frame.data[i] = UInt8(i * 17) }
  frame.data[1] = 0x50 | counter
  return frame
}

private func protectedFrames(_ count: Int) -> [CANFrame] {
  var protector = E2EProtector(dataID: dataID)
  return (0..<count).map { _ in
    var frame = payload()
    protector.protect(&frame)
    return frame
  }
}

@Test func referenceCRCMatchesTheSAEJ1850CheckValue0x4B() {
  #expect(referenceCRC8(Array("123456789".utf8), start: 0xFF, finalXOR: 0xFF) == 0x4B)
}

@Test func protectWritesProfile1CRCOverDataIDLowHighAndBytes1To7() {
  var protector = E2EProtector(dataID: dataID)
  var frame = payload()
  protector.protect(&frame)
  let covered = [UInt8(dataID & 0xFF), UInt8(dataID >> 8)] + (1..<8).map { frame.data[$0] }
  #expect(frame.data[0] == referenceCRC8(covered, start: 0x00, finalXOR: 0x00))
  #expect(frame.data[1] == 0x50)  // counter 0 in the low nibble, high nibble kept
}

@Test func counterRunsFrom0To14AndWraps() {
  let counters = protectedFrames(17).map { E2EProfile1.counter(of: $0) }
  #expect(counters == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 1])
}

@Test func aDifferentDataIDGivesADifferentCRC() {
  var a = E2EProtector(dataID: 0x0101)
  var b = E2EProtector(dataID: 0x0102)
  var frameA = payload()
  var frameB = payload()
  a.protect(&frameA)
  b.protect(&frameB)
  #expect(frameA.data[0] != frameB.data[0])
}

private func checker(maxDelta: UInt8 = 2, timeout: UInt16 = 3, toValid: UInt16 = 2) -> E2EChecker {
  E2EChecker(
    dataID: dataID, maxDeltaCounter: maxDelta, timeoutChecks: timeout, framesToValid: toValid)
}

@Test func consecutiveFramesAreInitialThenOkAndValidAfterTwo() {
  var receiver = checker(toValid: 2)
  let frames = protectedFrames(3)
  #expect(receiver.check(frames[0]) == .initial)
  #expect(!receiver.isValid)
  #expect(receiver.check(frames[1]) == .ok)
  #expect(receiver.isValid)
  #expect(receiver.check(frames[2]) == .ok)
}

@Test func sameCounterTwiceIsRepeatedAndInvalidates() {
  var receiver = checker(toValid: 1)
  let frames = protectedFrames(2)
  receiver.check(frames[0])
  receiver.check(frames[1])
  #expect(receiver.isValid)
  #expect(receiver.check(frames[1]) == .repeated)
  #expect(!receiver.isValid)
}

@Test func counterStepWithinMaxDelta2IsOkSomeLost() {
  var receiver = checker(maxDelta: 2, toValid: 1)
  let frames = protectedFrames(3)
  receiver.check(frames[0])
  #expect(receiver.check(frames[2]) == .okSomeLost)
  #expect(receiver.isValid)
}

@Test func counterJumpBeyondMaxDelta2IsWrongSequenceThenResynchronises() {
  var receiver = checker(maxDelta: 2, toValid: 2)
  let frames = protectedFrames(8)
  receiver.check(frames[0])
  receiver.check(frames[1])
  #expect(receiver.isValid)
  #expect(receiver.check(frames[5]) == .wrongSequence)
  #expect(!receiver.isValid)
  #expect(receiver.check(frames[6]) == .ok)  // new reference taken from frame 5
  #expect(!receiver.isValid)  // one good frame of the two needed
  #expect(receiver.check(frames[7]) == .ok)
  #expect(receiver.isValid)
}

@Test func counterWrapFrom14To0IsOk() {
  var receiver = checker(toValid: 1)
  let frames = protectedFrames(16)
  receiver.check(frames[14])
  #expect(receiver.check(frames[15]) == .ok)
}

@Test func corruptedPayloadIsCRCErrorAndInvalidates() {
  var receiver = checker(toValid: 1)
  var frames = protectedFrames(2)
  receiver.check(frames[0])
  frames[1].data[4] ^= 0x01
  #expect(receiver.check(frames[1]) == .crcError)
  #expect(!receiver.isValid)
}

@Test func frameShorterThanTheHeaderIsCRCError() {
  var receiver = checker()
  #expect(receiver.check(CANFrame(id: 0x101, length: 1)) == .crcError)
}

@Test func missingFramesAreNoNewDataUntil3ChecksThenLost() {
  var receiver = checker(timeout: 3, toValid: 1)
  let frames = protectedFrames(2)
  receiver.check(frames[0])
  #expect(receiver.isValid)
  #expect(receiver.check(nil) == .noNewData)
  #expect(receiver.check(nil) == .noNewData)
  #expect(receiver.isValid)
  #expect(receiver.check(nil) == .lost)
  #expect(!receiver.isValid)
  #expect(receiver.check(frames[1]) == .initial)  // reference forgotten after the loss
}

@Test func aFrameResetsTheTimeoutCount() {
  var receiver = checker(timeout: 2, toValid: 1)
  let frames = protectedFrames(3)
  receiver.check(frames[0])
  #expect(receiver.check(nil) == .noNewData)
  receiver.check(frames[1])
  #expect(receiver.check(nil) == .noNewData)
  #expect(receiver.isValid)
}

@Test func validityNeeds3ConsecutiveGoodFramesAfterAnError() {
  var receiver = checker(maxDelta: 2, toValid: 3)
  var frames = protectedFrames(7)
  for i in 0..<3 { receiver.check(frames[i]) }
  #expect(receiver.isValid)
  frames[3].data[0] ^= 0xFF
  #expect(receiver.check(frames[3]) == .crcError)
  #expect(receiver.check(frames[4]) == .okSomeLost)
  #expect(receiver.check(frames[5]) == .ok)
  #expect(!receiver.isValid)
  #expect(receiver.check(frames[6]) == .ok)
  #expect(receiver.isValid)
}

@Test func reservedCounter15IsWrongSequence() {
  var receiver = checker(toValid: 1)
  var frame = payload(counter: 15)
  frame.data[0] = E2EProfile1.crc(of: frame, dataID: dataID)
  #expect(receiver.check(frame) == .wrongSequence)
}

@Test func protectedTorqueRequestPassesTheCheckerAndStillDecodes() {
  var protector = E2EProtector(dataID: VCUTorqueRequest.e2eDataID)
  var checker = E2EChecker(
    dataID: VCUTorqueRequest.e2eDataID, maxDeltaCounter: 1, timeoutChecks: 5, framesToValid: 1)
  for step in 0..<20 {
    var frame = VCUTorqueRequest(
      torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: true,
      torqueRequest_Nm: Float(step), speedRequest_rpm: 0, keyState: .run
    ).encode()
    protector.protect(&frame)
    #expect(checker.check(frame) == (step == 0 ? .initial : .ok))
    #expect(VCUTorqueRequest.decode(frame)?.torqueRequestCounter == UInt8(step % 15))
    #expect(VCUTorqueRequest.decode(frame)?.torqueRequest_Nm == Float(step))
  }
  // The same bytes on BMS_Limits' data ID fail: a frame routed to the wrong identifier.
  var frame = VCUTorqueRequest(
    torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: true,
    torqueRequest_Nm: 0, speedRequest_rpm: 0, keyState: .run
  ).encode()
  protector.protect(&frame)
  var other = E2EChecker(
    dataID: BMSLimits.e2eDataID, maxDeltaCounter: 1, timeoutChecks: 5, framesToValid: 1)
  #expect(other.check(frame) == .crcError)
}

/// Known answers from the Profile 1 example of the AUTOSAR E2E protocol specification (PRS
/// E2EProtocol, DataIDMode BOTH): data ID 0x123, 8 zero bytes, CRC 0xCC with counter 0 and
/// 0x91 with counter 1.
@Test func protectMatchesTheAUTOSARProfile1ExampleCRCs0xCCAnd0x91() {
  var protector = E2EProtector(dataID: 0x123)
  var first = CANFrame(id: 0x123, length: 8)
  var second = CANFrame(id: 0x123, length: 8)
  protector.protect(&first)
  protector.protect(&second)
  #expect((0..<8).map { first.data[$0] } == [0xCC, 0x00, 0, 0, 0, 0, 0, 0])
  #expect((0..<8).map { second.data[$0] } == [0x91, 0x01, 0, 0, 0, 0, 0, 0])
}
