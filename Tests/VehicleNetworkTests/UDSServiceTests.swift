import Testing

@testable import VehicleNetwork

// MARK: - 0x11 ECUReset

@Test func hardResetIsAnsweredThenReportedOnce() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  #expect(send(&server, [0x11, 0x01], &ecu) == [0x51, 0x01])
  #expect(server.takeResetRequest() == .hardReset)
  #expect(server.takeResetRequest() == nil)
}

@Test func suppressedSoftResetStillRequestsTheReset() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  #expect(send(&server, [0x11, 0x83], &ecu) == [])
  #expect(server.resetRequest == .softReset)
}

// MARK: - Suppress-positive-response bit

@Test func suppressBitSilencesOnlyPositiveResponsesOnEverySubFunctionService() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  #expect(send(&server, [0x10, 0x83], &ecu) == [])
  #expect(server.session == .extended)
  #expect(send(&server, [0x28, 0x81, 0x01], &ecu) == [])
  #expect(server.communication.normalTransmit == false)
  #expect(send(&server, [0x85, 0x82], &ecu) == [])
  #expect(server.dtcs.isSettingEnabled == false)
  #expect(send(&server, [0x31, 0x81, 0xFF, 0x01, 0x07], &ecu) == [])
  #expect(ecu.balancingCell == 7)
  // A negative response is sent even with the bit set.
  #expect(send(&server, [0x31, 0x82, 0x12, 0x34], &ecu) == negative(0x31, .requestOutOfRange))
  #expect(send(&server, [0x27, 0x82, 0, 0, 0, 1], &ecu) == negative(0x27, .requestSequenceError))
}

// MARK: - 0x22 / 0x2E

@Test func liveDataComesFromTheApplicationAsABigEndianFloat() {
  var ecu = FakeECU()
  ecu.speed_rpm = 1234.5
  var server = makeUDSServer()
  #expect(
    send(&server, [0x22, 0x01, 0x01, 0xF1, 0x90], &ecu)
      == [0x62, 0x01, 0x01] + bigEndian(Float(1234.5).bitPattern) + [0xF1, 0x90] + testVIN)
}

@Test func identificationTableServesSerialSoftwareVersionAndCalibration() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  let serial = Array("KAIRO-INV-000042".utf8)
  server.dataIdentifiers.setValue(UDSIdentifiers.ecuSerialNumber, serial.span)
  #expect(send(&server, [0x22, 0xF1, 0x8C], &ecu) == [0x62, 0xF1, 0x8C] + serial)
  #expect(send(&server, [0x22, 0xF1, 0x95], &ecu).count == 3 + 8)
  #expect(send(&server, [0x22, 0xF1, 0xA0], &ecu).count == 3 + 4)
}

@Test func writtenIdentifierIsReportedToTheApplication() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  #expect(unlockLevel1(&server, &ecu) == [0x67, 0x02])
  #expect(send(&server, [0x2E, 0xF1, 0xA0, 0x41, 0x02, 0x00, 0x07], &ecu) == [0x6E, 0xF1, 0xA0])
  #expect(ecu.written.count == 1)
  #expect(ecu.written.first?.0 == UDSIdentifiers.activeCalibration)
  #expect(ecu.written.first?.1 == [0x41, 0x02, 0x00, 0x07])
}

// MARK: - 0x27 timing with a fake clock

@Test func seedsAreRefusedFor1000msAfterPowerUp() {
  var ecu = FakeECU()
  var server = makeUDSServer(bootDelay_ms: 1000, now_ms: 500)
  send(&server, [0x10, 0x03], &ecu, at: 600)
  #expect(
    send(&server, [0x27, 0x01], &ecu, at: 1499) == negative(0x27, .requiredTimeDelayNotExpired))
  #expect(send(&server, [0x27, 0x01], &ecu, at: 1500).first == 0x67)
}

@Test func exhaustedRestoredCounterDelaysSeedsFor10sFromPowerUp() {
  var ecu = FakeECU()
  var server = makeUDSServer(bootDelay_ms: 1000, restoredAttempts: 2)
  send(&server, [0x10, 0x03], &ecu, at: 0)
  send(&server, [0x3E, 0x80], &ecu, at: 4000)
  send(&server, [0x3E, 0x80], &ecu, at: 8000)
  #expect(
    send(&server, [0x27, 0x01], &ecu, at: 9999) == negative(0x27, .requiredTimeDelayNotExpired))
  #expect(send(&server, [0x27, 0x01], &ecu, at: 10_000).first == 0x67)
}

