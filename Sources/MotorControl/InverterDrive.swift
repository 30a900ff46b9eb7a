import ControlMath
import Platform

public enum DriveMode: UInt8, Sendable {
  case torque = 0
  case speed = 1
}

/// What the vehicle asks of the drive, decoded from the bus by the application, with the age
/// of the messages it came in.
public struct DriveRequest: Sendable {
  public var mode: DriveMode
  public var runRequest: Bool
  public var clearFaultRequest: Bool
  public var torque_Nm: Float
  /// Mechanical speed reference for speed mode.
  public var speed_rad_s: Float
  public var torqueRequestAge_s: Float
  public var battery: BatteryLimits
  public var batteryLimitsAge_s: Float

  public init(
    mode: DriveMode, runRequest: Bool, clearFaultRequest: Bool, torque_Nm: Float,
    speed_rad_s: Float, torqueRequestAge_s: Float, battery: BatteryLimits,
    batteryLimitsAge_s: Float
  ) {
    self.mode = mode
    self.runRequest = runRequest
    self.clearFaultRequest = clearFaultRequest
    self.torque_Nm = torque_Nm
    self.speed_rad_s = speed_rad_s
    self.torqueRequestAge_s = torqueRequestAge_s
    self.battery = battery
    self.batteryLimitsAge_s = batteryLimitsAge_s
  }

  /// Nothing requested, fresh messages, no battery current allowed.
  public static let idle = DriveRequest(
    mode: .torque, runRequest: false, clearFaultRequest: false, torque_Nm: 0, speed_rad_s: 0,
    torqueRequestAge_s: 0, battery: BatteryLimits(discharge_A: 0, charge_A: 0),
    batteryLimitsAge_s: 0)
}

extension ProtectionInputs {
  /// The protection signals of one control period.
  public init(
    loop: CurrentLoopOutputs, sample: InverterSample, scaling: SensorScaling,
    torqueRequestAge_s: Float, batteryLimitsAge_s: Float
  ) {
    self.init(
      currentAmplitude_A: loop.currentAmplitude_A, dcLink_V: loop.dcLink_V,
      speedMagnitude_rad_s: loop.mechanicalSpeed_rad_s.magnitude,
      inverterTemperature_C: scaling.temperature_C(counts: sample.inverterTemperatureCounts),
      motorTemperature_C: scaling.temperature_C(counts: sample.motorTemperatureCounts),
      angleError_rad: loop.angleError_rad.magnitude, torqueRequestAge_s: torqueRequestAge_s,
      batteryLimitsAge_s: batteryLimitsAge_s)
  }
}

/// The whole drive as pure logic: the current loop, protections, safe state and state machine
/// every control period; derating, speed control and the torque manager at the slower torque
/// management rate. The application calls `controlPeriod` from its current-loop task and
/// `torqueManagement` from its 1 kHz task and moves the results to and from the hardware.
public struct InverterDrive: Sendable {
  public let calibration: InverterCalibration
  public private(set) var currentLoop: CurrentLoop
  public private(set) var stateMachine: InverterStateMachine
  public private(set) var protections: ProtectionMonitor
  public private(set) var protectionStatus: ProtectionStatus
  public private(set) var safeState: SafeStateSelector
  public private(set) var offsetCalibrator: OffsetCalibrator
  public private(set) var offsetResult: OffsetCalibrationResult
  public private(set) var torqueManager: TorqueManager
  public private(set) var speedController: SpeedController
  public private(set) var reference: DirectQuadrature
  public private(set) var request: DriveRequest
  /// The last current-loop outputs and sample (valid after the first control period).
  public private(set) var lastLoop: CurrentLoopOutputs?
  public private(set) var lastSample: InverterSample?
  /// Rows of the protection table whose reaction is the latched safe state.
  public let safeStateRows: UInt16

  public init(
    calibration: InverterCalibration, angleOffset_counts: UInt16,
    torqueManagementPeriod_s: Float
  ) {
    self.calibration = calibration
    let nominal = calibration.scaling.phaseCurrentZero_counts
    currentLoop = CurrentLoop(
      parameters: CurrentLoopParameters(
        calibration: calibration,
        offsets: CurrentSensorOffsets(phaseA_counts: nominal, phaseB_counts: nominal),
        angleOffset_counts: angleOffset_counts))
    stateMachine = InverterStateMachine()
    protections = ProtectionMonitor(table: calibration.protections)
    protectionStatus = ProtectionStatus(tripped: 0, newlyTripped: 0)
    safeState = SafeStateSelector(calibration: calibration.safeState)
    offsetCalibrator = OffsetCalibrator(
      settings: calibration.offsetCalibration, nominalZero_counts: nominal)
    offsetResult = .inProgress
    torqueManager = TorqueManager(calibration: calibration, sampleTime_s: torqueManagementPeriod_s)
    speedController = SpeedController(
      tuning: calibration.tuning, sampleTime_s: torqueManagementPeriod_s)
    reference = DirectQuadrature(d: 0, q: 0)
    request = .idle
    var rows: UInt16 = 0
    for row in 0..<ProtectionTable.count
    where calibration.protections.rules[row].reaction == .safeState {
      rows |= 1 << UInt16(row)
    }
    safeStateRows = rows
  }

  public var state: InverterState { stateMachine.state }

