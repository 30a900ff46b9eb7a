import Testing

@testable import VehicleNetwork

/// Where the server is before the request: session and security level.
enum ServerState: String, Sendable {
  case defaultLocked
  case extendedLocked
  case extendedUnlocked
  case programmingLocked
}

enum Expected: Equatable, Sendable {
  case positive
  case negative(UDSNegativeResponseCode)
  case noResponse
}

struct NRCCase: Sendable, CustomTestStringConvertible {
  var state: ServerState
  var request: [UInt8]
  var functional = false
  var expected: Expected

  var testDescription: String {
    let bytes = request.map { String($0, radix: 16) }.joined(separator: " ")
    return "\(state.rawValue) [\(bytes)]\(functional ? " functional" : "") -> \(expected)"
  }
}

private func row(
  _ state: ServerState, _ request: [UInt8], _ expected: Expected, functional: Bool = false
) -> NRCCase {
  NRCCase(state: state, request: request, functional: functional, expected: expected)
}

private let vinWrite: [UInt8] = [0x2E, 0xF1, 0x90] + Array(repeating: 0x41, count: 17)
private let serialWrite: [UInt8] = [0x2E, 0xF1, 0x8C] + Array(repeating: 0x41, count: 16)
private let overcurrent: [UInt8] = [0x0A, 0x1B, 0x00]

