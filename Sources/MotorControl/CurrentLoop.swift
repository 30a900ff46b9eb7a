import ControlMath
import Platform

/// Constants of the current loop, derived once from the calibration and the start-up offsets.
///
/// The step reads some of them in a pre-multiplied form (see "Step constants" below), kept in
/// step by the observers: assign the source fields, never the products.
public struct CurrentLoopParameters: Sendable {
  public var current_A_per_count: Float { didSet { deriveStepConstants() } }
  public var currentOffsetA_counts: Float { didSet { deriveStepConstants() } }
  public var currentOffsetB_counts: Float { didSet { deriveStepConstants() } }
  public var dcLink_V_per_count: Float
  public var polePairs: UInt16
  public var inversePolePairs: Float
  /// Electrical angle of the rotor's d axis at resolver reading 0, in electrical counts
  /// (65536 per electrical turn); see `ResolverAngle`.
  public var angleOffset_counts: UInt16
  public var inductanceD_H: Float
  public var inductanceQ_H: Float
  public var fluxLinkage_Wb: Float
  public var period_s: Float { didSet { deriveStepConstants() } }
  /// Voltage latency compensation, seconds (periods × period).
  public var latency_s: Float { didSet { deriveStepConstants() } }
  /// Type-2 PLL: proportional gain 2ζωn (1/s) and integral gain ωn² (1/s²).
  public var pllProportional_1_s: Float
  public var pllIntegral_1_s2: Float
  /// ωn²·T: the PLL speed integrator's gain per period.
  public var pllIntegralPerPeriod_1_s: Float
  /// T · 2^22 / 2π: rad/s → PLL angle step in units of 2^10 bits of the 32-bit angle.
  public var pllStepScale: Float
  public var speedFilterAlpha: Float
  /// Usable phase voltage per volt of DC link: fraction × 1/√3 (the hexagon's inscribed circle).
  public var voltageLimit_per_V: Float
  /// Square of the current amplitude that trips within the same period (the overcurrent
  /// protection row's threshold, squared).
  public var overcurrentSquared_A2: Float
  public var pwmPeriod_counts: Float
  /// Current PI gains per axis: kp = bandwidth · L, ki = bandwidth · R (the zero cancels the
  /// winding's L/R pole), bandwidth = `currentLoopBandwidth_per_period` / period.
  public var proportionalD_V_A: Float
  public var proportionalQ_V_A: Float
  public var integralD_V_As: Float { didSet { deriveStepConstants() } }
  public var integralQ_V_As: Float { didSet { deriveStepConstants() } }
  /// Back-calculation gains per axis: `antiWindupGain` × ki/kp = R/L, a tracking time equal to
  /// the integral time. A faster tracking (kb·T near 1) would, on a step large enough to
  /// saturate the proportional part alone, drive the integrator to −kp·e and stall the current
  /// below its reference once the error shrinks.
  public var antiWindupD_1_s: Float { didSet { deriveStepConstants() } }
  public var antiWindupQ_1_s: Float { didSet { deriveStepConstants() } }

  // Step constants: products of the fields above, formed once here rather than every period.
  /// Phase A current straight from its counts, ia = counts · gain − offset · gain: one
  /// multiply-add instead of a subtract and a multiply.
  public private(set) var currentOffsetA_A: Float = 0
  /// β = (ia + 2·ib)/√3 from the integer counts sum a + 2·b: gain/√3 and the offset likewise.
  public private(set) var currentBeta_A_per_count: Float = 0
  public private(set) var currentOffsetBeta_A: Float = 0
  /// ki·T and kb·T per axis: the PI integrator's increments per unit of error and of clamp.
  public private(set) var integralStepD_V_A: Float = 0
  public private(set) var integralStepQ_V_A: Float = 0
  public private(set) var antiWindupStepD: Float = 0
  public private(set) var antiWindupStepQ: Float = 0
  /// Half the latency: the latency advance works with tan(Δ/2), Δ = ω · latency.
  public private(set) var halfLatency_s: Float = 0
  /// (latency/2)³/3: t = tan(Δ/2) ≈ Δ/2 + (Δ/2)³/3 = ω·(latency/2 + ω²·(latency/2)³/3).
  public private(set) var halfLatencyCubedThird_s3: Float = 0

