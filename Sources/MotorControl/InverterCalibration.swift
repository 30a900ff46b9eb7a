/// How the board's converters map to physical units (the board conventions of the inverter).
public struct SensorScaling: Sendable {
  /// Nominal phase-current zero (the measured offset replaces it after start-up calibration).
  public var phaseCurrentZero_counts: Float
  /// Positive current flows from the inverter into the motor.
  public var phaseCurrent_A_per_count: Float
  public var dcLink_V_per_count: Float
  /// °C = counts × gain + offset, for both the power-module and the winding sensor.
  public var temperature_C_per_count: Float
  public var temperatureOffset_C: Float

  public init(
    phaseCurrentZero_counts: Float, phaseCurrent_A_per_count: Float, dcLink_V_per_count: Float,
    temperature_C_per_count: Float, temperatureOffset_C: Float
  ) {
    self.phaseCurrentZero_counts = phaseCurrentZero_counts
    self.phaseCurrent_A_per_count = phaseCurrent_A_per_count
    self.dcLink_V_per_count = dcLink_V_per_count
    self.temperature_C_per_count = temperature_C_per_count
    self.temperatureOffset_C = temperatureOffset_C
  }

  /// 12-bit current ADC, 2048 = 0 A, 0.25 A/count; DC link 0.2 V/count; temperature
  /// 0.1 °C/count − 40 °C.
  public static var referenceBoard: SensorScaling {
    SensorScaling(
      phaseCurrentZero_counts: 2048, phaseCurrent_A_per_count: 0.25, dcLink_V_per_count: 0.2,
      temperature_C_per_count: 0.1, temperatureOffset_C: -40)
  }

  @inlinable
  public func temperature_C(counts: UInt16) -> Float {
    Float(Int(counts)) * temperature_C_per_count + temperatureOffset_C
  }

  @inlinable
  public func dcLink_V(counts: UInt16) -> Float {
    Float(Int(counts)) * dcLink_V_per_count
  }
}

/// Operating limits of the drive (before derating).
public struct DriveLimits: Sendable {
  /// Peak phase current the torque manager may command (current-circle radius).
  public var phaseCurrent_A: Float
  public var motoringTorque_Nm: Float
  /// Largest braking (regenerative) torque, as a positive number.
  public var generatingTorque_Nm: Float
  /// Electrical power at the DC link, motoring and generating.
  public var power_W: Float
  /// Mechanical speed at which motoring torque has ramped to zero (soft speed limit).
  public var speed_rad_s: Float
  /// Torque ramp limits: the drive feel.
  public var torqueRise_Nm_s: Float
  public var torqueFall_Nm_s: Float

  public init(
    phaseCurrent_A: Float, motoringTorque_Nm: Float, generatingTorque_Nm: Float, power_W: Float,
    speed_rad_s: Float, torqueRise_Nm_s: Float, torqueFall_Nm_s: Float
  ) {
    self.phaseCurrent_A = phaseCurrent_A
    self.motoringTorque_Nm = motoringTorque_Nm
    self.generatingTorque_Nm = generatingTorque_Nm
    self.power_W = power_W
    self.speed_rad_s = speed_rad_s
    self.torqueRise_Nm_s = torqueRise_Nm_s
    self.torqueFall_Nm_s = torqueFall_Nm_s
  }
}

/// A linear derating ramp: factor 1 at or below `start`, 0 at or beyond `end` (a ramp may run
/// downwards, `end < start`, for quantities that derate when they fall).
public struct DeratingRamp: Sendable {
  public var start: Float
  public var end: Float

  public init(start: Float, end: Float) {
    self.start = start
    self.end = end
  }

  /// Factor in [0, 1] for `value`.
  @inlinable
  public func factor(_ value: Float) -> Float {
    let x = (value - start) / (end - start)
    return 1 - min(max(x, 0), 1)
  }
}

public struct DeratingCalibration: Sendable {
  public var inverterTemperature_C: DeratingRamp
  public var motorTemperature_C: DeratingRamp
  /// Motoring torque falls to zero as the DC link sags (protects the battery at low charge).
  public var dcLinkLow_V: DeratingRamp
  /// Generating torque falls to zero as the DC link rises (no regeneration into a full link).
  public var dcLinkHigh_V: DeratingRamp
  /// Motor-plus-inverter efficiency used to convert the battery's current limits to torque.
  public var driveEfficiency: Float

  public init(
    inverterTemperature_C: DeratingRamp, motorTemperature_C: DeratingRamp,
    dcLinkLow_V: DeratingRamp, dcLinkHigh_V: DeratingRamp, driveEfficiency: Float
  ) {
    self.inverterTemperature_C = inverterTemperature_C
    self.motorTemperature_C = motorTemperature_C
    self.dcLinkLow_V = dcLinkLow_V
    self.dcLinkHigh_V = dcLinkHigh_V
    self.driveEfficiency = driveEfficiency
  }
}