@Test func firstWrongKeyIsInvalidKeySecondIsExceededAndStarts10sDelay() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  send(&server, [0x27, 0x01], &ecu, at: 100)
  #expect(send(&server, [0x27, 0x02, 0, 0, 0, 0], &ecu, at: 100) == negative(0x27, .invalidKey))
  #expect(server.failedKeyAttempts == 1)
  send(&server, [0x27, 0x01], &ecu, at: 200)
  #expect(
    send(&server, [0x27, 0x02, 0, 0, 0, 0], &ecu, at: 300)
      == negative(0x27, .exceededNumberOfAttempts))
  #expect(server.isSecurityDelayActive)
  send(&server, [0x3E, 0x80], &ecu, at: 4000)
  send(&server, [0x3E, 0x80], &ecu, at: 8000)
  #expect(
    send(&server, [0x27, 0x01], &ecu, at: 10_299) == negative(0x27, .requiredTimeDelayNotExpired))
  #expect(send(&server, [0x27, 0x01], &ecu, at: 10_300).first == 0x67)
}

@Test func seedRequestedRightAfterTheLockoutStartedIsTimeDelayNotExpired() {
  var ecu = FakeECU()
  var server = makeUDSServer(bootDelay_ms: 1000)
  send(&server, [0x10, 0x03], &ecu)
  send(&server, [0x27, 0x01], &ecu, at: 1000)
  send(&server, [0x27, 0x02, 0, 0, 0, 0], &ecu, at: 1000)
  send(&server, [0x27, 0x01], &ecu, at: 1000)
  send(&server, [0x27, 0x02, 0, 0, 0, 0], &ecu, at: 1000)
  #expect(
    send(&server, [0x27, 0x01], &ecu, at: 1001) == negative(0x27, .requiredTimeDelayNotExpired))
}

@Test func afterTheLockoutOneMoreWrongKeyLocksOutAgain() {
  var ecu = FakeECU()
  var server = makeUDSServer(restoredAttempts: 2)
  send(&server, [0x10, 0x03], &ecu, at: 9000)
  send(&server, [0x27, 0x01], &ecu, at: 10_000)
  #expect(
    send(&server, [0x27, 0x02, 0, 0, 0, 0], &ecu, at: 10_000)
      == negative(0x27, .exceededNumberOfAttempts))
}

@Test func correctKeyResetsTheAttemptCounter() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  send(&server, [0x27, 0x01], &ecu)
  send(&server, [0x27, 0x02, 0, 0, 0, 0], &ecu)
  #expect(server.failedKeyAttempts == 1)
  #expect(unlockLevel1(&server, &ecu) == [0x67, 0x02])
  #expect(server.failedKeyAttempts == 0)
}

@Test func seedsWhileLockedAreNeverZeroNorRepeated() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  var seeds = Set<UInt32>()
  for _ in 0..<1000 {
    let reply = send(&server, [0x27, 0x01], &ecu)
    let seed = reply[2...5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    #expect(seed != 0)
    seeds.insert(seed)
  }
  #expect(seeds.count == 1000)
}

/// Reference XTEA from the published algorithm, in 64-bit arithmetic masked to 32 bits.
private func referenceXTEA(_ v: (UInt64, UInt64), _ k: [UInt64]) -> (UInt64, UInt64) {
  var (v0, v1) = v
  var sum: UInt64 = 0
  let mask: UInt64 = 0xFFFF_FFFF
  for _ in 0..<32 {
    v0 =
      (v0 + ((((v1 << 4) & mask ^ (v1 >> 5)) + v1) & mask ^ ((sum + k[Int(sum & 3)]) & mask)))
      & mask
    sum = (sum + 0x9E37_79B9) & mask
    v1 =
      (v1
        + ((((v0 << 4) & mask ^ (v0 >> 5)) + v0) & mask
          ^ ((sum + k[Int((sum >> 11) & 3)]) & mask)))
      & mask
  }
  return (v0, v1)
}

@Test func xteaMatchesThePublishedVector497DF3D072612CB5() {
  let secret: [4 of UInt32] = [0x0001_0203, 0x0405_0607, 0x0809_0A0B, 0x0C0D_0E0F]
  let block = XTEASecurityKeyAlgorithm.encrypt(0x4142_4344, 0x4546_4748, secret: secret)
  #expect(block.0 == 0x497D_F3D0 && block.1 == 0x7261_2CB5)
}

