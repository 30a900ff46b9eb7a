import Testing

@testable import BatteryManagement

/// A healthy measurement (3.7 V cells, 25 °C) with `current_A` flowing.
func normalMeasurement(current_A: Float) -> PackMeasurement {
  var m = uniformMeasurement(cell_V: 3.7, current_A: current_A)
  m.minTemperature_C = 25
  m.maxTemperature_C = 25
  return m
}

/// The current that puts a row in its direction (charging rows see charge current).
func currentFor(_ row: ProtectionRow) -> Float {
  switch row.direction {
  case .charging: return -10
  case .discharging, .any: return 10
  }
}

/// One sample of the row's quantity at `value`: a scan, or a current sample for current rows.
func feed(_ monitor: inout ProtectionMonitor, _ row: ProtectionRow, _ value: Float)
  -> ProtectionStatus
{
  var m = normalMeasurement(current_A: currentFor(row))
  switch row.quantity {
  case .maxCellVoltage_V: m.maxCell_V = value
  case .minCellVoltage_V: m.minCell_V = value
  case .maxTemperature_C: m.maxTemperature_C = value
  case .minTemperature_C: m.minTemperature_C = value
  case .openWireCount: m.openWireCount = Int(value)
  case .implausibleCellCount: m.implausibleCellCount = Int(value)
  case .dischargeCurrent_A: return monitor.stepCurrent(current_A: value)
  case .chargeCurrent_A: return monitor.stepCurrent(current_A: -value)
  }
  return monitor.stepScan(m)
}

/// A value just beyond (tripping) or just inside the row's threshold.
func value(_ row: ProtectionRow, beyond: Bool) -> Float {
  let epsilon: Float
  switch row.quantity {
  case .openWireCount, .implausibleCellCount: epsilon = 1
  default: epsilon = 0.001
  }
  let outward: Float = row.tripsAbove ? 1 : -1
  return beyond ? row.threshold + outward * (epsilon / 1000) : row.threshold - outward * epsilon
}

func debounceSamples(_ row: ProtectionRow) -> Int {
  Int(row.debounce_ms / ProtectionTable.samplePeriod_ms(row.quantity))
}

func delaySamples(_ row: ProtectionRow) -> Int {
  Int(row.delay_ms / ProtectionTable.samplePeriod_ms(row.quantity))
}

@Suite("Protections (iterated over the table)")
struct ProtectionTests {
  @Test("every diagnostic has exactly one row, at the index of its id")
  func rowsAreIndexedById() {
    for index in 0..<ProtectionTable.rowCount {
      #expect(Int(ProtectionTable.rows[index].id.rawValue) == index)
    }
  }

  @Test("a row trips exactly after its debounce time beyond the threshold", arguments: 0..<26)
  func tripsAfterDebounce(index: Int) {
    let row = ProtectionTable.rows[index]
    var monitor = ProtectionMonitor()
    let beyond = value(row, beyond: true)
    for _ in 0..<(debounceSamples(row) - 1) {
      #expect(!feed(&monitor, row, beyond).isActive(row.id))
    }
    let status = feed(&monitor, row, beyond)
    #expect(status.isActive(row.id), "\(row.id) after \(row.debounce_ms) ms")
    #expect(status.highestSeverity >= row.severity)
  }

  @Test("a row stays inactive just inside its threshold", arguments: 0..<26)
  func staysInactiveInsideThreshold(index: Int) {
    let row = ProtectionTable.rows[index]
    var monitor = ProtectionMonitor()
    let inside = value(row, beyond: false)
    for _ in 0..<(4 * debounceSamples(row)) {
      #expect(!feed(&monitor, row, inside).isActive(row.id))
    }
  }

  @Test("a condition shorter than the debounce time is filtered out", arguments: 0..<26)
  func shortConditionFiltered(index: Int) {
    let row = ProtectionTable.rows[index]
    var monitor = ProtectionMonitor()
    for _ in 0..<3 {
      for _ in 0..<(debounceSamples(row) - 1) { _ = feed(&monitor, row, value(row, beyond: true)) }
      #expect(!feed(&monitor, row, value(row, beyond: false)).isActive(row.id))
    }
  }

  @Test(
    "a fault requests open contactors exactly its delay after tripping, and latches",
    arguments: (0..<26).filter { ProtectionTable.rows[$0].severity == .fault })
  func faultOpensAfterDelayAndLatches(index: Int) {
    let row = ProtectionTable.rows[index]
    var monitor = ProtectionMonitor()
    let beyond = value(row, beyond: true)
    var status = ProtectionStatus()
    for _ in 0..<debounceSamples(row) { status = feed(&monitor, row, beyond) }
    #expect(status.isActive(row.id))
    #expect(status.newlyRecorded & (1 << UInt32(index)) != 0)
    #expect(status.openContactors == (delaySamples(row) == 0))
    for sample in 1...max(delaySamples(row), 1) {
      status = feed(&monitor, row, beyond)
      #expect(status.openContactors == (sample >= delaySamples(row)), "sample \(sample)")
      #expect(status.newlyRecorded == 0)
    }
    // Back to normal: the fault stays latched until reset.
    for _ in 0..<(2 * debounceSamples(row)) {
      status = feed(&monitor, row, value(row, beyond: false))
    }
    #expect(status.isActive(row.id))
    #expect(status.openContactors)
    let cleared = monitor.resetFaults()
    #expect(cleared)
    #expect(!monitor.status.isActive(row.id))
  }

