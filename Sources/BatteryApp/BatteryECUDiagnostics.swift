import BatteryManagement
import Platform
import VehicleNetwork

/// The BMS's diagnostic server type.
public typealias BatteryDiagnosticServer = DiagnosticServer<
  BatteryDiagnostics, XTEASecurityKeyAlgorithm
>

/// Diagnostics of the BMS ECU, in the 1 ms task: every received frame goes to the server as
/// it is read, responses and DTC test results follow in the same task.
extension BatteryECU {
  /// Stand-in for the MCU's unique ID (seed entropy) until the board supplies one.
  static var uniqueID: UInt32 { 0x4B42_4D53 }
  /// Response frames handed to the controller per period at most: leaves room in the
  /// controller's queue for the cyclic frames.
  static var maxDiagnosticFramesPerPeriod: Int { 4 }
  /// CAN timeouts are not tested until the bus had this long to come up after power-up.
  static var communicationStartDelay_ms: UInt32 { 1000 }

  /// Milliseconds since the ECU started (1 ms jobs run), the diagnostic time base.
  public var uptime_ms: UInt32 { jobs[Task.currentIntegration.rawValue] }

  /// The server with empty tables: `startDiagnostics` fills them in place (a filled server
  /// built in one expression took three copies of its tables on the stack).
  static func emptyDiagnostics() -> BatteryDiagnosticServer {
    BatteryDiagnosticServer(
      configuration: .battery, application: BatteryDiagnostics(),
      keys: XTEASecurityKeyAlgorithm.development, dataIdentifiers: DataIdentifierTable())
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

  /// Starts the diagnostic server in place, after `start` (which leaves it alone): the image
  /// calls it from `main`, so the server's temporary is not on the stack together with the
  /// construction frames.
  @inline(never)
  public mutating func startDiagnostics() {
    diagnostics = Self.emptyDiagnostics()
    fillDiagnosticTables()
  }

  /// Fills the identification rows and the DTC table in place, restores the records and
  /// starts the operation cycle.
  @inline(never)
  mutating func fillDiagnosticTables() {
    diagnostics.uds.dataIdentifiers.addIdentificationRows()
    Self.fill(&diagnostics.uds.dataIdentifiers, UDSIdentifiers.vin, "KAIRO000000000000")
    Self.fill(&diagnostics.uds.dataIdentifiers, UDSIdentifiers.ecuSerialNumber, "KAIRO-BMS-000001")
    Self.fill(&diagnostics.uds.dataIdentifiers, UDSIdentifiers.softwareVersion, "0.1.0   ")
    var active = [4 of UInt8](repeating: 0)
    active[0] = 0x41  // brand A: the BMS has one calibration set (the reference pack)
    active[3] = 1
    diagnostics.uds.dataIdentifiers.setValue(UDSIdentifiers.activeCalibration, active.span)
    BatteryDTC.addRows(to: &diagnostics.dtcs)
    diagnostics.restore(from: diagnosticStore, now_ms: 0, entropy: Self.uniqueID)
    diagnostics.dtcs.startOperationCycle()
  }

  /// The 1 ms task's diagnostic part, after the frames were received.
  mutating func serveDiagnostics() {
    let now = uptime_ms
    refreshLiveData()
    diagnostics.application.update(now_ms: now)
    guard
      diagnostics.transmit(
        through: &bus, held: &heldDiagnosticFrame, limit: Self.maxDiagnosticFramesPerPeriod,
        now_ms: now)
    else { return }
    if let reset = diagnostics.takeResetRequest() { resetRequest = reset }
    reportDTCs()
  }

  mutating func refreshLiveData() {
    var live = BatteryLiveData()
    live.soc_pct = (lastEstimate?.pack ?? 0) * 100
    if let sample = lastPackSample {
      live.packVoltage_V = Float(Int(sample.packVoltage_dV)) / 10
      live.packCurrent_A = Float(Int(sample.current_mA)) / 1000
    }
    live.minCell_V = snapshot.measurement.minCell_V
    live.maxCell_V = snapshot.measurement.maxCell_V
    live.state = state
    live.faultCode = activeFaultCode
    live.cellCount = cellCount
    diagnostics.application.live = live
  }

  static func bit(_ dtc: BatteryDTC) -> UInt16 { 1 << UInt16(dtc.rawValue) }

  /// Which DTC tests fail now (bit = `BatteryDTC` row) and which were run at all.
  mutating func dtcTestResults() -> (failed: UInt16, tested: UInt16) {
    var failed: UInt16 = 0
    var tested: UInt16 = 0xFFFF
    let active = snapshot.protection.active
    // Rows 0...23 in groups of three (warning, derate, fault), then open wire, implausible.
    for group in 0..<8 where (active &>> UInt32(3 * group)) & 0x7 != 0 {
      failed |= 1 << UInt16(group)
    }
    if active & (1 << UInt32(DiagnosticID.openWireFault.rawValue)) != 0 {
      failed |= Self.bit(.openWire)
    }
    if active & (1 << UInt32(DiagnosticID.implausibleMeasurementWarning.rawValue)) != 0 {
      failed |= Self.bit(.implausibleMeasurement)
    }
    // No protection verdict before the first scan.
    if !hasMeasurement { tested &= ~((1 << UInt16(BatteryDTC.protectionGroups)) - 1) }
    if uptime_ms < Self.communicationStartDelay_ms {
      tested &= ~(Self.bit(.vehicleRequestTimeout) | Self.bit(.vehicleRequestE2E))
    } else if vehicleRequestAge_ms >= Self.vehicleRequestTimeout_ms {
      failed |= Self.bit(.vehicleRequestTimeout)
    }
    if vehicleE2EErrors != lastVehicleE2EErrors {
      lastVehicleE2EErrors = vehicleE2EErrors
      failed |= Self.bit(.vehicleRequestE2E)
    }
    switch snapshot.contactorFault {
    case .prechargeFailed: failed |= Self.bit(.prechargeFailed)
    case .positiveMainWelded, .negativeMainWelded, .prechargeWelded, .linkVoltageStaysUp:
      failed |= Self.bit(.contactorStuckClosed)
    case .positiveMainDidNotClose, .feedbackLost: failed |= Self.bit(.contactorStuckOpen)
    case nil: break
    }
    if monitorLost || missingSamples != lastMissingSamples {
      lastMissingSamples = missingSamples
      failed |= Self.bit(.acquisitionLost)
    }
    return (failed & tested, tested)
  }

  /// One DTC report per period, round robin, from the failures seen since its last report;
  /// a newly failing test is reported in the period that sees it, so its freeze frame shows
  /// the moment of failure.
  mutating func reportDTCs() {
    let results = dtcTestResults()
    pendingFailures |= results.failed
    let rising = results.failed & ~lastFailures
    lastFailures = results.failed
    if rising != 0 {
      let row = rising.trailingZeroBitCount
      diagnostics.dtcs.report(
        BatteryDTC.number(row: row), failed: true, freezeFrame: freezeFrame(row: row))
    }
    let row = nextReportedDTC
    nextReportedDTC = row + 1 >= BatteryDTC.count ? 0 : row + 1
    let bit: UInt16 = 1 << UInt16(row)
    guard results.tested & bit != 0 else { return }
    let failed = pendingFailures & bit != 0
    pendingFailures &= ~bit
    diagnostics.dtcs.report(
      BatteryDTC.number(row: row), failed: failed, freezeFrame: freezeFrame(row: row))
  }

  /// Freeze frame (docs/diagnostics.md): pack V, pack A, SOC %, min and max cell V, min and
  /// max temperature °C, detail (protection groups: highest active severity 1 warning,
  /// 2 derate, 3 fault; contactor DTCs: the `ContactorFault` code; otherwise BMS_State).
  mutating func freezeFrame(row: Int) -> FreezeFrame {
    var signals = [8 of Float](repeating: 0)
    let live = diagnostics.application.live
    signals[0] = live.packVoltage_V
    signals[1] = live.packCurrent_A
    signals[2] = live.soc_pct
    signals[3] = live.minCell_V
    signals[4] = live.maxCell_V
    signals[5] = snapshot.measurement.minTemperature_C
    signals[6] = snapshot.measurement.maxTemperature_C
    var detail = Float(Int(live.state.rawValue))
    let active = snapshot.protection.active
    if row < 8 {
      let rows = (active &>> UInt32(3 * row)) & 0x7
      detail = rows & 4 != 0 ? 3 : rows & 2 != 0 ? 2 : rows & 1 != 0 ? 1 : 0
    } else if row == BatteryDTC.prechargeFailed.rawValue
      || row == BatteryDTC.contactorStuckClosed.rawValue
      || row == BatteryDTC.contactorStuckOpen.rawValue, let fault = snapshot.contactorFault
    {
      detail = Float(Int(fault.rawValue))
    }
    signals[7] = detail
    return FreezeFrame(signals: signals)
  }
}
