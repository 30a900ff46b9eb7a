import ControlMath
import MotorControl
import Platform
import VehicleNetwork

/// The inverter's diagnostic server type.
public typealias InverterDiagnosticServer = DiagnosticServer<
  InverterDiagnostics, XTEASecurityKeyAlgorithm
>

/// Diagnostics of the inverter ECU, all in the 1 kHz job (the control-rate task only queues
/// the request frames): requests, responses, DTC test results, persistence.
extension InverterECU {
  /// Stand-in for the MCU's unique ID (seed entropy) until the board supplies one.
  static var uniqueID: UInt32 { 0x4B49_4E56 }
  /// Response frames handed to the controller per 1 kHz job at most: leaves room in the
  /// controller's queue for the cyclic frames.
  static var maxDiagnosticFramesPerJob: Int { 4 }
  /// A DTC record pass starts at most this often, and only when the record changed.
  static var persistInterval_ms: UInt32 { 100 }
  /// DTC record bytes written per 1 kHz job: the whole record (648 bytes, ≈ 18 000
  /// instructions) would stretch a 50 µs period to three; 32 bytes cost ≈ 900 and a pass
  /// takes 21 ms.
  static var dtcRecordBytesPerJob: Int { 32 }
  /// CAN timeouts are not tested until the bus had this long to come up after power-up.
  static var communicationStartDelay_ms: UInt32 { 1000 }

  /// The server with empty tables: `startDiagnostics` fills them in place (a filled server
  /// built in one expression took three copies of its tables on the stack).
  static func emptyDiagnostics(calibration: InverterCalibration) -> InverterDiagnosticServer {
    var configuration = DiagnosticServerConfiguration.inverter
    // Four consecutive frames per flow control: a request never brings more frames between
    // two 1 kHz jobs than `diagnosticQueue` holds.
    configuration.isoTp.blockSize = 4
    return InverterDiagnosticServer(
      configuration: configuration,
      application: InverterDiagnostics(
        settings: calibration.offsetCalibration,
        nominalZero_counts: calibration.scaling.phaseCurrentZero_counts),
      keys: XTEASecurityKeyAlgorithm.development, dataIdentifiers: DataIdentifierTable())
  }

  /// Starts the server in place (`start`); its own frame, so that the server's temporary is
  /// not on the stack together with the other fields' temporaries.
  @inline(never)
  mutating func startDiagnostics(calibration: InverterCalibration, store: Store) {
    diagnostics = Self.emptyDiagnostics(calibration: calibration)
    fillDiagnosticTables(calibration: calibration, store: store)
  }

  /// Fills the identification rows and the DTC table in place, restores the records from
  /// `store` and starts the operation cycle.
  @inline(never)
  mutating func fillDiagnosticTables(calibration: InverterCalibration, store: Store) {
    diagnostics.uds.dataIdentifiers.addIdentificationRows()
    Self.setIdentification(
      &diagnostics.uds.dataIdentifiers, serial: "KAIRO-INV-000001", calibration: calibration)
    InverterDTC.addRows(to: &diagnostics.dtcs)
    diagnostics.restore(from: store, now_ms: 0, entropy: Self.uniqueID)
    diagnostics.dtcs.startOperationCycle()
  }

  /// Control-rate side: keeps the frames addressed to the server for the 1 kHz job.
  mutating func enqueueDiagnostic(_ frame: CANFrame) {
    guard !frame.isExtended, frame.id == 0x7E0 || frame.id == 0x7DF else { return }
    if !diagnosticQueue.push(frame) { diagnosticFramesDropped &+= 1 }
  }

  /// The 1 kHz job's diagnostic part.
  mutating func serveDiagnostics() {
    uptime_ms &+= 1
    let now = uptime_ms
    refreshLiveData()
    while let frame = diagnosticQueue.pop() { diagnostics.receive(frame, now_ms: now) }
    guard
      diagnostics.transmit(
        through: &bus, held: &heldDiagnosticFrame, limit: Self.maxDiagnosticFramesPerJob,
        now_ms: now)
    else { return }
    if let reset = diagnostics.takeResetRequest() { resetRequest = reset }
    reportDTCs()
    persistDiagnostics()
  }

  mutating func refreshLiveData() {
    var live = InverterLiveData()
    if let loop = drive.lastLoop {
      live.speed_rpm = loop.mechanicalSpeed_rad_s / InverterCalibration.rpm
      live.dcLink_V = loop.dcLink_V
      live.torque_Nm = drive.calibration.motor.torque_Nm(
        id_A: loop.current.d, iq_A: loop.current.q)
    }
    live.state = drive.stateMachine.state
    live.faultCode = Self.faultCode(
      drive.stateMachine.fault, tripped: drive.protectionStatus.tripped)
    live.isStopped =
      lastCommand.mode == .off && live.speed_rpm.magnitude < InverterDiagnostics.maxStandstill_rpm
    live.sample = drive.lastSample
    live.sampleIsNew = drive.lastSample != nil
    diagnostics.application.live = live
  }

