import Platform
import Testing

@testable import VehicleNetwork

// The inverter's physical diagnostic addresses: requests on 0x7E0, responses on 0x7E8.
private let ecuConfig = IsoTpConfiguration(transmitID: 0x7E8, receiveID: 0x7E0)
private let testerConfig = IsoTpConfiguration(transmitID: 0x7E0, receiveID: 0x7E8)

private func frame(_ id: UInt32, _ bytes: [UInt8]) -> CANFrame {
  var frame = CANFrame(id: id, length: UInt8(bytes.count))
  for (i, byte) in bytes.enumerated() { frame.data[i] = byte }
  return frame
}

private func bytes(_ frame: CANFrame) -> [UInt8] { (0..<Int(frame.length)).map { frame.data[$0] } }

private func message(_ receiver: IsoTpReceiver) -> [UInt8] {
  (0..<receiver.messageLength).map { receiver[$0] }
}

private func pattern(_ count: Int) -> [UInt8] {
  (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
}

private func start(_ sender: inout IsoTpSender, _ payload: [UInt8], now_ms: UInt32 = 0)
  throws(IsoTpSendError) -> CANFrame
{
  try sender.send(payload.span, now_ms: now_ms)
}

/// A flow control from the tester to the ECU's sender.
private func flowControl(_ status: UInt8, blockSize: UInt8 = 0, stMin: UInt8 = 0) -> CANFrame {
  frame(0x7E0, [0x30 | status, blockSize, stMin, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC])
}

// MARK: - Encoding details

@Test func separationTimeEncodingIsMillisecondsOrHundredsOfMicroseconds() {
  #expect(IsoTp.separationTime_us(0x00) == 0)
  #expect(IsoTp.separationTime_us(0x7F) == 127_000)
  #expect(IsoTp.separationTime_us(0xF1) == 100)
  #expect(IsoTp.separationTime_us(0xF9) == 900)
  #expect(IsoTp.separationTime_us(0x80) == 127_000)  // reserved: treated as the maximum
  #expect(IsoTp.separationTime_us(0xFA) == 127_000)
  #expect(IsoTp.separationTime_ms(0xF5) == 1)  // 500 µs rounds up, never below STmin
}

// MARK: - Receiver

@Test func singleFrameOf5BytesCompletesAtOnce() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  let result = receiver.receive(frame(0x7E0, [0x05, 1, 2, 3, 4, 5, 0xCC, 0xCC]), now_ms: 0)
  #expect(result == .messageComplete(length: 5))
  #expect(message(receiver) == [1, 2, 3, 4, 5])
}

@Test func singleFrameLength0Or8OrBeyondTheDLCIsMalformed() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  #expect(receiver.receive(frame(0x7E0, [0x00, 1, 2]), now_ms: 0) == .nothing)
  #expect(receiver.receive(frame(0x7E0, [0x08, 1, 2, 3, 4, 5, 6, 7]), now_ms: 0) == .nothing)
  #expect(receiver.receive(frame(0x7E0, [0x04, 1, 2]), now_ms: 0) == .nothing)
  #expect(receiver.receive(frame(0x7E0, []), now_ms: 0) == .nothing)
  #expect(receiver.counters.malformed == 4)
  #expect(receiver.counters.messagesCompleted == 0)
}

@Test func framesOnOtherIdentifiersAreIgnoredAndNotCounted() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  #expect(receiver.receive(frame(0x7E1, [0x01, 0x3E]), now_ms: 0) == .nothing)
  var extended = frame(0x7E0, [0x01, 0x3E])
  extended.isExtended = true
  #expect(receiver.receive(extended, now_ms: 0) == .nothing)
  #expect(receiver.counters.framesReceived == 0)
}

@Test func firstFrameIsAnsweredWithContinueToSendCarryingBlockSize4AndSTmin10() {
  var config = ecuConfig
  config.blockSize = 4
  config.separationTimeMin = 10
  var receiver = IsoTpReceiver(configuration: config)
  let result = receiver.receive(frame(0x7E0, [0x10, 0x14, 1, 2, 3, 4, 5, 6]), now_ms: 0)
  #expect(
    result == .sendFlowControl(frame(0x7E8, [0x30, 0x04, 0x0A, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC])))
  #expect(receiver.isReceiving)
}

