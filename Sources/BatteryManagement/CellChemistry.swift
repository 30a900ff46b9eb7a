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
public struct CellChemistry: Sendable {
  /// Number of OCV points, at SOC 0, 1, …, 100 %.
  public static let ocvPointCount = 101
  /// Number of SOC breakpoints of the 2RC fits.
  public static let rcPointCount = 5

  public let capacity_Ah: Float
  public let limits: CellLimits
  /// OCV over SOC (0…1) and its inverse (the OCV must rise strictly with SOC). Lookups are
  /// `mutating` (the tables remember their last segment), hence `var` and mutating readers.
  var ocv: LookupTable1D<101>
  var inverseOCV: LookupTable1D<101>
  var r0: LookupTable1D<5>
  var r1: LookupTable1D<5>
  var r2: LookupTable1D<5>
  var tau1: LookupTable1D<5>
  var tau2: LookupTable1D<5>

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
    var grid: [101 of Float] = .init(repeating: 0)
    for i in 0..<101 { grid[i] = Float(i) / 100 }
    do {
      ocv = try LookupTable1D(breakpoints: grid, values: ocv_V)
      inverseOCV = try LookupTable1D(breakpoints: ocv_V, values: grid)
      r0 = try LookupTable1D(breakpoints: rcSOC, values: r0_Ohm)
      r1 = try LookupTable1D(breakpoints: rcSOC, values: r1_Ohm)
      r2 = try LookupTable1D(breakpoints: rcSOC, values: r2_Ohm)
      tau1 = try LookupTable1D(breakpoints: rcSOC, values: tau1_s)
      tau2 = try LookupTable1D(breakpoints: rcSOC, values: tau2_s)
    } catch {
      throw .invalidTable(error)
    }
    for i in 0..<5 where !(tau1_s[i] > 0 && tau2_s[i] > 0) { throw .invalidTable(nil) }
    self.capacity_Ah = capacity_Ah
    self.limits = limits
  }

  /// OCV at `soc` (0…1, clamped at the table ends).
  public mutating func openCircuitVoltage_V(soc: Float) -> Float {
    ocv.lookup(soc)
  }

  /// dOCV/dSOC in V per unit SOC: the slope of the 1 % table segment that holds `soc`.
  public mutating func ocvSlope_V(soc: Float) -> Float {
    let clamped = min(max(soc, 0), 0.999_9)
    let lower = Float(Int(clamped * 100)) / 100
    return (ocv.lookup(lower + 0.01) - ocv.lookup(lower)) * 100
  }

  /// The SOC whose OCV is `voltage_V` (inverse table, clamped to 0…1).
  public mutating func stateOfCharge(openCircuitVoltage_V voltage_V: Float) -> Float {
    inverseOCV.lookup(voltage_V)
  }

  /// 2RC parameters at `soc`.
  public mutating func modelParameters(soc: Float) -> CellModelParameters {
    CellModelParameters(
      r0_Ohm: r0.lookup(soc), r1_Ohm: r1.lookup(soc), r2_Ohm: r2.lookup(soc),
      tau1_s: tau1.lookup(soc), tau2_s: tau2.lookup(soc))
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
