import ControlMath
import Platform

/// Operating limits of one cell (group) from its datasheet. The protection table, the power
/// limits and the balancer are calibrated inside these.
public struct CellLimits: Sendable {
  public var maxVoltage_V: Float
  public var minVoltage_V: Float
  /// Charging is allowed only between these temperatures (lithium plating below, SEI growth
  /// above).
  public var minChargeTemperature_C: Float
  public var maxChargeTemperature_C: Float
  public var minDischargeTemperature_C: Float
  public var maxDischargeTemperature_C: Float
  /// Continuous currents of the group, positive magnitudes.
  public var maxChargeCurrent_A: Float
  public var maxDischargeCurrent_A: Float

  public init(
    maxVoltage_V: Float, minVoltage_V: Float, minChargeTemperature_C: Float,
    maxChargeTemperature_C: Float, minDischargeTemperature_C: Float,
    maxDischargeTemperature_C: Float, maxChargeCurrent_A: Float, maxDischargeCurrent_A: Float
  ) {
    self.maxVoltage_V = maxVoltage_V
    self.minVoltage_V = minVoltage_V
    self.minChargeTemperature_C = minChargeTemperature_C
    self.maxChargeTemperature_C = maxChargeTemperature_C
    self.minDischargeTemperature_C = minDischargeTemperature_C
    self.maxDischargeTemperature_C = maxDischargeTemperature_C
    self.maxChargeCurrent_A = maxChargeCurrent_A
    self.maxDischargeCurrent_A = maxDischargeCurrent_A
  }

  /// LG INR21700-M50 datasheet: 4.20 V / 2.50 V, charge 0…45 °C, discharge −20…60 °C,
  /// charge 0.7 C (3.4 A) and discharge 7.28 A per cell, times 20 in parallel.
  public static let lgM50 = CellLimits(
    maxVoltage_V: 4.2, minVoltage_V: 2.5, minChargeTemperature_C: 0,
    maxChargeTemperature_C: 45, minDischargeTemperature_C: -20, maxDischargeTemperature_C: 60,
    maxChargeCurrent_A: 70, maxDischargeCurrent_A: 145)
}

/// The 2RC equivalent circuit of a cell at one operating point: series resistance R0 and two
/// RC branches (R1, τ1) and (R2, τ2). Positive current discharges the cell.
public struct CellModelParameters: Equatable, Sendable {
  public var r0_Ohm: Float
  public var r1_Ohm: Float
  public var r2_Ohm: Float
  public var tau1_s: Float
  public var tau2_s: Float

  public init(r0_Ohm: Float, r1_Ohm: Float, r2_Ohm: Float, tau1_s: Float, tau2_s: Float) {
    self.r0_Ohm = r0_Ohm
    self.r1_Ohm = r1_Ohm
    self.r2_Ohm = r2_Ohm
    self.tau1_s = tau1_s
    self.tau2_s = tau2_s
  }
}

/// Chemistry data of one cell (a parallel group counts as one cell): what the estimators need
/// to run a different pack without code changes. Tables are validated once, at construction.
///
/// The tables are kept as plain arrays (≈ 560 bytes): the OCV table is on a fixed 1 % SOC grid,
/// so the forward lookup needs no breakpoints and the inverse lookup searches the same values.
/// (Held as seven `LookupTable1D`s, with an explicit grid and a separate inverse table, the
/// chemistry was 1.9 KB and its construction needed 6.7 KB of stack on the M4F.)
public struct CellChemistry: Sendable {
  /// Number of OCV points, at SOC 0, 1, …, 100 %.
  public static let ocvPointCount = 101
  /// Number of SOC breakpoints of the 2RC fits.
  public static let rcPointCount = 5

  public let capacity_Ah: Float
  public let limits: CellLimits
  /// OCV at SOC = index / 100, strictly rising (it is also searched as the inverse table).
  let ocv_V: [101 of Float]
  /// SOC of the 2RC fits, ascending; each parameter is interpolated between them and held
  /// beyond them.
  let rcSOC: [5 of Float]
  let r0_Ohm: [5 of Float]
  let r1_Ohm: [5 of Float]
  let r2_Ohm: [5 of Float]
  let tau1_s: [5 of Float]
  let tau2_s: [5 of Float]

