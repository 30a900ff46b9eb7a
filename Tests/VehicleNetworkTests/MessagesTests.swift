import Platform
import Testing

@testable import VehicleNetwork

@Test func torqueRequestRoundTripsWithinHalfAStep() {
  let request = VCUTorqueRequest(
    torqueRequestCRC: 0, torqueRequestCounter: 5, controlMode: .speed, enable: true,
    torqueRequest_Nm: -123.44, speedRequest_rpm: -4500, keyState: .run)
  let frame = request.encode()
  #expect(frame.id == 0x101)
  #expect(frame.length == 8)
  let decoded = VCUTorqueRequest.decode(frame)
  #expect(decoded?.controlMode == .speed)
  #expect(decoded?.enable == true)
  #expect(decoded?.keyState == .run)
  #expect(decoded?.speedRequest_rpm == -4500)
  #expect(decoded?.torqueRequestCounter == 5)
  #expect(abs((decoded?.torqueRequest_Nm ?? 0) - -123.44) <= 0.05)
}

@Test func torqueRequestBytesFollowTheDBCLayout() {
  let request = VCUTorqueRequest(
    torqueRequestCRC: 0xAA, torqueRequestCounter: 3, controlMode: .speed, enable: true,
    torqueRequest_Nm: 100, speedRequest_rpm: 0x0102, keyState: .crank)
  let frame = request.encode()
  // Byte 1: counter 3 in bits 8...11, mode 1 at bit 12, enable at bit 14 -> 0x53.
  // Torque 100 Nm / 0.1 = 1000 = 0x03E8 little-endian; speed 0x0102; key 3 in bits 48...49.
  let expected: [UInt8] = [0xAA, 0x53, 0xE8, 0x03, 0x02, 0x01, 0x03, 0x00]
  #expect((0..<8).map { frame.data[$0] } == expected)
}

@Test func outOfRangeTorqueRequestIsSentAsTheRangeLimit() {
  var request = VCUTorqueRequest(
    torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: true,
    torqueRequest_Nm: 900, speedRequest_rpm: 20000, keyState: .run)
  var decoded = VCUTorqueRequest.decode(request.encode())
  #expect(decoded?.torqueRequest_Nm == 400)
  #expect(decoded?.speedRequest_rpm == 12000)
  request.torqueRequest_Nm = -900
  decoded = VCUTorqueRequest.decode(request.encode())
  #expect(decoded?.torqueRequest_Nm == -400)
}

@Test func decodeRejectsAnotherIdentifierOrLength() {
  let frame = INVStatus2(
    inverterTemperature_degC: 60, motorTemperature_degC: 80, currentD_A: -20, currentQ_A: 150,
    voltageD_V: -30, voltageQ_V: 200
  ).encode()
  #expect(INVStatus2.decode(frame) != nil)
  var wrongID = frame
  wrongID.id = INVStatus.id
  #expect(INVStatus2.decode(wrongID) == nil)
  var short = frame
  short.length = 7
  #expect(INVStatus2.decode(short) == nil)
  var extended = frame
  extended.isExtended = true
  #expect(INVStatus2.decode(extended) == nil)
}

@Test func bmsStatusIsMotorolaOrderWithPackVoltageInBytes0And1() {
  let status = BMSStatus(
    packVoltage_V: 350.0, packCurrent_A: -12.3, soc_pct: 55.5, soh_pct: 98.5, state: .closed,
    contactorPositive: true, contactorNegative: true, contactorPrecharge: false)
  let frame = status.encode()
  #expect(frame.data[0] == 0x0D)  // 3500 = 0x0DAC, most significant byte first
  #expect(frame.data[1] == 0xAC)
  #expect(frame.data[2] == 0xFF)  // -123 = 0xFF85
  #expect(frame.data[3] == 0x85)
  let decoded = BMSStatus.decode(frame)
  #expect(decoded?.state == .closed)
  #expect(decoded?.contactorPositive == true)
  #expect(decoded?.contactorPrecharge == false)
  #expect(abs((decoded?.soc_pct ?? 0) - 55.5) <= 0.05)
  #expect(abs((decoded?.soh_pct ?? 0) - 98.5) <= 0.25)
  #expect(abs((decoded?.packCurrent_A ?? 0) - -12.3) <= 0.05)
}

@Test func unknownStateValuesStillDecode() {
  var frame = INVStatus(
    torque_Nm: 0, speed_rpm: 0, dcCurrent_A: 0, dcVoltage_V: 350, state: .running,
    deratingTemperature: false, deratingVoltage: false, deratingSpeed: false,
    deratingCurrent: false, faultCode: 0
  ).encode()
  frame.data[6] |= 0x3C  // state bits 50...53 = 15, not in the value table
  #expect(INVStatus.decode(frame)?.state.rawValue == 15)
}

@Test func cellVoltagesAreMultiplexedFourPerFrame() {
  var voltages = [4 of Float](repeating: 0)
  voltages[0] = 3.701
  voltages[1] = 3.702
  voltages[2] = 4.2
  voltages[3] = 2.5
  let frame = BMSCellVoltages(index: 23, cellVoltage_V: voltages).encode()
  #expect(frame.data[0] == 23)
  let decoded = BMSCellVoltages.decode(frame)
  #expect(decoded?.index == 23)
  for i in 0..<4 { #expect(abs((decoded?.cellVoltage_V[i] ?? 0) - voltages[i]) <= 0.0005) }
}

@Test func cellVoltagesWithAnUndefinedIndexDoNotDecode() {
  var frame = BMSCellVoltages(index: 0, cellVoltage_V: .init(repeating: 3.7)).encode()
  frame.data[0] = 24
  #expect(BMSCellVoltages.decode(frame) == nil)
  // Encoding clamps the index to 0...23.
  #expect(BMSCellVoltages(index: 200, cellVoltage_V: .init(repeating: 3.7)).encode().data[0] == 23)
}

@Test func diagnosticEventCarriesABigEndianThreeByteDTC() {
  let frame = DiagnosticEvent(ecu: .bms, dtc: 0x12_3456, status: 0x09).encode()
  #expect(frame.length == 5)
  #expect((0..<5).map { frame.data[$0] } == [0x03, 0x12, 0x34, 0x56, 0x09])
  #expect(DiagnosticEvent.decode(frame)?.dtc == 0x12_3456)
}

@Test func cycleTimesComeFromTheDBC() {
  #expect(VCUTorqueRequest.cycleTime_ms == 10)
  #expect(INVStatus.cycleTime_ms == 10)
  #expect(BMSStatus.cycleTime_ms == 100)
  #expect(BMSLimits.cycleTime_ms == 100)
  #expect(BMSCellVoltages.cycleTime_ms == 40)
  #expect(DiagnosticEvent.cycleTime_ms == 0)
}