/// Controller tuning, in design terms (bandwidths); `CurrentLoopParameters` turns them into gains.
public struct ControlTuning: Sendable {
  public var controlPeriod_s: Float
  /// Current-loop crossover × control period. 0.3 (≈ 1/(3.3 periods)) gives 1.2 % overshoot and
  /// 2 % settling in 6 periods with the one-period computation delay of sampled PWM, while the
  /// voltage stays inside its limit. A 150 A q-axis step saturates the voltage first: the slew
  /// (Vlimit − back-EMF)/Lq ≈ 21 A per period at 350 V, standstill, bounds the settling to about
  /// 10 periods up to ≈ 1000 rpm; above, the back-EMF eats the headroom and it takes longer.
  public var currentLoopBandwidth_per_period: Float
  /// Back-calculation anti-windup gain as a multiple of ki/kp (1 = tracking time equal to the
  /// integral time, Åström & Hägglund's default).
  public var antiWindupGain: Float
  /// Delay between the current sample and the mean of the voltage it produces: one period of
  /// computation plus half a period of zero-order hold, 1.5 periods for sampled PWM.
  public var latencyCompensation_periods: Float
  /// Type-2 angle PLL natural frequency and damping.
  public var pllNaturalFrequency_rad_s: Float
  public var pllDamping: Float
  /// Low-pass on the PLL speed for the feed-forward terms and the speed outputs.
  public var speedFilterCutoff_rad_s: Float
  /// Voltage share of the hexagon's inscribed circle the current loop may use (the rest covers
  /// dead time and minimum pulse width).
  public var voltageLimit_fraction: Float
  /// Field weakening starts when the current loop's voltage demand exceeds this share of the
  /// usable voltage, leaving headroom for current transients.
  public var fieldWeakeningModulation_fraction: Float
  /// Integral gain of the field-weakening voltage regulator (A of id per unit modulation error
  /// per second).
  public var fieldWeakeningGain_A_s: Float
  /// Speed loop (speed mode only): torque per mechanical rad/s and its integral per second.
  public var speedProportional_Nm_s_rad: Float
  public var speedIntegral_Nm_rad: Float

  public init(
    controlPeriod_s: Float, currentLoopBandwidth_per_period: Float, antiWindupGain: Float,
    latencyCompensation_periods: Float, pllNaturalFrequency_rad_s: Float, pllDamping: Float,
    speedFilterCutoff_rad_s: Float, voltageLimit_fraction: Float,
    fieldWeakeningModulation_fraction: Float, fieldWeakeningGain_A_s: Float,
    speedProportional_Nm_s_rad: Float, speedIntegral_Nm_rad: Float
  ) {
    self.controlPeriod_s = controlPeriod_s
    self.currentLoopBandwidth_per_period = currentLoopBandwidth_per_period
    self.antiWindupGain = antiWindupGain
    self.latencyCompensation_periods = latencyCompensation_periods
    self.pllNaturalFrequency_rad_s = pllNaturalFrequency_rad_s
    self.pllDamping = pllDamping
    self.speedFilterCutoff_rad_s = speedFilterCutoff_rad_s
    self.voltageLimit_fraction = voltageLimit_fraction
    self.fieldWeakeningModulation_fraction = fieldWeakeningModulation_fraction
    self.fieldWeakeningGain_A_s = fieldWeakeningGain_A_s
    self.speedProportional_Nm_s_rad = speedProportional_Nm_s_rad
    self.speedIntegral_Nm_rad = speedIntegral_Nm_rad
  }
}

/// Which safe state the power stage takes, by speed.
public struct SafeStateCalibration: Sendable {
  /// Above this mechanical speed the back-EMF could drive current into the DC link through the
  /// diodes: short the windings instead of opening them.
  public var activeShortCircuitAbove_rad_s: Float
  /// Below this speed (hysteresis) the windings are opened again: at low speed the short-circuit
  /// braking torque peaks and there is no regeneration to fear.
  public var switchOffBelow_rad_s: Float

  public init(activeShortCircuitAbove_rad_s: Float, switchOffBelow_rad_s: Float) {
    self.activeShortCircuitAbove_rad_s = activeShortCircuitAbove_rad_s
    self.switchOffBelow_rad_s = switchOffBelow_rad_s
  }
}

/// Start-up current-sensor offset calibration.
public struct OffsetCalibrationSettings: Sendable {
  /// Samples averaged per phase with PWM off.
  public var sampleCount: UInt16
  /// Largest plausible distance of a measured offset from the nominal zero.
  public var maxDeviation_counts: Float

  public init(sampleCount: UInt16, maxDeviation_counts: Float) {
    self.sampleCount = sampleCount
    self.maxDeviation_counts = maxDeviation_counts
  }
}

