import Platform

public struct BalancingConfiguration: Sendable {
  /// Balancing starts when the valid cells spread by this much …
  public var startSpread_mV: UInt16
  /// … and stops when they are within this (the gap stops a limit cycle around one value).
  public var stopSpread_mV: UInt16
  /// Never bleed at or above this temperature: the resistors heat the module further.
  public var maxTemperature_C: Float
  /// Below this |I| the pack is at rest (voltages are close to OCV, so spread means SOC
  /// spread, not resistance spread).
  public var restCurrent_A: Float

  public init(
    startSpread_mV: UInt16, stopSpread_mV: UInt16, maxTemperature_C: Float, restCurrent_A: Float
  ) {
    self.startSpread_mV = startSpread_mV
    self.stopSpread_mV = stopSpread_mV
    self.maxTemperature_C = maxTemperature_C
    self.restCurrent_A = restCurrent_A
  }

  public static let standard = BalancingConfiguration(
    startSpread_mV: 30, stopSpread_mV: 10, maxTemperature_C: 50, restCurrent_A: 2)
}

/// Passive (bleed-resistor) balancing towards the lowest valid cell, at rest or while
/// charging.
public struct PassiveBalancer: Sendable {
  public var configuration: BalancingConfiguration
  public private(set) var isActive: Bool

  public init(configuration: BalancingConfiguration) {
    self.configuration = configuration
    isActive = false
  }

  /// Every scan; returns the mask for `CellMonitor.setBalancing` (bit n bleeds cell n). Cells
  /// that failed a check (open wire, implausible) are never bled: their voltage is unknown.
  public mutating func step(_ scan: borrowing CellScan, _ m: PackMeasurement, cellCount: Int)
    -> [3 of UInt32]
  {
    var mask: [3 of UInt32] = .init(repeating: 0)
    let charging = m.current_A < -configuration.restCurrent_A
    let resting = abs(m.current_A) < configuration.restCurrent_A
    let hot = !(m.maxTemperature_C < configuration.maxTemperature_C)
    guard (charging || resting) && !hot && m.validCellCount > 1 && !m.faults.contains(.noValidCell)
    else {
      isActive = false
      return mask
    }
    let minimum_mV = UInt16(clamping: roundedToInt(m.minCell_V * 1000))
    let maximum_mV = UInt16(clamping: roundedToInt(m.maxCell_V * 1000))
    let spread = maximum_mV &- minimum_mV
    if spread >= configuration.startSpread_mV {
      isActive = true
    } else if spread <= configuration.stopSpread_mV {
      isActive = false
    }
    guard isActive else { return mask }
    let target_mV = minimum_mV + configuration.stopSpread_mV
    // Through a span: an InlineArray subscript read copies the whole array in firmware builds.
    let voltages = scan.cellVoltage_mV.span
    let valid = m.cellValid
    for i in 0..<min(cellCount, BatteryCapacity.maxCells)
    where (valid[i / 32] &>> UInt32(i % 32)) & 1 != 0 {
      let cell_mV = voltages[i]
      if cell_mV > target_mV { mask[i / 32] |= UInt32(1) &<< UInt32(i % 32) }
    }
    return mask
  }
}