@Test func twentyByteMessageArrivesAsFirstAndTwoConsecutiveFrames() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  #expect(receiver.receive(frame(0x7E0, [0x21, 6, 7, 8, 9, 10, 11, 12]), now_ms: 1) == .nothing)
  let result = receiver.receive(frame(0x7E0, [0x22, 13, 14, 15, 16, 17, 18, 19]), now_ms: 2)
  #expect(result == .messageComplete(length: 20))
  #expect(message(receiver) == Array(0..<20))
  #expect(!receiver.isReceiving)
}

@Test func unpaddedLastConsecutiveFrameIsAccepted() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x10, 8, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  #expect(receiver.receive(frame(0x7E0, [0x21, 6, 7]), now_ms: 1) == .messageComplete(length: 8))
}

@Test func consecutiveFrameTooShortForTheRemainingBytesIsMalformedAndAborts() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  #expect(receiver.receive(frame(0x7E0, [0x21, 6, 7]), now_ms: 1) == .nothing)
  #expect(receiver.counters.malformed == 1)
  #expect(receiver.counters.messagesAborted == 1)
  #expect(!receiver.isReceiving)
}

@Test func receiverSendsFlowControlAfterEveryBlockOf2() {
  var config = ecuConfig
  config.blockSize = 2
  var receiver = IsoTpReceiver(configuration: config)
  _ = receiver.receive(frame(0x7E0, [0x10, 40, 0, 0, 0, 0, 0, 0]), now_ms: 0)
  var flowControls = 0
  for sn in 1...5 {
    if case .sendFlowControl = receiver.receive(
      frame(0x7E0, [0x20 | UInt8(sn), 0, 0, 0, 0, 0, 0, 0]), now_ms: UInt32(sn))
    {
      flowControls += 1
    }
  }
  // 34 bytes after the first frame = 5 consecutive frames; FC after CF 2 and 4, not after the last.
  #expect(flowControls == 2)
  #expect(receiver.counters.messagesCompleted == 1)
}

@Test func sequenceNumberWrapsFrom15To0() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  let length = 6 + 7 * 17
  _ = receiver.receive(frame(0x7E0, [0x10, UInt8(length), 0, 0, 0, 0, 0, 0]), now_ms: 0)
  var last = IsoTpReceiveResult.nothing
  for n in 1...17 {
    last = receiver.receive(frame(0x7E0, [0x20 | UInt8(n & 0x0F), 1, 1, 1, 1, 1, 1, 1]), now_ms: 0)
  }
  #expect(last == .messageComplete(length: length))
  #expect(receiver.counters.wrongSequence == 0)
}

@Test func wrongSequenceNumberAbortsTheReception() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  #expect(receiver.receive(frame(0x7E0, [0x22, 6, 7, 8, 9, 10, 11, 12]), now_ms: 1) == .nothing)
  #expect(receiver.counters.wrongSequence == 1)
  #expect(receiver.counters.messagesAborted == 1)
  #expect(!receiver.isReceiving)
  // The rest of the old message is now unexpected.
  _ = receiver.receive(frame(0x7E0, [0x21, 6, 7, 8, 9, 10, 11, 12]), now_ms: 2)
  #expect(receiver.counters.unexpected == 1)
}

@Test func consecutiveFrameWhileIdleIsUnexpected() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  #expect(receiver.receive(frame(0x7E0, [0x21, 1, 2, 3, 4, 5, 6, 7]), now_ms: 0) == .nothing)
  #expect(receiver.counters.unexpected == 1)
}

@Test func receptionIsAbortedWhenTheNextConsecutiveFrameIsLaterThanNCr1000ms() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 5000)
  _ = receiver.poll(now_ms: 5999)
  #expect(receiver.isReceiving)
  _ = receiver.poll(now_ms: 6000)
  #expect(!receiver.isReceiving)
  #expect(receiver.counters.timeoutsCr == 1)
}

@Test func nCrTimeoutIsConfigurableAndSurvivesClockWrap() {
  var config = ecuConfig
  config.timeoutCr_ms = 50
  var receiver = IsoTpReceiver(configuration: config)
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: UInt32.max - 10)
  _ = receiver.poll(now_ms: 38)  // 49 ms later across the wrap
  #expect(receiver.isReceiving)
  _ = receiver.poll(now_ms: 39)
  #expect(receiver.counters.timeoutsCr == 1)
}