/// One complete calibration of the inverter: the motor it drives, the board scaling, limits,
/// drive feel, tuning and protections. Brands ship different sets of the same code.
public struct InverterCalibration: Sendable {
  public var motor: MotorParameters
  public var scaling: SensorScaling
  public var limits: DriveLimits
  public var derating: DeratingCalibration
  public var tuning: ControlTuning
  public var safeState: SafeStateCalibration
  public var offsetCalibration: OffsetCalibrationSettings
  public var protections: ProtectionTable
  /// PWM timer auto-reload value: the compare value of a 100 % duty.
  public var pwmPeriod_counts: UInt16

  public init(
    motor: MotorParameters, scaling: SensorScaling, limits: DriveLimits,
    derating: DeratingCalibration, tuning: ControlTuning, safeState: SafeStateCalibration,
    offsetCalibration: OffsetCalibrationSettings, protections: ProtectionTable,
    pwmPeriod_counts: UInt16
  ) {
    self.motor = motor
    self.scaling = scaling
    self.limits = limits
    self.derating = derating
    self.tuning = tuning
    self.safeState = safeState
    self.offsetCalibration = offsetCalibration
    self.protections = protections
    self.pwmPeriod_counts = pwmPeriod_counts
  }
}

extension InverterCalibration {
  /// 1 rpm in rad/s.
  public static let rpm: Float = 0.104_719_76

  /// Brand A: the reference e-axle at its rated figures.
  ///
  /// Base speed at 350 V, 300 A on the MTPA curve is ≈ 4000 rpm (|ψ| ≈ 0.12 Wb against
  /// Vdc/√3 ≈ 202 V); the characteristic current ψ/Ld = 325 A lies inside the 400 A rating,
  /// so field weakening can hold power up to the 12 000 rpm mechanical limit.
  public static var brandA: InverterCalibration {
    InverterCalibration(
      motor: .referenceEAxle,
      scaling: .referenceBoard,
      limits: DriveLimits(
        phaseCurrent_A: 300, motoringTorque_Nm: 160, generatingTorque_Nm: 120, power_W: 80_000,
        speed_rad_s: 12_000 * rpm, torqueRise_Nm_s: 2_000, torqueFall_Nm_s: 4_000),
      derating: DeratingCalibration(
        inverterTemperature_C: DeratingRamp(start: 110, end: 125),
        motorTemperature_C: DeratingRamp(start: 150, end: 170),
        dcLinkLow_V: DeratingRamp(start: 270, end: 250),
        dcLinkHigh_V: DeratingRamp(start: 405, end: 420),
        driveEfficiency: 0.92),
      tuning: .reference,
      safeState: SafeStateCalibration(
        activeShortCircuitAbove_rad_s: 5_000 * rpm, switchOffBelow_rad_s: 4_500 * rpm),
      offsetCalibration: OffsetCalibrationSettings(sampleCount: 1024, maxDeviation_counts: 40),
      protections: .brandA,
      pwmPeriod_counts: 4000)
  }

  /// Brand B: the same hardware with a gentler feel: lower torque, power and speed limits,
  /// slower torque ramps, earlier thermal derating.
  public static var brandB: InverterCalibration {
    var calibration = brandA
    calibration.limits = DriveLimits(
      phaseCurrent_A: 260, motoringTorque_Nm: 130, generatingTorque_Nm: 90, power_W: 60_000,
      speed_rad_s: 10_500 * rpm, torqueRise_Nm_s: 800, torqueFall_Nm_s: 2_000)
    calibration.derating.inverterTemperature_C = DeratingRamp(start: 100, end: 120)
    calibration.derating.motorTemperature_C = DeratingRamp(start: 140, end: 165)
    calibration.protections = .brandB
    return calibration
  }
}

extension ControlTuning {
  /// 50 µs control period (20 kHz PWM); PLL ωn = 2π·200 Hz, ζ = 1: resolver noise is filtered
  /// while the speed-estimate lag (α/ωn²) at 160 N·m on 0.05 kg·m² stays below 0.01 rad
  /// electrical. The Park angle is the sampled resolver angle itself, not the PLL angle.
  public static var reference: ControlTuning {
    ControlTuning(
      controlPeriod_s: 50e-6, currentLoopBandwidth_per_period: 0.3, antiWindupGain: 1.0,
      latencyCompensation_periods: 1.5, pllNaturalFrequency_rad_s: 1_256.6, pllDamping: 1.0,
      speedFilterCutoff_rad_s: 2_000, voltageLimit_fraction: 0.98,
      fieldWeakeningModulation_fraction: 0.92, fieldWeakeningGain_A_s: 20_000,
      speedProportional_Nm_s_rad: 2.0, speedIntegral_Nm_rad: 40)
  }
}
