import Platform
import Testing

@testable import VehicleNetwork

private typealias ECUServer = DiagnosticServer<FakeECU, XTEASecurityKeyAlgorithm>

private func makeDiagnostics(now_ms: UInt32 = 0, bootDelay_ms: UInt32 = 0) -> ECUServer {
  var configuration = DiagnosticServerConfiguration.inverter
  configuration.uds.bootDelay_ms = bootDelay_ms
  var table = DataIdentifierTable.ecuIdentification()
  let vin = testVIN
  table.setValue(UDSIdentifiers.vin, vin.span)
  return DiagnosticServer(
    configuration: configuration, application: FakeECU(),
    keys: XTEASecurityKeyAlgorithm.development, dataIdentifiers: table, dtcs: testDTCs(),
    seedEntropy: 1, now_ms: now_ms)
}

private func frame(_ id: UInt32, _ bytes: [UInt8]) -> CANFrame {
  var frame = CANFrame(id: id, length: UInt8(bytes.count))
  for (i, byte) in bytes.enumerated() { frame.data[i] = byte }
  return frame
}

private func drain(_ server: inout ECUServer, at now_ms: UInt32) -> [CANFrame] {
  var frames: [CANFrame] = []
  while let next = server.poll(now_ms: now_ms) { frames.append(next) }
  return frames
}

/// A tester on 0x7E0/0x7E8: sends `request` over ISO-TP, runs both sides 1 ms at a time and
/// returns the first complete response (nil after `timeout_ms`).
private func exchange(
  _ server: inout ECUServer, _ request: [UInt8], from start_ms: UInt32 = 0,
  timeout_ms: UInt32 = 200
) -> [UInt8]? {
  var tester = IsoTpEndpoint(
    configuration: IsoTpConfiguration(transmitID: 0x7E0, receiveID: 0x7E8))
  var toECU = [try! tester.send(request.span, now_ms: start_ms)]
  var now = start_ms
  while now &- start_ms < timeout_ms {
    for f in toECU { server.receive(f, now_ms: now) }
    toECU = []
    while let next = tester.poll(now_ms: now) { toECU.append(next) }
    for f in drain(&server, at: now) {
      #expect(f.id == 0x7E8)
      switch tester.receive(f, now_ms: now) {
      case .sendFlowControl(let reply): toECU.append(reply)
      case .messageComplete(let length): return (0..<length).map { tester.receiver[$0] }
      case .nothing: break
      }
    }
    now += 1
  }
  return nil
}

@Test func physicalSingleFrameRequestIsAnsweredOn0x7E8PaddedWith0xCC() {
  var server = makeDiagnostics()
  server.receive(frame(0x7E0, [0x02, 0x3E, 0x00, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC]), now_ms: 0)
  let frames = drain(&server, at: 0)
  #expect(frames == [frame(0x7E8, [0x02, 0x7E, 0x00, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC])])
}

@Test func vinReadIsASegmentedResponseOverISOTP() {
  var server = makeDiagnostics()
  #expect(exchange(&server, [0x22, 0xF1, 0x90]) == [0x62, 0xF1, 0x90] + testVIN)
}

