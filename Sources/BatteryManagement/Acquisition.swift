import Platform

/// Plausibility limits applied to every scan before any value is used.
public struct PlausibilityLimits: Sendable {
  /// Readings outside this window are sensor faults, not cell states (the protection table
  /// trips on real over/under-voltage well inside it).
  public var minCellVoltage_mV: UInt16
  public var maxCellVoltage_mV: UInt16
  public var minTemperature_dC: Int16
  public var maxTemperature_dC: Int16
  /// Largest believable change between two scans (10 ms apart). A 20p group has ≈ 1.3 mΩ, so a
  /// 300 A current step moves it by ≈ 0.4 V; more than that is a glitch.
  public var maxCellVoltageStep_mV: UInt16
  /// Temperatures have seconds of thermal lag: 5 °C in one scan is a broken sensor.
  public var maxTemperatureStep_dC: Int16
  /// Allowed gap between the sum of the cell voltages and the measured pack voltage: fixed part
  /// (busbar drops, resolution) plus a fraction of the pack voltage (sensor gain tolerance).
  public var sumTolerance_V: Float
  public var sumToleranceFraction: Float
  /// The current sensor's measuring range; beyond it the reading is saturated.
  public var maxCurrentMagnitude_A: Float

  public init(
    minCellVoltage_mV: UInt16, maxCellVoltage_mV: UInt16, minTemperature_dC: Int16,
    maxTemperature_dC: Int16, maxCellVoltageStep_mV: UInt16, maxTemperatureStep_dC: Int16,
    sumTolerance_V: Float, sumToleranceFraction: Float, maxCurrentMagnitude_A: Float
  ) {
    self.minCellVoltage_mV = minCellVoltage_mV
    self.maxCellVoltage_mV = maxCellVoltage_mV
    self.minTemperature_dC = minTemperature_dC
    self.maxTemperature_dC = maxTemperature_dC
    self.maxCellVoltageStep_mV = maxCellVoltageStep_mV
    self.maxTemperatureStep_dC = maxTemperatureStep_dC
    self.sumTolerance_V = sumTolerance_V
    self.sumToleranceFraction = sumToleranceFraction
    self.maxCurrentMagnitude_A = maxCurrentMagnitude_A
  }

  public static let standard = PlausibilityLimits(
    minCellVoltage_mV: 1_000, maxCellVoltage_mV: 5_000, minTemperature_dC: -400,
    maxTemperature_dC: 1_250, maxCellVoltageStep_mV: 500, maxTemperatureStep_dC: 50,
    sumTolerance_V: 3, sumToleranceFraction: 0.02, maxCurrentMagnitude_A: 500)
}

/// Why a scan was (partly) not believed. Bits, so several can be reported at once. (Not an
/// `OptionSet`: its array-literal conformance allocates, which firmware builds reject.)
public struct AcquisitionFaults: Equatable, Sendable {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public func contains(_ other: AcquisitionFaults) -> Bool {
    rawValue & other.rawValue == other.rawValue
  }

  public func isDisjoint(with other: AcquisitionFaults) -> Bool {
    rawValue & other.rawValue == 0
  }

  public mutating func insert(_ other: AcquisitionFaults) {
    rawValue |= other.rawValue
  }

  public var isEmpty: Bool { rawValue == 0 }

  public static let openWire = AcquisitionFaults(rawValue: 1 << 0)
  public static let cellVoltageRange = AcquisitionFaults(rawValue: 1 << 1)
  public static let cellVoltageRate = AcquisitionFaults(rawValue: 1 << 2)
  public static let temperatureRange = AcquisitionFaults(rawValue: 1 << 3)
  public static let temperatureRate = AcquisitionFaults(rawValue: 1 << 4)
  public static let packVoltageMismatch = AcquisitionFaults(rawValue: 1 << 5)
  public static let currentRange = AcquisitionFaults(rawValue: 1 << 6)
  /// No cell or no temperature passed the checks: nothing can be monitored.
  public static let noValidCell = AcquisitionFaults(rawValue: 1 << 7)
  /// Faults after which the voltages must not correct the SOC.
  public static let blockingEstimation = AcquisitionFaults(
    rawValue: openWire.rawValue | cellVoltageRange.rawValue | packVoltageMismatch.rawValue
      | currentRange.rawValue | noValidCell.rawValue)
}

