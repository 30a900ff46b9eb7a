import ControlMath
import MotorControl
import Platform
import Scheduling
import VehicleNetwork

/// The e-axle inverter ECU: MotorControl's `InverterDrive` wired to the board's hardware
/// protocols and the vehicle bus, as the task set the cyclic scheduler runs. Generic over the
/// protocols so the same ECU runs on a board, in the HIL rig and in host tests with fakes.
///
/// Tasks (index = priority):
/// - control rate (every period): reads every received CAN frame into the receive queue,
///   samples, runs `InverterDrive.controlPeriod` (current loop, protections, safe state,
///   state machine) and applies the command. A period without a sample (`nil`: a converter
///   fault or a rejected HIL frame) applies the safe state chosen by the last speed and is
///   counted;
/// - 1 kHz: E2E check and decoding of the queued frames (`DriveCommandReceiver`), then
///   derating, speed or torque mode and the torque manager (`InverterDrive.torqueManagement`);
/// - 100 Hz: INV_Status (0x181); INV_Status2 (0x182) follows in the next 1 kHz job, also
///   every 10 ms. All tasks are due together in the first period of each 10 ms, and encoding a
///   message costs ≈ 2400–3000 instructions (`make bench`): one message per period keeps that
///   period shorter;
/// - 1 kHz also serves diagnostics: the queued UDS frames (the control-rate task queues
///   0x7E0/0x7DF), responses, one DTC report (`InverterECUDiagnostics.swift`,
///   docs/diagnostics.md)
///   and the diagnostic records, the DTC record in 32-byte slices;
/// - 10 Hz: housekeeping (nothing periodic yet).
///
/// Measurement channels (`measurements`, sampled by the HIL rig every period):
///
/// | # | value |
/// |---|---|
/// | 0 | id, A (measured) |
/// | 1 | iq, A (measured) |
/// | 2 | id reference, A |
/// | 3 | iq reference, A |
/// | 4 | torque reference after limits and ramp, N·m |
/// | 5 | torque estimated from the measured currents, N·m |
/// | 6 | mechanical speed, rpm |
/// | 7 | DC-link voltage, V |
/// | 8 | inverter state (`InverterState` raw value) |
/// | 9 | active fault or protection code (`faultCode`, 0 = none) |
/// | 10 | torque request as received on CAN, N·m |
/// | 11 | voltage demand, fraction of the usable voltage |
/// | 12 | motoring torque limit after derating, N·m |
/// | 13 | control periods without a valid sample (count) |
/// | 14 | power-stage mode (`PowerStageMode` raw value) |
/// | 15 | E2E status of the torque request (`E2EStatus.measurementCode`) |
public struct InverterECU<
  Sensors: InverterSensors, Stage: PowerStage, Bus: CANController, Store: NonVolatileStore