  /// Applies a new resolver offset (from `ResolverAngle` calibration) and restarts the angle
  /// tracking at the next sample.
  public mutating func setAngleOffset(_ offset_counts: UInt16) {
    currentLoop.parameters.angleOffset_counts = offset_counts
    if let sample = lastSample {
      currentLoop.state.presetAngle(
        sample, electricalSpeed_rad_s: currentLoop.state.pllSpeed_rad_s,
        parameters: currentLoop.parameters)
    }
  }

  /// One control period: returns the command for the power stage.
  public mutating func controlPeriod(_ sample: InverterSample) -> PowerStageCommand {
    switch stateMachine.state {
    case .initialising:
      // Start the angle tracking where the rotor is, so the PLL need not pull in from zero.
      currentLoop.state.presetAngle(
        sample, electricalSpeed_rad_s: 0, parameters: currentLoop.parameters)
    case .offsetCalibration:
      offsetResult = offsetCalibrator.add(sample)
      if case .done(let offsets) = offsetResult {
        currentLoop.parameters.currentOffsetA_counts = offsets.phaseA_counts
        currentLoop.parameters.currentOffsetB_counts = offsets.phaseB_counts
      }
    case .standby, .running, .fault:
      break
    }

    let running = stateMachine.state == .running
    // Modulation as the state stands at the start of the period; the state machine may still
    // move to fault below, and the command then follows it in this same period.
    let modulate = stateMachine.powerStageMode(safeMode: safeState.mode) == .modulating
    let outputs = currentLoop.step(
      CurrentLoopInputs(
        sample: sample, reference: running ? reference : DirectQuadrature(d: 0, q: 0),
        enable: modulate, safeMode: safeState.mode))
    lastLoop = outputs
    lastSample = sample

    protectionStatus = protections.evaluate(
      ProtectionInputs(
        loop: outputs, sample: sample, scaling: calibration.scaling,
        torqueRequestAge_s: request.torqueRequestAge_s,
        batteryLimitsAge_s: request.batteryLimitsAge_s))
    let safeMode = safeState.update(speed_rad_s: outputs.mechanicalSpeed_rad_s)
    let before = stateMachine.state
    // While the offsets are taken (51 ms at the reference calibration) the PLL is still pulling
    // in from the preset speed of zero, e.g. after a reset at speed: its error is no fault yet.
    // The angle rows keep counting and must have healed by the end of the calibration.
    var latching = protectionStatus.tripped & safeStateRows
    if before == .initialising || before == .offsetCalibration {
      latching &= ~(ProtectionID.angleTrackingError.mask | ProtectionID.angleJump.mask)
    }
    _ = stateMachine.step(
      InverterStateInputs(
        offsetCalibration: offsetResult, runRequest: request.runRequest,
        safeStateProtections: latching,
        clearFaultRequest: request.clearFaultRequest))
    if before == .fault && stateMachine.state == .offsetCalibration {
      offsetCalibrator.restart()
      offsetResult = .inProgress
    }

    let mode = stateMachine.powerStageMode(safeMode: safeMode)
    // The loop's own overcurrent decision stands even before the table has latched the fault.
    if mode == .modulating && outputs.command.mode == .modulating {
      return outputs.command
    }
    return PowerStageCommand(mode: mode == .modulating ? safeMode : mode, duties: [0.5, 0.5, 0.5])
  }

  /// One torque-management period: derating, speed or torque mode, the torque manager. Returns
  /// the torque the new current references are meant to produce.
  @discardableResult
  public mutating func torqueManagement(_ request: DriveRequest) -> TorqueManagerOutputs {
    self.request = request
    guard let loop = lastLoop, let sample = lastSample, stateMachine.state == .running else {
      torqueManager.reset()
      speedController.takeOver(torque_Nm: 0)
      reference = DirectQuadrature(d: 0, q: 0)
      return TorqueManagerOutputs(reference: reference, torque_Nm: 0, fieldWeakening_A: 0)
    }
    let speed = loop.mechanicalSpeed_rad_s
    var limits = Derating.limits(
      DeratingInputs(
        inverterTemperature_C: calibration.scaling.temperature_C(
          counts: sample.inverterTemperatureCounts),
        motorTemperature_C: calibration.scaling.temperature_C(
          counts: sample.motorTemperatureCounts),
        dcLink_V: loop.dcLink_V, speed_rad_s: speed, battery: request.battery),
      limits: calibration.limits, calibration: calibration.derating)
    if protectionStatus.demands(.zeroTorque, in: calibration.protections) {
      limits.motoring_Nm = 0
      limits.generating_Nm = 0
    }
    let torqueRequest: Float
    switch request.mode {
    case .torque:
      torqueRequest = request.torque_Nm
      speedController.takeOver(torque_Nm: torqueManager.ramp.output)
    case .speed:
      torqueRequest = speedController.step(
        speedReference_rad_s: request.speed_rad_s, speed_rad_s: speed, limits: limits)
    }
    let out = torqueManager.step(
      TorqueManagerInputs(
        torqueRequest_Nm: torqueRequest, limits: limits, speed_rad_s: speed,
        voltageDemand_fraction: loop.voltageDemand_fraction(parameters: currentLoop.parameters),
        rampToZero: protectionStatus.demands(.rampTorqueToZero, in: calibration.protections)))
    reference = out.reference
    return out
  }
}