@Test func segmentedVINWriteGetsFlowControlAndIsStored() {
  var server = makeDiagnostics()
  #expect(exchange(&server, [0x10, 0x03])?.first == 0x50)
  let seedReply = exchange(&server, [0x27, 0x01])!
  let seed = seedReply[2...5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  let key = XTEASecurityKeyAlgorithm.development.key(seed: seed, level: 1)
  #expect(exchange(&server, [0x27, 0x02] + bigEndian(key)) == [0x67, 0x02])
  let newVIN = Array("WKAIRO00000000042".utf8)
  #expect(exchange(&server, [0x2E, 0xF1, 0x90] + newVIN) == [0x6E, 0xF1, 0x90])
  #expect(exchange(&server, [0x22, 0xF1, 0x90]) == [0x62, 0xF1, 0x90] + newVIN)
  #expect(server.application.written.first?.1 == newVIN)
}

@Test func functionalRequestOn0x7DFIsAnsweredOnThePhysicalResponseID() {
  var server = makeDiagnostics()
  server.receive(frame(0x7DF, [0x02, 0x10, 0x03, 0, 0, 0, 0, 0]), now_ms: 0)
  let frames = drain(&server, at: 0)
  #expect(frames.count == 1)
  #expect(frames.first?.id == 0x7E8)
  #expect(frames.first?.data[1] == 0x50)
}

@Test func functionalRequestsGetNoNegativeResponseForUnsupportedServicesOrSubFunctions() {
  var server = makeDiagnostics()
  server.receive(frame(0x7DF, [0x02, 0x23, 0x00, 0, 0, 0, 0, 0]), now_ms: 0)
  server.receive(frame(0x7DF, [0x02, 0x3E, 0x05, 0, 0, 0, 0, 0]), now_ms: 0)
  server.receive(frame(0x7DF, [0x03, 0x22, 0x12, 0x34, 0, 0, 0, 0]), now_ms: 0)
  server.receive(frame(0x7DF, [0x02, 0x85, 0x02, 0, 0, 0, 0, 0]), now_ms: 0)
  #expect(drain(&server, at: 0) == [])
  // A length error is still reported.
  server.receive(frame(0x7DF, [0x01, 0x3E, 0, 0, 0, 0, 0, 0]), now_ms: 1)
  #expect(drain(&server, at: 1).first?.data[3] == 0x13)
}

@Test func functionalFirstFramesAndOtherIdentifiersAreIgnored() {
  var server = makeDiagnostics()
  server.receive(frame(0x7DF, [0x10, 0x14, 0x2E, 0xF1, 0x90, 0, 0, 0]), now_ms: 0)
  server.receive(frame(0x7E1, [0x02, 0x3E, 0x00, 0, 0, 0, 0, 0]), now_ms: 0)
  server.receive(frame(0x7DF, [0x09, 0x3E, 0x00, 0, 0, 0, 0, 0]), now_ms: 0)
  #expect(drain(&server, at: 0) == [])
}

@Test func suppressedTesterPresentSendsNoFrame() {
  var server = makeDiagnostics()
  server.receive(frame(0x7DF, [0x02, 0x3E, 0x80, 0, 0, 0, 0, 0]), now_ms: 0)
  #expect(drain(&server, at: 0) == [])
}

@Test func resetIsReportedOnlyAfterItsPositiveResponseWasHandedOut() {
  var server = makeDiagnostics()
  server.receive(frame(0x7E0, [0x02, 0x11, 0x01, 0, 0, 0, 0, 0]), now_ms: 0)
  #expect(server.takeResetRequest() == nil)
  let response = server.poll(now_ms: 0)
  #expect(response?.data[1] == 0x51)
  #expect(server.takeResetRequest() == nil)
  #expect(server.poll(now_ms: 1) == nil)
  #expect(server.takeResetRequest() == .hardReset)
  #expect(server.takeResetRequest() == nil)
}

@Test func pendingRoutineSends0x78ThenTheFinalResponseOverCAN() {
  var server = makeDiagnostics()
  server.application.calibrationDuration_ms = 2500
  #expect(exchange(&server, [0x10, 0x03])?.first == 0x50)
  let seedReply = exchange(&server, [0x27, 0x01])!
  let seed = seedReply[2...5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  let key = XTEASecurityKeyAlgorithm.development.key(seed: seed, level: 1)
  #expect(exchange(&server, [0x27, 0x02] + bigEndian(key)) == [0x67, 0x02])
  server.receive(frame(0x7E0, [0x04, 0x31, 0x01, 0xFF, 0x00, 0, 0, 0]), now_ms: 1000)
  var responses: [(UInt32, [UInt8])] = []
  for t in UInt32(1000)...UInt32(4000) {
    for f in drain(&server, at: t) {
      responses.append((t, (1...Int(f.data[0])).map { f.data[$0] }))
    }
  }
  #expect(
    responses.map { $0.1 } == [
      [0x7F, 0x31, 0x78], [0x7F, 0x31, 0x78], [0x71, 0x01, 0xFF, 0x00, 0x00],
    ])
  #expect(responses.map { $0.0 } == [1000, 3000, 3500])
}

// MARK: - Persistence of the attempt counter and the DTCs

@Test func attemptCounterSurvivesAResetAndExhaustedMeans10sLockoutFromPowerUp() {
  var store = FakeStore()
  var server = makeDiagnostics()
  server.restore(from: store, now_ms: 0)
  server.uds.poll(now_ms: 10_000)
  #expect(exchange(&server, [0x10, 0x03], from: 10_000)?.first == 0x50)
  _ = exchange(&server, [0x27, 0x01], from: 10_001)
  #expect(exchange(&server, [0x27, 0x02, 0, 0, 0, 0], from: 10_002) == negative(0x27, .invalidKey))
  _ = exchange(&server, [0x27, 0x01], from: 10_003)
  #expect(
    exchange(&server, [0x27, 0x02, 0, 0, 0, 0], from: 10_004)
      == negative(0x27, .exceededNumberOfAttempts))
  server.persist(into: &store)

  var rebooted = makeDiagnostics()
  let result = rebooted.restore(from: store, now_ms: 0)
  #expect(result.securityRecord == .valid)
  #expect(rebooted.uds.failedKeyAttempts == 2)
  #expect(exchange(&rebooted, [0x10, 0x03], from: 0)?.first == 0x50)
  #expect(
    exchange(&rebooted, [0x27, 0x01], from: 4000) == negative(0x27, .requiredTimeDelayNotExpired))
  #expect(exchange(&rebooted, [0x3E, 0x00], from: 8000) == [0x7E, 0x00])
  #expect(exchange(&rebooted, [0x27, 0x01], from: 10_000)?.first == 0x67)
}

