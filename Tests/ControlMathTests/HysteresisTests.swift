import ControlMath
import Testing

@Test func hysteresisTurnsOnAtTheUpperThresholdAndOffAtTheLower() {
  var h = Hysteresis(lowerThreshold: 1, upperThreshold: 2)
  #expect(h.update(1.99) == false)
  #expect(h.update(2) == true)
  #expect(h.update(1.01) == true)  // between thresholds: keeps on
  #expect(h.update(1) == false)
  #expect(h.update(1.99) == false)  // between thresholds: keeps off
  #expect(!h.isOn)
}

@Test func hysteresisIgnoresNaN() {
  var h = Hysteresis(lowerThreshold: 1, upperThreshold: 2, isOn: true)
  #expect(h.update(.nan) == true)
  h = Hysteresis(lowerThreshold: 1, upperThreshold: 2, isOn: false)
  #expect(h.update(.nan) == false)
}

@Test func debounceTripsOnTheThirdConsecutiveFailingSampleNotBefore() {
  var d = DebounceCounter(tripCount: 3, healCount: 2)
  #expect(d.update(failing: true) == .none)
  #expect(d.update(failing: true) == .none)
  #expect(!d.isTripped)
  #expect(d.update(failing: true) == .tripped)
  #expect(d.isTripped)
  #expect(d.update(failing: true) == .none)  // reported once
}

@Test func debouncePassingSampleRestartsTheTripCount() {
  var d = DebounceCounter(tripCount: 3, healCount: 2)
  _ = d.update(failing: true)
  _ = d.update(failing: true)
  #expect(d.update(failing: false) == .none)
  #expect(d.update(failing: true) == .none)
  #expect(d.update(failing: true) == .none)
  #expect(d.update(failing: true) == .tripped)
}

@Test func debounceHealsOnTheSecondConsecutivePassingSample() {
  var d = DebounceCounter(tripCount: 3, healCount: 2, isTripped: true)
  #expect(d.update(failing: false) == .none)
  #expect(d.update(failing: true) == .none)  // restarts the heal count
  #expect(d.update(failing: false) == .none)
  #expect(d.update(failing: false) == .healed)
  #expect(!d.isTripped)
}

@Test func debounceCountOfZeroActsAsOne() {
  var d = DebounceCounter(tripCount: 0, healCount: 0)
  #expect(d.update(failing: true) == .tripped)
  #expect(d.update(failing: false) == .healed)
}

@Test func debounceWithMaximumCountTripsAfter65535SamplesWithoutOverflow() {
  var d = DebounceCounter(tripCount: .max, healCount: 1)
  for _ in 1..<Int(UInt16.max) { #expect(d.update(failing: true) == .none) }
  #expect(d.update(failing: true) == .tripped)
}