@Test func firstFrameLongerThanTheReceiveLimitIsAnsweredWithOverflow() {
  var config = ecuConfig
  config.maxReceiveLength = 100
  var receiver = IsoTpReceiver(configuration: config)
  let result = receiver.receive(frame(0x7E0, [0x10, 101, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  #expect(result == .sendFlowControl(frame(0x7E8, [0x32, 0, 0, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC])))
  #expect(receiver.counters.overflow == 1)
  #expect(!receiver.isReceiving)
}

@Test func escapedFirstFrameBeyond4095BytesIsAnsweredWithOverflow() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  let result = receiver.receive(frame(0x7E0, [0x10, 0x00, 0, 0, 0x10, 0x00, 1, 2]), now_ms: 0)
  if case .sendFlowControl(let reply) = result {
    #expect(reply.data[0] == 0x32)
  } else {
    Issue.record("expected an overflow flow control")
  }
}

@Test func firstFrameThatWouldFitASingleFrameOrIsShortIsMalformed() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  #expect(receiver.receive(frame(0x7E0, [0x10, 7, 0, 1, 2, 3, 4, 5]), now_ms: 0) == .nothing)
  #expect(receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2]), now_ms: 0) == .nothing)
  #expect(receiver.receive(frame(0x7E0, [0x40, 1, 2]), now_ms: 0) == .nothing)  // reserved PCI
  #expect(receiver.counters.malformed == 3)
}

@Test func newSingleFrameDuringAReceptionReplacesIt() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  let result = receiver.receive(frame(0x7E0, [0x02, 0x3E, 0x00]), now_ms: 1)
  #expect(result == .messageComplete(length: 2))
  #expect(receiver.counters.messagesAborted == 1)
  #expect(message(receiver) == [0x3E, 0x00])
}

@Test func firstFrameWhileTheApplicationIsBusyGetsWaitThenContinueToSendOnceFree() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  _ = receiver.receive(frame(0x7E0, [0x03, 0x22, 0xF1, 0x90]), now_ms: 0)
  receiver.isApplicationBusy = true
  let reply = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 10)
  #expect(reply == .sendFlowControl(frame(0x7E8, [0x31, 0, 0, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC])))
  #expect(message(receiver) == [0x22, 0xF1, 0x90])  // the previous message stays readable
  #expect(receiver.poll(now_ms: 20) == nil)
  receiver.isApplicationBusy = false
  #expect(receiver.poll(now_ms: 30)?.data[0] == 0x30)
  _ = receiver.receive(frame(0x7E0, [0x21, 6, 7, 8, 9, 10, 11, 12]), now_ms: 31)
  let done = receiver.receive(frame(0x7E0, [0x22, 13, 14, 15, 16, 17, 18, 19]), now_ms: 32)
  #expect(done == .messageComplete(length: 20))
  #expect(message(receiver) == Array(0..<20))
}

@Test func busyReceiverRepeatsWaitEvery500msAndRefusesAfter3Waits() {
  var config = ecuConfig
  config.maxWaitFrames = 3
  config.waitInterval_ms = 500
  var receiver = IsoTpReceiver(configuration: config)
  receiver.isApplicationBusy = true
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  #expect(receiver.poll(now_ms: 499) == nil)
  #expect(receiver.poll(now_ms: 500)?.data[0] == 0x31)
  #expect(receiver.poll(now_ms: 1000)?.data[0] == 0x31)
  #expect(receiver.poll(now_ms: 1500)?.data[0] == 0x32)  // fourth would exceed N_WFTmax
  #expect(!receiver.isReceiving)
  #expect(receiver.counters.waitsSent == 3)
  #expect(receiver.counters.messagesAborted == 1)
}

@Test func consecutiveFrameWhileHeldOffWithWaitIsUnexpected() {
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  receiver.isApplicationBusy = true
  _ = receiver.receive(frame(0x7E0, [0x10, 20, 0, 1, 2, 3, 4, 5]), now_ms: 0)
  _ = receiver.receive(frame(0x7E0, [0x21, 6, 7, 8, 9, 10, 11, 12]), now_ms: 1)
  #expect(receiver.counters.unexpected == 1)
  #expect(receiver.isReceiving)
}

// MARK: - Sender

