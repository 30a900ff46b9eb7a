import Platform
import Testing

@testable import VehicleNetwork

/// A stand-in key algorithm (brands ship their own): rotate, xor, add the level.
private struct TestKeys: UDSSecurityKeyAlgorithm {
  func key(seed: UInt32, level: UInt8) -> UInt32 {
    ((seed << 7) | (seed >> 25)) ^ 0xA5A5_1234 &+ UInt32(level)
  }
}

private let vinID: UInt16 = 0xF190
private let calibrationID: UInt16 = 0x0100
private let bigID: UInt16 = 0x0200

private func makeServer() -> UDSServer<TestKeys> {
  var table = DataIdentifierTable()
  try! table.add(DataIdentifier(id: vinID, length: 17))
  try! table.add(
    DataIdentifier(
      id: calibrationID, length: 2, readSessions: .all, writeSessions: .extended,
      writeSecurityLevel: 1))
  try! table.add(DataIdentifier(id: bigID, length: 120, readSessions: .extended))
  let vin = Array("KAIRO0TEST0000001".utf8)
  table.setValue(vinID, vin.span)
  return UDSServer(
    configuration: UDSServerConfiguration(), keys: TestKeys(), dataIdentifiers: table,
    seedEntropy: 0x1234_5678)
}

@discardableResult
private func request(
  _ server: inout UDSServer<TestKeys>, _ bytes: [UInt8], at now_ms: UInt32 = 0,
  functional: Bool = false
) -> [UInt8] {
  var response = UDSResponse()
  server.handle(bytes.span, isFunctional: functional, now_ms: now_ms, response: &response)
  return (0..<response.count).map { response[$0] }
}

private func nrc(_ service: UInt8, _ code: UDSNegativeResponseCode) -> [UInt8] {
  [0x7F, service, code.rawValue]
}

private func unlock(_ server: inout UDSServer<TestKeys>, at now_ms: UInt32 = 0) {
  request(&server, [0x10, 0x03], at: now_ms)
  let seedResponse = request(&server, [0x27, 0x01], at: now_ms)
  let seed = seedResponse[2...5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  let key = TestKeys().key(seed: seed, level: 1)
  let reply = request(
    &server,
    [
      0x27, 0x02, UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF),
      UInt8(key & 0xFF),
    ],
    at: now_ms)
  #expect(reply == [0x67, 0x02])
}

// MARK: - Dispatcher and check order

@Test func unknownServiceIsServiceNotSupported() {
  var server = makeServer()
  #expect(request(&server, [0x31, 0x01, 0x02, 0x03]) == nrc(0x31, .serviceNotSupported))
}

@Test func functionalRequestsGetNoServiceNotSupportedResponse() {
  var server = makeServer()
  #expect(request(&server, [0x31, 0x01], functional: true) == [])
}

@Test func securityAccessInTheDefaultSessionIsNotSupportedInActiveSessionBeforeLength() {
  var server = makeServer()
  #expect(request(&server, [0x27]) == nrc(0x27, .serviceNotSupportedInActiveSession))
}

@Test func unsupportedSubFunctionIsReportedBeforeAWrongLength() {
  var server = makeServer()
  #expect(request(&server, [0x10, 0x05, 0x00]) == nrc(0x10, .subFunctionNotSupported))
  #expect(
    request(&server, [0x10, 0x03, 0x00]) == nrc(0x10, .incorrectMessageLengthOrInvalidFormat))
  #expect(request(&server, [0x10]) == nrc(0x10, .incorrectMessageLengthOrInvalidFormat))
}

// MARK: - 0x10 and S3

@Test func extendedSessionResponseCarriesP2Of50msAndP2StarOf5000ms() {
  var server = makeServer()
  #expect(request(&server, [0x10, 0x03]) == [0x50, 0x03, 0x00, 0x32, 0x01, 0xF4])
  #expect(server.session == .extended)
}

@Test func suppressBitChangesTheSessionWithoutAResponse() {
  var server = makeServer()
  #expect(request(&server, [0x10, 0x83]) == [])
  #expect(server.session == .extended)
}

@Test func programmingSessionFromDefaultIsConditionsNotCorrect() {
  var server = makeServer()
  #expect(request(&server, [0x10, 0x02]) == nrc(0x10, .conditionsNotCorrect))
  request(&server, [0x10, 0x03])
  #expect(request(&server, [0x10, 0x02]).first == 0x50)
}

@Test func sessionFallsBackToDefaultAfterS3Of5000msWithoutRequests() {
  var server = makeServer()
  request(&server, [0x10, 0x03], at: 1000)
  server.poll(now_ms: 5999)
  #expect(server.session == .extended)
  server.poll(now_ms: 6000)
  #expect(server.session == .defaultSession)
}

