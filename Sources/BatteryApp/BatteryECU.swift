import BatteryManagement
import ControlMath
import Platform
import Scheduling
import VehicleNetwork

/// The battery-module manager ECU: BatteryManagement's `BatteryManager` wired to the board's
/// hardware protocols, as the task set the cyclic scheduler runs (1 ms base period).
/// docs/bms-ecu.md describes the tasks, the vehicle interface and the measurement channels.
///
/// The ECU is ≈ 4 KB: keep it in static storage and step it in place (a copy per call costs
/// the whole struct in a stack frame on the MCU).
public struct BatteryECU<
  Monitor: CellMonitor, Pack: PackSensors, Relays: ContactorDriver, Bus: CANController,
  Store: NonVolatileStore, DiagnosticStore: NonVolatileStore
>: TaskSet, MeasurementSource {
  /// Task indices, highest priority first.
  public enum Task: Int {
    /// 1 ms: every received CAN frame, the current sample, charge integration, over-current
    /// protection and the contactor command.
    case currentIntegration = 0
    /// 10 ms: cell-monitor scan, plausibility, protections, balancing, contactor sequence.
    case cellScan = 1
    /// 100 ms: SOC (EKF) and SOH update, power limits; a save requested at key-off.
    case estimation = 2
    /// 100 ms: BMS_Status, BMS_Limits (E2E protected) and BMS_CellStatistics.
    case canStatus = 3
    /// 40 ms: one BMS_CellVoltages frame, the multiplexer index round robin.
    case cellVoltages = 4
    /// 1 s: persistence when the record changed.
    case housekeeping = 5
  }

  /// Consecutive missing scans (10 ms each) after which the cells count as unwatched and the
  /// contactors open: 100 ms, a third of the 340 ms cell-voltage reaction budget, so a lost
  /// monitor is caught well within the 500 ms goal of the voltage protections it disables.
  public static var maxConsecutiveMissingScans: UInt32 { 10 }
  /// VCU_TorqueRequest (10 ms cycle) older than this no longer requests the contactors closed.
  public static var vehicleRequestTimeout_ms: UInt32 { 500 }
  /// Bound on the frames taken from the controller in one 1 ms period (the board delivers up
  /// to 8): a controller that never runs empty cannot hold the task.
  public static var maxFramesPerPeriod: Int { 32 }
  /// A save between key-offs happens when the SOC moved at least this much (or anything but
  /// the running counters changed).
  public static var saveSOCStep: Float { 0.001 }

  @inline(__always)
  public var controlPeriodMicroseconds: UInt32 { 1000 }

  public var monitor: Monitor
  public var pack: Pack
  public var relays: Relays
  public var bus: Bus
  public var store: Store
  /// Holds the diagnostic records (SecurityAccess attempt counter, DTCs).
  public var diagnosticStore: DiagnosticStore

  public private(set) var manager: BatteryManager
  /// The manager's published state after the last task (read in place once per task: a read
  /// of a field of the ≈ 3.5 KB manager copied all of it on the MCU).
  public private(set) var snapshot: BatteryManagerSnapshot
  /// BMS_State and the active fault code after the last task.
  public private(set) var state = BMSStatus.State.initializing
  public private(set) var activeFaultCode: UInt8 = 0
  public private(set) var cellCount: Int
  public private(set) var temperatureSensorCount: Int
  /// The latest pack sample the sensors delivered (held over periods without one).
  public private(set) var lastPackSample: PackSample?
  /// The command last applied to the contactor drivers.
  public private(set) var contactorCommand: ContactorSet = .allOpen
  /// The mask last applied to the balancing switches.
  public private(set) var balancingMask: [3 of UInt32] = .init(repeating: 0)
  /// Scans and pack samples that did not arrive (counted over the whole run).
  public private(set) var missingScans: UInt32 = 0
  public private(set) var missingSamples: UInt32 = 0
  public private(set) var consecutiveMissingScans: UInt32 = 0
  /// Latched when `maxConsecutiveMissingScans` was reached; cleared at key-off once scans
  /// arrive again.
  public private(set) var monitorLost = false
  /// The vehicle's last valid key state, and milliseconds since that frame.
  public private(set) var keyState = VCUTorqueRequest.KeyState.off
  public private(set) var vehicleRequestAge_ms: UInt32 = UInt32.max
  public private(set) var vehicleChecker = BatteryECU.makeVehicleChecker()
  public private(set) var limitsProtector = E2EProtector(dataID: BMSLimits.e2eDataID)
  public private(set) var lastEstimate: SOCEstimate?
  public private(set) var lastLimits: PowerLimits = .zero
  /// Frames the CAN controller refused (transmit queue full).
  public private(set) var transmitDrops: UInt32 = 0
  /// Completed and failed saves of the persistent record.
  public private(set) var saves: UInt32 = 0
  public private(set) var saveFailures: UInt32 = 0
  /// Whether a valid record was loaded at start-up.
  public private(set) var restoredFromStore: Bool
  /// Jobs run per task.
  public private(set) var jobs: [6 of UInt32] = .init(repeating: 0)

  private var cellVoltage_mV: [96 of UInt16] = .init(repeating: 0)
  private var temperatureIndex: (minimum: UInt8, maximum: UInt8) = (0, 0)
  var hasMeasurement = false
  private var cellVoltagesIndex: UInt8 = 0
  private var saveRequested = false
  private var lastSaved: PersistentBatteryData?
  private var telemetry: [16 of Float] = .init(repeating: 0)

  /// The UDS server (0x7E1/0x7E9, functional 0x7DF) with the BMS's DTC table, served from
  /// the 1 ms task (`BatteryECUDiagnostics.swift`).
  public internal(set) var diagnostics: BatteryDiagnosticServer
  /// A response frame the controller refused, sent first in the next period.
  var heldDiagnosticFrame: CANFrame?
  /// DTC tests failed since their last report (bit = `BatteryDTC` row) and in the last period.
  var pendingFailures: UInt16 = 0
  var lastFailures: UInt16 = 0
  var nextReportedDTC = 0
  var lastMissingSamples: UInt32 = 0
  /// VCU_TorqueRequest frames that failed their E2E check (CRC, counter), and the count the
  /// DTC test last saw.
  public internal(set) var vehicleE2EErrors: UInt32 = 0
  var lastVehicleE2EErrors: UInt32 = 0
  var lastPersist_ms: UInt32 = 0
  /// An ECUReset the server answered (after its response left): the board acts on it.
  public internal(set) var resetRequest: UDSResetType?

  /// Loads the persistent record from `store` (a missing or corrupt one starts the estimators
  /// from their defaults) and builds the manager for `pack` description.
  public init(
    monitor: Monitor, pack: Pack, relays: Relays, bus: Bus, store: Store,
    diagnosticStore: DiagnosticStore, description: PackDescription
  ) throws(LookupTableError) {
    let restored = try? BatteryRecordStore.load(from: store).data
    self.monitor = monitor
    self.pack = pack
    self.relays = relays
    self.bus = bus
    self.store = store
    self.diagnosticStore = diagnosticStore
    diagnostics = Self.emptyDiagnostics()
    restoredFromStore = restored != nil
    cellCount = description.cellCount
    temperatureSensorCount = description.temperatureSensorCount
    manager = try BatteryManager(pack: description, restored: restored)
    snapshot = manager.snapshot()
    lastSaved = restored
    refresh()
    fillDiagnosticTables()
  }

  /// Starts the ECU in place, exactly as `init` does, one stored property at a time, except
  /// the diagnostic server: call `startDiagnostics()` next, from a shallow frame (the server
  /// is built in a 2.8 KB temporary). The board
  /// constructs the ECU in its static storage with this (Swift builds a struct in its
  /// initialiser's frame and copies it out, which for this ≈ 3 KB struct and its manager cost
  /// more stack than the board has). Every stored property is written before any is read.
  public mutating func start(
    monitor: Monitor, pack: Pack, relays: Relays, bus: Bus, store: Store,
    diagnosticStore: DiagnosticStore, description: borrowing PackDescription
  ) throws(LookupTableError) {
    let restored = try? BatteryRecordStore.load(from: store).data
    self.monitor = monitor
    self.pack = pack
    self.relays = relays
    self.bus = bus
    self.store = store
    self.diagnosticStore = diagnosticStore
    restoredFromStore = restored != nil
    cellCount = description.cellCount
    temperatureSensorCount = description.temperatureSensorCount
    try manager.reset(pack: description, restored: restored)
    snapshot = manager.snapshot()
    state = .initializing
    activeFaultCode = 0
    lastPackSample = nil
    contactorCommand = .allOpen
    balancingMask = .init(repeating: 0)
    missingScans = 0
    missingSamples = 0
    consecutiveMissingScans = 0
    monitorLost = false
    keyState = .off
    vehicleRequestAge_ms = UInt32.max
    vehicleChecker = Self.makeVehicleChecker()
    limitsProtector = E2EProtector(dataID: BMSLimits.e2eDataID)
    lastEstimate = nil
    lastLimits = .zero
    transmitDrops = 0
    saves = 0
    saveFailures = 0
    jobs = .init(repeating: 0)
    cellVoltage_mV = .init(repeating: 0)
    temperatureIndex = (0, 0)
    hasMeasurement = false
    cellVoltagesIndex = 0
    saveRequested = false
    lastSaved = restored
    telemetry = .init(repeating: 0)
    heldDiagnosticFrame = nil
    pendingFailures = 0
    lastFailures = 0
    nextReportedDTC = 0
    lastMissingSamples = 0
    vehicleE2EErrors = 0
    lastVehicleE2EErrors = 0
    lastPersist_ms = 0
    resetRequest = nil
    refresh()
  }

  /// E2E receiver for VCU_TorqueRequest: one lost frame tolerated, valid with the first good
  /// one (freshness is judged by `vehicleRequestTimeout_ms`).
  static func makeVehicleChecker() -> E2EChecker {
    E2EChecker(
      dataID: VCUTorqueRequest.e2eDataID, maxDeltaCounter: 2, timeoutChecks: 50, framesToValid: 1)
  }

  @inline(__always)
  public var taskCount: Int { 6 }

  @inline(__always)
  public func periodTicks(of task: Int) -> UInt32 { Self.period(of: task) }

  static func period(of task: Int) -> UInt32 {
    switch Task(rawValue: task) {
    case .currentIntegration: return 1
    case .cellScan: return 10
    case .estimation, .canStatus: return 100
    case .cellVoltages: return BMSCellVoltages.cycleTime_ms
    case .housekeeping, .none: return 1000
    }
  }

  /// One supervision cycle is the slowest task's period.
  @inline(__always)
  public var supervisionTicks: UInt32 { 1000 }

  public mutating func run(task: Int, tick: UInt32) {
    jobs[task] &+= 1
    switch Task(rawValue: task) {
    case .currentIntegration: runCurrentIntegration()
    case .cellScan: runCellScan()
    case .estimation: runEstimation()
    case .canStatus: runCANStatus()
    case .cellVoltages: runCellVoltages()
    case .housekeeping, .none: runHousekeeping()
    }
    refresh()
  }

  // MARK: Tasks

  private mutating func runCurrentIntegration() {
    receiveVehicleFrames()
    if let sample = pack.sample() {
      lastPackSample = sample
      apply(manager.stepCurrent(sample))
    } else {
      // Not a measurement: no charge is integrated and the contactors stay as they are.
      missingSamples &+= 1
    }
    serveDiagnostics()
  }

  private mutating func runCellScan() {
    let sample = lastPackSample
    guard let sample, let scan = monitor.scan() else {
      missingScans &+= 1
      consecutiveMissingScans &+= 1
      if consecutiveMissingScans >= Self.maxConsecutiveMissingScans { monitorLost = true }
      let held =
        sample
        ?? PackSample(current_mA: 0, packVoltage_dV: 0, linkVoltage_dV: 0, feedback: .allOpen)
      apply(manager.stepWithoutScan(held, monitorLost: monitorLost))
      setBalancing(.init(repeating: 0))
      return
    }
    consecutiveMissingScans = 0
    let out = manager.stepScan(scan, sample, request: contactorRequest)
    apply(out.contactors)
    // The balancing test routine (0xFF01) overrides the algorithm's choice while it runs.
    setBalancing(
      diagnostics.application.isTestRunning ? diagnostics.application.testMask : out.balancing)
    hasMeasurement = true
    // Kept for the cell-voltage frames and the temperature positions on CAN.
    cellVoltage_mV = scan.cellVoltage_mV
    snapshot = manager.snapshot()
    temperatureIndex = Self.temperaturePositions(
      scan, snapshot.measurement, sensorCount: temperatureSensorCount)
  }

  private mutating func runEstimation() {
    // Until a scan has arrived the measurement is empty, not a reading: the restored (or
    // default) SOC stands.
    guard hasMeasurement else { return }
    let result = manager.stepEstimation()
    lastEstimate = result.soc
    lastLimits = monitorLost ? .zero : result.limits
    if saveRequested {
      saveRequested = false
      save()
    }
  }

  /// Every 100 ms (with the CAN status): the diagnostic records, when they changed.
  private mutating func persistDiagnosticRecords() {
    diagnostics.persist(into: &diagnosticStore)
  }

  private mutating func runCANStatus() {
    persistDiagnosticRecords()
    // CommunicationControl (0x28) may have switched the cyclic frames off.
    guard diagnostics.uds.communication.normalTransmit else { return }
    let sample = lastPackSample
    let estimate = lastEstimate
    let m = snapshot.measurement
    let status = BMSStatus(
      packVoltage_V: sample.map { Float(Int($0.packVoltage_dV)) / 10 } ?? 0,
      packCurrent_A: sample.map { Float(Int($0.current_mA)) / 1000 } ?? 0,
      soc_pct: (estimate?.pack ?? 0) * 100,
      soh_pct: min(snapshot.capacityPercent, 100), state: state,
      contactorPositive: sample?.feedback.positiveMain ?? false,
      contactorNegative: sample?.feedback.negativeMain ?? false,
      contactorPrecharge: sample?.feedback.precharge ?? false)
    transmit(status.encode())

    var limits = BMSLimits(
      limitsCRC: 0, limitsCounter: 0, chargeCurrentLimit_A: lastLimits.chargeCurrent_A,
      dischargeCurrentLimit_A: lastLimits.dischargeCurrent_A,
      chargePowerLimit_kW: lastLimits.chargePower_W / 1000,
      dischargePowerLimit_kW: lastLimits.dischargePower_W / 1000
    ).encode()
    limitsProtector.protect(&limits)
    transmit(limits)

    guard hasMeasurement else { return }
    let statistics = BMSCellStatistics(
      minCellVoltage_V: m.minCell_V, maxCellVoltage_V: m.maxCell_V,
      minCellVoltageIndex: UInt8(truncatingIfNeeded: m.minCellIndex + 1),
      maxCellVoltageIndex: UInt8(truncatingIfNeeded: m.maxCellIndex + 1),
      minCellTemperature_degC: Int16(clamping: Self.rounded(m.minTemperature_C)),
      maxCellTemperature_degC: Int16(clamping: Self.rounded(m.maxTemperature_C)),
      minCellTemperatureIndex: temperatureIndex.minimum &+ 1,
      maxCellTemperatureIndex: temperatureIndex.maximum &+ 1)
    transmit(statistics.encode())
  }

  private mutating func runCellVoltages() {
    guard hasMeasurement, diagnostics.uds.communication.normalTransmit else { return }
    let first = Int(cellVoltagesIndex) * BMSCellVoltages.valuesPerFrame
    var values: [4 of Float] = .init(repeating: 0)
    do {
      let voltages = cellVoltage_mV.span
      for i in 0..<BMSCellVoltages.valuesPerFrame where first + i < cellCount {
        values[i] = Float(Int(voltages[first + i])) / 1000
      }
    }
    transmit(BMSCellVoltages(index: cellVoltagesIndex, cellVoltage_V: values).encode())
    let frames = UInt8((cellCount + BMSCellVoltages.valuesPerFrame - 1) / 4)
    cellVoltagesIndex = cellVoltagesIndex + 1 >= frames ? 0 : cellVoltagesIndex + 1
  }

  private mutating func runHousekeeping() {
    guard lastEstimate != nil else { return }
    let data = manager.currentPersistentData()
    guard let saved = lastSaved else {
      save()
      return
    }
    let socMoved = abs(data.stateOfCharge - saved.stateOfCharge) >= Self.saveSOCStep
    if socMoved || data.faultLog != saved.faultLog || data.capacity_Ah != saved.capacity_Ah
      || data.resistanceRatio != saved.resistanceRatio
      || data.contactorOpenedUnderLoadCount != saved.contactorOpenedUnderLoadCount
    {
      save()
    }
  }

  // MARK: Vehicle request

  /// What the vehicle asks for: closed while a fresh, E2E-valid VCU_TorqueRequest says key Run
  /// (or Crank), open otherwise, and always open after a cell-monitor loss.
  @inline(__always)
  public var contactorRequest: ContactorRequest {
    vehicleRequestsHighVoltage && !monitorLost ? .close : .open
  }

  /// A fresh, E2E-valid VCU_TorqueRequest says key Run or Crank.
  @inline(__always)
  public var vehicleRequestsHighVoltage: Bool {
    let run = keyState == .run || keyState == .crank
    return run && vehicleRequestAge_ms < Self.vehicleRequestTimeout_ms
  }

  private mutating func receiveVehicleFrames() {
    if vehicleRequestAge_ms < UInt32.max { vehicleRequestAge_ms += 1 }
    let wasRun = vehicleRequestsHighVoltage
    var taken = 0
    while taken < Self.maxFramesPerPeriod, let frame = bus.receive() {
      taken += 1
      diagnostics.receive(frame, now_ms: uptime_ms)
      guard frame.id == VCUTorqueRequest.id, !frame.isExtended else { continue }
      switch vehicleChecker.check(frame) {
      case .initial, .ok, .okSomeLost:
        guard let request = VCUTorqueRequest.decode(frame) else { continue }
        keyState = request.keyState
        vehicleRequestAge_ms = 0
      case .repeated, .wrongSequence, .crcError:
        vehicleE2EErrors &+= 1
      case .noNewData, .lost:
        continue
      }
    }
    if wasRun && !vehicleRequestsHighVoltage { keyOff() }
  }

  /// Key-off (or the VCU lost): the record is saved with the next estimate, and faults whose
  /// cause has healed are acknowledged (welds and a stuck link never are).
  private mutating func keyOff() {
    saveRequested = true
    _ = manager.acknowledgeFaults()
    if consecutiveMissingScans == 0 { monitorLost = false }
  }

  // MARK: Outputs

  private mutating func apply(_ command: ContactorSet) {
    contactorCommand = command
    relays.apply(command)
  }

  private mutating func setBalancing(_ mask: [3 of UInt32]) {
    balancingMask = mask
    monitor.setBalancing(mask)
  }

  private mutating func transmit(_ frame: CANFrame) {
    if !bus.transmit(frame) { transmitDrops &+= 1 }
  }

  private mutating func save() {
    let data = manager.currentPersistentData()
    do {
      try BatteryRecordStore.save(data, to: &store)
      lastSaved = data
      saves &+= 1
    } catch {
      saveFailures &+= 1
    }
  }

  // MARK: State for the vehicle and the rig

  /// Re-reads the manager (in place) and derives what the vehicle and the rig see.
  private mutating func refresh() {
    snapshot = manager.snapshot()
    let feedback = lastPackSample?.feedback
    let mainsClosed = feedback?.negativeMain == true && feedback?.positiveMain == true
    state = Self.state(
      snapshot, mainsClosed: mainsClosed, monitorLost: monitorLost, measured: hasMeasurement)
    activeFaultCode = Self.faultCode(snapshot, monitorLost: monitorLost)
    let m = snapshot.measurement
    var values: [16 of Float] = .init(repeating: 0)
    values[0] = (lastEstimate?.pack ?? 0) * 100
    values[1] = snapshot.capacityPercent
    values[2] = Float(Int(state.rawValue))
    values[3] = Float(
      (contactorCommand.negativeMain ? 1 : 0) + (contactorCommand.positiveMain ? 2 : 0)
        + (contactorCommand.precharge ? 4 : 0))
    values[4] = m.minCell_V
    values[5] = m.maxCell_V
    if let sample = lastPackSample {
      values[6] = Float(Int(sample.current_mA)) / 1000
      values[7] = Float(Int(sample.packVoltage_dV)) / 10
    }
    values[8] = lastLimits.chargeCurrent_A
    values[9] = lastLimits.dischargeCurrent_A
    values[10] = m.maxTemperature_C
    values[11] = Float(
      balancingMask[0].nonzeroBitCount + balancingMask[1].nonzeroBitCount
        + balancingMask[2].nonzeroBitCount)
    values[12] = Float(Int(activeFaultCode))
    values[13] = Float(Int(missingScans & 0xFF_FFFF))
    values[14] = Float(Int((lastEstimate?.mode ?? .coulombCountingOnly).rawValue))
    values[15] = snapshot.resistancePercent
    telemetry = values
  }

  /// BMS_State (DBC value table). Closed (3) exactly while the sequencer holds both mains
  /// closed after a finished precharge and both mains' feedback says closed. Charging (4) and
  /// Sleep (7) are not used: there is no charge session or sleep management yet, and regen
  /// current must not take the vehicle's "HV ready" away.
  static func state(
    _ snapshot: BatteryManagerSnapshot, mainsClosed: Bool, monitorLost: Bool, measured: Bool
  ) -> BMSStatus.State {
    let sequencer = snapshot.contactorState
    if monitorLost || sequencer == .fault || snapshot.protection.faultPresent { return .fault }
    switch sequencer {
    case .precharging, .prechargePause, .closingMain: return .precharge
    case .closed: return mainsClosed ? .closed : .precharge
    case .waitingForLowCurrent, .weldCheck: return .opening
    case .open, .fault: return measured ? .standby : .initializing
    }
  }

  /// 0 none; 1…26 the first latched protection fault row (`DiagnosticID` + 1); 90 cell monitor
  /// lost; 100 + `ContactorFault`.
  static func faultCode(_ snapshot: BatteryManagerSnapshot, monitorLost: Bool) -> UInt8 {
    if monitorLost { return BatteryManager.monitorLostCode }
    if let fault = snapshot.contactorFault {
      return FaultLogEntry.contactorCodeBase + fault.rawValue
    }
    let status = snapshot.protection
    guard status.faultPresent else { return 0 }
    for index in 0..<ProtectionTable.rowCount
    where ProtectionTable.rows[index].severity == .fault
      && (status.active &>> UInt32(index)) & 1 != 0
    {
      return UInt8(index + 1)
    }
    return 0
  }

  /// Measurement channels (docs/bms-ecu.md), as of the last task: 0 pack SOC estimate %, 1 SOH
  /// capacity %, 2 BMS_State, 3 contactor command bits (1 negative, 2 positive, 4 precharge),
  /// 4 min and 5 max cell voltage V, 6 pack current A (+ discharge), 7 pack voltage V, 8 charge
  /// and 9 discharge current limit A, 10 max temperature °C, 11 cells balancing, 12 active
  /// fault code, 13 missing scans, 14 SOC estimator mode, 15 SOH resistance %.
  @inline(__always)
  public var measurements: [16 of Float] { telemetry }

  public var balancingCellCount: Int {
    balancingMask[0].nonzeroBitCount + balancingMask[1].nonzeroBitCount
      + balancingMask[2].nonzeroBitCount
  }

  // MARK: Helpers

  /// Positions (0-based) of the coldest and hottest sensor whose reading is the measurement's
  /// minimum and maximum (the measurement excludes implausible sensors; so does this match).
  private static func temperaturePositions(
    _ scan: borrowing CellScan, _ m: PackMeasurement, sensorCount: Int
  ) -> (minimum: UInt8, maximum: UInt8) {
    let low = Int16(clamping: rounded(m.minTemperature_C * 10))
    let high = Int16(clamping: rounded(m.maxTemperature_C * 10))
    var result: (minimum: UInt8, maximum: UInt8) = (0, 0)
    var foundLow = false
    var foundHigh = false
    let temperatures = scan.temperature_dC.span
    for i in 0..<min(sensorCount, BatteryCapacity.maxTemperatureSensors) {
      if !foundLow && temperatures[i] == low {
        result.minimum = UInt8(i)
        foundLow = true
      }
      if !foundHigh && temperatures[i] == high {
        result.maximum = UInt8(i)
        foundHigh = true
      }
    }
    return result
  }

  /// Nearest integer, halves away from zero (`Float.rounded()` is a libm call on the MCU).
  private static func rounded(_ value: Float) -> Int {
    Int(value >= 0 ? value + 0.5 : value - 0.5)
  }
}
