import ControlMath
import Testing

@Test func lowPassStepResponseFollowsOneMinusOneMinusAlphaToTheN() {
  let alpha: Float = 0.05
  var filter = LowPassFilter(alpha: alpha)
  for n in 1...200 {
    let output = filter.step(1)
    let expected = 1 - pow1p(-Double(alpha), n)
    #expect(abs(Double(output) - expected) <= 1e-5)
  }
}

/// (1 + x)^n by repeated multiplication, in Double.
private func pow1p(_ x: Double, _ n: Int) -> Double {
  var result = 1.0
  for _ in 0..<n { result *= 1 + x }
  return result
}

@Test func lowPassGainAtTheCutoffFrequencyIsMinus3dBWithin1Percent() {
  let sampleTime = 1e-4
  let cutoff = 100.0  // fs / 100
  var filter = LowPassFilter(cutoff_Hz: Float(cutoff), sampleTime_s: Float(sampleTime))
  var peak = 0.0
  let samplesPerPeriod = Int(1 / (cutoff * sampleTime))
  for n in 0..<(30 * samplesPerPeriod) {
    let input = Reference.sine(2 * Double.pi * cutoff * Double(n) * sampleTime)
    let output = Double(filter.step(Float(input)))
    if n >= 20 * samplesPerPeriod { peak = max(peak, abs(output)) }  // after settling
  }
  #expect(abs(peak - 0.5.squareRoot()) <= 0.01 * 0.5.squareRoot())
}

@Test func lowPassAlphaFromCutoffIsOneMinusExpOfMinusOmegaTWithin1e5Relative() {
  var rng = SplitMix64(seed: 50)
  for _ in 0..<10_000 {
    // Cutoffs from 0.01 Hz to 100 kHz at a 10 kHz sample rate, log-uniform.
    let cutoff = Float(Reference.power(10, rng.next(in: -2, 5)))
    let filter = LowPassFilter(cutoff_Hz: cutoff, sampleTime_s: 1e-4)
    let expected = -Reference.exponentialMinusOne(-2 * Double.pi * Double(cutoff) * 1e-4)
    #expect(abs(Double(filter.alpha) - expected) <= 1e-5 * expected)
  }
}

@Test func lowPassAlphaFromZeroOrNaNCutoffHoldsTheOutput() {
  #expect(LowPassFilter(cutoff_Hz: 0, sampleTime_s: 1e-4).alpha == 0)
  #expect(LowPassFilter(cutoff_Hz: .nan, sampleTime_s: 1e-4).alpha == 0)
  #expect(LowPassFilter(cutoff_Hz: .infinity, sampleTime_s: 1e-4).alpha == 1)
}

@Test func lowPassAlphaIsLimitedToZeroToOne() {
  #expect(LowPassFilter(alpha: 1.5).alpha == 1)
  #expect(LowPassFilter(alpha: -0.5).alpha == 0)
  #expect(LowPassFilter(alpha: .nan).alpha == 0)
}

@Test func lowPassResetSetsTheOutput() {
  var filter = LowPassFilter(alpha: 0.1, initialOutput: 3)
  #expect(filter.output == 3)
  filter.reset(to: -2)
  #expect(filter.step(-2) == -2)
}

@Test func rateLimiterRisesAtMostMaxRisePerStep() {
  var limiter = RateLimiter(maxRisePerStep: 0.5, maxFallPerStep: 2)
  #expect(limiter.step(toward: 10) == 0.5)
  #expect(limiter.step(toward: 10) == 1)
}

@Test func rateLimiterFallsAtMostMaxFallPerStep() {
  var limiter = RateLimiter(maxRisePerStep: 0.5, maxFallPerStep: 2, initialOutput: 5)
  #expect(limiter.step(toward: -10) == 3)
  #expect(limiter.step(toward: -10) == 1)
}

@Test func rateLimiterReachesATargetWithinOneStepExactly() {
  var limiter = RateLimiter(maxRisePerStep: 0.5, maxFallPerStep: 0.5, initialOutput: 0.1)
  #expect(limiter.step(toward: 0.3) == 0.3)
  #expect(limiter.step(toward: 0.2) == 0.2)
}

@Test func rateLimiterPerSecondRatesScaleBySampleTime() {
  var limiter = RateLimiter(maxRise_per_s: 1_000, maxFall_per_s: 4_000, sampleTime_s: 1e-3)
  #expect(abs(limiter.step(toward: 100) - 1) <= 1e-6)
  limiter.reset(to: 0)
  #expect(abs(limiter.step(toward: -100) + 4) <= 1e-6)
}