@Test func developmentKeyIsTheXorOfTheXTEABlockOfSeedAndLevelTag() {
  let secret: [UInt64] = [0x4B41_4952, 0x4F2D_4445, 0x562D_5345, 0x4352_4554]
  for (seed, level) in [(UInt32(0x1234_5678), UInt8(1)), (0xDEAD_BEEF, 1), (0x0000_0001, 2)] {
    let block = referenceXTEA((UInt64(seed), UInt64(0x4B41_0000 | UInt32(level))), secret)
    let key = XTEASecurityKeyAlgorithm.development.key(seed: seed, level: level)
    #expect(UInt64(key) == block.0 ^ block.1)
  }
  #expect(
    XTEASecurityKeyAlgorithm.development.key(seed: 7, level: 1)
      != XTEASecurityKeyAlgorithm.development.key(seed: 7, level: 2))
}

// MARK: - 0x31 RoutineControl and response pending

@Test func routineLongerThanP2IsAnsweredWith0x78ThenTheFinalResponse() {
  var ecu = FakeECU()
  ecu.calibrationDuration_ms = 3000
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  _ = unlockLevel1(&server, &ecu)
  #expect(
    send(&server, [0x31, 0x01, 0xFF, 0x00], &ecu, at: 100)
      == negative(0x31, .requestCorrectlyReceivedResponsePending))
  var response = UDSResponse()
  server.pollPending(now_ms: 1000, application: &ecu, response: &response)
  #expect(response.isEmpty)
  // Repeated within P2* (every 2000 ms).
  server.pollPending(now_ms: 2100, application: &ecu, response: &response)
  #expect(response.negativeResponseCode == .requestCorrectlyReceivedResponsePending)
  server.pollPending(now_ms: 3100, application: &ecu, response: &response)
  #expect((0..<response.count).map { response[$0] } == [0x71, 0x01, 0xFF, 0x00, 0x00])
  #expect(!server.isResponsePending)
  #expect(
    send(&server, [0x31, 0x03, 0xFF, 0x00], &ecu, at: 3200)
      == [0x71, 0x03, 0xFF, 0x00] + bigEndian(Float(0.75).bitPattern))
}

@Test func requestsWhileARoutineIsPendingAreBusyExceptTesterPresent() {
  var ecu = FakeECU()
  ecu.calibrationDuration_ms = 3000
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  _ = unlockLevel1(&server, &ecu)
  send(&server, [0x31, 0x01, 0xFF, 0x00], &ecu, at: 0)
  #expect(send(&server, [0x22, 0xF1, 0x90], &ecu, at: 10) == negative(0x22, .busyRepeatRequest))
  #expect(send(&server, [0x3E, 0x00], &ecu, at: 20) == [0x7E, 0x00])
}

@Test func s3DoesNotExpireWhileAResponseIsPending() {
  var ecu = FakeECU()
  ecu.calibrationDuration_ms = 7000
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  _ = unlockLevel1(&server, &ecu)
  send(&server, [0x31, 0x01, 0xFF, 0x00], &ecu, at: 0)
  var response = UDSResponse()
  for t in stride(from: UInt32(100), through: 7000, by: 100) {
    server.poll(now_ms: t)
    server.pollPending(now_ms: t, application: &ecu, response: &response)
  }
  #expect(server.session == .extended)
  #expect(!server.isResponsePending)
}

@Test func routineRefusedWhileTheMotorTurnsIsConditionsNotCorrect() {
  var ecu = FakeECU()
  ecu.speed_rpm = 10
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  _ = unlockLevel1(&server, &ecu)
  #expect(send(&server, [0x31, 0x01, 0xFF, 0x00], &ecu) == negative(0x31, .conditionsNotCorrect))
}

// MARK: - 0x28, 0x85 and the return to the default session

@Test func communicationControlDisablesNormalTransmitUntilTheDefaultSession() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  #expect(send(&server, [0x28, 0x03, 0x01], &ecu) == [0x68, 0x03])
  #expect(!server.communication.normalTransmit && !server.communication.normalReceive)
  #expect(server.communication.networkManagementTransmit)
  send(&server, [0x10, 0x01], &ecu)
  #expect(server.communication == UDSCommunicationState())
}

@Test func dtcSettingOffFreezesStatusUntilSwitchedBackOn() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu)
  #expect(send(&server, [0x85, 0x02], &ecu) == [0xC5, 0x02])
  server.dtcs.report(dtcOvercurrent, failed: true, freezeFrame: FreezeFrame())
  #expect(server.dtcs.status(of: dtcOvercurrent) == .cleared)
  #expect(send(&server, [0x85, 0x01], &ecu) == [0xC5, 0x01])
  server.dtcs.report(dtcOvercurrent, failed: true, freezeFrame: FreezeFrame())
  #expect(server.dtcs.status(of: dtcOvercurrent)?.contains(.testFailed) == true)
}

