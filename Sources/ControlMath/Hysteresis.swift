/// A two-threshold switch: turns on when the value reaches `upperThreshold`, off when it falls to
/// `lowerThreshold`, and keeps its state in between.
///
/// If `lowerThreshold > upperThreshold` the upper threshold wins where both apply. NaN leaves
/// the state unchanged.
@frozen
public struct Hysteresis: Sendable {
  public var lowerThreshold: Float
  public var upperThreshold: Float
  @usableFromInline var state: Bool

  public init(lowerThreshold: Float, upperThreshold: Float, isOn: Bool = false) {
    self.lowerThreshold = lowerThreshold
    self.upperThreshold = upperThreshold
    self.state = isOn
  }

  public var isOn: Bool { state }

  /// Feeds one sample and returns the new state.
  @inlinable
  public mutating func update(_ value: Float) -> Bool {
    if value >= upperThreshold {
      state = true
    } else if value <= lowerThreshold {
      state = false
    }
    return state
  }
}

/// What a `DebounceCounter` did on one sample.
///
/// The raw type is there for code size: a payload-free enum without one gets a synthesized
/// `hash(into:)` that pulls about 1 KB of `Hasher` and an `arc4random_buf` reference into the
/// Embedded object file.
public enum DebounceEvent: UInt8, Sendable {
  case none
  /// The counter entered the tripped state on this sample.
  case tripped
  /// The counter left the tripped state on this sample.
  case healed
}

/// Debounces a pass/fail condition: trips after `tripCount` consecutive failing samples and
/// heals after `healCount` consecutive passing samples (foxBMS-style diagnosis counter, with
/// the run reset by any sample that agrees with the current state).
///
/// A count of 0 acts as 1: the state follows the first disagreeing sample.
@frozen
public struct DebounceCounter: Sendable {
  public let tripCount: UInt16
  public let healCount: UInt16
  @usableFromInline var tripped: Bool
  /// Consecutive samples that disagree with the current state.
  @usableFromInline var run: UInt16

  public init(tripCount: UInt16, healCount: UInt16, isTripped: Bool = false) {
    self.tripCount = tripCount
    self.healCount = healCount
    self.tripped = isTripped
    self.run = 0
  }

  public var isTripped: Bool { tripped }

  /// Feeds one sample (`failing` true when the monitored condition is violated).
  @inlinable
  public mutating func update(failing: Bool) -> DebounceEvent {
    guard failing != tripped else {
      run = 0
      return .none
    }
    if run < UInt16.max { run += 1 }
    let needed = tripped ? healCount : tripCount
    guard run >= needed else { return .none }
    run = 0
    tripped = failing
    return failing ? .tripped : .healed
  }
}
