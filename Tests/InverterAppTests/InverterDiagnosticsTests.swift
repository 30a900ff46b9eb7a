import InverterApp
import MotorControl
import Platform
import Testing
import VehicleNetwork

/// A single-frame request on `id` (ISO-TP, padded).
private func request(_ bytes: [UInt8], id: UInt32 = 0x7E0) -> CANFrame {
  var data = [8 of UInt8](repeating: 0xCC)
  data[0] = UInt8(bytes.count)
  for (i, byte) in bytes.enumerated() { data[1 + i] = byte }
  return CANFrame(id: id, length: 8, data: data)
}

/// The single-frame responses the ECU sent on 0x7E8, as payloads.
private func responses(_ rig: Rig) -> [[UInt8]] {
  rig.transmitted.filter { $0.frame.id == 0x7E8 }.map { entry in
    let length = Int(entry.frame.data[0] & 0x0F)
    return (0..<length).map { entry.frame.data[1 + $0] }
  }
}

@Test func softwareVersionF195FirstFrameIsSentOn0x7E8WithinTwoMilliseconds() throws {
  var rig = Rig()
  rig.run(milliseconds: 5)
  rig.extraFrames = [request([0x22, 0xF1, 0x95])]
  rig.run(milliseconds: 2)
  // 3 + 8 bytes: a first frame announcing 11 bytes, then the tester's flow control.
  let first = try #require(rig.transmitted.first { $0.frame.id == 0x7E8 }).frame
  #expect((0..<5).map { first.data[$0] } == [0x10, 11, 0x62, 0xF1, 0x95])
}

@Test func functionalTesterPresentOn0x7DFIsAnswered() {
  var rig = Rig()
  rig.run(milliseconds: 5)
  rig.extraFrames = [request([0x3E, 0x00], id: 0x7DF)]
  rig.run(milliseconds: 2)
  #expect(responses(rig) == [[0x7E, 0x00]])
}

@Test func liveDCLinkVoltage0101IsTheLoopsVoltageInTenthsOfAVolt() throws {
  var rig = Rig()
  rig.run(milliseconds: 20)
  rig.extraFrames = [request([0x22, 0x01, 0x01])]
  rig.run(milliseconds: 2)
  let answer = try #require(responses(rig).first)
  #expect(Array(answer.prefix(3)) == [0x62, 0x01, 0x01])
  let tenths = Int(answer[3]) << 8 | Int(answer[4])
  // The plant's link is at 350 V; the sample is quantised to 0.2 V and noise-free.
  #expect(abs(Double(tenths) / 10 - Double(rig.channel(.dcLink))) <= 0.1)
}

@Test func torqueRequestLostFor200MillisecondsSetsU0100WithFreezeFrame() throws {
  var rig = Rig()
  rig.run(milliseconds: 1100)  // past the 1 s communication start delay
  #expect(
    rig.ecu.diagnostics.dtcs.status(of: InverterDTC.torqueRequestTimeout.number)
      == DTCStatus(rawValue: 0x50).withTestedAndPassed())
  rig.sendTorqueRequests = false
  rig.run(milliseconds: 200)
  let status = try #require(rig.ecu.diagnostics.dtcs.status(of: 0xC1_0087))
  #expect(status.contains(.testFailed) && status.contains(.confirmedDTC))
  let frame = try #require(rig.ecu.diagnostics.dtcs.freezeFrame(of: 0xC1_0087))
  // Slot 1 is the DC-link voltage at the failure: the plant's 350 V.
  #expect(abs(frame.signals[1] - 350) < 5)
}

@Test func communicationControlDisableTransmitStopsINVStatusButNotDiagnostics() {
  var rig = Rig()
  rig.run(milliseconds: 5)
  rig.extraFrames = [request([0x10, 0x03])]
  rig.run(milliseconds: 2)
  rig.extraFrames = [request([0x28, 0x01, 0x01])]
  rig.run(milliseconds: 2)
  rig.transmitted = []
  rig.run(milliseconds: 50)
  #expect(!rig.transmitted.contains { $0.frame.id == INVStatus.id })
  #expect(responses(rig).isEmpty)
  rig.extraFrames = [request([0x28, 0x00, 0x01])]
  rig.run(milliseconds: 30)
  #expect(responses(rig) == [[0x68, 0x00]])
  #expect(rig.transmitted.contains { $0.frame.id == INVStatus.id })
}

@Test func everyProtectionRowHasItsOwnDTCAndTheTableHas14DistinctNumbers() {
  let table = InverterDTC.table()
  #expect(table.count == InverterDTC.count)
  var numbers = Set<UInt32>()
  for row in 0..<InverterDTC.count { numbers.insert(InverterDTC.number(row: row)) }
  #expect(numbers.count == 14)
  for row in 0..<ProtectionTable.count {
    #expect(InverterDTC(rawValue: row) != nil)
  }
}

extension DTCStatus {
  /// After a passed test in this cycle: both "not completed" bits cleared.
  fileprivate func withTestedAndPassed() -> DTCStatus {
    var status = self
    status.remove(DTCStatus(rawValue: 0x50))
    return status
  }
}

/// Extended session and SecurityAccess level 1 through the ECU's bus.
private func unlock(_ rig: inout Rig) throws {
  rig.extraFrames = [request([0x10, 0x03])]
  rig.run(milliseconds: 2)
  rig.extraFrames = [request([0x27, 0x01])]
  rig.run(milliseconds: 2)
  let seed = try #require(responses(rig).last)
  try #require(seed.count == 6 && seed[0] == 0x67, "seed response \(seed)")
  let value =
    UInt32(seed[2]) << 24 | UInt32(seed[3]) << 16 | UInt32(seed[4]) << 8 | UInt32(seed[5])
  let key = XTEASecurityKeyAlgorithm.development.key(seed: value, level: 1)
  rig.extraFrames = [
    request([
      0x27, 0x02, UInt8(key >> 24), UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF),
      UInt8(key & 0xFF),
    ])
  ]
  rig.run(milliseconds: 2)
  try #require(responses(rig).last == [0x67, 0x02])
}

@Test func offsetRoutineFF00AtStandstillAnswersPendingThenOffsetsNear2048() throws {
  var rig = Rig(speed_rpm: 0)
  rig.run(milliseconds: 1100)  // offsets taken, standby, past the SecurityAccess boot delay
  try unlock(&rig)
  rig.transmitted = []
  rig.extraFrames = [request([0x31, 0x01, 0xFF, 0x00])]
  rig.run(milliseconds: 2)
  #expect(responses(rig) == [[0x7F, 0x31, 0x78]])
  // One sample per millisecond over the calibration's sample count, then the result.
  let samples = Double(InverterCalibration.brandA.offsetCalibration.sampleCount)
  rig.run(milliseconds: samples + 20)
  let first = try #require(rig.transmitted.last { $0.frame.id == 0x7E8 }?.frame)
  // 4 + 9 bytes: a first frame `71 01 FF 00` status, offset A (float, first byte).
  #expect((0..<7).map { first.data[$0] } == [0x10, 13, 0x71, 0x01, 0xFF, 0x00, 0x00])
  #expect(rig.ecu.diagnostics.application.routineStatus == 0)
}

@Test func offsetRoutineFF00WhileTurningIsRefusedWith0x22() throws {
  var rig = Rig(speed_rpm: 1000)
  rig.run(milliseconds: 1100)
  try unlock(&rig)
  rig.extraFrames = [request([0x31, 0x01, 0xFF, 0x00])]
  rig.run(milliseconds: 2)
  #expect(responses(rig).last == [0x7F, 0x31, 0x22])
}
