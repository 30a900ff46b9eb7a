// libFuzzer target: the UDS request handler (UDSServer with the DTC manager and an
// application with live data, routines and a pending routine) fed sequences of requests.
// Input: records of [flags, length, bytes...]; flags bit 0 = functional, bits 1-7 = time step
// in 100 ms. Checks ISO 14229-1 response invariants on every answer.
import Platform
import VehicleNetwork

/// A key algorithm the fuzzer can satisfy through comparison tracing: the key is a fixed
/// function of the seed, and the seed sequence is the same for every input.
private struct FuzzKeys: UDSSecurityKeyAlgorithm {
  func key(seed: UInt32, level: UInt8) -> UInt32 { seed ^ 0x5A5A_5A5A }
}

private struct FuzzApplication: DiagnosticApplication {
  var started_ms: UInt32? = nil

  mutating func readData(_ id: UInt16, session: UDSSession, into record: inout UDSDataRecord)
    -> Bool
  {
    switch id {
    case 0x0101:
      record.append(f32: 1234.5)
      return true
    case 0x0102 where session != .defaultSession:
      // Longer than the record holds: must be cut at its capacity, never overflow.
      for i in 0..<80 { record.append(UInt8(truncatingIfNeeded: i)) }
      return true
    default:
      return false
    }
  }

  func routineAccess(_ id: UInt16) -> UDSAccess? {
    switch id {
    case 0xFF00: return UDSAccess(sessions: .extended, securityLevel: 1)
    case 0xFF01: return UDSAccess(sessions: .nonDefault)
    default: return nil
    }
  }

  mutating func routineControl(
    _ id: UInt16, _ type: UDSRoutineControlType, options: Span<UInt8>, now_ms: UInt32,
    result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    guard options.count <= 2 else { return .rejected(.incorrectMessageLengthOrInvalidFormat) }
    if id == 0xFF00, type == .start {
      started_ms = now_ms
      return .pending
    }
    result.append(type.rawValue)
    return .completed
  }

  mutating func continueRoutine(
    _ id: UInt16, _ type: UDSRoutineControlType, now_ms: UInt32, result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    guard let start = started_ms else { return .rejected(.generalReject) }
    return now_ms &- start >= 3000 ? .completed : .pending
  }

  mutating func didWrite(_ id: UInt16, value: Span<UInt8>) {}
}

private func makeDTCs() -> DTCManager {
  var dtcs = DTCManager()
  for n in 0..<4 { try? dtcs.add(DTCDefinition(number: 0x0A_1B00 + UInt32(n), failThreshold: 1)) }
  return dtcs
}

private func check(_ response: UDSResponse, request: UnsafeBufferPointer<UInt8>, functional: Bool) {
  guard !response.isEmpty else { return }
  precondition(response.count <= UDSResponse.capacity, "response too long")
  if response[0] == 0x7F {
    precondition(response.count == 3 && response[1] == request[0], "malformed negative response")
    let code = UDSNegativeResponseCode(rawValue: response[2])
    precondition(code != nil, "unknown NRC")
    if functional, let code {
      precondition(!code.isSuppressedForFunctionalRequests, "NRC answered to a functional request")
    }
  } else {
    precondition(response[0] == request[0] | 0x40, "positive response to another service")
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func udsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = UnsafeBufferPointer(start: data, count: size)
  var table = DataIdentifierTable.ecuIdentification()
  try? table.add(DataIdentifier(id: 0x0200, length: 200, readSessions: .nonDefault))
  var server = UDSServer(
    configuration: UDSServerConfiguration(bootDelay_ms: 0), keys: FuzzKeys(),
    dataIdentifiers: table, seedEntropy: 0x1234_5678, dtcs: makeDTCs())
  var application = FuzzApplication()
  var response = UDSResponse()
  var now: UInt32 = 0
  var offset = 0
  var buffer = [64 of UInt8](repeating: 0)
  while offset + 2 <= input.count {
    let flags = input[offset]
    let length = min(Int(input[offset + 1]), 64, input.count - offset - 2)
    offset += 2
    for i in 0..<length { buffer[i] = input[offset + i] }
    let request = UnsafeBufferPointer(rebasing: input[offset..<(offset + length)])
    offset += length
    now &+= UInt32(flags >> 1) &* 100
    let functional = flags & 1 != 0
    // Test results between requests, so 0x19/0x14/0x85 see changing DTCs.
    server.dtcs.report(
      0x0A_1B00 + UInt32(flags & 3), failed: flags & 4 != 0, freezeFrame: FreezeFrame())
    if flags == 0xFE { server.dtcs.startOperationCycle() }
    server.poll(now_ms: now)
    server.pollPending(now_ms: now, application: &application, response: &response)
    if !response.isEmpty {
      precondition(response[0] == 0x71 || response[0] == 0x7F, "pending answer for 0x31 only")
    }
    guard length > 0 else { continue }
    server.handle(
      buffer.span.extracting(0..<length), isFunctional: functional, now_ms: now,
      application: &application, response: &response)
    check(response, request: request, functional: functional)
    _ = server.takeResetRequest()
  }
  return 0
}
