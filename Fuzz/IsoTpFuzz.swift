// libFuzzer target: the ISO-TP endpoint (reassembler and flow-control handling) fed arbitrary
// CAN frames, and the same frames into a whole DiagnosticServer (physical 0x7E0 and functional
// 0x7DF, UDS behind it). Input: records of 11 bytes — identifier selector, DLC, 8 data bytes,
// time step in ms. Checks the invariants a tester could observe: a completed message is never
// longer than the receive limit, and every frame either side transmits is valid and on 0x7E8.
import Platform
import VehicleNetwork

private let configuration = IsoTpConfiguration(
  transmitID: 0x7E8, receiveID: 0x7E0, blockSize: 4, separationTimeMin: 0,
  maxReceiveLength: 1024)

private func check(_ frame: CANFrame) {
  precondition(frame.isValid && frame.id == 0x7E8, "transmitted an invalid frame")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func isoTpFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = UnsafeBufferPointer(start: data, count: size)
  var endpoint = IsoTpEndpoint(configuration: configuration)
  var diagnostics = DiagnosticServer(
    configuration: .inverter, application: NoDiagnosticApplication(),
    keys: XTEASecurityKeyAlgorithm.development, dataIdentifiers: .ecuIdentification())
  var now: UInt32 = 0
  var offset = 0
  var sentFirst = false
  while offset + 11 <= input.count {
    let selector = input[offset]
    // Bits 7 and 2 choose the identifier: the request ID, another ECU's, or functional.
    let id: UInt32 = selector & 0x80 != 0 ? 0x7E1 : selector & 0x04 != 0 ? 0x7DF : 0x7E0
    var frame = CANFrame(id: id, length: min(input[offset + 1] & 0x0F, 8))
    frame.isExtended = selector & 0x40 != 0
    for i in 0..<8 { frame.data[i] = input[offset + 2 + i] }
    now &+= UInt32(input[offset + 10]) &* (selector & 0x20 != 0 ? 10 : 1)
    offset += 11
    // Bit 4: the application is busy (exercises WAIT); bit 3: start a segmented response.
    endpoint.receiver.isApplicationBusy = selector & 0x10 != 0
    if selector & 0x08 != 0, !sentFirst {
      let message = [40 of UInt8](repeating: selector)
      if let first = try? endpoint.send(message.span, now_ms: now) { check(first) }
      sentFirst = true
    }
    switch endpoint.receive(frame, now_ms: now) {
    case .nothing:
      break
    case .sendFlowControl(let flowControl):
      check(flowControl)
    case .messageComplete(let length):
      precondition(length >= 1 && length <= configuration.maxReceiveLength, "bad length")
      precondition(endpoint.receiver.messageLength == length, "length mismatch")
      let sum = endpoint.receiver.withMessage { message in
        var total = 0
        for i in 0..<message.count { total &+= Int(message[i]) }
        return total
      }
      _ = sum
    }
    var polled = 0
    while let next = endpoint.poll(now_ms: now) {
      check(next)
      polled += 1
      precondition(polled < 1000, "poll never stops")
    }
    diagnostics.receive(frame, now_ms: now)
    polled = 0
    while let next = diagnostics.poll(now_ms: now) {
      check(next)
      polled += 1
      precondition(polled < 1000, "diagnostic poll never stops")
    }
    _ = diagnostics.takeResetRequest()
  }
  let counters = endpoint.receiver.counters
  precondition(
    counters.framesReceived
      == counters.framesAccepted + counters.malformed + counters.unexpected
      + counters.wrongSequence + counters.overflow,
    "a received frame was not counted exactly once")
  return 0
}