  @Test(
    "a fault cannot be reset while its condition is present",
    arguments: (0..<26).filter { ProtectionTable.rows[$0].severity == .fault })
  func faultResetRefusedWhileConditionPresent(index: Int) {
    let row = ProtectionTable.rows[index]
    var monitor = ProtectionMonitor()
    for _ in 0..<debounceSamples(row) { _ = feed(&monitor, row, value(row, beyond: true)) }
    let cleared = monitor.resetFaults()
    #expect(!cleared)
    #expect(monitor.status.isActive(row.id))
  }

  @Test(
    "a warning or derate releases only past its hysteresis, after its debounce time",
    arguments: (0..<26).filter { ProtectionTable.rows[$0].severity != .fault })
  func warningReleasesPastHysteresis(index: Int) {
    let row = ProtectionTable.rows[index]
    var monitor = ProtectionMonitor()
    for _ in 0..<debounceSamples(row) { _ = feed(&monitor, row, value(row, beyond: true)) }
    let outward: Float = row.tripsAbove ? 1 : -1
    // Inside the hysteresis band: stays active.
    let inBand = row.threshold - outward * row.hysteresis * 0.5
    if row.hysteresis > 0 {
      for _ in 0..<(2 * debounceSamples(row)) {
        #expect(feed(&monitor, row, inBand).isActive(row.id))
      }
    }
    let released = row.threshold - outward * (row.hysteresis + 0.01)
    for _ in 0..<(debounceSamples(row) - 1) {
      #expect(feed(&monitor, row, released).isActive(row.id))
    }
    #expect(!feed(&monitor, row, released).isActive(row.id))
  }

  @Test(
    "charge-only rows ignore the same value while discharging",
    arguments: (0..<26).filter { ProtectionTable.rows[$0].direction == .charging })
  func chargeRowsIgnoreDischarge(index: Int) {
    let row = ProtectionTable.rows[index]
    guard row.quantity != .chargeCurrent_A else { return }
    var monitor = ProtectionMonitor()
    var m = normalMeasurement(current_A: 50)
    switch row.quantity {
    case .maxTemperature_C: m.maxTemperature_C = value(row, beyond: true)
    case .minTemperature_C: m.minTemperature_C = value(row, beyond: true)
    default: Issue.record("unexpected charge-only quantity")
    }
    for _ in 0..<(2 * debounceSamples(row)) {
      #expect(!monitor.stepScan(m).isActive(row.id))
    }
  }

  @Test(
    "every fault row meets its reaction goal: debounce + delay + sample + relay ≤ goal",
    arguments: (0..<26).filter { ProtectionTable.rows[$0].severity == .fault })
  func faultReactionWithinGoal(index: Int) {
    let row = ProtectionTable.rows[index]
    #expect(row.reactionGoal_ms > 0)
    #expect(ProtectionTable.reactionBudget_ms(row) <= row.reactionGoal_ms)
  }

  @Test("reaction goals: cell voltage ≤ 500 ms, over-current ≤ 200 ms, temperature ≤ 6 s")
  func reactionGoalsMatchRequirements() {
    for index in 0..<ProtectionTable.rowCount where ProtectionTable.rows[index].severity == .fault {
      let row = ProtectionTable.rows[index]
      switch row.quantity {
      case .maxCellVoltage_V, .minCellVoltage_V, .openWireCount: #expect(row.reactionGoal_ms <= 500)
      case .chargeCurrent_A, .dischargeCurrent_A: #expect(row.reactionGoal_ms <= 200)
      case .maxTemperature_C, .minTemperature_C: #expect(row.reactionGoal_ms <= 6_000)
      case .implausibleCellCount: Issue.record("no fault expected on plausibility")
      }
    }
  }

  @Test("fault thresholds are at or beyond the chemistry's limits; warnings come first")
  func tiersOrderedAndConsistentWithChemistry() throws {
    let limits = CellLimits.lgM50
    for index in stride(from: 0, to: 24, by: 3) {
      let warning = ProtectionTable.rows[index]
      let derate = ProtectionTable.rows[index + 1]
      let fault = ProtectionTable.rows[index + 2]
      #expect(
        warning.severity == .warning && derate.severity == .derate && fault.severity == .fault)
      let sign: Float = fault.tripsAbove ? 1 : -1
      #expect(sign * warning.threshold < sign * derate.threshold)
      #expect(sign * derate.threshold < sign * fault.threshold)
    }
    #expect(ProtectionTable.rows[2].threshold >= limits.maxVoltage_V)
    #expect(ProtectionTable.rows[5].threshold <= limits.minVoltage_V)
    #expect(ProtectionTable.rows[8].threshold >= limits.maxChargeTemperature_C)
    #expect(ProtectionTable.rows[11].threshold >= limits.maxDischargeTemperature_C)
    #expect(ProtectionTable.rows[14].threshold <= limits.minChargeTemperature_C)
    #expect(ProtectionTable.rows[17].threshold <= limits.minDischargeTemperature_C)
    #expect(ProtectionTable.rows[20].threshold >= limits.maxChargeCurrent_A)
    #expect(ProtectionTable.rows[23].threshold >= limits.maxDischargeCurrent_A)
  }

  @Test("derate rows cut the matching direction: over-voltage charge, under-voltage discharge")
  func derateDirection() {
    var monitor = ProtectionMonitor()
    var m = normalMeasurement(current_A: 0)
    m.maxCell_V = 4.185
    var status = ProtectionStatus()
    for _ in 0..<10 { status = monitor.stepScan(m) }
    #expect(status.chargeDerated && !status.dischargeDerated)
    var monitor2 = ProtectionMonitor()
    m = normalMeasurement(current_A: 0)
    m.minCell_V = 2.79
    for _ in 0..<10 { status = monitor2.stepScan(m) }
    #expect(status.dischargeDerated && !status.chargeDerated)
  }
}
