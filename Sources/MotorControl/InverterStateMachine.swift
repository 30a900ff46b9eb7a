import Platform

public enum InverterState: UInt8, Sendable {
  /// Power-up: outputs off, nothing measured yet.
  case initialising = 0
  /// PWM off while the current-sensor offsets are averaged.
  case offsetCalibration = 1
  /// Ready: PWM off at low speed, zero-current modulation above the short-circuit speed.
  case standby = 2
  /// The current loop modulates.
  case running = 3
  /// Latched fault: safe state until the cause is gone and a clear is requested.
  case fault = 4
}

/// Why the inverter is in `fault`.
public enum InverterFault: Equatable, Sendable {
  /// Protection rows (a `ProtectionID.mask` set) with the `safeState` reaction.
  case protection(UInt16)
  /// The start-up offset calibration found an implausible offset; clearing re-runs it.
  case currentSensorOffset
}

/// One period's inputs to the state machine.
public struct InverterStateInputs: Sendable {
  public var offsetCalibration: OffsetCalibrationResult
  /// The vehicle asks for torque (drive enabled).
  public var runRequest: Bool
  /// Tripped protection rows with the `safeState` reaction (0 = none).
  public var safeStateProtections: UInt16
  public var clearFaultRequest: Bool

  public init(
    offsetCalibration: OffsetCalibrationResult, runRequest: Bool, safeStateProtections: UInt16,
    clearFaultRequest: Bool
  ) {
    self.offsetCalibration = offsetCalibration
    self.runRequest = runRequest
    self.safeStateProtections = safeStateProtections
    self.clearFaultRequest = clearFaultRequest
  }
}

/// init → offset calibration → standby ⇄ run, any → fault (latched).
public struct InverterStateMachine: Sendable {
  public private(set) var state: InverterState
  public private(set) var fault: InverterFault?

  public init() {
    state = .initialising
    fault = nil
  }

  public mutating func step(_ inputs: InverterStateInputs) -> InverterState {
    if inputs.safeStateProtections != 0 && state != .initialising {
      // A new cause while already latched is added, so the record shows everything seen.
      if case .protection(let seen) = fault {
        fault = .protection(seen | inputs.safeStateProtections)
      } else if fault == nil {
        fault = .protection(inputs.safeStateProtections)
      }
      state = .fault
      return state
    }
    switch state {
    case .initialising:
      state = .offsetCalibration
    case .offsetCalibration:
      switch inputs.offsetCalibration {
      case .inProgress: break
      case .done: state = .standby
      case .implausible:
        fault = .currentSensorOffset
        state = .fault
      }
    case .standby:
      if inputs.runRequest { state = .running }
    case .running:
      if !inputs.runRequest { state = .standby }
    case .fault:
      // Reaching here means no safe-state protection is tripped now: the cause is gone.
      // A fault latched before the offsets were taken (e.g. DC-link undervoltage at power-up,
      // before precharge) must not skip the calibration: clearing re-runs it.
      if inputs.clearFaultRequest {
        var offsetsTaken = false
        if case .done = inputs.offsetCalibration { offsetsTaken = true }
        state = offsetsTaken ? .standby : .offsetCalibration
        fault = nil
      }
    }
    return state
  }

  /// The power-stage mode for the current state, given the safe mode chosen by speed.
  public func powerStageMode(safeMode: PowerStageMode) -> PowerStageMode {
    switch state {
    case .initialising, .offsetCalibration: .off
    case .running: .modulating
    // Standby above the short-circuit speed modulates zero current: opening the switches there
    // could rectify the back-EMF into the link, and shorting them would brake the coasting
    // vehicle with ψ/Ld of current.
    case .standby: safeMode == .activeShortCircuit ? .modulating : .off
    case .fault: safeMode
    }
  }
}