@Test func testerPresentKeepsTheSessionAlive() {
  var server = makeServer()
  request(&server, [0x10, 0x03], at: 0)
  #expect(request(&server, [0x3E, 0x80], at: 4000) == [])
  server.poll(now_ms: 8999)
  #expect(server.session == .extended)
  server.poll(now_ms: 9000)
  #expect(server.session == .defaultSession)
}

// MARK: - 0x3E

@Test func testerPresentAnswers7E00AndRejectsOtherSubFunctions() {
  var server = makeServer()
  #expect(request(&server, [0x3E, 0x00]) == [0x7E, 0x00])
  #expect(request(&server, [0x3E, 0x01]) == nrc(0x3E, .subFunctionNotSupported))
  #expect(request(&server, [0x3E, 0x01], functional: true) == [])
  #expect(
    request(&server, [0x3E, 0x00, 0x00]) == nrc(0x3E, .incorrectMessageLengthOrInvalidFormat))
}

// MARK: - 0x22 / 0x2E

@Test func readDataByIdentifierReturnsTheVIN() {
  var server = makeServer()
  #expect(
    request(&server, [0x22, 0xF1, 0x90]) == [0x62, 0xF1, 0x90] + Array("KAIRO0TEST0000001".utf8))
}

@Test func readingSeveralIdentifiersSkipsThoseNotServedInTheSession() {
  var server = makeServer()
  let reply = request(&server, [0x22, 0x02, 0x00, 0x01, 0x00])  // 0x0200: extended only
  #expect(reply == [0x62, 0x01, 0x00, 0x00, 0x00])
  #expect(request(&server, [0x22, 0x02, 0x00]) == nrc(0x22, .requestOutOfRange))
  #expect(request(&server, [0x22, 0x12, 0x34]) == nrc(0x22, .requestOutOfRange))
}

@Test func readWithAnOddLengthOrMoreThan8IdentifiersIsALengthError() {
  var server = makeServer()
  #expect(request(&server, [0x22, 0xF1]) == nrc(0x22, .incorrectMessageLengthOrInvalidFormat))
  let nine: [UInt8] = [0x22] + Array(repeating: [0xF1, 0x90], count: 9).flatMap { $0 }
  #expect(request(&server, nine) == nrc(0x22, .incorrectMessageLengthOrInvalidFormat))
}

@Test func readBeyond256ResponseBytesIsResponseTooLong() {
  var server = makeServer()
  request(&server, [0x10, 0x03])
  #expect(
    request(&server, [0x22, 0x02, 0x00, 0x02, 0x00, 0x02, 0x00]) == nrc(0x22, .responseTooLong))
}

@Test func writeNeedsTheExtendedSessionThenSecurityLevel1() {
  var server = makeServer()
  #expect(request(&server, [0x2E, 0x01, 0x00, 0xAB, 0xCD]) == nrc(0x2E, .requestOutOfRange))
  request(&server, [0x10, 0x03])
  #expect(request(&server, [0x2E, 0x01, 0x00, 0xAB, 0xCD]) == nrc(0x2E, .securityAccessDenied))
  unlock(&server)
  #expect(request(&server, [0x2E, 0x01, 0x00, 0xAB, 0xCD]) == [0x6E, 0x01, 0x00])
  #expect(server.dataIdentifiers.value(calibrationID, byte: 0) == 0xAB)
  #expect(request(&server, [0x22, 0x01, 0x00]) == [0x62, 0x01, 0x00, 0xAB, 0xCD])
}

@Test func writeWithTheWrongLengthIsALengthErrorBeforeSecurity() {
  var server = makeServer()
  request(&server, [0x10, 0x03])
  #expect(
    request(&server, [0x2E, 0x01, 0x00, 0xAB]) == nrc(0x2E, .incorrectMessageLengthOrInvalidFormat))
  #expect(
    request(&server, [0x2E, 0xF1, 0x90, 0x00]) == nrc(0x2E, .incorrectMessageLengthOrInvalidFormat))
  #expect(request(&server, [0x2E, 0x77, 0x77, 0x00]) == nrc(0x2E, .requestOutOfRange))
}

// MARK: - 0x27

@Test func correctKeyUnlocksAndAnotherSeedRequestThenReturnsZeros() {
  var server = makeServer()
  unlock(&server)
  #expect(server.securityLevel == 1)
  #expect(request(&server, [0x27, 0x01]) == [0x67, 0x01, 0, 0, 0, 0])
}

@Test func keyWithoutASeedIsRequestSequenceError() {
  var server = makeServer()
  request(&server, [0x10, 0x03])
  #expect(request(&server, [0x27, 0x02, 1, 2, 3, 4]) == nrc(0x27, .requestSequenceError))
}

