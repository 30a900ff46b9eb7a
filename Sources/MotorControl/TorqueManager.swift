import ControlMath

/// Maximum torque per ampere for an interior PM motor (Ld < Lq): the current vector that makes a
/// torque with the least current magnitude, i.e. the least copper loss.
public enum MaximumTorquePerAmpere {
  /// Newton iterations for the torque inversion; from the upper-bound start the error after four
  /// is below 1e-4 of the current for every torque up to the current limit (host-tested).
  public static let newtonIterations = 4

  /// The MTPA curve's d-axis current for a q-axis current, closed form from ∂T/∂β = 0:
  /// id = c − √(c² + iq²), c = ψ / (2·(Lq − Ld)). 0 for a surface motor (Ld = Lq).
  @inlinable
  public static func directCurrent(quadrature iq_A: Float, motor: MotorParameters) -> Float {
    let saliency = motor.inductanceQ_H - motor.inductanceD_H
    guard saliency > 1e-9 else { return 0 }
    let c = motor.fluxLinkage_Wb / (2 * saliency)
    return c - (c * c + iq_A * iq_A).squareRoot()
  }

  /// The MTPA point for a current magnitude, closed form:
  /// id = (ψ − √(ψ² + 8·(Lq − Ld)²·I²)) / (4·(Lq − Ld)), iq = √(I² − id²) (iq ≥ 0).
  @inlinable
  public static func currents(magnitude current_A: Float, motor: MotorParameters)
    -> DirectQuadrature
  {
    let i = max(current_A, 0)
    let saliency = motor.inductanceQ_H - motor.inductanceD_H
    guard saliency > 1e-9 else { return DirectQuadrature(d: 0, q: i) }
    let psi = motor.fluxLinkage_Wb
    let id = (psi - (psi * psi + 8 * saliency * saliency * i * i).squareRoot()) / (4 * saliency)
    return DirectQuadrature(d: id, q: max(i * i - id * id, 0).squareRoot())
  }

  /// The MTPA currents for a signed torque.
  ///
  /// On the MTPA curve T = 3/2·p·(Lq − Ld)·iq·(c + √(c² + iq²)). With x = iq/c and
  /// τ = |T| / (3/2·p·(Lq − Ld)·c²) this is the quartic x⁴ + 2τx − τ² = 0, convex and rising
  /// for x > 0. Newton from an upper bound of the root, min(τ/2, √τ) (from √(1 + x²) ≥ 1 and
  /// ≥ x), converges monotonically from above.
  @inlinable
  public static func currents(torque_Nm: Float, motor: MotorParameters) -> DirectQuadrature {
    let saliency = motor.inductanceQ_H - motor.inductanceD_H
    let k = 1.5 * Float(Int(motor.polePairs))
    guard saliency > 1e-9 else {
      return DirectQuadrature(d: 0, q: torque_Nm / (k * motor.fluxLinkage_Wb))
    }
    let c = motor.fluxLinkage_Wb / (2 * saliency)
    let tau = torque_Nm.magnitude / (k * saliency * c * c)
    var x = min(0.5 * tau, tau.squareRoot())
    for _ in 0..<newtonIterations {
      let x2 = x * x
      let f = x2 * x2 + 2 * tau * x - tau * tau
      let slope = 4 * x2 * x + 2 * tau
      if slope > 0 { x -= f / slope }
    }
    let iq = c * x
    let id = c - c * (1 + x * x).squareRoot()
    return DirectQuadrature(d: id, q: torque_Nm < 0 ? -iq : iq)
  }
}

/// One period's inputs to the torque manager.
public struct TorqueManagerInputs: Sendable {
  /// Signed torque request (torque mode) or the speed controller's output (speed mode).
  public var torqueRequest_Nm: Float
  public var limits: TorqueLimits
  /// Signed mechanical speed.
  public var speed_rad_s: Float
  /// The current loop's voltage demand as a share of its usable voltage
  /// (`CurrentLoopOutputs.voltageDemand_fraction`).
  public var voltageDemand_fraction: Float
  /// A protection demands the torque ramp to zero (e.g. the torque request timed out).
  public var rampToZero: Bool

  public init(
    torqueRequest_Nm: Float, limits: TorqueLimits, speed_rad_s: Float,
    voltageDemand_fraction: Float, rampToZero: Bool
  ) {
    self.torqueRequest_Nm = torqueRequest_Nm
    self.limits = limits
    self.speed_rad_s = speed_rad_s
    self.voltageDemand_fraction = voltageDemand_fraction
    self.rampToZero = rampToZero
  }
}

public struct TorqueManagerOutputs: Equatable, Sendable {
  /// Current references for the current loop.
  public var reference: DirectQuadrature
  /// The ramped and limited torque the references are meant to produce.
  public var torque_Nm: Float
  /// Field-weakening share of the d-axis current (≤ 0).
  public var fieldWeakening_A: Float

  public init(reference: DirectQuadrature, torque_Nm: Float, fieldWeakening_A: Float) {
    self.reference = reference
    self.torque_Nm = torque_Nm
    self.fieldWeakening_A = fieldWeakening_A
  }
}