  /// - Parameters:
  ///   - ocv_V: open-circuit voltage at SOC = index / 100, strictly rising.
  ///   - rcSOC: SOC (0…1) at which the 2RC parameters were fitted, ascending; each parameter is
  ///     interpolated between the fits and held beyond them.
  public init(
    capacity_Ah: Float, ocv_V: [101 of Float], rcSOC: [5 of Float], r0_Ohm: [5 of Float],
    r1_Ohm: [5 of Float], r2_Ohm: [5 of Float], tau1_s: [5 of Float], tau2_s: [5 of Float],
    limits: CellLimits
  ) throws(PackDescriptionError) {
    guard capacity_Ah > 0 else { throw .invalidCapacity }
    // The same checks, in the same order, as building the lookup tables would make: OCV values
    // finite, OCV strictly rising (inverse table axis), RC axis, RC values.
    do {
      try CellChemistry.validate(values: ocv_V.span)
      try CellChemistry.validate(axis: ocv_V.span)
      try CellChemistry.validate(axis: rcSOC.span)
      try CellChemistry.validate(values: r0_Ohm.span)
      try CellChemistry.validate(values: r1_Ohm.span)
      try CellChemistry.validate(values: r2_Ohm.span)
      try CellChemistry.validate(values: tau1_s.span)
      try CellChemistry.validate(values: tau2_s.span)
    } catch {
      throw .invalidTable(error)
    }
    for i in 0..<5 where !(tau1_s[i] > 0 && tau2_s[i] > 0) { throw .invalidTable(nil) }
    self.capacity_Ah = capacity_Ah
    self.limits = limits
    self.ocv_V = ocv_V
    self.rcSOC = rcSOC
    self.r0_Ohm = r0_Ohm
    self.r1_Ohm = r1_Ohm
    self.r2_Ohm = r2_Ohm
    self.tau1_s = tau1_s
    self.tau2_s = tau2_s
  }

  private static func validate(axis: Span<Float>) throws(LookupTableError) {
    guard axis.count >= 2 else { throw .tooFewBreakpoints }
    for i in 0..<axis.count {
      guard axis[i].isFinite else { throw .breakpointNotFinite(index: i) }
      if i > 0 && !(axis[i] > axis[i - 1]) { throw .breakpointsNotIncreasing(index: i) }
    }
  }

  private static func validate(values: Span<Float>) throws(LookupTableError) {
    for i in 0..<values.count where !values[i].isFinite { throw .valueNotFinite(index: i) }
  }

  /// SOC of OCV point `index`.
  @inline(__always)
  static func gridSOC(_ index: Int) -> Float { Float(index) / 100 }