@Test func shortMessageIsOneSingleFramePaddedWith0xCC() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  let first = try start(&sender, [0x7E, 0x00])
  #expect(first == frame(0x7E8, [0x02, 0x7E, 0x00, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC]))
  #expect(!sender.isBusy)
  #expect(sender.counters.messagesSent == 1)
}

@Test func withoutPaddingTheDLCIsTheUsedLength() throws {
  var config = ecuConfig
  config.padding = nil
  var sender = IsoTpSender(configuration: config)
  #expect(try start(&sender, [0x7E, 0x00]) == frame(0x7E8, [0x02, 0x7E, 0x00]))
}

@Test func paddingByteIsConfigurable() throws {
  var config = ecuConfig
  config.padding = 0xAA
  var sender = IsoTpSender(configuration: config)
  #expect(try start(&sender, [0x50]).data[7] == 0xAA)
}

@Test func emptyOrOversizedMessageOrBusySenderIsRefused() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  #expect(throws: IsoTpSendError.invalidLength) { try start(&sender, []) }
  #expect(throws: IsoTpSendError.invalidLength) { try start(&sender, pattern(4096)) }
  _ = try start(&sender, pattern(20))
  #expect(throws: IsoTpSendError.busy) { try start(&sender, [1]) }
}

@Test func longMessageWaitsForFlowControlAfterTheFirstFrame() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  let first = try start(&sender, pattern(18))
  #expect(bytes(first) == [0x10, 18] + pattern(6))
  #expect(sender.poll(now_ms: 5) == nil)
  sender.receiveFlowControl(flowControl(0), now_ms: 10)
  let cf1 = sender.poll(now_ms: 10)
  let cf2 = sender.poll(now_ms: 10)
  #expect(cf1.map(bytes) == [0x21] + Array(pattern(18)[6..<13]))
  #expect(cf2.map(bytes) == [0x22] + Array(pattern(18)[13..<18]) + [0xCC, 0xCC])
  #expect(sender.poll(now_ms: 10) == nil)
  #expect(sender.counters.messagesSent == 1)
}

@Test func senderGivesUpWhenNoFlowControlWithinNBs() throws {
  var config = ecuConfig
  config.timeoutBs_ms = 1000
  var sender = IsoTpSender(configuration: config)
  _ = try start(&sender, pattern(20), now_ms: 100)
  #expect(sender.poll(now_ms: 1099) == nil)
  #expect(sender.isBusy)
  _ = sender.poll(now_ms: 1100)
  #expect(!sender.isBusy)
  #expect(sender.counters.timeoutsBs == 1)
  #expect(sender.counters.messagesAborted == 1)
}

@Test func senderStopsAfterBlockSize2AndWaitsForTheNextFlowControl() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  _ = try start(&sender, pattern(50))
  sender.receiveFlowControl(flowControl(0, blockSize: 2), now_ms: 0)
  #expect(sender.poll(now_ms: 0) != nil)
  #expect(sender.poll(now_ms: 0) != nil)
  #expect(sender.poll(now_ms: 0) == nil)
  sender.receiveFlowControl(flowControl(0, blockSize: 2), now_ms: 1)
  #expect(sender.poll(now_ms: 1)?.data[0] == 0x23)
}

@Test func senderKeepsSTmin10msBetweenConsecutiveFrames() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  _ = try start(&sender, pattern(50))
  sender.receiveFlowControl(flowControl(0, stMin: 10), now_ms: 0)
  #expect(sender.poll(now_ms: 0)?.data[0] == 0x21)  // first after the flow control: at once
  #expect(sender.poll(now_ms: 9) == nil)
  #expect(sender.poll(now_ms: 10)?.data[0] == 0x22)
  #expect(sender.poll(now_ms: 19) == nil)
  #expect(sender.poll(now_ms: 20)?.data[0] == 0x23)
}

@Test func senderRoundsSTmin500MicrosecondsUpTo1ms() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  _ = try start(&sender, pattern(50))
  sender.receiveFlowControl(flowControl(0, stMin: 0xF5), now_ms: 0)
  #expect(sender.poll(now_ms: 0) != nil)
  #expect(sender.poll(now_ms: 0) == nil)
  #expect(sender.poll(now_ms: 1) != nil)
}