@Test func dtcSettingReturnsOnWhenS3ExpiresBackToDefault() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  send(&server, [0x10, 0x03], &ecu, at: 0)
  send(&server, [0x85, 0x02], &ecu, at: 0)
  server.poll(now_ms: 5000)
  #expect(server.session == .defaultSession)
  #expect(server.dtcs.isSettingEnabled)
}

// MARK: - 0x19 / 0x14

private func failOvercurrent(_ server: inout TestServer, signals: Float = 1) {
  var frame = FreezeFrame()
  for i in 0..<FreezeFrame.signalCount { frame.signals[i] = signals * Float(i + 1) }
  server.dtcs.report(dtcOvercurrent, failed: true, freezeFrame: frame)
}

@Test func reportNumberOfDTCByStatusMaskCountsMatchesOfTheMask() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  failOvercurrent(&server)
  // Status 0x2F for the failed DTC, 0x50 for the untested one.
  #expect(send(&server, [0x19, 0x01, 0x08], &ecu) == [0x59, 0x01, 0xFF, 0x01, 0x00, 0x01])
  #expect(send(&server, [0x19, 0x01, 0x50], &ecu) == [0x59, 0x01, 0xFF, 0x01, 0x00, 0x01])
  #expect(send(&server, [0x19, 0x01, 0xFF], &ecu) == [0x59, 0x01, 0xFF, 0x01, 0x00, 0x02])
  #expect(send(&server, [0x19, 0x01, 0x00], &ecu) == [0x59, 0x01, 0xFF, 0x01, 0x00, 0x00])
}

@Test func reportDTCByStatusMaskListsNumberAndStatus() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  failOvercurrent(&server)
  #expect(send(&server, [0x19, 0x02, 0x09], &ecu) == [0x59, 0x02, 0xFF, 0x0A, 0x1B, 0x00, 0x2F])
  #expect(
    send(&server, [0x19, 0x02, 0xFF], &ecu)
      == [0x59, 0x02, 0xFF, 0x0A, 0x1B, 0x00, 0x2F, 0x0A, 0x2C, 0x00, 0x50])
}

@Test func snapshotRecordCarriesTheFreezeFrameAsDIDDF00WithEightFloats() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  failOvercurrent(&server, signals: 2.5)
  var expected: [UInt8] = [0x59, 0x04, 0x0A, 0x1B, 0x00, 0x2F, 0x01, 0x01, 0xDF, 0x00]
  for i in 1...8 { expected += bigEndian((2.5 * Float(i)).bitPattern) }
  #expect(send(&server, [0x19, 0x04, 0x0A, 0x1B, 0x00, 0x01], &ecu) == expected)
  #expect(send(&server, [0x19, 0x04, 0x0A, 0x1B, 0x00, 0xFF], &ecu) == expected)
  // No failure yet: DTC and status, no record.
  #expect(
    send(&server, [0x19, 0x04, 0x0A, 0x2C, 0x00, 0x01], &ecu) == [
      0x59, 0x04, 0x0A, 0x2C, 0x00, 0x50,
    ])
}

@Test func extendedDataRecordsAreOccurrenceAndAgingCounters() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  failOvercurrent(&server)
  server.dtcs.report(dtcOvercurrent, failed: false, freezeFrame: FreezeFrame())
  server.dtcs.report(dtcOvercurrent, failed: false, freezeFrame: FreezeFrame())
  server.dtcs.report(dtcOvercurrent, failed: false, freezeFrame: FreezeFrame())
  failOvercurrent(&server)
  server.dtcs.startOperationCycle()
  #expect(
    send(&server, [0x19, 0x06, 0x0A, 0x1B, 0x00, 0xFF], &ecu)
      == [0x59, 0x06, 0x0A, 0x1B, 0x00, 0x6D, 0x01, 0x02, 0x02, 0x00])
}

@Test func clearAllDTCsResetsStatusTo0x50() {
  var ecu = FakeECU()
  var server = makeUDSServer()
  failOvercurrent(&server)
  #expect(send(&server, [0x14, 0xFF, 0xFF, 0xFF], &ecu) == [0x54])
  #expect(server.dtcs.status(of: dtcOvercurrent) == .cleared)
  #expect(server.dtcs.freezeFrame(of: dtcOvercurrent) == nil)
}

/// The worked example in docs/diagnostics.md, computed with the Python snippet given there.
@Test func developmentKeyOfSeed12345678AtLevel1IsA792D9D9() {
  #expect(XTEASecurityKeyAlgorithm.development.key(seed: 0x1234_5678, level: 1) == 0xA792_D9D9)
  #expect(XTEASecurityKeyAlgorithm.development.key(seed: 0xDEAD_BEEF, level: 1) == 0xBDBB_46D8)
}