  /// Linear interpolation between breakpoints `xs` (strictly rising), ends held; NaN gives NaN.
  /// The arithmetic is `LookupTable1D.lookup`'s.
  static func interpolate(_ xs: Span<Float>, _ ys: Span<Float>, _ x: Float) -> Float {
    let n = xs.count
    if x <= xs[0] { return ys[0] }
    if x >= xs[n - 1] { return ys[n - 1] }
    guard !x.isNaN else { return x }
    var lo = 0
    var hi = n - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if x < xs[mid] { hi = mid } else { lo = mid }
    }
    let t = (x - xs[lo]) / (xs[lo + 1] - xs[lo])
    return ys[lo] + t * (ys[lo + 1] - ys[lo])
  }

  // The readers are `mutating` only so that they are called on the chemistry in place: a
  // non-mutating method on a struct field copied the whole struct per call on the M4F.

  /// OCV at `soc` (0…1, clamped at the table ends).
  public mutating func openCircuitVoltage_V(soc: Float) -> Float {
    let table = ocv_V.span
    if soc <= 0 { return table[0] }
    if soc >= 1 { return table[100] }
    guard !soc.isNaN else { return soc }
    // The 1 % grid segment holding `soc` (the product may round across a grid point).
    var lo = min(Int(soc * 100), 99)
    if soc < CellChemistry.gridSOC(lo) { lo -= 1 }
    if lo < 99 && soc >= CellChemistry.gridSOC(lo + 1) { lo += 1 }
    let x0 = CellChemistry.gridSOC(lo)
    let t = (soc - x0) / (CellChemistry.gridSOC(lo + 1) - x0)
    return table[lo] + t * (table[lo + 1] - table[lo])
  }

  /// dOCV/dSOC in V per unit SOC: the slope of the 1 % table segment that holds `soc`.
  public mutating func ocvSlope_V(soc: Float) -> Float {
    let clamped = min(max(soc, 0), 0.999_9)
    let lower = Float(Int(clamped * 100)) / 100
    return (openCircuitVoltage_V(soc: lower + 0.01) - openCircuitVoltage_V(soc: lower)) * 100
  }

  /// The SOC whose OCV is `voltage_V` (inverse table, clamped to 0…1).
  public mutating func stateOfCharge(openCircuitVoltage_V voltage_V: Float) -> Float {
    let table = ocv_V.span
    if voltage_V <= table[0] { return 0 }
    if voltage_V >= table[100] { return 1 }
    guard !voltage_V.isNaN else { return voltage_V }
    var lo = 0
    var hi = 100
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if voltage_V < table[mid] { hi = mid } else { lo = mid }
    }
    let t = (voltage_V - table[lo]) / (table[lo + 1] - table[lo])
    let y0 = CellChemistry.gridSOC(lo)
    return y0 + t * (CellChemistry.gridSOC(lo + 1) - y0)
  }

  /// 2RC parameters at `soc`.
  public mutating func modelParameters(soc: Float) -> CellModelParameters {
    let xs = rcSOC.span
    return CellModelParameters(
      r0_Ohm: CellChemistry.interpolate(xs, r0_Ohm.span, soc),
      r1_Ohm: CellChemistry.interpolate(xs, r1_Ohm.span, soc),
      r2_Ohm: CellChemistry.interpolate(xs, r2_Ohm.span, soc),
      tau1_s: CellChemistry.interpolate(xs, tau1_s.span, soc),
      tau2_s: CellChemistry.interpolate(xs, tau2_s.span, soc))
  }
}

/// Errors in a pack description.
public enum PackDescriptionError: Error, Equatable, Sendable {
  /// A chemistry table is not strictly increasing where it must be, or not finite (nil: a
  /// time constant is not positive).
  case invalidTable(LookupTableError?)
  case invalidCapacity
  case tooManyCells
  case tooManyTemperatureSensors
  case empty
}

/// A pack built from identical modules: the one place that says how many cells and sensors
/// there are, so the same code serves different packs.
public struct PackDescription: Sendable {
  public let cellsPerModule: Int
  public let temperatureSensorsPerModule: Int
  public let modulesPerPack: Int
  public let chemistry: CellChemistry

  public var cellCount: Int { cellsPerModule * modulesPerPack }
  public var temperatureSensorCount: Int { temperatureSensorsPerModule * modulesPerPack }

  /// Checks the counts against the ECU's fixed storage (`BatteryCapacity`).
  public init(
    cellsPerModule: Int, temperatureSensorsPerModule: Int, modulesPerPack: Int,
    chemistry: CellChemistry
  ) throws(PackDescriptionError) {
    guard cellsPerModule > 0, temperatureSensorsPerModule > 0, modulesPerPack > 0 else {
      throw .empty
    }
    guard cellsPerModule * modulesPerPack <= BatteryCapacity.maxCells else {
      throw .tooManyCells
    }
    guard temperatureSensorsPerModule * modulesPerPack <= BatteryCapacity.maxTemperatureSensors
    else {
      throw .tooManyTemperatureSensors
    }
    self.cellsPerModule = cellsPerModule
    self.temperatureSensorsPerModule = temperatureSensorsPerModule
    self.modulesPerPack = modulesPerPack
    self.chemistry = chemistry
  }

  /// The reference pack: 8 modules × 12 LG M50 20p groups in series (96s, ≈ 100 Ah), four
  /// temperature sensors per module.
  public static func reference() throws(PackDescriptionError) -> PackDescription {
    try PackDescription(
      cellsPerModule: 12, temperatureSensorsPerModule: 4, modulesPerPack: 8,
      chemistry: try CellChemistry.lgM50Group20p())
  }
}