@Test func unsupportedSecurityLevelIsSubFunctionNotSupported() {
  var server = makeServer()
  request(&server, [0x10, 0x03])
  #expect(request(&server, [0x27, 0x03]) == nrc(0x27, .subFunctionNotSupported))
  #expect(request(&server, [0x27, 0x00]) == nrc(0x27, .subFunctionNotSupported))
  #expect(
    request(&server, [0x27, 0x01, 0x00]) == nrc(0x27, .incorrectMessageLengthOrInvalidFormat))
}

@Test func aSeedAnswersOneKeyOnly() {
  var server = makeServer()
  request(&server, [0x10, 0x03])
  let seed = request(&server, [0x27, 0x01])[2...5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  #expect(request(&server, [0x27, 0x02, 0, 0, 0, 0]) == nrc(0x27, .invalidKey))
  let key = TestKeys().key(seed: seed, level: 1)
  let late: [UInt8] = [
    0x27, 0x02, UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF),
    UInt8(key & 0xFF),
  ]
  #expect(request(&server, late) == nrc(0x27, .requestSequenceError))
  #expect(server.securityLevel == 0)
}

@Test func thirdWrongKeyLocksOutFor10Seconds() {
  var server = makeServer()
  request(&server, [0x10, 0x03], at: 0)
  for attempt in 1...3 {
    request(&server, [0x27, 0x01], at: UInt32(attempt * 100))
    let reply = request(&server, [0x27, 0x02, 0, 0, 0, 0], at: UInt32(attempt * 100))
    #expect(reply == nrc(0x27, attempt < 3 ? .invalidKey : .exceededNumberOfAttempts))
  }
  #expect(request(&server, [0x27, 0x01], at: 2000) == nrc(0x27, .requiredTimeDelayNotExpired))
  #expect(request(&server, [0x3E, 0x80], at: 6000) == [])  // keep the session
  #expect(request(&server, [0x27, 0x01], at: 10_299) == nrc(0x27, .requiredTimeDelayNotExpired))
  #expect(request(&server, [0x27, 0x01], at: 10_300).first == 0x67)
}

@Test func sessionChangeRelocks() {
  var server = makeServer()
  unlock(&server)
  request(&server, [0x10, 0x03])
  #expect(server.securityLevel == 0)
}

@Test func seedsAreNonZeroAndDoNotRepeatOver100000Requests() {
  var generator = UDSSeedGenerator(entropy: 0)
  var seen = Set<UInt32>()
  for _ in 0..<100_000 {
    let seed = generator.next()
    #expect(seed != 0)
    seen.insert(seed)
  }
  #expect(seen.count == 100_000)
}

@Test func dataIdentifierTableRejectsDuplicatesAndOverflow() {
  var table = DataIdentifierTable()
  #expect(throws: Never.self) { try table.add(DataIdentifier(id: 1, length: 200)) }
  #expect(throws: DataIdentifierTableError.duplicate) {
    try table.add(DataIdentifier(id: 1, length: 1))
  }
  #expect(throws: DataIdentifierTableError.storageFull) {
    try table.add(DataIdentifier(id: 2, length: 57))
  }
  #expect(throws: DataIdentifierTableError.invalidLength) {
    try table.add(DataIdentifier(id: 3, length: 0))
  }
}

// MARK: - Over ISO-TP

@Test func vinReadTravelsOverISOTPAsSingleFrameRequestAndSegmentedResponse() throws {
  var server = makeServer()
  var ecu = IsoTpEndpoint(configuration: IsoTpConfiguration(transmitID: 0x7E8, receiveID: 0x7E0))
  var tester = IsoTpEndpoint(
    configuration: IsoTpConfiguration(transmitID: 0x7E0, receiveID: 0x7E8))
  var toECU = [try tester.send([0x22, 0xF1, 0x90].span, now_ms: 0)]
  var toTester: [CANFrame] = []
  var answer: [UInt8] = []
  var now: UInt32 = 0
  while now < 100, answer.isEmpty {
    for frame in toECU {
      switch ecu.receive(frame, now_ms: now) {
      case .sendFlowControl(let reply):
        toTester.append(reply)
      case .messageComplete:
        var response = UDSResponse()
        ecu.receiver.withMessage { server.handle($0, now_ms: now, response: &response) }
        if let first = response.withBytes({ try? ecu.send($0, now_ms: now) }) {
          toTester.append(first)
        }
      case .nothing:
        break
      }
    }
    toECU = []
    for frame in toTester {
      switch tester.receive(frame, now_ms: now) {
      case .sendFlowControl(let reply): toECU.append(reply)
      case .messageComplete(let length): answer = (0..<length).map { tester.receiver[$0] }
      case .nothing: break
      }
    }
    toTester = []
    now += 1
    while let next = ecu.poll(now_ms: now) { toTester.append(next) }
    while let next = tester.poll(now_ms: now) { toECU.append(next) }
  }
  #expect(answer == [0x62, 0xF1, 0x90] + Array("KAIRO0TEST0000001".utf8))
  #expect(ecu.sender.counters.messagesSent == 1)
}
