/// Proportional-integral controller with output limits and back-calculation anti-windup.
///
/// Per step, with e the error and T the sample time:
///
///     v = kp·e + I          (unlimited output)
///     u = clamp(v, outputMin, outputMax)
///     I ← I + T·(ki·e + kb·(u − v))
///
/// While the output is limited, the term kb·(u − v) bleeds the integrator back towards the
/// limit instead of letting it wind up (Åström & Hägglund, "Advanced PID Control", §3.5).
/// A common choice is kb = ki / kp (tracking time constant equal to the integral time); keep
/// kb·T ≤ 1 so the correction does not overshoot within one step.
///
/// The limits are plain properties so that a caller can move them every step, e.g. a voltage
/// limit that follows the DC-link voltage. NaN in the error propagates to the output and the
/// integrator; call `reset()` or `preset` to recover.
@frozen
public struct PIController: Sendable {
  /// Proportional gain, output units per error unit.
  public var kp: Float
  /// Integral gain, output units per (error unit · second).
  public var ki: Float
  /// Back-calculation (anti-windup) gain in 1/s; 0 disables anti-windup.
  public var kb: Float
  public var sampleTime_s: Float
  public var outputMin: Float
  public var outputMax: Float
  /// The integral part of the output, in output units.
  public var integrator: Float

  public init(
    kp: Float, ki: Float, kb: Float, sampleTime_s: Float, outputMin: Float, outputMax: Float
  ) {
    self.kp = kp
    self.ki = ki
    self.kb = kb
    self.sampleTime_s = sampleTime_s
    self.outputMin = outputMin
    self.outputMax = outputMax
    self.integrator = 0
  }

  /// One controller sample: returns the limited output and advances the integrator.
  @inlinable @inline(__always)
  public mutating func step(error: Float) -> Float {
    let unlimited = kp * error + integrator
    var output = unlimited
    if output < outputMin { output = outputMin }
    if output > outputMax { output = outputMax }
    integrator += sampleTime_s * (ki * error + kb * (output - unlimited))
    return output
  }

  /// Clears the integrator.
  public mutating func reset() {
    integrator = 0
  }

  /// Sets the integrator directly (e.g. restored from a previous run).
  public mutating func preset(integrator: Float) {
    self.integrator = integrator
  }

  /// Bumpless transfer: sets the integrator so that the next `step(error:)` with `error`
  /// returns `output` (limited to the output range), e.g. the value the loop is taking over
  /// from open-loop or another controller.
  public mutating func preset(output: Float, error: Float) {
    var target = output
    if target < outputMin { target = outputMin }
    if target > outputMax { target = outputMax }
    integrator = target - kp * error
  }
}
