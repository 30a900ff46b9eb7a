import CoSimulation
import ControlMath
import Platform
import Testing

private func inverterSample(canFrames: Int = 2) -> InverterSampleMessage {
  var batch = CANFrameBatch()
  for index in 0..<canFrames {
    var frame = CANFrame(id: 0x100 + UInt32(index), length: 8)
    for byte in 0..<8 { frame.data[byte] = UInt8(index * 16 + byte) }
    _ = batch.append(frame)
  }
  return InverterSampleMessage(
    sample: InverterSample(
      phaseCurrentCounts: [2100, 1990], dcLinkVoltageCounts: 1750, rotorAngleCounts: 40_000,
      inverterTemperatureCounts: 700, motorTemperatureCounts: 710),
    received: batch)
}

private func encoded(_ message: InverterSampleMessage, sequence: UInt32 = 7) -> FrameBuffer {
  var buffer = FrameBuffer()
  message.encode(into: &buffer, sequence: sequence)
  return buffer
}

@Test func inverterSampleRoundTrip() throws {
  let message = inverterSample()
  let (sequence, decoded) = try InverterSampleMessage.decode(encoded(message))
  #expect(sequence == 7)
  #expect(decoded.sample == message.sample)
  #expect(decoded.received.count == 2)
  #expect(decoded.received.frames[1] == message.received.frames[1])
}

@Test func inverterSampleFrameLayoutMatchesTheProtocolDocument() {
  let buffer = encoded(inverterSample(canFrames: 1), sequence: 0x0102_0304)
  // Header: "KC", version 1, kind 0x01, payload 12 + 4 + 14 = 30, reserved, sequence LE.
  let header: [UInt8] = [0x4B, 0x43, 1, 0x01, 30, 0, 0, 0, 0x04, 0x03, 0x02, 0x01]
  #expect((0..<12).map { buffer.bytes[$0] } == header)
  #expect(buffer.count == 12 + 30 + 4)
  // Phase A counts 2100 = 0x0834, little-endian.
  #expect(buffer.bytes[12] == 0x34 && buffer.bytes[13] == 0x08)
}

@Test func inverterActuationRoundTrip() throws {
  var telemetry: [16 of Float] = .init(repeating: 0)
  for channel in 0..<16 { telemetry[channel] = Float(channel) * 1.5 - 3 }
  var batch = CANFrameBatch()
  _ = batch.append(CANFrame(id: 0x1ABC_DEF0, isExtended: true, length: 3))
  let message = InverterActuationMessage(
    command: PowerStageCommand(mode: .activeShortCircuit, duties: [0.1, 0.5, 0.9]),
    status: ActuationStatus.sampleRejected, telemetry: telemetry, transmitted: batch)
  var buffer = FrameBuffer()
  message.encode(into: &buffer, sequence: 99)
  let (sequence, decoded) = try InverterActuationMessage.decode(buffer)
  #expect(sequence == 99)
  #expect(decoded.command == message.command)
  #expect(decoded.status == ActuationStatus.sampleRejected)
  #expect((0..<16).allSatisfy { decoded.telemetry[$0] == telemetry[$0] })
  #expect(decoded.transmitted.frames[0] == batch.frames[0])
}

@Test func batterySampleRoundTrip() throws {
  var scan = CellScan()
  for cell in 0..<96 { scan.cellVoltage_mV[cell] = UInt16(3600 + cell) }
  for sensor in 0..<32 { scan.temperature_dC[sensor] = Int16(sensor * 10 - 100) }
  scan.openWire[37] = true
  scan.openWire[95] = true
  let pack = PackSample(
    current_mA: -123_456, packVoltage_dV: 3500, linkVoltage_dV: 3490,
    feedback: ContactorSet(negativeMain: true, positiveMain: false, precharge: true))
  let message = BatterySampleMessage(
    scan: scan, cellCount: 96, temperatureCount: 32, pack: pack, received: CANFrameBatch())
  var buffer = FrameBuffer()
  message.encode(into: &buffer, sequence: 5)
  let (_, decoded) = try BatterySampleMessage.decode(buffer)
  #expect(decoded.pack == pack)
  #expect((0..<96).allSatisfy { decoded.scan.cellVoltage_mV[$0] == scan.cellVoltage_mV[$0] })
  #expect((0..<32).allSatisfy { decoded.scan.temperature_dC[$0] == scan.temperature_dC[$0] })
  #expect((0..<96).filter { decoded.scan.openWire[$0] } == [37, 95])
}

@Test func batteryActuationRoundTrip() throws {
  let message = BatteryActuationMessage(
    contactors: ContactorSet(negativeMain: true, positiveMain: true, precharge: false), status: 0,
    balancingMask: [0x8000_0001, 0, 0x0000_0F00], telemetry: .init(repeating: 2.5),
    transmitted: CANFrameBatch())
  var buffer = FrameBuffer()
  message.encode(into: &buffer, sequence: 1)
  let (_, decoded) = try BatteryActuationMessage.decode(buffer)
  #expect(decoded.contactors == message.contactors)
  #expect(decoded.balancingMask[0] == 0x8000_0001 && decoded.balancingMask[2] == 0xF00)
  #expect(decoded.telemetry[15] == 2.5)
}

