import ControlMath

/// State of function: the charge and discharge current the pack allows now, and the matching
/// power, ready to publish every 100 ms. Each limit is the continuous current times the
/// smallest of three trapezoid derating factors (temperature, SOC, cell-voltage headroom).

/// A trapezoid 0 → 1 → 1 → 0 over four breakpoints (ramps may be vertical only in the sense
/// of very steep: the breakpoints must rise strictly).
public struct Trapezoid: Sendable {
  var table: LookupTable1D<4>

  /// Factor 0 at and below `zeroLow`, 1 from `fullLow` to `fullHigh`, 0 at and above
  /// `zeroHigh`, linear in between.
  public init(zeroLow: Float, fullLow: Float, fullHigh: Float, zeroHigh: Float)
    throws(LookupTableError)
  {
    table = try LookupTable1D(
      breakpoints: [zeroLow, fullLow, fullHigh, zeroHigh], values: [0, 1, 1, 0])
  }

  public mutating func factor(_ x: Float) -> Float { table.lookup(x) }
}

public struct PowerLimitConfiguration: Sendable {
  public var maxChargeCurrent_A: Float
  public var maxDischargeCurrent_A: Float
  public var chargeTemperature: Trapezoid
  public var dischargeTemperature: Trapezoid
  public var chargeSOC: Trapezoid
  public var dischargeSOC: Trapezoid
  /// Over the highest cell voltage for charging, the lowest for discharging.
  public var chargeCellVoltage: Trapezoid
  public var dischargeCellVoltage: Trapezoid
  /// Fraction of the limit left while a derate-tier protection is active.
  public var derateFactor: Float

  public init(
    maxChargeCurrent_A: Float, maxDischargeCurrent_A: Float, chargeTemperature: Trapezoid,
    dischargeTemperature: Trapezoid, chargeSOC: Trapezoid, dischargeSOC: Trapezoid,
    chargeCellVoltage: Trapezoid, dischargeCellVoltage: Trapezoid, derateFactor: Float
  ) {
    self.maxChargeCurrent_A = maxChargeCurrent_A
    self.maxDischargeCurrent_A = maxDischargeCurrent_A
    self.chargeTemperature = chargeTemperature
    self.dischargeTemperature = dischargeTemperature
    self.chargeSOC = chargeSOC
    self.dischargeSOC = dischargeSOC
    self.chargeCellVoltage = chargeCellVoltage
    self.dischargeCellVoltage = dischargeCellVoltage
    self.derateFactor = derateFactor
  }

  /// Calibration inside the chemistry's limits: the ramps end at the datasheet limits (the
  /// protection fault thresholds lie beyond them), so the current is already zero before a
  /// protection trips.
  public static func standard(for limits: CellLimits) throws(LookupTableError)
    -> PowerLimitConfiguration
  {
    PowerLimitConfiguration(
      maxChargeCurrent_A: limits.maxChargeCurrent_A,
      maxDischargeCurrent_A: limits.maxDischargeCurrent_A,
      chargeTemperature: try Trapezoid(
        zeroLow: limits.minChargeTemperature_C, fullLow: limits.minChargeTemperature_C + 10,
        fullHigh: limits.maxChargeTemperature_C - 10, zeroHigh: limits.maxChargeTemperature_C),
      dischargeTemperature: try Trapezoid(
        zeroLow: limits.minDischargeTemperature_C,
        fullLow: limits.minDischargeTemperature_C + 20,
        fullHigh: limits.maxDischargeTemperature_C - 15,
        zeroHigh: limits.maxDischargeTemperature_C),
      // Charge tapers from 80 % SOC to nothing at 100 %; discharge from 10 % to 0 %.
      chargeSOC: try Trapezoid(zeroLow: -1, fullLow: -0.5, fullHigh: 0.8, zeroHigh: 1.0),
      dischargeSOC: try Trapezoid(zeroLow: 0, fullLow: 0.1, fullHigh: 1.5, zeroHigh: 2),
      chargeCellVoltage: try Trapezoid(
        zeroLow: 0, fullLow: 0.1, fullHigh: limits.maxVoltage_V - 0.1,
        zeroHigh: limits.maxVoltage_V),
      dischargeCellVoltage: try Trapezoid(
        zeroLow: limits.minVoltage_V, fullLow: limits.minVoltage_V + 0.4, fullHigh: 10,
        zeroHigh: 11),
      derateFactor: 0.5)
  }
}

/// Plain values for the CAN codec, in A and W (positive magnitudes).
public struct PowerLimits: Equatable, Sendable {
  public var chargeCurrent_A: Float
  public var dischargeCurrent_A: Float
  public var chargePower_W: Float
  public var dischargePower_W: Float

  public init(
    chargeCurrent_A: Float, dischargeCurrent_A: Float, chargePower_W: Float,
    dischargePower_W: Float
  ) {
    self.chargeCurrent_A = chargeCurrent_A
    self.dischargeCurrent_A = dischargeCurrent_A
    self.chargePower_W = chargePower_W
    self.dischargePower_W = dischargePower_W
  }

  public static let zero = PowerLimits(
    chargeCurrent_A: 0, dischargeCurrent_A: 0, chargePower_W: 0, dischargePower_W: 0)
}

extension PowerLimitConfiguration {
  /// The limits for this instant.
  /// - Parameters:
  ///   - packResistance_Ohm: series resistance of the whole string (cells × R0 × SOH ratio):
  ///     the power is computed at the terminal voltage the limit current would produce.
  public mutating func limits(
    measurement m: PackMeasurement, soc: SOCEstimate, protection: ProtectionStatus,
    packOpenCircuitVoltage_V: Float, packResistance_Ohm: Float
  ) -> PowerLimits {
    guard !protection.faultPresent, m.validCellCount > 0 else { return .zero }
    let chargeFactor = min(
      min(
        chargeTemperature.factor(m.maxTemperature_C),
        chargeTemperature.factor(m.minTemperature_C)),
      min(chargeSOC.factor(soc.maximumCell), chargeCellVoltage.factor(m.maxCell_V)))
    let dischargeFactor = min(
      min(
        dischargeTemperature.factor(m.maxTemperature_C),
        dischargeTemperature.factor(m.minTemperature_C)),
      min(dischargeSOC.factor(soc.minimumCell), dischargeCellVoltage.factor(m.minCell_V)))
    var charge = maxChargeCurrent_A * chargeFactor
    var discharge = maxDischargeCurrent_A * dischargeFactor
    if protection.chargeDerated { charge *= derateFactor }
    if protection.dischargeDerated { discharge *= derateFactor }
    let r = max(packResistance_Ohm, 0)
    let chargeVoltage = packOpenCircuitVoltage_V + charge * r
    let dischargeVoltage = max(packOpenCircuitVoltage_V - discharge * r, 0)
    return PowerLimits(
      chargeCurrent_A: charge, dischargeCurrent_A: discharge,
      chargePower_W: charge * chargeVoltage, dischargePower_W: discharge * dischargeVoltage)
  }
}