/// One checked scan in SI units: what every later stage (protections, SOC, balancing) uses.
/// Cells that failed a check are excluded from the statistics and flagged in `cellValid`.
public struct PackMeasurement: Sendable {
  public var minCell_V: Float
  public var maxCell_V: Float
  public var meanCell_V: Float
  public var minCellIndex: Int
  public var maxCellIndex: Int
  public var minTemperature_C: Float
  public var maxTemperature_C: Float
  /// Pack current, positive when discharging.
  public var current_A: Float
  public var packVoltage_V: Float
  public var linkVoltage_V: Float
  /// Sum of all cell voltages (only meaningful when every cell is valid).
  public var sumOfCells_V: Float
  /// Bit n set when cell n passed every check.
  public var cellValid: [3 of UInt32]
  public var validCellCount: Int
  public var openWireCount: Int
  /// Cells excluded for a range or rate failure (not for an open wire).
  public var implausibleCellCount: Int
  public var faults: AcquisitionFaults

  public init() {
    minCell_V = 0
    maxCell_V = 0
    meanCell_V = 0
    minCellIndex = 0
    maxCellIndex = 0
    minTemperature_C = 0
    maxTemperature_C = 0
    current_A = 0
    packVoltage_V = 0
    linkVoltage_V = 0
    sumOfCells_V = 0
    cellValid = .init(repeating: 0)
    validCellCount = 0
    openWireCount = 0
    implausibleCellCount = 0
    faults = AcquisitionFaults(rawValue: 0)
  }

  /// True when the voltages can be used to correct the SOC: every cell seen, no open wire, pack
  /// sum consistent, current in range. Otherwise the SOC falls back to coulomb counting.
  public var isPlausibleForEstimation: Bool {
    faults.isDisjoint(with: AcquisitionFaults.blockingEstimation) && implausibleCellCount == 0
  }

  /// Closing onto the vehicle is allowed only while every cell can be watched: an open sense
  /// wire hides the voltage of two cells, so it blocks precharge.
  public var allowsPrecharge: Bool {
    openWireCount == 0 && !faults.contains(.openWire) && !faults.contains(.noValidCell)
  }

  public func isCellValid(_ index: Int) -> Bool {
    (cellValid[index / 32] &>> UInt32(index % 32)) & 1 != 0
  }
}

/// Range, rate-of-change, sum and open-wire checks over consecutive scans.
public struct AcquisitionCheck: Sendable {
  public let cellCount: Int
  public let temperatureSensorCount: Int
  public var limits: PlausibilityLimits
  private var previousCell_mV: [96 of UInt16]
  private var previousTemperature_dC: [32 of Int16]
  private var hasPrevious: Bool

  public init(pack: PackDescription, limits: PlausibilityLimits) {
    cellCount = pack.cellCount
    temperatureSensorCount = pack.temperatureSensorCount
    self.limits = limits
    previousCell_mV = .init(repeating: 0)
    previousTemperature_dC = .init(repeating: 0)
    hasPrevious = false
  }