@Test func waitFlowControlRestartsNBsAndTooManyWaitsAbort() throws {
  var config = ecuConfig
  config.maxWaitFrames = 2
  config.timeoutBs_ms = 100
  var sender = IsoTpSender(configuration: config)
  _ = try start(&sender, pattern(20))
  sender.receiveFlowControl(flowControl(1), now_ms: 90)
  _ = sender.poll(now_ms: 150)
  #expect(sender.isBusy)  // 60 ms after the WAIT, within N_Bs
  sender.receiveFlowControl(flowControl(1), now_ms: 150)
  #expect(sender.isBusy)
  sender.receiveFlowControl(flowControl(1), now_ms: 160)
  #expect(!sender.isBusy)
  #expect(sender.counters.waitLimitExceeded == 1)
}

@Test func overflowFlowControlAbortsTheTransmission() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  _ = try start(&sender, pattern(20))
  sender.receiveFlowControl(flowControl(2), now_ms: 1)
  #expect(!sender.isBusy)
  #expect(sender.counters.overflowsReported == 1)
}

@Test func reservedFlowStatusAbortsTheTransmission() throws {
  var sender = IsoTpSender(configuration: ecuConfig)
  _ = try start(&sender, pattern(20))
  sender.receiveFlowControl(flowControl(7), now_ms: 1)
  #expect(!sender.isBusy)
  #expect(sender.counters.invalidFlowStatus == 1)
}

@Test func flowControlWhileNotWaitingIsCountedAndIgnored() {
  var sender = IsoTpSender(configuration: ecuConfig)
  sender.receiveFlowControl(flowControl(0), now_ms: 0)
  #expect(sender.counters.unexpectedFlowControls == 1)
  #expect(!sender.isBusy)
}

// MARK: - Both ends together

/// Moves frames between a sender and a receiver with a 1 ms time step until both are quiet.
private func transfer(
  _ payload: [UInt8], senderConfig: IsoTpConfiguration, receiverConfig: IsoTpConfiguration
) throws -> (received: [UInt8], consecutiveFrames: Int, flowControls: Int, elapsed_ms: UInt32) {
  var sender = IsoTpSender(configuration: senderConfig)
  var receiver = IsoTpReceiver(configuration: receiverConfig)
  var now: UInt32 = 0
  var pending: [CANFrame] = [try sender.send(payload.span, now_ms: now)]
  var consecutive = 0
  var flowControls = 0
  var received: [UInt8] = []
  while now < 100_000 {
    for data in pending {
      switch receiver.receive(data, now_ms: now) {
      case .sendFlowControl(let reply):
        flowControls += 1
        sender.receiveFlowControl(reply, now_ms: now)
      case .messageComplete:
        received = message(receiver)
      case .nothing:
        break
      }
    }
    if !received.isEmpty || !sender.isBusy { break }
    now += 1
    pending = []
    while let next = sender.poll(now_ms: now) {
      consecutive += 1
      pending.append(next)
    }
    if let reply = receiver.poll(now_ms: now) {
      flowControls += 1
      sender.receiveFlowControl(reply, now_ms: now)
    }
  }
  return (received, consecutive, flowControls, now)
}

@Test func message4095BytesRoundTripsWithBlockSize8AndSTmin1ms() throws {
  var receiverConfig = ecuConfig
  receiverConfig.blockSize = 8
  receiverConfig.separationTimeMin = 1
  let payload = pattern(4095)
  let result = try transfer(payload, senderConfig: testerConfig, receiverConfig: receiverConfig)
  #expect(result.received == payload)
  #expect(result.consecutiveFrames == 585)  // (4095 - 6) / 7 rounded up
  #expect(result.flowControls == 1 + 585 / 8)  // after the first frame and each full block
  #expect(result.elapsed_ms >= 584)  // STmin 1 ms between consecutive frames
}