  public init(
    calibration: InverterCalibration, offsets: CurrentSensorOffsets, angleOffset_counts: UInt16
  ) {
    let motor = calibration.motor
    let tuning = calibration.tuning
    current_A_per_count = calibration.scaling.phaseCurrent_A_per_count
    currentOffsetA_counts = offsets.phaseA_counts
    currentOffsetB_counts = offsets.phaseB_counts
    dcLink_V_per_count = calibration.scaling.dcLink_V_per_count
    polePairs = motor.polePairs
    inversePolePairs = 1 / Float(Int(motor.polePairs))
    self.angleOffset_counts = angleOffset_counts
    inductanceD_H = motor.inductanceD_H
    inductanceQ_H = motor.inductanceQ_H
    fluxLinkage_Wb = motor.fluxLinkage_Wb
    period_s = tuning.controlPeriod_s
    latency_s = tuning.latencyCompensation_periods * tuning.controlPeriod_s
    pllProportional_1_s = 2 * tuning.pllDamping * tuning.pllNaturalFrequency_rad_s
    pllIntegral_1_s2 = tuning.pllNaturalFrequency_rad_s * tuning.pllNaturalFrequency_rad_s
    pllIntegralPerPeriod_1_s = pllIntegral_1_s2 * tuning.controlPeriod_s
    pllStepScale = tuning.controlPeriod_s * 667_544.2  // 2^22 / 2π
    let omegaT = tuning.speedFilterCutoff_rad_s * tuning.controlPeriod_s
    speedFilterAlpha = omegaT / (1 + omegaT)
    // Beyond the inscribed circle the SVM duties would leave [0, 1].
    let fraction = min(max(tuning.voltageLimit_fraction, 0.01), 1)
    voltageLimit_per_V = fraction * FrameTransform.inverseSqrt3
    let trip = calibration.protections[.phaseOvercurrent].threshold
    overcurrentSquared_A2 = trip * trip
    pwmPeriod_counts = Float(Int(calibration.pwmPeriod_counts))
    let bandwidth_rad_s = tuning.currentLoopBandwidth_per_period / tuning.controlPeriod_s
    proportionalD_V_A = bandwidth_rad_s * motor.inductanceD_H
    proportionalQ_V_A = bandwidth_rad_s * motor.inductanceQ_H
    integralD_V_As = bandwidth_rad_s * motor.statorResistance_ohm
    integralQ_V_As = bandwidth_rad_s * motor.statorResistance_ohm
    antiWindupD_1_s = tuning.antiWindupGain * motor.statorResistance_ohm / motor.inductanceD_H
    antiWindupQ_1_s = tuning.antiWindupGain * motor.statorResistance_ohm / motor.inductanceQ_H
    deriveStepConstants()
  }

  private mutating func deriveStepConstants() {
    currentOffsetA_A = currentOffsetA_counts * current_A_per_count
    currentBeta_A_per_count = current_A_per_count * FrameTransform.inverseSqrt3
    currentOffsetBeta_A =
      (currentOffsetA_counts + 2 * currentOffsetB_counts) * currentBeta_A_per_count
    integralStepD_V_A = integralD_V_As * period_s
    integralStepQ_V_A = integralQ_V_As * period_s
    antiWindupStepD = antiWindupD_1_s * period_s
    antiWindupStepQ = antiWindupQ_1_s * period_s
    halfLatency_s = 0.5 * latency_s
    halfLatencyCubedThird_s3 = halfLatency_s * halfLatency_s * halfLatency_s / 3
  }
}

/// What the current loop carries from one period to the next.
public struct CurrentLoopState: Sendable {
  /// The d and q controllers, built from the parameters' gains. The step uses only their
  /// integrators and applies the gains from `CurrentLoopParameters` (ki·T and kb·T formed once
  /// there), with the same equations as `PIController.step(error:)`.
  public var dAxis: PIController
  public var qAxis: PIController
  /// PLL estimate of the next sample's electrical angle, 32-bit fixed point (2^32 = one turn,
  /// wraps), and of the electrical speed, rad/s.
  public var pllAngle: UInt32
  public var pllSpeed_rad_s: Float
  public var speedFilter: LowPassFilter

  public init(parameters: CurrentLoopParameters) {
    dAxis = PIController(
      kp: parameters.proportionalD_V_A, ki: parameters.integralD_V_As,
      kb: parameters.antiWindupD_1_s, sampleTime_s: parameters.period_s, outputMin: 0,
      outputMax: 0)
    qAxis = PIController(
      kp: parameters.proportionalQ_V_A, ki: parameters.integralQ_V_As,
      kb: parameters.antiWindupQ_1_s, sampleTime_s: parameters.period_s, outputMin: 0,
      outputMax: 0)
    pllAngle = 0
    pllSpeed_rad_s = 0
    speedFilter = LowPassFilter(alpha: parameters.speedFilterAlpha)
  }