@Test func oneFailedAttemptSurvivesAResetAndOnlyTheBootDelayApplies() {
  var store = FakeStore()
  var server = makeDiagnostics()
  server.restore(from: store, now_ms: 0)
  server.uds.poll(now_ms: 10_000)
  _ = exchange(&server, [0x10, 0x03], from: 10_000)
  _ = exchange(&server, [0x27, 0x01], from: 10_001)
  _ = exchange(&server, [0x27, 0x02, 0, 0, 0, 0], from: 10_002)
  server.persist(into: &store)

  var rebooted = makeDiagnostics(bootDelay_ms: 1000)
  rebooted.restore(from: store, now_ms: 0)
  #expect(rebooted.uds.failedKeyAttempts == 1)
  _ = exchange(&rebooted, [0x10, 0x03], from: 0)
  #expect(
    exchange(&rebooted, [0x27, 0x01], from: 500) == negative(0x27, .requiredTimeDelayNotExpired))
  #expect(exchange(&rebooted, [0x27, 0x01], from: 1000)?.first == 0x67)
  // The attempt from before the reset counts: one more wrong key locks out.
  #expect(
    exchange(&rebooted, [0x27, 0x02, 0, 0, 0, 0], from: 1001)
      == negative(0x27, .exceededNumberOfAttempts))
}

@Test func erasedStoreIsANewECUWithNoFailedAttempts() {
  var server = makeDiagnostics()
  let result = server.restore(from: FakeStore(), now_ms: 0)
  #expect(result == DiagnosticRestoreResult(securityRecord: .erased, dtcRecordValid: false))
  #expect(server.uds.failedKeyAttempts == 0)
}

@Test func corruptSecurityRecordCountsAsExhaustedAttempts() {
  var store = FakeStore()
  var server = makeDiagnostics()
  server.restore(from: store, now_ms: 0)
  server.persist(into: &store)
  store.bytes[3] ^= 0x01
  var rebooted = makeDiagnostics()
  let result = rebooted.restore(from: store, now_ms: 0)
  #expect(result.securityRecord == .corrupt)
  #expect(rebooted.uds.failedKeyAttempts == 2)
  #expect(rebooted.uds.isSecurityDelayActive)
}

@Test func bootCounterAdvancesEveryPowerUpSoSeedsDiffer() {
  var store = FakeStore()
  var first = makeDiagnostics()
  first.restore(from: store, now_ms: 0)
  first.persist(into: &store)
  var second = makeDiagnostics()
  second.restore(from: store, now_ms: 0)
  second.persist(into: &store)
  #expect(second.bootCount == first.bootCount + 1)
  first.uds.poll(now_ms: 10_000)
  second.uds.poll(now_ms: 10_000)
  _ = exchange(&first, [0x10, 0x03], from: 10_000)
  _ = exchange(&second, [0x10, 0x03], from: 10_000)
  let seedA = exchange(&first, [0x27, 0x01], from: 10_001)
  let seedB = exchange(&second, [0x27, 0x01], from: 10_001)
  #expect(seedA?.first == 0x67 && seedB?.first == 0x67)
  #expect(seedA != seedB)
}

@Test func dtcsSurviveAResetThroughTheStore() {
  var store = FakeStore()
  var server = makeDiagnostics()
  server.restore(from: store, now_ms: 0)
  var signals = FreezeFrame()
  signals.signals[0] = 412.5
  server.dtcs.report(dtcOvertemperature, failed: true, freezeFrame: signals)
  server.persist(into: &store)
  #expect(!server.dtcs.needsSaving)

  var rebooted = makeDiagnostics()
  let result = rebooted.restore(from: store, now_ms: 0)
  #expect(result.dtcRecordValid)
  #expect(rebooted.dtcs.status(of: dtcOvertemperature)?.rawValue == 0xAF)
  #expect(rebooted.dtcs.freezeFrame(of: dtcOvertemperature) == signals)
  #expect(exchange(&rebooted, [0x19, 0x02, 0x08]) == [0x59, 0x02, 0xFF, 0x0A, 0x2C, 0x00, 0xAF])
}

@Test func requestLongerThanThe264ByteBufferIsRefusedWithOverflow() {
  var server = makeDiagnostics()
  // First frame announcing 265 bytes (0x109).
  server.receive(frame(0x7E0, [0x11, 0x09, 0x2E, 0xF1, 0x90, 0, 0, 0]), now_ms: 0)
  let frames = drain(&server, at: 0)
  #expect(frames.count == 1)
  #expect(frames.first?.data[0] == 0x32)  // flow status overflow
  server.receive(frame(0x7E0, [0x11, 0x08, 0x2E, 0xF1, 0x90, 0, 0, 0]), now_ms: 1)
  #expect(drain(&server, at: 1).first?.data[0] == 0x30)  // 264 bytes: continue to send
}