  /// Which DTC tests fail now (bit = `InverterDTC` row) and which were run at all.
  mutating func dtcTestResults() -> (failed: UInt16, tested: UInt16) {
    var latched: UInt16 = 0
    var offsetFault = false
    switch drive.stateMachine.fault {
    case .protection(let rows): latched = rows
    case .currentSensorOffset: offsetFault = true
    case nil: break
    }
    let rowMask: UInt16 = (1 << UInt16(ProtectionTable.count)) - 1
    var failed = (drive.protectionStatus.tripped | latched) & rowMask
    var tested: UInt16 = 0xFFFF
    // Undervoltage is a fault only while the drive is asked to run: with the key off, or
    // before precharge, the link is empty by design.
    if drive.stateMachine.state != .running && !drive.request.runRequest {
      tested &= ~ProtectionID.dcLinkUndervoltage.mask
    }
    failed &= ~(ProtectionID.dcLinkUndervoltage.mask & ~tested)
    // The timeouts and E2E checks count once the bus had time to come up.
    if uptime_ms < Self.communicationStartDelay_ms {
      let bus =
        Self.bit(.torqueRequestTimeout) | Self.bit(.batteryLimitsTimeout)
        | Self.bit(.torqueRequestE2E) | Self.bit(.batteryLimitsE2E)
      tested &= ~bus
      failed &= ~bus
    }
    if offsetFault { failed |= Self.bit(.currentSensorOffset) }
    if missingSamples != lastMissingSamples {
      lastMissingSamples = missingSamples
      failed |= Self.bit(.missingSamples)
    }
    switch receiver.torqueRequestStatus {
    case .crcError, .wrongSequence, .repeated: failed |= Self.bit(.torqueRequestE2E)
    default: break
    }
    switch receiver.batteryLimitsStatus {
    case .crcError, .wrongSequence, .repeated: failed |= Self.bit(.batteryLimitsE2E)
    default: break
    }
    return (failed & tested, tested)
  }

  static func bit(_ dtc: InverterDTC) -> UInt16 { 1 << UInt16(dtc.rawValue) }

  /// One DTC report per job, round robin, from the failures seen since its last report; a
  /// newly failing test is reported in the job that sees it, so its freeze frame shows the
  /// moment of failure. (A report costs ≈ 450 instructions: all 14 per job would not fit the
  /// control period.)
  mutating func reportDTCs() {
    let results = dtcTestResults()
    pendingFailures |= results.failed
    let rising = results.failed & ~lastFailures
    lastFailures = results.failed
    if rising != 0 {
      let row = rising.trailingZeroBitCount
      diagnostics.dtcs.report(
        InverterDTC.number(row: row), failed: true, freezeFrame: freezeFrame())
    }
    let row = nextReportedDTC
    nextReportedDTC = row + 1 >= InverterDTC.count ? 0 : row + 1
    let bit: UInt16 = 1 << UInt16(row)
    guard results.tested & bit != 0 else { return }
    let failed = pendingFailures & bit != 0
    pendingFailures &= ~bit
    diagnostics.dtcs.report(
      InverterDTC.number(row: row), failed: failed, freezeFrame: freezeFrame())
  }

  /// Freeze frame (docs/diagnostics.md): speed rpm, DC-link V, torque N·m, id A, iq A,
  /// inverter °C, motor °C, drive state.
  mutating func freezeFrame() -> FreezeFrame {
    var signals = [8 of Float](repeating: 0)
    let live = diagnostics.application.live
    signals[0] = live.speed_rpm
    signals[1] = live.dcLink_V
    signals[2] = live.torque_Nm
    if let loop = drive.lastLoop {
      signals[3] = loop.current.d
      signals[4] = loop.current.q
    }
    if let sample = drive.lastSample {
      let scaling = drive.calibration.scaling
      signals[5] = scaling.temperature_C(counts: sample.inverterTemperatureCounts)
      signals[6] = scaling.temperature_C(counts: sample.motorTemperatureCounts)
    }
    signals[7] = Float(Int(live.state.rawValue))
    return FreezeFrame(signals: signals)
  }

  /// Every 1 kHz job: the security record when it changed, and the DTC record in slices of
  /// `dtcRecordBytesPerJob`, a pass at most every `persistInterval_ms`.
  mutating func persistDiagnostics() {
    let start = uptime_ms &- lastPersist_ms >= Self.persistInterval_ms
    if start && diagnostics.dtcs.needsSaving { lastPersist_ms = uptime_ms }
    diagnostics.persist(into: &store, dtcBytes: Self.dtcRecordBytesPerJob, startDTCPass: start)
  }

  /// The identification rows: VIN (unset until end of line writes it), serial number,
  /// software version and the active calibration (brand letter, set index, version 1).
  static func setIdentification(
    _ table: inout DataIdentifierTable, serial: StaticString, calibration: InverterCalibration
  ) {
    fill(&table, UDSIdentifiers.vin, "KAIRO000000000000")
    fill(&table, UDSIdentifiers.ecuSerialNumber, serial)
    fill(&table, UDSIdentifiers.softwareVersion, "0.1.0   ")
    var active = [4 of UInt8](repeating: 0)
    #if KAIRO_BRAND_B
      active[0] = 0x42
      active[1] = 1
    #else
      active[0] = 0x41
      active[1] = 0
    #endif
    active[3] = 1
    table.setValue(UDSIdentifiers.activeCalibration, active.span)
  }

  static func fill(_ table: inout DataIdentifierTable, _ id: UInt16, _ text: StaticString) {
    var bytes = [17 of UInt8](repeating: 0x20)
    var count = 0
    text.withUTF8Buffer { utf8 in
      for byte in utf8 where count < 17 {
        bytes[count] = byte
        count += 1
      }
    }
    table.setValue(id, bytes.span.extracting(0..<count))
  }
}