>: TaskSet, MeasurementSource {
  /// Task indices, highest priority first.
  public enum Task: Int {
    /// Every control period: CAN reception into the queue, sample, current loop, PWM update.
    case currentLoop = 0
    /// 1 kHz: CAN receive processing, torque/speed management, derating.
    case torqueManagement = 1
    /// 100 Hz: CAN status messages.
    case canStatus = 2
    /// 10 Hz: housekeeping.
    case housekeeping = 3
  }

  /// The brand calibration the firmware is built with: `-D KAIRO_BRAND_B` selects brand B,
  /// anything else brand A (the Makefile passes `-D KAIRO_BRAND_$(BRAND)`).
  public static var defaultCalibration: InverterCalibration {
    #if KAIRO_BRAND_B
      .brandB
    #else
      .brandA
    #endif
  }

  public var sensors: Sensors
  public var stage: Stage
  public var bus: Bus
  /// Holds the diagnostic records (SecurityAccess attempt counter, DTCs).
  public var store: Store
  public private(set) var controlPeriodMicroseconds: UInt32

  public private(set) var drive: InverterDrive
  public private(set) var receiver: DriveCommandReceiver
  /// The command applied in the last control period.
  public private(set) var lastCommand: PowerStageCommand = .off
  /// The torque manager's last outputs (references and the torque they make).
  public private(set) var torque = TorqueManagerOutputs(
    reference: DirectQuadrature(d: 0, q: 0), torque_Nm: 0, fieldWeakening_A: 0)
  /// Torque limits after derating and the zero-torque protection (0 until the first sample).
  public private(set) var limits = TorqueLimits.zero
  /// Jobs run per task, for the console summary and the tests.
  public private(set) var jobs: [4 of UInt32] = .init(repeating: 0)
  /// Control periods without a trustworthy sample.
  public private(set) var missingSamples: UInt32 = 0
  /// Status frames the controller refused (transmit queue full).
  public private(set) var transmitFailures: UInt32 = 0
  /// INV_Status2 is sent by the next 1 kHz job.
  var status2Due = false
  /// The UDS server (0x7E0/0x7E8, functional 0x7DF) with the inverter's DTC table; served
  /// from the 1 kHz job (`InverterECUDiagnostics.swift`).
  public internal(set) var diagnostics: InverterDiagnosticServer
  /// Diagnostic request frames between the control-rate task and the 1 kHz job.
  var diagnosticQueue = RingBuffer<CANFrame, 8>(placeholder: CANFrame(id: 0, length: 0))
  /// Diagnostic request frames that did not fit in the queue.
  public internal(set) var diagnosticFramesDropped: UInt32 = 0
  /// A response frame the controller refused, sent first at the next job.
  var heldDiagnosticFrame: CANFrame?
  /// Milliseconds since power-up (1 kHz jobs run), the diagnostic time base.
  public internal(set) var uptime_ms: UInt32 = 0
  /// DTC tests failed since their last report (bit = `InverterDTC` row) and at the last job.
  var pendingFailures: UInt16 = 0
  var lastFailures: UInt16 = 0
  var nextReportedDTC = 0
  var lastMissingSamples: UInt32 = 0
  var lastPersist_ms: UInt32 = 0
  /// An ECUReset the server answered (after its response left): the board acts on it.
  public internal(set) var resetRequest: UDSResetType?
  /// Rows of the protection table whose reaction is zero torque (a `ProtectionID.mask` set).
  private(set) var zeroTorqueRows: UInt16

  /// The ECU with the build's brand calibration (`defaultCalibration`).
  public init(sensors: Sensors, stage: Stage, bus: Bus, store: Store) {
    self.init(
      sensors: sensors, stage: stage, bus: bus, store: store,
      calibration: Self.defaultCalibration)
  }

  /// - Parameters:
  ///   - calibration: the brand calibration; its control period sets the task rates.
  ///   - resolverOffset_counts: electrical angle of the d axis at resolver reading 0
  ///     (`ResolverAngle`); 0 for the reference e-axle, whose resolver is aligned.
  public init(
    sensors: Sensors, stage: Stage, bus: Bus, store: Store, calibration: InverterCalibration,
    resolverOffset_counts: UInt16 = 0
  ) {
    self.sensors = sensors
    self.stage = stage
    self.bus = bus
    self.store = store
    let period_s = calibration.tuning.controlPeriod_s
    controlPeriodMicroseconds = UInt32(bitPattern: Int32(period_s * 1e6 + 0.5))
    let ticksPerMillisecond = Self.ticksPerMillisecond(controlPeriodMicroseconds)
    let torquePeriod_s = Float(Int(ticksPerMillisecond)) * period_s
    drive = InverterDrive(
      calibration: calibration, angleOffset_counts: resolverOffset_counts,
      torqueManagementPeriod_s: torquePeriod_s)
    receiver = DriveCommandReceiver(period_s: torquePeriod_s)
    var rows: UInt16 = 0
    for row in 0..<ProtectionTable.count
    where calibration.protections.rules[row].reaction == .zeroTorque {
      rows |= 1 << UInt16(row)
    }
    zeroTorqueRows = rows
    diagnostics = Self.emptyDiagnostics(calibration: calibration)
    fillDiagnosticTables(calibration: calibration, store: store)
  }

  /// Starts the ECU in place, exactly as `init` does, one stored property at a time: the board
  /// constructs the ECU (≈ 4.4 KB with its diagnostic server) in its static storage with this;
  /// built in `init`'s frame and copied out it cost more stack than the board has. Every
  /// stored property is written before any is read.
  public mutating func start(
    sensors: Sensors, stage: Stage, bus: Bus, store: Store,
    calibration: InverterCalibration = Self.defaultCalibration, resolverOffset_counts: UInt16 = 0
  ) {
    self.sensors = sensors
    self.stage = stage
    self.bus = bus
    self.store = store
    let period_s = calibration.tuning.controlPeriod_s
    controlPeriodMicroseconds = UInt32(bitPattern: Int32(period_s * 1e6 + 0.5))
    let ticksPerMillisecond = Self.ticksPerMillisecond(controlPeriodMicroseconds)
    let torquePeriod_s = Float(Int(ticksPerMillisecond)) * period_s
    drive = InverterDrive(
      calibration: calibration, angleOffset_counts: resolverOffset_counts,
      torqueManagementPeriod_s: torquePeriod_s)
    receiver = DriveCommandReceiver(period_s: torquePeriod_s)
    lastCommand = .off
    torque = TorqueManagerOutputs(
      reference: DirectQuadrature(d: 0, q: 0), torque_Nm: 0, fieldWeakening_A: 0)
    limits = .zero
    jobs = .init(repeating: 0)
    missingSamples = 0
    transmitFailures = 0
    status2Due = false
    var rows: UInt16 = 0
    for row in 0..<ProtectionTable.count
    where calibration.protections.rules[row].reaction == .zeroTorque {
      rows |= 1 << UInt16(row)
    }
    zeroTorqueRows = rows
    diagnosticQueue = RingBuffer(placeholder: CANFrame(id: 0, length: 0))
    diagnosticFramesDropped = 0
    heldDiagnosticFrame = nil
    uptime_ms = 0
    pendingFailures = 0
    lastFailures = 0
    nextReportedDTC = 0
    lastMissingSamples = 0
    lastPersist_ms = 0
    resetRequest = nil
    startDiagnostics(calibration: calibration, store: store)
  }

  static func ticksPerMillisecond(_ periodMicroseconds: UInt32) -> UInt32 {
    max(1, 1000 / max(periodMicroseconds, 1))
  }

  public var taskCount: Int { 4 }

  public func periodTicks(of task: Int) -> UInt32 {
    let ticksPerMillisecond = Self.ticksPerMillisecond(controlPeriodMicroseconds)
    switch Task(rawValue: task) {
    case .currentLoop: return 1
    case .torqueManagement: return ticksPerMillisecond
    case .canStatus: return 10 * ticksPerMillisecond
    case .housekeeping, .none: return 100 * ticksPerMillisecond
    }
  }

  /// One supervision cycle is the slowest task's period.
  public var supervisionTicks: UInt32 { periodTicks(of: Task.housekeeping.rawValue) }

  public mutating func run(task: Int, tick: UInt32) {
    jobs[task] &+= 1
    switch Task(rawValue: task) {
    case .currentLoop: controlPeriod()
    case .torqueManagement:
      torqueManagement()
      if status2Due {
        status2Due = false
        if diagnostics.uds.communication.normalTransmit {
          transmit(status2Message().encode())
        }
      }
      serveDiagnostics()
    case .canStatus:
      // CommunicationControl (0x28) may have switched the cyclic frames off.
      if diagnostics.uds.communication.normalTransmit {
        transmit(statusMessage().encode())
      }
      status2Due = true
    case .housekeeping, .none: break
    }
  }

  /// The control-rate job.
  public mutating func controlPeriod() {
    var frames = 0
    while frames < DriveCommandReceiver.maxFramesPerPeriod, let frame = bus.receive() {
      receiver.enqueue(frame)
      enqueueDiagnostic(frame)
      frames += 1
    }
    if let sample = sensors.sample() {
      lastCommand = drive.controlPeriod(sample)
    } else {
      // No trustworthy currents or angle: no modulation in this period. The speed-dependent
      // safe state keeps the back-EMF out of the link at high speed.
      missingSamples &+= 1
      lastCommand = PowerStageCommand(mode: drive.safeState.mode, duties: [0.5, 0.5, 0.5])
    }
    stage.apply(lastCommand)
  }

  /// The 1 kHz job.
  mutating func torqueManagement() {
    receiver.processQueue()
    let dcLink_V = drive.lastLoop?.dcLink_V ?? 0
    torque = drive.torqueManagement(receiver.request(dcLink_V: dcLink_V))
    limits = deratedLimits()
  }

  // The helpers below are `mutating` (or static) only so that they are called in place: a
  // non-mutating member called from a task copied the whole ECU (1.5 KB) to the stack on
  // Cortex-M, per call.

  /// The drive's limits for this 1 kHz period, as `InverterDrive.torqueManagement` derives
  /// them (which does not publish them), for the measurement and the status flags.
  mutating func deratedLimits() -> TorqueLimits {
    guard let inputs = deratingInputs(battery: drive.request.battery) else { return .zero }
    var result = Derating.limits(
      inputs, limits: drive.calibration.limits, calibration: drive.calibration.derating)
    if drive.protectionStatus.tripped & zeroTorqueRows != 0 {
      result.motoring_Nm = 0
      result.generating_Nm = 0
    }
    return result
  }

  mutating func deratingInputs(battery: BatteryLimits) -> DeratingInputs? {
    guard let loop = drive.lastLoop, let sample = drive.lastSample else { return nil }
    let scaling = drive.calibration.scaling
    return DeratingInputs(
      inverterTemperature_C: scaling.temperature_C(counts: sample.inverterTemperatureCounts),
      motorTemperature_C: scaling.temperature_C(counts: sample.motorTemperatureCounts),
      dcLink_V: loop.dcLink_V, speed_rad_s: loop.mechanicalSpeed_rad_s, battery: battery)
  }

  /// Queues a status frame; a refusal (transmit queue full) is counted.
  mutating func transmit(_ frame: CANFrame) {
    if !bus.transmit(frame) { transmitFailures &+= 1 }
  }

  /// Most severe active fault, 0 = none: a latched fault first (protection row + 1 of its
  /// first cause, `ProtectionTable.count + 1` for an implausible current-sensor offset),
  /// otherwise the first tripped row that does not latch (e.g. 9 = torque request lost). Row
  /// order is severity order. Also sent as INV_FaultCode.
  public var faultCode: UInt8 {
    Self.faultCode(drive.stateMachine.fault, tripped: drive.protectionStatus.tripped)
  }

  static func faultCode(_ fault: InverterFault?, tripped: UInt16) -> UInt8 {
    switch fault {
    case .protection(let rows): code(rows)
    case .currentSensorOffset: UInt8(truncatingIfNeeded: ProtectionTable.count + 1)
    case nil: code(tripped)
    }
  }

  static func code(_ rows: UInt16) -> UInt8 {
    rows == 0 ? 0 : UInt8(truncatingIfNeeded: rows.trailingZeroBitCount + 1)
  }

  /// The torque the measured currents make, N·m.
  public var estimatedTorque_Nm: Float {
    guard let loop = drive.lastLoop else { return 0 }
    return drive.calibration.motor.torque_Nm(id_A: loop.current.d, iq_A: loop.current.q)
  }

  /// INV_Status as it would be sent now.
  public mutating func statusMessage() -> INVStatus {
    let loop = drive.lastLoop
    let modulating = lastCommand.mode == .modulating
    var dcCurrent_A: Float = 0
    if let loop, modulating {
      // Power balance of the (loss-free) inverter: P = 3/2 · (vd·id + vq·iq).
      let power_W = 1.5 * (loop.voltage.d * loop.current.d + loop.voltage.q * loop.current.q)
      dcCurrent_A = power_W / max(loop.dcLink_V, 1)
    }
    let flags = deratingFlags()
    var torque_Nm: Float = 0
    if let loop {
      torque_Nm = drive.calibration.motor.torque_Nm(id_A: loop.current.d, iq_A: loop.current.q)
    }
    return INVStatus(
      torque_Nm: torque_Nm,
      speed_rpm: Self.roundedInt16((loop?.mechanicalSpeed_rad_s ?? 0) / InverterCalibration.rpm),
      dcCurrent_A: dcCurrent_A, dcVoltage_V: loop?.dcLink_V ?? 0,
      state: Self.networkState(drive.stateMachine.state),
      deratingTemperature: flags.temperature, deratingVoltage: flags.voltage,
      deratingSpeed: flags.speed, deratingCurrent: flags.current,
      faultCode: Self.faultCode(
        drive.stateMachine.fault, tripped: drive.protectionStatus.tripped))
  }

  /// INV_Status2 as it would be sent now.
  public mutating func status2Message() -> INVStatus2 {
    let scaling = drive.calibration.scaling
    let sample = drive.lastSample
    let loop = drive.lastLoop
    let voltage =
      lastCommand.mode == .modulating
      ? (loop?.voltage ?? DirectQuadrature(d: 0, q: 0))
      : DirectQuadrature(d: 0, q: 0)
    return INVStatus2(
      inverterTemperature_degC: Self.roundedInt16(
        scaling.temperature_C(counts: sample?.inverterTemperatureCounts ?? 0)),
      motorTemperature_degC: Self.roundedInt16(
        scaling.temperature_C(counts: sample?.motorTemperatureCounts ?? 0)),
      currentD_A: loop?.current.d ?? 0, currentQ_A: loop?.current.q ?? 0,
      voltageD_V: voltage.d, voltageQ_V: voltage.q)
  }

  /// Which derating is limiting now, for INV_Status.
  mutating func deratingFlags() -> (temperature: Bool, voltage: Bool, speed: Bool, current: Bool) {
    guard let inputs = deratingInputs(battery: drive.request.battery) else {
      return (false, false, false, false)
    }
    let calibration = drive.calibration.derating
    let temperature =
      calibration.inverterTemperature_C.factor(inputs.inverterTemperature_C) < 1
      || calibration.motorTemperature_C.factor(inputs.motorTemperature_C) < 1
    let voltage =
      calibration.dcLinkLow_V.factor(inputs.dcLink_V) < 1
      || calibration.dcLinkHigh_V.factor(inputs.dcLink_V) < 1
    let speed =
      inputs.speed_rad_s.magnitude > 0.95 * drive.calibration.limits.speed_rad_s
    // The battery limits bind when the limits without them would be higher.
    var unlimited = inputs
    unlimited.battery = BatteryLimits(discharge_A: 1e6, charge_A: 1e6)
    let free = Derating.limits(
      unlimited, limits: drive.calibration.limits, calibration: calibration)
    let bound = Derating.limits(
      inputs, limits: drive.calibration.limits, calibration: calibration)
    let current = bound.motoring_Nm < free.motoring_Nm || bound.generating_Nm < free.generating_Nm
    return (temperature, voltage, speed, current)
  }

  /// INV_State for the drive's state: standby is the DBC's "Ready" (the VCU may enable).
  public static func networkState(_ state: InverterState) -> INVStatus.State {
    switch state {
    case .initialising, .offsetCalibration: .initializing
    case .standby: .ready
    case .running: .running
    case .fault: .fault
    }
  }

  /// `x` rounded to the nearest integer and clamped to Int16; NaN gives 0.
  static func roundedInt16(_ x: Float) -> Int16 {
    guard !x.isNaN else { return 0 }
    let clamped = min(max(x, -32_768), 32_767)
    return Int16(truncatingIfNeeded: Int32(clamped + (clamped >= 0 ? 0.5 : -0.5)))
  }

  /// The channels of the table above. `mutating get` only so that it is read in place (see
  /// `MeasurementSource`).
  public var measurements: [16 of Float] {
    mutating get { channels() }
  }

  mutating func channels() -> [16 of Float] {
    var values: [16 of Float] = .init(repeating: 0)
    if let loop = drive.lastLoop {
      values[0] = loop.current.d
      values[1] = loop.current.q
      values[5] = drive.calibration.motor.torque_Nm(id_A: loop.current.d, iq_A: loop.current.q)
      values[6] = loop.mechanicalSpeed_rad_s / InverterCalibration.rpm
      values[7] = loop.dcLink_V
      values[11] = loop.voltageDemand_fraction(parameters: drive.currentLoop.parameters)
    }
    values[2] = drive.reference.d
    values[3] = drive.reference.q
    values[4] = torque.torque_Nm
    values[8] = Float(Int(drive.stateMachine.state.rawValue))
    values[9] = Float(
      Int(Self.faultCode(drive.stateMachine.fault, tripped: drive.protectionStatus.tripped)))
    values[10] = receiver.torqueRequest?.torqueRequest_Nm ?? 0
    values[12] = limits.motoring_Nm
    values[13] = Float(Int(missingSamples))
    values[14] = Float(Int(lastCommand.mode.rawValue))
    values[15] = Float(Int(receiver.torqueRequestStatus.measurementCode))
    return values
  }
}