/// Service × session × security × length, each row one check of ISO 14229-1's order:
/// 0x11 before 0x7F before 0x12 before 0x13 before 0x22/0x24/0x31/0x33/0x35-0x37.
private let nrcTable: [NRCCase] = [
  // 0x11 service not supported, suppressed when functional.
  row(.defaultLocked, [0x23, 0x00], .negative(.serviceNotSupported)),
  row(.extendedUnlocked, [0x23], .negative(.serviceNotSupported)),
  row(.defaultLocked, [0x23, 0x00], .noResponse, functional: true),
  // 0x7F before any length or sub-function check; suppressed when functional.
  row(.defaultLocked, [0x27], .negative(.serviceNotSupportedInActiveSession)),
  row(.defaultLocked, [0x27, 0x7F], .negative(.serviceNotSupportedInActiveSession)),
  row(.defaultLocked, [0x31, 0x01, 0xFF, 0x00], .negative(.serviceNotSupportedInActiveSession)),
  row(.defaultLocked, [0x28], .negative(.serviceNotSupportedInActiveSession)),
  row(.defaultLocked, [0x85, 0x02], .negative(.serviceNotSupportedInActiveSession)),
  row(.defaultLocked, [0x85, 0x02], .noResponse, functional: true),
  // 0x10 DiagnosticSessionControl.
  row(.defaultLocked, [0x10], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x10, 0x04], .negative(.subFunctionNotSupported)),
  row(.defaultLocked, [0x10, 0x04, 0x00], .negative(.subFunctionNotSupported)),
  row(.defaultLocked, [0x10, 0x04], .noResponse, functional: true),
  row(.defaultLocked, [0x10, 0x03, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x10, 0x02], .negative(.conditionsNotCorrect)),
  row(.defaultLocked, [0x10, 0x03], .positive),
  row(.extendedLocked, [0x10, 0x02], .positive),
  row(.programmingLocked, [0x10, 0x01], .positive),
  row(.defaultLocked, [0x10, 0x83], .noResponse),
  // 0x11 ECUReset, every session.
  row(.defaultLocked, [0x11], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x11, 0x02], .negative(.subFunctionNotSupported)),
  row(.defaultLocked, [0x11, 0x01, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x11, 0x01], .positive),
  row(.programmingLocked, [0x11, 0x03], .positive),
  row(.extendedLocked, [0x11, 0x81], .noResponse),
  // 0x14 ClearDiagnosticInformation.
  row(.defaultLocked, [0x14, 0xFF, 0xFF], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x14, 0x12, 0x34, 0x56], .negative(.requestOutOfRange)),
  row(.defaultLocked, [0x14, 0x12, 0x34, 0x56], .noResponse, functional: true),
  row(.defaultLocked, [0x14, 0xFF, 0xFF, 0xFF], .positive),
  row(.defaultLocked, [0x14] + overcurrent, .positive),
  // 0x19 ReadDTCInformation.
  row(.defaultLocked, [0x19], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x19, 0x03, 0xFF], .negative(.subFunctionNotSupported)),
  row(.defaultLocked, [0x19, 0x82, 0xFF], .negative(.subFunctionNotSupported)),
  row(.defaultLocked, [0x19, 0x02], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x19, 0x02, 0xFF, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(
    .defaultLocked, [0x19, 0x04] + overcurrent, .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x19, 0x04, 0x12, 0x34, 0x56, 0x01], .negative(.requestOutOfRange)),
  row(.defaultLocked, [0x19, 0x04] + overcurrent + [0x05], .negative(.requestOutOfRange)),
  row(.defaultLocked, [0x19, 0x06] + overcurrent + [0x05], .negative(.requestOutOfRange)),
  row(.defaultLocked, [0x19, 0x01, 0xFF], .positive),
  row(.extendedLocked, [0x19, 0x02, 0xFF], .positive),
  row(.defaultLocked, [0x19, 0x04] + overcurrent + [0xFF], .positive),
  row(.defaultLocked, [0x19, 0x06] + overcurrent + [0x01], .positive),
  // 0x22 ReadDataByIdentifier: table and live identifiers.
  row(.defaultLocked, [0x22, 0xF1], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x22, 0x12, 0x34], .negative(.requestOutOfRange)),
  row(.defaultLocked, [0x22, 0x12, 0x34], .noResponse, functional: true),
  row(.defaultLocked, [0x22, 0x01, 0x02], .negative(.requestOutOfRange)),
  row(.extendedLocked, [0x22, 0x01, 0x02], .positive),
  row(.defaultLocked, [0x22, 0xF1, 0x90], .positive),
  row(.defaultLocked, [0x22, 0xF1, 0x90], .positive, functional: true),
  row(.programmingLocked, [0x22, 0x01, 0x01], .positive),
  // 0x2E WriteDataByIdentifier: length, then session (0x31), then security (0x33).
  row(.extendedUnlocked, [0x2E, 0xF1, 0x90], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(
    .extendedUnlocked, [0x2E, 0xF1, 0x90, 0x41], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, vinWrite, .negative(.requestOutOfRange)),
  row(.programmingLocked, vinWrite, .negative(.requestOutOfRange)),
  row(.extendedLocked, vinWrite, .negative(.securityAccessDenied)),
  row(.extendedUnlocked, vinWrite, .positive),
  row(.extendedUnlocked, serialWrite, .negative(.requestOutOfRange)),
  row(.extendedUnlocked, [0x2E, 0x01, 0x01, 0, 0, 0, 0], .negative(.requestOutOfRange)),
  // 0x27 SecurityAccess.
  row(.extendedLocked, [0x27], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x27, 0x03], .negative(.subFunctionNotSupported)),
  row(.extendedLocked, [0x27, 0x00], .negative(.subFunctionNotSupported)),
  row(.extendedLocked, [0x27, 0x03], .noResponse, functional: true),
  row(.extendedLocked, [0x27, 0x01, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x27, 0x02, 1, 2, 3], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x27, 0x02, 1, 2, 3, 4], .negative(.requestSequenceError)),
  row(.extendedLocked, [0x27, 0x01], .positive),
  row(.programmingLocked, [0x27, 0x01], .positive),
  row(.extendedLocked, [0x27, 0x81], .noResponse),
  // 0x28 CommunicationControl.
  row(.extendedLocked, [0x28], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x28, 0x04, 0x01], .negative(.subFunctionNotSupported)),
  row(.extendedLocked, [0x28, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x28, 0x00, 0x00], .negative(.requestOutOfRange)),
  row(.extendedLocked, [0x28, 0x00, 0x11], .negative(.requestOutOfRange)),
  row(.extendedLocked, [0x28, 0x03, 0x01], .positive),
  row(.extendedLocked, [0x28, 0x83, 0x03], .noResponse),
  // 0x31 RoutineControl: 0x12, 0x13, 0x31 (unknown or wrong session), 0x33, then the
  // routine's own 0x22/0x24/0x31.
  row(.extendedUnlocked, [0x31], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedUnlocked, [0x31, 0x04, 0xFF, 0x00], .negative(.subFunctionNotSupported)),
  row(.extendedUnlocked, [0x31, 0x01, 0xFF], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedUnlocked, [0x31, 0x01, 0x12, 0x34], .negative(.requestOutOfRange)),
  row(.extendedUnlocked, [0x31, 0x01, 0x12, 0x34], .noResponse, functional: true),
  row(.programmingLocked, [0x31, 0x01, 0xFF, 0x01, 0x05], .negative(.requestOutOfRange)),
  row(.extendedLocked, [0x31, 0x01, 0xFF, 0x00], .negative(.securityAccessDenied)),
  row(.extendedUnlocked, [0x31, 0x01, 0xFF, 0x00], .positive),
  row(.extendedUnlocked, [0x31, 0x03, 0xFF, 0x00], .negative(.requestSequenceError)),
  row(.extendedLocked, [0x31, 0x01, 0xFF, 0x01, 0x99], .negative(.requestOutOfRange)),
  row(
    .extendedLocked, [0x31, 0x01, 0xFF, 0x01], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x31, 0x01, 0xFF, 0x01, 0x05], .positive),
  row(.extendedLocked, [0x31, 0x81, 0xFF, 0x01, 0x05], .noResponse),
  // 0x3E TesterPresent.
  row(.defaultLocked, [0x3E], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x3E, 0x01], .negative(.subFunctionNotSupported)),
  row(.defaultLocked, [0x3E, 0x00, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.defaultLocked, [0x3E, 0x00], .positive),
  row(.defaultLocked, [0x3E, 0x80], .noResponse),
  row(.defaultLocked, [0x3E, 0x80, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  // 0x85 ControlDTCSetting.
  row(.extendedLocked, [0x85], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x85, 0x03], .negative(.subFunctionNotSupported)),
  row(.extendedLocked, [0x85, 0x02, 0x00], .negative(.incorrectMessageLengthOrInvalidFormat)),
  row(.extendedLocked, [0x85, 0x02, 0x12, 0x34, 0x56], .negative(.requestOutOfRange)),
  row(.extendedLocked, [0x85, 0x02, 0xFF, 0xFF, 0xFF], .positive),
  row(.extendedLocked, [0x85, 0x02], .positive),
  row(.extendedLocked, [0x85, 0x81], .noResponse),
]

private func prepared(_ state: ServerState, _ ecu: inout FakeECU) -> TestServer {
  var server = makeUDSServer()
  switch state {
  case .defaultLocked:
    break
  case .extendedLocked:
    send(&server, [0x10, 0x03], &ecu)
  case .extendedUnlocked:
    send(&server, [0x10, 0x03], &ecu)
    _ = unlockLevel1(&server, &ecu)
  case .programmingLocked:
    send(&server, [0x10, 0x03], &ecu)
    send(&server, [0x10, 0x02], &ecu)
  }
  return server
}

@Test(arguments: nrcTable)
func negativeResponseCheckOrder(_ row: NRCCase) {
  var ecu = FakeECU()
  var server = prepared(row.state, &ecu)
  let reply = send(&server, row.request, &ecu, functional: row.functional)
  switch row.expected {
  case .positive:
    #expect(reply.first == row.request[0] | 0x40)
  case .negative(let code):
    #expect(reply == negative(row.request[0], code))
  case .noResponse:
    #expect(reply == [])
  }
}

@Test func preparedStatesAreWhatTheTableAssumes() {
  var ecu = FakeECU()
  let unlocked = prepared(.extendedUnlocked, &ecu)
  #expect(unlocked.session == .extended && unlocked.securityLevel == 1)
  let programming = prepared(.programmingLocked, &ecu)
  #expect(programming.session == .programming && programming.securityLevel == 0)
}

@Test func functionalSuppressionCoversExactly0x11_0x12_0x31_0x7E_0x7F() {
  let suppressed = (0...255).compactMap { UDSNegativeResponseCode(rawValue: UInt8($0)) }
    .filter { $0.isSuppressedForFunctionalRequests }.map { $0.rawValue }
  #expect(suppressed == [0x11, 0x12, 0x31, 0x7E, 0x7F])
}
