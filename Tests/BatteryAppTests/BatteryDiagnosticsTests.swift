import BatteryApp
import BatteryManagement
import Platform
import Testing
import VehicleNetwork

/// A single-frame request to the BMS (ISO-TP, padded).
private func request(_ bytes: [UInt8], id: UInt32 = 0x7E1) -> CANFrame {
  var data = [8 of UInt8](repeating: 0xCC)
  data[0] = UInt8(bytes.count)
  for (i, byte) in bytes.enumerated() { data[1 + i] = byte }
  return CANFrame(id: id, length: 8, data: data)
}

private func responses(_ rig: ECURig) -> [[UInt8]] {
  rig.bus.frames(id: 0x7E9).map { entry in
    let length = Int(entry.frame.data[0] & 0x0F)
    return (0..<length).map { entry.frame.data[1 + $0] }
  }
}

private func send(_ rig: inout ECURig, _ bytes: [UInt8]) -> [UInt8]? {
  let before = rig.bus.frames(id: 0x7E9).count
  rig.bus.inbox.append(request(bytes))
  _ = rig.run(ms: 3)
  return responses(rig).dropFirst(before).first
}

@Test func packVoltage0201IsTheSampleInTenthsOfAVolt() throws {
  var rig = try ECURig()
  _ = rig.run(ms: 300)
  let answer = try #require(send(&rig, [0x22, 0x02, 0x01]))
  #expect(Array(answer.prefix(3)) == [0x62, 0x02, 0x01])
  let tenths = Int(answer[3]) << 8 | Int(answer[4])
  #expect(abs(Float(tenths) / 10 - rig.ecu.measurements[7]) <= 0.1)
}

@Test func vehicleRequestLostFor600MillisecondsSetsU0100() throws {
  var rig = try ECURig()
  _ = rig.run(ms: 1100)
  rig.vcuSending = false
  _ = rig.run(ms: 600)
  let status = try #require(
    rig.ecu.diagnostics.dtcs.status(of: BatteryDTC.vehicleRequestTimeout.number))
  #expect(status.contains(.testFailed) && status.contains(.confirmedDTC))
  let frame = try #require(rig.ecu.diagnostics.dtcs.freezeFrame(of: 0xC1_0087))
  #expect(frame.signals[3] > 3 && frame.signals[3] <= frame.signals[4])
}

@Test func balancingTestSwitchesEveryOddCellInStandbyAndEndsAfter5Seconds() throws {
  var rig = try ECURig()
  _ = rig.run(ms: 1200)
  #expect(send(&rig, [0x10, 0x03])?.first == 0x50)
  let seed = try #require(send(&rig, [0x27, 0x01]))
  try #require(seed.count == 6, "seed response \(seed)")
  let value = UInt32(seed[2]) << 24 | UInt32(seed[3]) << 16 | UInt32(seed[4]) << 8 | UInt32(seed[5])
  let key = XTEASecurityKeyAlgorithm.development.key(seed: value, level: 1)
  #expect(
    send(
      &rig,
      [
        0x27, 0x02, UInt8(key >> 24), UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF),
        UInt8(key & 0xFF),
      ])
      == [0x67, 0x02])
  #expect(send(&rig, [0x31, 0x01, 0xFF, 0x01, 0x01]) == [0x71, 0x01, 0xFF, 0x01, 1, 48])
  _ = rig.run(ms: 30)
  #expect(rig.ecu.balancingCellCount == 48)
  #expect(rig.ecu.balancingMask[0] == 0x5555_5555)
  // Tester present keeps the session; the test ends on its own after 5 s.
  for _ in 0..<3 {
    _ = send(&rig, [0x3E, 0x80])
    _ = rig.run(ms: 1700)
  }
  #expect(send(&rig, [0x31, 0x03, 0xFF, 0x01]) == [0x71, 0x03, 0xFF, 0x01, 2, 48])
}

@Test func balancingTestWithContactorsClosedIsRefusedWith0x22() throws {
  var rig = try ECURig()
  rig.key = .run
  _ = rig.run(ms: 2500)
  #expect(rig.bmsState == 3)
  #expect(send(&rig, [0x10, 0x03])?.first == 0x50)
  let seed = try #require(send(&rig, [0x27, 0x01]))
  try #require(seed.count == 6, "seed response \(seed)")
  let value = UInt32(seed[2]) << 24 | UInt32(seed[3]) << 16 | UInt32(seed[4]) << 8 | UInt32(seed[5])
  let key = XTEASecurityKeyAlgorithm.development.key(seed: value, level: 1)
  _ = send(
    &rig,
    [
      0x27, 0x02, UInt8(key >> 24), UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF),
      UInt8(key & 0xFF),
    ])
  #expect(send(&rig, [0x31, 0x01, 0xFF, 0x01]) == [0x7F, 0x31, 0x22])
}
