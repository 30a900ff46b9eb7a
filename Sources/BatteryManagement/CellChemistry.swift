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
/// to run a different pack without code changes.
public struct CellChemistry: Sendable {
  /// Number of OCV points, at SOC 0, 1, …, 100 %.
  public static let ocvPointCount = 101
  /// Number of SOC breakpoints of the 2RC fits.
  public static let rcPointCount = 5

  public var capacity_Ah: Float
  /// Open-circuit voltage at SOC = index / 100. Must rise strictly with SOC (it is inverted
  /// for the OCV correction after rest).
  public var ocv_V: [101 of Float]
  /// SOC (0…1) at which the 2RC parameters were fitted, ascending.
  public var rcSOC: [5 of Float]
  public var r0_Ohm: [5 of Float]
  public var r1_Ohm: [5 of Float]
  public var r2_Ohm: [5 of Float]
  public var tau1_s: [5 of Float]
  public var tau2_s: [5 of Float]
  public var limits: CellLimits

  public init(
    capacity_Ah: Float, ocv_V: [101 of Float], rcSOC: [5 of Float], r0_Ohm: [5 of Float],
    r1_Ohm: [5 of Float], r2_Ohm: [5 of Float], tau1_s: [5 of Float], tau2_s: [5 of Float],
    limits: CellLimits
  ) {
    self.capacity_Ah = capacity_Ah
    self.ocv_V = ocv_V
    self.rcSOC = rcSOC
    self.r0_Ohm = r0_Ohm
    self.r1_Ohm = r1_Ohm
    self.r2_Ohm = r2_Ohm
    self.tau1_s = tau1_s
    self.tau2_s = tau2_s
    self.limits = limits
  }

  /// SOC grid of the OCV table, 0…1 in steps of 0.01.
  static let ocvSOCGrid: [101 of Float] = {
    var grid: [101 of Float] = .init(repeating: 0)
    for i in 0..<101 {
      grid[i] = Float(i) / 100
    }
    return grid
  }()

  /// OCV at `soc` (0…1, clamped at the table ends).
  public func openCircuitVoltage_V(soc: Float) -> Float {
    Interpolation.linear(soc, x: CellChemistry.ocvSOCGrid, y: ocv_V)
  }

  /// dOCV/dSOC in V per unit SOC: the slope of the table segment that holds `soc`.
  public func ocvSlope_V(soc: Float) -> Float {
    let clamped = min(max(soc, 0), 0.999_9)
    let index = Int(clamped * 100)
    return (ocv_V[index + 1] - ocv_V[index]) * 100
  }

  /// The SOC whose OCV is `voltage_V` (inverse table, clamped to 0…1).
  public func stateOfCharge(openCircuitVoltage_V voltage_V: Float) -> Float {
    Interpolation.linear(voltage_V, x: ocv_V, y: CellChemistry.ocvSOCGrid)
  }

  /// 2RC parameters at `soc`, linearly interpolated between the fits and held beyond them.
  public func modelParameters(soc: Float) -> CellModelParameters {
    CellModelParameters(
      r0_Ohm: Interpolation.linear(soc, x: rcSOC, y: r0_Ohm),
      r1_Ohm: Interpolation.linear(soc, x: rcSOC, y: r1_Ohm),
      r2_Ohm: Interpolation.linear(soc, x: rcSOC, y: r2_Ohm),
      tau1_s: Interpolation.linear(soc, x: rcSOC, y: tau1_s),
      tau2_s: Interpolation.linear(soc, x: rcSOC, y: tau2_s))
  }
}

/// Errors in a pack description.
public enum PackDescriptionError: Error, Equatable, Sendable {
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
    self.init(
      unchecked: cellsPerModule, temperatureSensorsPerModule, modulesPerPack, chemistry)
  }

  private init(
    unchecked cellsPerModule: Int, _ temperatureSensorsPerModule: Int, _ modulesPerPack: Int,
    _ chemistry: CellChemistry
  ) {
    self.cellsPerModule = cellsPerModule
    self.temperatureSensorsPerModule = temperatureSensorsPerModule
    self.modulesPerPack = modulesPerPack
    self.chemistry = chemistry
  }

  /// The reference pack: 8 modules × 12 LG M50 20p groups in series (96s, ≈ 100 Ah), four
  /// temperature sensors per module. The unit tests check it passes the throwing init.
  public static let reference = PackDescription(
    unchecked: 12, 4, 8, CellChemistry.lgM50Group20p)
}