  /// Starts the angle tracking at the sampled angle and speed (e.g. at power-up or a restart
  /// at speed), so the PLL does not have to pull in from zero.
  public mutating func presetAngle(
    _ sample: InverterSample, electricalSpeed_rad_s: Float, parameters: CurrentLoopParameters
  ) {
    let electrical = ResolverAngle.electricalCounts(
      mechanicalCounts: sample.rotorAngleCounts, polePairs: parameters.polePairs,
      offset_counts: parameters.angleOffset_counts)
    pllAngle = UInt32(electrical) << 16
    pllSpeed_rad_s = electricalSpeed_rad_s
    speedFilter.reset(to: electricalSpeed_rad_s)
  }
}

public struct CurrentLoopInputs: Sendable {
  public var sample: InverterSample
  /// Current references from the torque manager, A.
  public var reference: DirectQuadrature
  /// True to modulate; false holds the power stage in `safeMode` and the integrators at zero.
  public var enable: Bool
  /// The safe mode for the present speed (from `SafeStateSelector`): applied when disabled and,
  /// within the same period, on an overcurrent.
  public var safeMode: PowerStageMode

  public init(
    sample: InverterSample, reference: DirectQuadrature, enable: Bool, safeMode: PowerStageMode
  ) {
    self.sample = sample
    self.reference = reference
    self.enable = enable
    self.safeMode = safeMode
  }
}

public struct CurrentLoopOutputs: Sendable {
  public var command: PowerStageCommand
  /// Timer compare values for phases A, B, C: duty × PWM period, rounded.
  public var compare_counts: [3 of UInt16]
  /// Measured dq currents.
  public var current: DirectQuadrature
  /// Commanded dq voltages (after the voltage limit).
  public var voltage: DirectQuadrature
  public var dcLink_V: Float
  /// Sampled electrical angle, [0, 2π).
  public var electricalAngle_rad: Float
  /// Filtered PLL speed, electrical and mechanical.
  public var electricalSpeed_rad_s: Float
  public var mechanicalSpeed_rad_s: Float
  /// Sampled angle minus the PLL's prediction, [−π, π): the angle-sensor plausibility signal.
  public var angleError_rad: Float
  /// True when the current amplitude exceeded the trip level in this sample.
  public var overcurrent: Bool

  /// |commanded voltage| / usable voltage, [0, 1] up to rounding: the field-weakening
  /// regulator's input. Computed on demand by the slower task that needs it, not every period.
  public func voltageDemand_fraction(parameters: CurrentLoopParameters) -> Float {
    let usable = dcLink_V * parameters.voltageLimit_per_V
    return (voltage.d * voltage.d + voltage.q * voltage.q).squareRoot() / max(usable, 1e-3)
  }

  /// Amplitude of the current vector, A: each phase current is a projection of it, so it bounds
  /// all three and is their peak over an electrical cycle. The overcurrent protection's signal.
  public var currentAmplitude_A: Float {
    (current.d * current.d + current.q * current.q).squareRoot()
  }
}

/// The field-oriented current loop: its constants and its state, stepped once per control
/// period by straight-line float code.
///
/// Parameters and state live in one struct so that `step` reaches both through `self`: passing
/// a stored parameter struct by value next to an `inout` state would make the caller copy the
/// 100-odd bytes of parameters every period.
public struct CurrentLoop: Sendable {
  public var parameters: CurrentLoopParameters
  public var state: CurrentLoopState

  public init(parameters: CurrentLoopParameters) {
    self.parameters = parameters
    state = CurrentLoopState(parameters: parameters)
  }

  /// One control period, top to bottom:
  /// ADC counts → A, V; resolver → electrical angle; PLL and speed filter; Clarke, Park;
  /// instantaneous overcurrent; d then q PI with decoupling and back-EMF feed-forward inside a
  /// voltage circle with d-axis priority (back-calculation anti-windup on the moving limits);
  /// latency advance and inverse Park; min/max SVM → duties and compare values.
  public mutating func step(_ inputs: CurrentLoopInputs) -> CurrentLoopOutputs {
    Self.step(parameters: parameters, state: &state, inputs: inputs)
  }

