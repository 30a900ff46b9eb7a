import MotorControl
import Testing

/// Inputs well inside every threshold.
private let healthy = ProtectionInputs(
  currentAmplitude_A: 100, dcLink_V: 350, speedMagnitude_rad_s: 500, inverterTemperature_C: 60,
  motorTemperature_C: 80, angleError_rad: 0.01, torqueRequestAge_s: 0.01,
  batteryLimitsAge_s: 0.01)

private let tables: [(String, ProtectionTable)] = [
  ("brand A", .brandA), ("brand B", .brandB),
]

/// A value just beyond (or just inside) a rule's threshold.
private func value(_ rule: ProtectionRule, beyond: Bool) -> Float {
  let step = max(rule.threshold.magnitude * 1e-4, 1e-4)
  let outward = rule.tripsAbove ? step : -step
  return rule.threshold + (beyond ? outward : -outward)
}

@Test func everyRowSitsAtItsOwnIndex() {
  for (_, table) in tables {
    for row in 0..<ProtectionTable.count {
      #expect(Int(table.rules[row].id.rawValue) == row)
    }
  }
}

@Test func healthyInputsTripNothing() {
  for (_, table) in tables {
    var monitor = ProtectionMonitor(table: table)
    for _ in 0..<3000 { #expect(monitor.evaluate(healthy).tripped == 0) }
  }
}

/// For every row: tripSamples − 1 samples beyond the threshold do not trip, the next one does;
/// a value inside the threshold never trips; the trip reports the row's own bit.
@Test func everyProtectionTripsAfterItsDebounceCountAndNotBefore() {
  for (name, table) in tables {
    for row in 0..<ProtectionTable.count {
      let rule = table.rules[row]
      var inputs = healthy
      inputs.set(rule.signal, to: value(rule, beyond: true))
      var monitor = ProtectionMonitor(table: table)
      for sample in 0..<Int(rule.tripSamples) - 1 {
        let status = monitor.evaluate(inputs)
        #expect(!status.isTripped(rule.id), "\(name) \(rule.id) sample \(sample)")
      }
      let status = monitor.evaluate(inputs)
      #expect(status.isTripped(rule.id), "\(name) \(rule.id)")
      #expect(status.newlyTripped & rule.id.mask != 0, "\(name) \(rule.id)")
    }
  }
}

@Test func noProtectionTripsExactlyAtOrJustInsideItsThreshold() {
  for (name, table) in tables {
    for row in 0..<ProtectionTable.count {
      let rule = table.rules[row]
      for level in [rule.threshold, value(rule, beyond: false)] {
        var inputs = healthy
        inputs.set(rule.signal, to: level)
        var monitor = ProtectionMonitor(table: table)
        for _ in 0..<Int(rule.tripSamples) + 10 {
          #expect(!monitor.evaluate(inputs).isTripped(rule.id), "\(name) \(rule.id)")
        }
      }
    }
  }
}

@Test func anInterruptedViolationRestartsTheDebounce() {
  for row in 0..<ProtectionTable.count {
    let rule = ProtectionTable.brandA.rules[row]
    guard rule.tripSamples > 1 else { continue }
    var bad = healthy
    bad.set(rule.signal, to: value(rule, beyond: true))
    var monitor = ProtectionMonitor(table: .brandA)
    for _ in 0..<Int(rule.tripSamples) - 1 { _ = monitor.evaluate(bad) }
    _ = monitor.evaluate(healthy)
    for _ in 0..<Int(rule.tripSamples) - 1 {
      #expect(!monitor.evaluate(bad).isTripped(rule.id), "\(rule.id)")
    }
  }
}

@Test func everyProtectionHealsAfterItsHealCount() {
  for row in 0..<ProtectionTable.count {
    let rule = ProtectionTable.brandA.rules[row]
    var bad = healthy
    bad.set(rule.signal, to: value(rule, beyond: true))
    var monitor = ProtectionMonitor(table: .brandA)
    for _ in 0..<Int(rule.tripSamples) { _ = monitor.evaluate(bad) }
    for _ in 0..<Int(rule.healSamples) - 1 {
      #expect(monitor.evaluate(healthy).isTripped(rule.id), "\(rule.id)")
    }
    #expect(!monitor.evaluate(healthy).isTripped(rule.id), "\(rule.id)")
  }
}

@Test func overcurrentHasNoDebounceAndDemandsTheSafeState() {
  let rule = ProtectionTable.brandA[.phaseOvercurrent]
  #expect(rule.tripSamples == 1)
  #expect(rule.reaction == .safeState)
  #expect(rule.threshold < 400)  // below the module's absolute maximum
}

@Test func lostTorqueRequestRampsTorqueToZeroAndLostBatteryLimitsZeroIt() {
  var inputs = healthy
  inputs.torqueRequestAge_s = 0.2
  inputs.batteryLimitsAge_s = 0.6
  var monitor = ProtectionMonitor(table: .brandA)
  let status = monitor.evaluate(inputs)
  #expect(status.demands(.rampTorqueToZero, in: .brandA))
  #expect(status.demands(.zeroTorque, in: .brandA))
  #expect(!status.demands(.safeState, in: .brandA))
}

@Test func aNaNSignalCountsAsAViolation() {
  var inputs = healthy
  inputs.dcLink_V = .nan
  var monitor = ProtectionMonitor(table: .brandA)
  var status = monitor.evaluate(inputs)
  for _ in 0..<30 { status = monitor.evaluate(inputs) }
  #expect(status.isTripped(.dcLinkOvervoltage))
  #expect(status.isTripped(.dcLinkUndervoltage))
}

@Test func brandBTripsOverspeedEarlierThanBrandA() {
  #expect(
    ProtectionTable.brandB[.overspeed].threshold < ProtectionTable.brandA[.overspeed].threshold)
}
