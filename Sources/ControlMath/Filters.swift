/// First-order low-pass filter, y ← y + α·(x − y).
@frozen
public struct LowPassFilter: Sendable {
  /// Smoothing factor in [0, 1]: 1 passes the input through, 0 holds the output.
  public var alpha: Float
  public var output: Float

  /// A filter with smoothing factor `alpha`, limited to [0, 1].
  public init(alpha: Float, initialOutput: Float = 0) {
    var a = alpha
    if !(a >= 0) { a = 0 }
    if a > 1 { a = 1 }
    self.alpha = a
    self.output = initialOutput
  }

  /// A filter with -3 dB cutoff `cutoff_Hz` at sample time `sampleTime_s`.
  ///
  /// α = 1 − e^(−2π·f·T), the step-invariant discretisation of 1/(1 + s/(2π·f)). The simpler
  /// α = ωT/(1 + ωT) puts the cutoff 1.5 % low already at f = fs/100.
  public init(cutoff_Hz: Float, sampleTime_s: Float, initialOutput: Float = 0) {
    let omegaT = 6.283_185_5 * cutoff_Hz * sampleTime_s
    self.init(alpha: LowPassFilter.oneMinusExpNegative(omegaT), initialOutput: initialOutput)
  }

  /// 1 − e^(−x) for x ≥ 0 without libm: a Taylor series of e^(−y) − 1 for y = x/2^k ≤ 1/16,
  /// then k doublings with e^(−2y) − 1 = d·(d + 2), d = e^(−y) − 1, which keeps the relative
  /// precision for small x where 1 − e^(−x) would cancel. Not NaN for NaN: 0.
  static func oneMinusExpNegative(_ x: Float) -> Float {
    guard x > 0 else { return 0 }
    guard x < 20 else { return 1 }  // e^(−20) ≈ 2e-9 is below Float's resolution near 1
    var y = x
    var halvings = 0
    while y > 0.0625 {
      y *= 0.5
      halvings += 1
    }
    var d = -y * (1 - y * (0.5 - y * (1 / 6 - y * (1 / 24))))
    for _ in 0..<halvings { d = d * (d + 2) }
    return -d
  }

  @inlinable @inline(__always)
  public mutating func step(_ input: Float) -> Float {
    output += alpha * (input - output)
    return output
  }

  public mutating func reset(to value: Float) {
    output = value
  }
}

/// Limits how fast a signal may change: at most `maxRisePerStep` up and `maxFallPerStep` down
/// per call (both magnitudes, ≥ 0).
@frozen
public struct RateLimiter: Sendable {
  public var maxRisePerStep: Float
  public var maxFallPerStep: Float
  public var output: Float

  public init(maxRisePerStep: Float, maxFallPerStep: Float, initialOutput: Float = 0) {
    self.maxRisePerStep = maxRisePerStep
    self.maxFallPerStep = maxFallPerStep
    self.output = initialOutput
  }

  /// Rates in units per second, converted to per-step limits with `sampleTime_s`.
  public init(
    maxRise_per_s: Float, maxFall_per_s: Float, sampleTime_s: Float, initialOutput: Float = 0
  ) {
    self.init(
      maxRisePerStep: maxRise_per_s * sampleTime_s, maxFallPerStep: maxFall_per_s * sampleTime_s,
      initialOutput: initialOutput)
  }

  /// Moves the output towards `target` by at most one step's allowance and returns it.
  @inlinable @inline(__always)
  public mutating func step(toward target: Float) -> Float {
    let delta = target - output
    if delta > maxRisePerStep {
      output += maxRisePerStep
    } else if delta < -maxFallPerStep {
      output -= maxFallPerStep
    } else {
      output = target  // exactly, not output + delta with its rounding
    }
    return output
  }

  public mutating func reset(to value: Float) {
    output = value
  }
}
