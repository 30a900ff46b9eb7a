import Platform

@testable import VehicleNetwork

/// A RAM non-volatile store, erased to 0xFF like data flash.
struct FakeStore: NonVolatileStore {
  var bytes: [UInt8]
  var capacity: Int { bytes.count }

  init(capacity: Int = 1024) { bytes = Array(repeating: 0xFF, count: capacity) }

  func read(at offset: Int) -> UInt8 { bytes[offset] }

  mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0, offset < bytes.count else { return false }
    bytes[offset] = byte
    return true
  }
}

/// Live data identifiers of the fake ECU.
let speedID: UInt16 = 0x0101
let extendedOnlyID: UInt16 = 0x0102
let offsetRoutine = UDSIdentifiers.inverterOffsetCalibrationRoutine
let balancingRoutine = UDSIdentifiers.balancingTestRoutine

/// An ECU application: motor speed as live data (all sessions), a counter readable in the
/// extended session only, an offset calibration (extended session, security level 1, takes
/// `calibrationDuration_ms`, refused while the motor turns) and a balancing test (extended
/// session, no security, option byte = cell index below 96).
struct FakeECU: DiagnosticApplication {
  var speed_rpm: Float = 0
  var calibrationDuration_ms: UInt32 = 0
  var calibrationStart_ms: UInt32? = nil
  var calibrationDone = false
  var measuredOffset_A: Float = 0.75
  var balancingCell: UInt8? = nil
  var written: [(UInt16, [UInt8])] = []

  mutating func readData(_ id: UInt16, session: UDSSession, into record: inout UDSDataRecord)
    -> Bool
  {
    switch id {
    case speedID:
      record.append(f32: speed_rpm)
      return true
    case extendedOnlyID where session == .extended:
      record.append(u16: 0xBEEF)
      return true
    default:
      return false
    }
  }

  func routineAccess(_ id: UInt16) -> UDSAccess? {
    switch id {
    case offsetRoutine: return UDSAccess(sessions: .extended, securityLevel: 1)
    case balancingRoutine: return UDSAccess(sessions: .extended)
    default: return nil
    }
  }

  mutating func routineControl(
    _ id: UInt16, _ type: UDSRoutineControlType, options: Span<UInt8>, now_ms: UInt32,
    result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    if id == balancingRoutine {
      switch type {
      case .start:
        guard options.count == 1 else { return .rejected(.incorrectMessageLengthOrInvalidFormat) }
        guard options[0] < 96 else { return .rejected(.requestOutOfRange) }
        balancingCell = options[0]
        return .completed
      case .stop:
        guard balancingCell != nil else { return .rejected(.requestSequenceError) }
        balancingCell = nil
        return .completed
      case .requestResults:
        result.append(balancingCell ?? 0xFF)
        return .completed
      }
    }
    switch type {
    case .start:
      guard speed_rpm == 0 else { return .rejected(.conditionsNotCorrect) }
      calibrationStart_ms = now_ms
      calibrationDone = false
      return continueRoutine(id, type, now_ms: now_ms, result: &result)
    case .stop:
      return .rejected(.requestSequenceError)
    case .requestResults:
      guard calibrationDone else { return .rejected(.requestSequenceError) }
      result.append(f32: measuredOffset_A)
      return .completed
    }
  }

  mutating func continueRoutine(
    _ id: UInt16, _ type: UDSRoutineControlType, now_ms: UInt32, result: inout UDSDataRecord
  ) -> UDSRoutineOutcome {
    guard let start = calibrationStart_ms else { return .rejected(.generalReject) }
    guard now_ms &- start >= calibrationDuration_ms else { return .pending }
    calibrationDone = true
    result.append(0x00)  // routineInfo: finished without error
    return .completed
  }

  mutating func didWrite(_ id: UInt16, value: Span<UInt8>) {
    written.append((id, (0..<value.count).map { value[$0] }))
  }
}

let testVIN = Array("KAIRO0TEST0000001".utf8)
let dtcOvercurrent: UInt32 = 0x0A_1B00
let dtcOvertemperature: UInt32 = 0x0A_2C00

func testDTCs() -> DTCManager {
  var dtcs = DTCManager()
  try! dtcs.add(DTCDefinition(number: dtcOvercurrent, failThreshold: 1))
  try! dtcs.add(
    DTCDefinition(number: dtcOvertemperature, failThreshold: 1, requestsWarningIndicator: true))
  return dtcs
}

typealias TestServer = UDSServer<XTEASecurityKeyAlgorithm>

func makeUDSServer(
  bootDelay_ms: UInt32 = 0, restoredAttempts: UInt8 = 0, now_ms: UInt32 = 0
) -> TestServer {
  var table = DataIdentifierTable.ecuIdentification()
  table.setValue(UDSIdentifiers.vin, testVIN.span)
  return UDSServer(
    configuration: UDSServerConfiguration(bootDelay_ms: bootDelay_ms),
    keys: XTEASecurityKeyAlgorithm.development, dataIdentifiers: table, seedEntropy: 0xC0FFEE,
    dtcs: testDTCs(), restoredFailedKeyAttempts: restoredAttempts, now_ms: now_ms)
}

@discardableResult
func send(
  _ server: inout TestServer, _ bytes: [UInt8], _ ecu: inout FakeECU, at now_ms: UInt32 = 0,
  functional: Bool = false
) -> [UInt8] {
  var response = UDSResponse()
  server.handle(
    bytes.span, isFunctional: functional, now_ms: now_ms, application: &ecu, response: &response)
  return (0..<response.count).map { response[$0] }
}

func negative(_ service: UInt8, _ code: UDSNegativeResponseCode) -> [UInt8] {
  [0x7F, service, code.rawValue]
}

func bigEndian(_ value: UInt32) -> [UInt8] {
  [
    UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF),
    UInt8(value & 0xFF),
  ]
}

/// Requests a seed and answers it with the development key: the tester's side of 0x27.
func unlockLevel1(_ server: inout TestServer, _ ecu: inout FakeECU, at now_ms: UInt32 = 0)
  -> [UInt8]
{
  let seedReply = send(&server, [0x27, 0x01], &ecu, at: now_ms)
  guard seedReply.count == 6 else { return seedReply }
  let seed = seedReply[2...5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  let key = XTEASecurityKeyAlgorithm.development.key(seed: seed, level: 1)
  return send(&server, [0x27, 0x02] + bigEndian(key), &ecu, at: now_ms)
}