/// Torque request → (id, iq): limits, drive-feel ramps, MTPA, field weakening and the current
/// circle. Runs once per call at `sampleTime_s` (every control period, or slower).
///
/// Field weakening is a voltage-magnitude regulator: when the current loop asks for more than
/// `fieldWeakeningModulation_fraction` of the usable voltage, an integral controller drives a
/// negative d-axis current added to the MTPA current; iq is then recomputed for the same torque
/// at the new id and bounded by the current circle.
public struct TorqueManager: Sendable {
  public let motor: MotorParameters
  public let limits: DriveLimits
  public let sampleTime_s: Float
  public let fieldWeakeningTarget: Float
  public private(set) var ramp: RateLimiter
  public private(set) var fieldWeakening: PIController

  public init(calibration: InverterCalibration, sampleTime_s: Float) {
    motor = calibration.motor
    limits = calibration.limits
    self.sampleTime_s = sampleTime_s
    fieldWeakeningTarget = calibration.tuning.fieldWeakeningModulation_fraction
    ramp = RateLimiter(
      maxRise_per_s: calibration.limits.torqueRise_Nm_s,
      maxFall_per_s: calibration.limits.torqueFall_Nm_s, sampleTime_s: sampleTime_s)
    // Integral-only; kb = 1/T snaps the integrator back onto the limit in one step.
    fieldWeakening = PIController(
      kp: 0, ki: calibration.tuning.fieldWeakeningGain_A_s, kb: 1 / sampleTime_s,
      sampleTime_s: sampleTime_s, outputMin: -calibration.limits.phaseCurrent_A, outputMax: 0)
  }

  public mutating func step(_ inputs: TorqueManagerInputs) -> TorqueManagerOutputs {
    let limited = inputs.limits.clamp(
      torque_Nm: inputs.torqueRequest_Nm, speed_rad_s: inputs.speed_rad_s)
    let target = inputs.rampToZero ? 0 : limited
    // Rise and fall are meant as magnitudes: building up regenerative torque is a rise.
    let rise = limits.torqueRise_Nm_s * sampleTime_s
    let fall = limits.torqueFall_Nm_s * sampleTime_s
    let positive = ramp.output > 0 || (ramp.output == 0 && target >= 0)
    ramp.maxRisePerStep = positive ? rise : fall
    ramp.maxFallPerStep = positive ? fall : rise
    // A falling limit (derating, a zero-torque protection) acts at once, not at the ramp rate.
    var torque = inputs.limits.clamp(
      torque_Nm: ramp.step(toward: target), speed_rad_s: inputs.speed_rad_s)
    ramp.reset(to: torque)

    let currentLimit_A = max(inputs.limits.phaseCurrent_A, 0)
    fieldWeakening.outputMin = -currentLimit_A
    let fieldWeakening_A = fieldWeakening.step(
      error: fieldWeakeningTarget - inputs.voltageDemand_fraction)

    var mtpa = MaximumTorquePerAmpere.currents(torque_Nm: torque, motor: motor)
    // Beyond the current circle, the MTPA point on the circle: the most torque the limit allows.
    if mtpa.d * mtpa.d + mtpa.q * mtpa.q > currentLimit_A * currentLimit_A {
      let edge = MaximumTorquePerAmpere.currents(magnitude: currentLimit_A, motor: motor)
      mtpa = DirectQuadrature(d: edge.d, q: torque < 0 ? -edge.q : edge.q)
      torque = motor.torque_Nm(id_A: mtpa.d, iq_A: mtpa.q)
    }
    let id = max(mtpa.d + fieldWeakening_A, -currentLimit_A)
    // Same torque at the weakened id: the reluctance term grows as id goes negative.
    let k = 1.5 * Float(Int(motor.polePairs))
    let flux = motor.fluxLinkage_Wb + (motor.inductanceD_H - motor.inductanceQ_H) * id
    var iq = fieldWeakening_A < 0 && flux > 0 ? torque / (k * flux) : mtpa.q
    let iqMax = max(currentLimit_A * currentLimit_A - id * id, 0).squareRoot()
    iq = min(max(iq, -iqMax), iqMax)
    return TorqueManagerOutputs(
      reference: DirectQuadrature(d: id, q: iq), torque_Nm: motor.torque_Nm(id_A: id, iq_A: iq),
      fieldWeakening_A: fieldWeakening_A)
  }

  public mutating func reset() {
    ramp.reset(to: 0)
    fieldWeakening.reset()
  }
}

/// Speed mode: a PI on mechanical speed whose output is the torque request, bounded by the
/// period's torque limits (with back-calculation anti-windup on those bounds).
public struct SpeedController: Sendable {
  public private(set) var pi: PIController

  public init(tuning: ControlTuning, sampleTime_s: Float) {
    pi = PIController(
      kp: tuning.speedProportional_Nm_s_rad, ki: tuning.speedIntegral_Nm_rad,
      kb: tuning.speedIntegral_Nm_rad / max(tuning.speedProportional_Nm_s_rad, 1e-6),
      sampleTime_s: sampleTime_s, outputMin: 0, outputMax: 0)
  }

  public mutating func step(
    speedReference_rad_s: Float, speed_rad_s: Float, limits: TorqueLimits
  ) -> Float {
    pi.outputMax = speed_rad_s >= 0 ? limits.motoring_Nm : limits.generating_Nm
    pi.outputMin = speed_rad_s >= 0 ? -limits.generating_Nm : -limits.motoring_Nm
    return pi.step(error: speedReference_rad_s - speed_rad_s)
  }

  /// Bumpless entry into speed mode from the torque currently applied.
  public mutating func takeOver(torque_Nm: Float) {
    pi.preset(integrator: torque_Nm)
  }
}
