import ControlMath
import Platform

/// Chooses the power stage's safe state by speed.
///
/// Opening all switches above the speed where the line-to-line back-EMF peak (√3·ψ·ω_e) exceeds
/// the DC link turns the diodes into an uncontrolled rectifier: braking torque and charge current
/// into a link (and battery) that may not accept them. Shorting the windings instead (active
/// short circuit) keeps the current inside the motor, bounded by ψ/Ld. At low speed the short
/// circuit brakes hardest and there is no regeneration to fear, so the switches are opened.
/// For the reference motor the back-EMF reaches the 250 V minimum link at ≈ 5300 rpm; the short
/// circuit is entered from 5000 rpm and left below 4500 rpm.
public struct SafeStateSelector: Sendable {
  public private(set) var hysteresis: Hysteresis

  public init(calibration: SafeStateCalibration) {
    hysteresis = Hysteresis(
      lowerThreshold: calibration.switchOffBelow_rad_s,
      upperThreshold: calibration.activeShortCircuitAbove_rad_s)
  }

  /// The safe power-stage mode for this mechanical speed (either sign).
  public mutating func update(speed_rad_s: Float) -> PowerStageMode {
    hysteresis.update(speed_rad_s.magnitude) ? .activeShortCircuit : .off
  }

  public var mode: PowerStageMode { hysteresis.isOn ? .activeShortCircuit : .off }
}