  @inline(__always)
  static func step(
    parameters p: CurrentLoopParameters, state s: inout CurrentLoopState,
    inputs: CurrentLoopInputs
  ) -> CurrentLoopOutputs {
    // Measurements, straight into the stator frame. Phase C is implied by a + b + c = 0 (star
    // point not connected), so α = ia and β = (ia + 2·ib)/√3; the sum a + 2·b is formed on the
    // integer counts (exact), offsets and gains are folded at init: one fused multiply-add each.
    let countsA = Int(inputs.sample.phaseCurrentCounts[0])
    let countsB = Int(inputs.sample.phaseCurrentCounts[1])
    let stator = AlphaBeta(
      alpha: (-p.currentOffsetA_A).addingProduct(Float(countsA), p.current_A_per_count),
      beta: (-p.currentOffsetBeta_A).addingProduct(
        Float(countsA &+ 2 &* countsB), p.currentBeta_A_per_count))
    let dcLink_V = Float(Int(inputs.sample.dcLinkVoltageCounts)) * p.dcLink_V_per_count

    let electrical = ResolverAngle.electricalCounts(
      mechanicalCounts: inputs.sample.rotorAngleCounts, polePairs: p.polePairs,
      offset_counts: p.angleOffset_counts)
    let theta = Float(Int(electrical)) * ResolverAngle.radiansPerCount

    // Type-2 PLL on the electrical angle in 32-bit fixed point (one turn = 2^32): the wrap of
    // the integer difference is the ±π wrap of the error, no compare needed. The speed
    // integrator is the speed estimate; the angle advances by (ω + kp·e)·T per period.
    let measured = UInt32(electrical) << 16
    let angleError = Float(Int(Int32(bitPattern: measured &- s.pllAngle))) * pllRadiansPerBit
    s.pllSpeed_rad_s += p.pllIntegralPerPeriod_1_s * angleError
    let advance = (s.pllSpeed_rad_s + p.pllProportional_1_s * angleError) * p.pllStepScale
    s.pllAngle = s.pllAngle &+ UInt32(bitPattern: roundToInt32(advance) &<< 10)
    let omega = s.speedFilter.step(s.pllSpeed_rad_s)

    // The table form: the angle is already an integer count, so no range reduction.
    let rotor = sinCos(counts: electrical)
    let current = FrameTransform.park(stator, sin: rotor.sin, cos: rotor.cos)

    // The amplitude, not the three phases one by one: it bounds every phase current and costs
    // two multiplies instead of three magnitudes and two maxima. Squared: no square root here.
    let amplitudeSquared = current.d * current.d + current.q * current.q
    let overcurrent = !(amplitudeSquared <= p.overcurrentSquared_A2)
    let modulating = inputs.enable && !overcurrent

    // Feed-forward from the references (noise-free; equal to the measured currents in steady
    // state): vd = −ω·Lq·iq, vq = ω·(Ld·id + ψ).
    let reference = inputs.reference
    let feedForwardD = -omega * p.inductanceQ_H * reference.q
    let feedForwardQ = omega * (p.inductanceD_H * reference.d + p.fluxLinkage_Wb)

    // d-axis priority: d may use the whole circle, q gets what remains. Each PI controller
    // (back-calculation anti-windup, as ControlMath's `PIController`) limits its output plus
    // the feed-forward to the symmetric limit, so the anti-windup acts on the limit of the
    // total voltage; only the integrators are state, the gains are the parameters' step
    // constants (ki·T, kb·T).
    let voltageLimit = dcLink_V * p.voltageLimit_per_V
    let errorD = reference.d - current.d
    let unlimitedD = p.proportionalD_V_A * errorD + s.dAxis.integrator + feedForwardD
    let vd = clamp(unlimitedD, lower: -voltageLimit, upper: voltageLimit)
    let integratorD =
      s.dAxis.integrator + p.integralStepD_V_A * errorD + p.antiWindupStepD * (vd - unlimitedD)
    // |vd| ≤ limit up to one rounding: the magnitude keeps a −0.0 ulp from becoming NaN.
    let qLimit = (voltageLimit * voltageLimit - vd * vd).magnitude.squareRoot()
    let errorQ = reference.q - current.q
    let unlimitedQ = p.proportionalQ_V_A * errorQ + s.qAxis.integrator + feedForwardQ
    // The q clamp without compares, (|v + L| − |v − L|)/2: five FPU instructions against nine
    // for two compare-and-selects (the M4F has no float min/max). Within the limits it returns v
    // and beyond them ±L up to the rounding of |v| ± L (about 1e-7 relative). The d clamp stays
    // exact: at vd = ±limit the q share √(limit² − vd²) must come out 0, and a 1e-7 error in vd
    // would open it by 0.3 ‰ of the limit.
    let vq = 0.5 * ((unlimitedQ + qLimit).magnitude - (unlimitedQ - qLimit).magnitude)
    let integratorQ =
      s.qAxis.integrator + p.integralStepQ_V_A * errorQ + p.antiWindupStepQ * (vq - unlimitedQ)
    // Disabled or tripped: integrators restart from zero when modulation resumes. A multiply
    // by 0 or 1 rather than a conditional store keeps the step free of branches (the 0 or 1 is
    // converted from the integer flag: one instruction fewer than selecting a float constant).
    let keep = Float(Int(modulating ? 1 : 0))
    s.dAxis.integrator = integratorD * keep
    s.qAxis.integrator = integratorQ * keep

    // The voltage acts on average 1.5 periods after the sample (one period of computation, half
    // a period of zero-order hold): turn it forward by Δ = ω·latency before the inverse Park.
    // Rotation by 2·atan(t) with t = tan(Δ/2) ≈ Δ/2 + Δ³/24 (angle error Δ⁵/120: 7e-5 rad at
    // 12 000 rpm, Δ = 0.38 rad) written as ((1 − t²), 2t) / (1 + t²): unit length for every t,
    // so no speed, however implausible, can push the voltage out of the circle. The rotation
    // also carries the SVM's 1.5/Vdc (see `spaceVectorDuties(threeHalvesPerUnit:)`), so the
    // 1/(1 + t²) shares the one division with it. The 1 mV added to Vdc·(1 + t²) keeps that
    // finite on a discharged link (the voltage limit is then 0 and the duties 0.5); at 250 V it
    // changes the duties by 4e-6 relative at most.
    let t = omega * (p.halfLatency_s + omega * omega * p.halfLatencyCubedThird_s3)
    let t2 = t * t
    let inverseLinkRotation = 1.5 / (0.001 + dcLink_V * (1 + t2))
    let advanceCos = (1 - t2) * inverseLinkRotation
    let advanceSin = (t + t) * inverseLinkRotation
    let advanced = DirectQuadrature(
      d: advanceCos * vd - advanceSin * vq, q: advanceSin * vd + advanceCos * vq)
    let voltage = FrameTransform.inversePark(advanced, sin: rotor.sin, cos: rotor.cos)
    let duties = FrameTransform.spaceVectorDuties(threeHalvesPerUnit: voltage)

    return CurrentLoopOutputs(
      command: PowerStageCommand(
        mode: modulating ? .modulating : inputs.safeMode, duties: [duties.a, duties.b, duties.c]),
      compare_counts: [
        compareValue(duties.a, period: p.pwmPeriod_counts),
        compareValue(duties.b, period: p.pwmPeriod_counts),
        compareValue(duties.c, period: p.pwmPeriod_counts),
      ],
      current: current,
      voltage: DirectQuadrature(d: vd, q: vq),
      dcLink_V: dcLink_V,
      electricalAngle_rad: theta,
      electricalSpeed_rad_s: omega,
      mechanicalSpeed_rad_s: omega * p.inversePolePairs,
      angleError_rad: angleError,
      overcurrent: overcurrent)
  }

  /// 2π / 2^32: one bit of the fixed-point PLL angle in radians.
  public static let pllRadiansPerBit: Float = 1.462_918_1e-9

  /// `x` rounded to the nearest integer without a float-to-integer conversion (which carries a
  /// range check and trap path): adding 1.5·2^23 leaves x + 2^22 in the low 23 mantissa bits.
  /// Exact for |x| < 2^22; larger values wrap (never trap).
  @inlinable @inline(__always)
  public static func roundToInt32(_ x: Float) -> Int32 {
    Int32(bitPattern: (x + 12_582_912.0).bitPattern & 0x7F_FFFF) &- 0x40_0000
  }

  /// duty × period rounded to the nearest timer count (see `roundToInt32`). Duties stay in
  /// [0, 1] because the voltage never leaves the hexagon's inscribed circle.
  @inlinable @inline(__always)
  public static func compareValue(_ duty: Float, period: Float) -> UInt16 {
    UInt16(truncatingIfNeeded: roundToInt32(duty * period))
  }
}