@Test func senderWaitsOutABusyReceiverAndTheMessageArrivesIntact() throws {
  var sender = IsoTpSender(configuration: testerConfig)
  var receiver = IsoTpReceiver(configuration: ecuConfig)
  receiver.isApplicationBusy = true
  let payload = pattern(100)
  var pending = [try sender.send(payload.span, now_ms: 0)]
  var received: [UInt8] = []
  var now: UInt32 = 0
  while now < 5000, received.isEmpty {
    for data in pending {
      switch receiver.receive(data, now_ms: now) {
      case .sendFlowControl(let reply): sender.receiveFlowControl(reply, now_ms: now)
      case .messageComplete: received = message(receiver)
      case .nothing: break
      }
    }
    now += 1
    if now == 1200 { receiver.isApplicationBusy = false }
    pending = []
    if let reply = receiver.poll(now_ms: now) { sender.receiveFlowControl(reply, now_ms: now) }
    while let next = sender.poll(now_ms: now) { pending.append(next) }
  }
  #expect(received == payload)
  #expect(receiver.counters.waitsSent == 3)  // at 0, 500 and 1000 ms
  #expect(sender.counters.timeoutsBs == 0)
}

@Test func ecuReceivesARequestAndSendsAResponseThroughOneEndpoint() throws {
  var ecu = IsoTpEndpoint(configuration: ecuConfig)
  var tester = IsoTpEndpoint(configuration: testerConfig)
  var now: UInt32 = 0
  var toECU: [CANFrame] = [try tester.send(pattern(30).span, now_ms: 0)]
  var toTester: [CANFrame] = []
  var requestDone = false
  var responseDone = false
  while now < 1000, !responseDone {
    for data in toECU {
      switch ecu.receive(data, now_ms: now) {
      case .sendFlowControl(let reply): toTester.append(reply)
      case .messageComplete(let length):
        #expect(length == 30)
        requestDone = true
        toTester.append(try ecu.send(pattern(100).span, now_ms: now))
      case .nothing: break
      }
    }
    toECU = []
    for data in toTester {
      switch tester.receive(data, now_ms: now) {
      case .sendFlowControl(let reply): toECU.append(reply)
      case .messageComplete(let length):
        #expect(length == 100)
        #expect(message(tester.receiver) == pattern(100))
        responseDone = true
      case .nothing: break
      }
    }
    toTester = []
    now += 1
    while let next = tester.poll(now_ms: now) { toECU.append(next) }
    while let next = ecu.poll(now_ms: now) { toTester.append(next) }
  }
  #expect(requestDone)
  #expect(responseDone)
  #expect(message(ecu.receiver) == pattern(30))
}

// MARK: - Robustness

@Test func randomFramesNeverTrapAndKeepCountersConsistentOver200000Frames() {
  var random = TestRandom(seed: 0x150_7B00)
  var config = ecuConfig
  config.blockSize = 3
  config.maxReceiveLength = 500
  var endpoint = IsoTpEndpoint(configuration: config)
  var now: UInt32 = 0
  for _ in 0..<200_000 {
    var data = [8 of UInt8](repeating: 0)
    for i in 0..<8 { data[i] = random.byte() }
    // Bias towards well-formed PCI so receptions get deep enough to exercise every state.
    if random.below(4) != 0 { data[0] = UInt8(random.below(4)) << 4 | (data[0] & 0x0F) }
    let id: UInt32 = random.below(10) == 0 ? 0x7DF : 0x7E0
    let length = UInt8(random.below(10))  // 9 is an invalid DLC
    let frame = CANFrame(id: id, length: length, data: data)
    now &+= UInt32(random.below(300))
    if random.below(100) == 0 { endpoint.receiver.isApplicationBusy.toggle() }
    _ = endpoint.receive(frame, now_ms: now)
    if random.below(50) == 0, !endpoint.sender.isBusy {
      _ = try? endpoint.send(pattern(1 + random.below(200)).span, now_ms: now)
    }
    while endpoint.poll(now_ms: now) != nil {}
    let r = endpoint.receiver.counters
    #expect(
      r.framesReceived == r.framesAccepted + r.malformed + r.unexpected + r.wrongSequence
        + r.overflow)
    #expect(
      r.messagesStarted == r.messagesCompleted + r.messagesAborted
        + (endpoint.receiver.isReceiving ? 1 : 0))
    let s = endpoint.sender.counters
    #expect(
      s.messagesStarted == s.messagesSent + s.messagesAborted + (endpoint.sender.isBusy ? 1 : 0))
    #expect(endpoint.receiver.messageLength <= config.maxReceiveLength)
  }
  #expect(endpoint.receiver.counters.messagesCompleted > 0)
  #expect(endpoint.receiver.counters.wrongSequence > 0)
  #expect(endpoint.sender.counters.messagesSent > 0)
  #expect(endpoint.receiver.counters.waitsSent > 0)
}
