/// Torque and current limits in force for one period, after derating. Motoring torque is
/// positive in the direction of rotation; both bounds are magnitudes ≥ 0.
public struct TorqueLimits: Equatable, Sendable {
  /// Largest torque accelerating the rotor in its direction of rotation.
  public var motoring_Nm: Float
  /// Largest torque braking it (regeneration), as a magnitude.
  public var generating_Nm: Float
  /// Current-circle radius for the torque manager.
  public var phaseCurrent_A: Float

  public init(motoring_Nm: Float, generating_Nm: Float, phaseCurrent_A: Float) {
    self.motoring_Nm = motoring_Nm
    self.generating_Nm = generating_Nm
    self.phaseCurrent_A = phaseCurrent_A
  }

  public static let zero = TorqueLimits(motoring_Nm: 0, generating_Nm: 0, phaseCurrent_A: 0)

  /// Bounds for a signed torque at this signed mechanical speed: at standstill or positive speed
  /// positive torque motors; at negative speed (reverse) the roles swap.
  @inlinable
  public func clamp(torque_Nm: Float, speed_rad_s: Float) -> Float {
    let upper = speed_rad_s >= 0 ? motoring_Nm : generating_Nm
    let lower = speed_rad_s >= 0 ? -generating_Nm : -motoring_Nm
    return min(max(torque_Nm, lower), upper)
  }
}

/// The battery's current limits as the BMS sends them, positive magnitudes.
public struct BatteryLimits: Equatable, Sendable {
  public var discharge_A: Float
  public var charge_A: Float

  public init(discharge_A: Float, charge_A: Float) {
    self.discharge_A = discharge_A
    self.charge_A = charge_A
  }
}

/// Everything the derating depends on, in physical units.
public struct DeratingInputs: Sendable {
  public var inverterTemperature_C: Float
  public var motorTemperature_C: Float
  public var dcLink_V: Float
  /// Signed mechanical speed.
  public var speed_rad_s: Float
  public var battery: BatteryLimits

  public init(
    inverterTemperature_C: Float, motorTemperature_C: Float, dcLink_V: Float,
    speed_rad_s: Float, battery: BatteryLimits
  ) {
    self.inverterTemperature_C = inverterTemperature_C
    self.motorTemperature_C = motorTemperature_C
    self.dcLink_V = dcLink_V
    self.speed_rad_s = speed_rad_s
    self.battery = battery
  }
}

/// Limits after derating: temperatures (linear between two thresholds), DC-link voltage,
/// speed, electrical power and the battery's current limits.
public enum Derating {
  /// Below this speed the power limits are not turned into torque (P/ω grows without bound at
  /// standstill; the torque limit applies there).
  public static let minimumPowerSpeed_rad_s: Float = 1

  public static func limits(
    _ inputs: DeratingInputs, limits: DriveLimits, calibration: DeratingCalibration
  ) -> TorqueLimits {
    let thermal = min(
      calibration.inverterTemperature_C.factor(inputs.inverterTemperature_C),
      calibration.motorTemperature_C.factor(inputs.motorTemperature_C))
    let lowLink = calibration.dcLinkLow_V.factor(inputs.dcLink_V)
    let highLink = calibration.dcLinkHigh_V.factor(inputs.dcLink_V)
    // Motoring torque fades over the last 5 % below the speed limit, so the soft limit is
    // approached without a torque step.
    let speed = inputs.speed_rad_s.magnitude
    let overspeed = DeratingRamp(start: 0.95 * limits.speed_rad_s, end: limits.speed_rad_s)
      .factor(speed)

    // Power: mechanical power = η · DC power when motoring, DC power / η when generating.
    let omega = max(speed, minimumPowerSpeed_rad_s)
    let link = max(inputs.dcLink_V, 0)
    let efficiency = calibration.driveEfficiency
    let motoringPower_W = min(limits.power_W, inputs.battery.discharge_A * link) * efficiency
    let generatingPower_W = min(limits.power_W, inputs.battery.charge_A * link) / efficiency
    let motoringFromPower = max(motoringPower_W, 0) / omega
    let generatingFromPower = max(generatingPower_W, 0) / omega

    let motoring = min(
      limits.motoringTorque_Nm * thermal * lowLink * overspeed, motoringFromPower)
    let generating = min(limits.generatingTorque_Nm * thermal * highLink, generatingFromPower)
    return TorqueLimits(
      motoring_Nm: max(motoring, 0), generating_Nm: max(generating, 0),
      phaseCurrent_A: limits.phaseCurrent_A * thermal)
  }
}