@Test func everySingleBitFlipIsRejected() {
  let good = encoded(inverterSample())
  for byte in 0..<good.count {
    for bit in 0..<8 {
      var bad = good
      bad.bytes[byte] ^= 1 << UInt8(bit)
      #expect(throws: FrameError.self) { try InverterSampleMessage.decode(bad) }
    }
  }
}

@Test func headerErrorsAreNamed() {
  var frame = encoded(inverterSample())
  frame.bytes[0] = 0x00
  #expect(throws: FrameError.badMagic) {
    try frame.bytes.span.extracting(0..<frame.count).frameRemainingLength()
  }
  frame = encoded(inverterSample())
  frame.bytes[2] = 9
  #expect(throws: FrameError.unsupportedVersion(9)) {
    try frame.bytes.span.extracting(0..<frame.count).frameRemainingLength()
  }
  frame = encoded(inverterSample())
  frame.bytes[5] = 0x02  // payload length 512 + ...: larger than any frame
  #expect(throws: FrameError.badLength(512 + 44)) {
    try frame.bytes.span.extracting(0..<frame.count).frameRemainingLength()
  }
}

@Test func wrongKindIsRejectedEvenWithAValidChecksum() {
  let message = BatteryActuationMessage(
    contactors: .allOpen, status: 0, balancingMask: .init(repeating: 0),
    telemetry: .init(repeating: 0), transmitted: CANFrameBatch())
  var buffer = FrameBuffer()
  message.encode(into: &buffer, sequence: 1)
  #expect(throws: FrameError.unexpectedKind(0x82)) { try InverterSampleMessage.decode(buffer) }
}

@Test func payloadLengthInconsistentWithItsCANCountIsRejected() {
  // A frame whose CAN count says 3 but carries 2 records, re-sealed with a valid CRC.
  var frame = encoded(inverterSample(canFrames: 2))
  frame.bytes[12 + 12] = 3
  frame.count -= 4
  let end = frame.count
  let crc = CRC32ISOHDLC.checksum(frame.bytes.span.extracting(0..<end))
  for i in 0..<4 { frame.append(u8: UInt8(truncatingIfNeeded: crc >> UInt32(8 * i))) }
  #expect(throws: FrameError.badLength(4 + 2 * 14)) { try InverterSampleMessage.decode(frame) }
}

@Test func moreThanEightCANFramesAreRejected() {
  var frame = encoded(inverterSample(canFrames: 0))
  frame.bytes[12 + 12] = 9
  frame.count -= 4
  let crc = CRC32ISOHDLC.checksum(frame.bytes.span.extracting(0..<frame.count))
  for i in 0..<4 { frame.append(u8: UInt8(truncatingIfNeeded: crc >> UInt32(8 * i))) }
  #expect(throws: FrameError.tooManyCANFrames(9)) { try InverterSampleMessage.decode(frame) }
}

@Test func sequenceGapsAreCountedAndTheStreamResynchronises() {
  var link = LinkDiagnostics()
  #expect(throws: Never.self) { try link.accept(sequence: 10) }
  #expect(throws: Never.self) { try link.accept(sequence: 11) }
  #expect(throws: FrameError.sequenceGap(expected: 12, received: 14)) {
    try link.accept(sequence: 14)
  }
  #expect(throws: Never.self) { try link.accept(sequence: 15) }
  #expect(throws: FrameError.sequenceGap(expected: 16, received: 15)) {
    try link.accept(sequence: 15)  // a repeated frame
  }
  #expect(link.accepted == 3)
  #expect(link.sequenceGaps == 2)
  link.count(.checksumMismatch)
  #expect(link.rejected == 3)
}

@Test func aFrameRejectedForItsContentDoesNotMakeItsSuccessorAGap() {
  var link = LinkDiagnostics()
  #expect(throws: Never.self) { try link.accept(sequence: 100) }
  link.count(.checksumMismatch)
  link.skip(sequence: 101)  // frame 101 arrived but was rejected
  #expect(throws: Never.self) { try link.accept(sequence: 102) }
  #expect(link.sequenceGaps == 0)
  #expect(link.rejected == 1)
}

/// SplitMix64, so the random frames are the same on every run.
private struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Test func randomBytesNeverTrapAndAreAlmostAlwaysRejected() {
  var random = SplitMix64(state: 42)
  var accepted = 0
  for _ in 0..<20_000 {
    var buffer = encoded(inverterSample(canFrames: Int(random.next() % 3)))
    // Mutate a few bytes or truncate: what a corrupted link delivers.
    for _ in 0..<Int(random.next() % 4) {
      buffer.bytes[Int(random.next() % UInt64(buffer.count))] = UInt8(
        truncatingIfNeeded: random.next())
    }
    if random.next() % 8 == 0 { buffer.count = Int(random.next() % UInt64(buffer.count + 1)) }
    if (try? InverterSampleMessage.decode(buffer)) != nil { accepted += 1 }
    _ = try? BatterySampleMessage.decode(buffer)
    _ = try? InverterActuationMessage.decode(buffer)
    _ = try? BatteryActuationMessage.decode(buffer)
  }
  // Unmutated frames (zero mutations, no truncation) are accepted; corrupted ones are not.
  #expect(accepted > 3000 && accepted < 6000)
}

@Test func startUpSelfTestPassesOnAHealthyBuild() {
  #expect(CoSimulationSelfTest.run())
}