  /// Checks one scan (every 10 ms). An open sense wire above cell n corrupts both cells that
  /// share it (n reads high, n + 1 low, their sum stays right), so both are excluded: a wire
  /// fault is never reported as a real cell voltage.
  public mutating func evaluate(_ scan: borrowing CellScan, _ sample: PackSample)
    -> PackMeasurement
  {
    var m = PackMeasurement()
    // Reads through spans, writes into locals stored back once: reading an InlineArray element
    // by subscript copied the whole array per access in the firmware build (-Osize, Swift
    // 6.3): 209 000 instructions per 96-cell scan under QEMU before, see docs.
    let voltages = scan.cellVoltage_mV.span
    let wires = scan.openWire.span
    let temperatures = scan.temperature_dC.span
    var previousVoltages: [96 of UInt16] = .init(repeating: 0)
    var previousTemperatures: [32 of Int16] = .init(repeating: 0)
    var validMask: [3 of UInt32] = .init(repeating: 0)
    let lim = limits
    let checkRate = hasPrevious
    var faults = AcquisitionFaults(rawValue: 0)
    var openWires = 0
    var implausible = 0
    var validCells = 0
    var minIndex = 0
    var maxIndex = 0
    var sum_mV: Int = 0
    var validSum_mV: Int = 0
    var minValue: UInt16 = .max
    var maxValue: UInt16 = 0
    var wireBelow = false
    do {
      let lastVoltages = previousCell_mV.span
      for i in 0..<cellCount {
        let v = voltages[i]
        sum_mV += Int(v)
        var valid = true
        let wireAbove = wires[i]
        if wireAbove || wireBelow {
          valid = false
          openWires += wireAbove ? 1 : 0
          faults.insert(.openWire)
        } else if v < lim.minCellVoltage_mV || v > lim.maxCellVoltage_mV {
          valid = false
          implausible += 1
          faults.insert(.cellVoltageRange)
        } else if checkRate {
          let previous = lastVoltages[i]
          let step = v > previous ? v - previous : previous - v
          if step > lim.maxCellVoltageStep_mV {
            valid = false
            implausible += 1
            faults.insert(.cellVoltageRate)
          }
        }
        wireBelow = wireAbove
        previousVoltages[i] = v
        guard valid else { continue }
        validMask[i / 32] |= UInt32(1) &<< UInt32(i % 32)
        validCells += 1
        validSum_mV += Int(v)
        if v < minValue {
          minValue = v
          minIndex = i
        }
        if v > maxValue {
          maxValue = v
          maxIndex = i
        }
      }
    }
    previousCell_mV = previousVoltages
    m.cellValid = validMask
    m.openWireCount = openWires
    m.implausibleCellCount = implausible
    m.validCellCount = validCells
    m.minCellIndex = minIndex
    m.maxCellIndex = maxIndex

    var minT: Int16 = .max
    var maxT: Int16 = .min
    var validTemperatures = 0
    do {
      let lastTemperatures = previousTemperature_dC.span
      for i in 0..<temperatureSensorCount {
        let t = temperatures[i]
        var valid = t >= lim.minTemperature_dC && t <= lim.maxTemperature_dC
        if !valid {
          faults.insert(.temperatureRange)
        } else if checkRate {
          let step = Int(t) - Int(lastTemperatures[i])
          if step > Int(lim.maxTemperatureStep_dC) || -step > Int(lim.maxTemperatureStep_dC) {
            valid = false
            faults.insert(.temperatureRate)
          }
        }
        previousTemperatures[i] = t
        guard valid else { continue }
        validTemperatures += 1
        minT = min(minT, t)
        maxT = max(maxT, t)
      }
    }
    previousTemperature_dC = previousTemperatures
    m.faults = faults
    hasPrevious = true

    m.current_A = Float(Int(sample.current_mA)) / 1000
    m.packVoltage_V = Float(Int(sample.packVoltage_dV)) / 10
    m.linkVoltage_V = Float(Int(sample.linkVoltage_dV)) / 10
    m.sumOfCells_V = Float(sum_mV) / 1000
    if m.current_A > limits.maxCurrentMagnitude_A || m.current_A < -limits.maxCurrentMagnitude_A {
      m.faults.insert(.currentRange)
    }
    guard m.validCellCount > 0, validTemperatures > 0 else {
      m.faults.insert(.noValidCell)
      return m
    }
    m.minCell_V = Float(Int(minValue)) / 1000
    m.maxCell_V = Float(Int(maxValue)) / 1000
    m.meanCell_V = Float(validSum_mV) / 1000 / Float(m.validCellCount)
    m.minTemperature_C = Float(Int(minT)) / 10
    m.maxTemperature_C = Float(Int(maxT)) / 10
    if m.validCellCount == cellCount {
      let gap = m.sumOfCells_V - m.packVoltage_V
      let tolerance = limits.sumTolerance_V + limits.sumToleranceFraction * m.packVoltage_V
      if gap > tolerance || -gap > tolerance {
        m.faults.insert(.packVoltageMismatch)
      }
    }
    return m
  }
}
