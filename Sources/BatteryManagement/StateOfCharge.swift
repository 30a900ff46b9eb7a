import ControlMath

/// State of charge: coulomb counting (1 ms) corrected by extended Kalman filters on a 2RC
/// model, with an OCV reset after rest.
///
/// Why three filters and not 96: the pack's usable charge is bounded by its weakest cells, the
/// lowest cell ends a discharge and the highest ends a charge. One 3-state EKF costs ≈ 150
/// float operations per update; three (on the minimum, maximum and mean cell voltage) every
/// 100 ms is < 0.1 % of a 168 MHz M4F, where 96 filters would be 30× that plus 96 × 36 bytes
/// of covariance, for information the pack limits never use. The price: the filter on "the
/// minimum cell" follows whichever cell is lowest, so its RC states are shared between cells
/// when the minimum moves. Cells in series see the same current, so those states differ only
/// by the cells' parameter spread, which the noise model covers.

/// exp(−x) for x ≥ 0 without libm: range-halving to x ≤ 1/8, a 4th-order Taylor polynomial,
/// then squaring back. Relative error < 2e-6 up to x = 0.5 (the filters use Δt/τ ≤ 0.05)
/// and < 1e-4 up to 20.
public func decayFactor(_ x: Float) -> Float {
  if x <= 0 { return 1 }
  if x > 30 { return 0 }
  var y = x
  var halvings = 0
  while y > 0.125 {
    y *= 0.5
    halvings += 1
  }
  var e = 1 - y * (1 - y * (0.5 - y * (1.0 / 6.0 - y * (1.0 / 24.0))))
  for _ in 0..<halvings { e *= e }
  return e
}

/// Integrates the pack current in integer mA·ms (exact: Float would lose whole amp-seconds at
/// 100 Ah) and learns the current sensor's zero offset while the contactors are open, when the
/// true current is zero.
public struct CoulombCounter: Sendable {
  /// Net charge taken out since start-up, mA·ms (positive = discharged).
  public private(set) var netDischarge_mAms: Int64
  /// Charge taken out, counting discharge only (for equivalent full cycles).
  public private(set) var dischargeThroughput_mAms: Int64
  /// Learned zero offset of the current sensor.
  public private(set) var offset_mA: Float
  private var roundingRemainder_mAms: Float
  private var offsetFilter: LowPassFilter
  private var offsetWindowSum_mAms: Int64
  private var offsetWindow_ms: UInt32
  /// Offsets larger than this are a sensor fault, not drift (Hall sensors: ±0.5 A class).
  public static let maxOffset_mA: Float = 1_000
  /// Offset samples are averaged over this window, then low-passed with τ = 10 s.
  public static let offsetWindow_ms: UInt32 = 100

  public init() {
    netDischarge_mAms = 0
    dischargeThroughput_mAms = 0
    offset_mA = 0
    roundingRemainder_mAms = 0
    offsetFilter = LowPassFilter(alpha: 0.01)
    offsetWindowSum_mAms = 0
    offsetWindow_ms = 0
  }

  /// Called every 1 ms with the raw sample.
  public mutating func integrate(current_mA: Int32, elapsed_ms: UInt32, contactorsOpen: Bool) {
    let dt = float(elapsed_ms)
    if contactorsOpen {
      // No current can flow: whatever is measured is offset. Nothing is integrated. The
      // samples are averaged over 100 ms windows before the low-pass (α = 0.01 ≙ τ = 10 s): a
      // per-millisecond α of 1e-4 would stall 0.15 mA short in Float.
      offsetWindowSum_mAms += int64(Int(current_mA)) * int64(Int(elapsed_ms & 0xFFFF))
      offsetWindow_ms += elapsed_ms
      if offsetWindow_ms >= CoulombCounter.offsetWindow_ms {
        let mean = float(offsetWindowSum_mAms) / float(offsetWindow_ms)
        let limited = min(max(mean, -CoulombCounter.maxOffset_mA), CoulombCounter.maxOffset_mA)
        offset_mA = offsetFilter.step(limited)
        offsetWindowSum_mAms = 0
        offsetWindow_ms = 0
      }
      return
    }
    offsetWindowSum_mAms = 0
    offsetWindow_ms = 0
    let corrected_mA = Float(Int(current_mA)) - offset_mA
    // The fraction lost to rounding is carried into the next step, so a sub-mA offset
    // residue is not rounded into a bias. Clamped to Int32 range (±2.1e9 mA·ms ≙ 500 A for
    // 4 s), far beyond one call.
    let exact = min(max(corrected_mA * dt + roundingRemainder_mAms, -2e9), 2e9)
    let whole = roundedToInt(exact)
    let charge = int64(whole)
    roundingRemainder_mAms = exact - Float(whole)
    netDischarge_mAms += charge
    if charge > 0 { dischargeThroughput_mAms += charge }
  }

  public static func ampereHours(_ charge_mAms: Int64) -> Float {
    float(charge_mAms) / 3_600_000_000
  }
}

/// A three-state EKF (SOC, RC-branch voltages V1 and V2) for one cell voltage. Flat float code,
/// covariance kept as its six unique entries.
public struct CellKalmanFilter: Sendable {
  public var soc: Float
  public var v1_V: Float
  public var v2_V: Float
  public private(set) var p00: Float
  public private(set) var p01: Float
  public private(set) var p02: Float
  public private(set) var p11: Float
  public private(set) var p12: Float
  public private(set) var p22: Float

  public init(soc: Float, socSigma: Float) {
    self.soc = soc
    v1_V = 0
    v2_V = 0
    p00 = socSigma * socSigma
    p01 = 0
    p02 = 0
    // RC voltages are unknown up to a few mV at start (a 20p group relaxes within minutes).
    p11 = 1e-4
    p12 = 0
    p22 = 1e-4
  }

  public var socSigma: Float { p00.squareRoot() }

  /// Resets to a known SOC with relaxed RC branches (OCV after rest).
  public mutating func reset(soc: Float, socSigma: Float) {
    self = CellKalmanFilter(soc: soc, socSigma: socSigma)
    p11 = 1e-6
    p22 = 1e-6
  }

  /// Time update over `dt_s` with the mean current of the interval and its charge.
  public mutating func predict(
    charge_As: Float, current_A: Float, dt_s: Float, capacity_Ah: Float,
    parameters: CellModelParameters, noise: SOCConfiguration
  ) {
    let a1 = decayFactor(dt_s / parameters.tau1_s)
    let a2 = decayFactor(dt_s / parameters.tau2_s)
    let capacity_As = capacity_Ah * 3600
    soc -= charge_As / capacity_As
    v1_V = a1 * v1_V + parameters.r1_Ohm * (1 - a1) * current_A
    v2_V = a2 * v2_V + parameters.r2_Ohm * (1 - a2) * current_A

    // Current-sensor error (gain and floor) integrates into SOC; the RC states get a small
    // random walk for parameter error.
    let currentSigma = noise.currentNoiseFloor_A + noise.currentNoiseFraction * abs(current_A)
    let socStep = currentSigma * dt_s / capacity_As
    p00 += socStep * socStep + noise.socRandomWalk_per_s * dt_s
    p01 *= a1
    p02 *= a2
    p11 = a1 * a1 * p11 + noise.rcRandomWalk_V2_per_s * dt_s
    p12 *= a1 * a2
    p22 = a2 * a2 * p22 + noise.rcRandomWalk_V2_per_s * dt_s
  }

  /// Measurement update with a terminal voltage. Returns the innovation (V).
  @discardableResult
  public mutating func correct(
    voltage_V: Float, current_A: Float, chemistry: inout CellChemistry,
    parameters: CellModelParameters, measurementNoise_V: Float
  ) -> Float {
    let predicted =
      chemistry.openCircuitVoltage_V(soc: soc) - v1_V - v2_V - parameters.r0_Ohm * current_A
    let innovation = voltage_V - predicted
    let h = chemistry.ocvSlope_V(soc: soc)
    // P·Hᵀ with H = [h, −1, −1].
    let ph0 = p00 * h - p01 - p02
    let ph1 = p01 * h - p11 - p12
    let ph2 = p02 * h - p12 - p22
    let s = h * ph0 - ph1 - ph2 + measurementNoise_V * measurementNoise_V
    guard s > 0 else { return innovation }
    let k0 = ph0 / s
    let k1 = ph1 / s
    let k2 = ph2 / s
    soc = min(max(soc + k0 * innovation, 0), 1)
    v1_V += k1 * innovation
    v2_V += k2 * innovation
    p00 = max(p00 - k0 * ph0, 1e-10)
    p01 -= k0 * ph1
    p02 -= k0 * ph2
    p11 = max(p11 - k1 * ph1, 1e-12)
    p12 -= k1 * ph2
    p22 = max(p22 - k2 * ph2, 1e-12)
    return innovation
  }
}

/// Tuning of the SOC estimation.
public struct SOCConfiguration: Sendable {
  /// 1σ error of the voltage model plus measurement (2RC fit residual ≈ 2 mV, AFE ≈ 1 mV,
  /// unmodelled hysteresis).
  public var measurementNoise_V: Float
  /// Added to the voltage 1σ per ampere: the model's error (resistance ageing, temperature)
  /// grows with current, so high-current samples are trusted less than near-rest ones.
  public var measurementNoisePerAmpere_V: Float
  public var currentNoiseFraction: Float
  public var currentNoiseFloor_A: Float
  public var socRandomWalk_per_s: Float
  public var rcRandomWalk_V2_per_s: Float
  /// Rest: |I| below `restCurrent_A` for `restTime_ms`; then the OCV table resets the SOC.
  public var restCurrent_A: Float
  public var restTime_ms: UInt32
  /// 1σ of an OCV reading after rest (relaxation remainder, hysteresis, sensor).
  public var restVoltageSigma_V: Float
  public var initialSOCSigma: Float

  public init(
    measurementNoise_V: Float, measurementNoisePerAmpere_V: Float, currentNoiseFraction: Float,
    currentNoiseFloor_A: Float,
    socRandomWalk_per_s: Float, rcRandomWalk_V2_per_s: Float, restCurrent_A: Float,
    restTime_ms: UInt32, restVoltageSigma_V: Float, initialSOCSigma: Float
  ) {
    self.measurementNoise_V = measurementNoise_V
    self.measurementNoisePerAmpere_V = measurementNoisePerAmpere_V
    self.currentNoiseFraction = currentNoiseFraction
    self.currentNoiseFloor_A = currentNoiseFloor_A
    self.socRandomWalk_per_s = socRandomWalk_per_s
    self.rcRandomWalk_V2_per_s = rcRandomWalk_V2_per_s
    self.restCurrent_A = restCurrent_A
    self.restTime_ms = restTime_ms
    self.restVoltageSigma_V = restVoltageSigma_V
    self.initialSOCSigma = initialSOCSigma
  }

  /// 30 min rest: the slowest fitted RC branch (τ2 ≈ 89 s) has decayed 20τ by then, and the
  /// diffusion tail not in the 2RC model is mostly gone.
  public static let standard = SOCConfiguration(
    measurementNoise_V: 0.005, measurementNoisePerAmpere_V: 0.000_2, currentNoiseFraction: 0.01,
    currentNoiseFloor_A: 0.2,
    socRandomWalk_per_s: 1e-9, rcRandomWalk_V2_per_s: 1e-8, restCurrent_A: 2,
    restTime_ms: 30 * 60_000, restVoltageSigma_V: 0.003, initialSOCSigma: 0.15)
}

public enum SOCMode: UInt8, Sendable {
  /// Voltages plausible: Kalman correction active.
  case kalman = 0
  /// Voltages implausible (open wire, range, pack-sum mismatch): coulomb counting only; the
  /// SOC drifts with the current-sensor error until measurements recover.
  case coulombCountingOnly = 1
}

public struct SOCEstimate: Equatable, Sendable {
  /// Usable pack SOC (0…1): reaches 0 when the lowest cell is empty and 1 when the highest is
  /// full, so the displayed range is the one the pack can actually deliver.
  public var pack: Float
  public var minimumCell: Float
  public var meanCell: Float
  public var maximumCell: Float
  /// 1σ of the mean-cell estimate.
  public var sigma: Float
  public var mode: SOCMode
  /// True on the update where the OCV-after-rest correction was applied.
  public var restCorrected: Bool

  public init(
    pack: Float, minimumCell: Float, meanCell: Float, maximumCell: Float, sigma: Float,
    mode: SOCMode, restCorrected: Bool
  ) {
    self.pack = pack
    self.minimumCell = minimumCell
    self.meanCell = meanCell
    self.maximumCell = maximumCell
    self.sigma = sigma
    self.mode = mode
    self.restCorrected = restCorrected
  }
}

public struct StateOfChargeEstimator: Sendable {
  public var configuration: SOCConfiguration
  /// Capacity used for the SOC integration; follows the SOH capacity estimate.
  public var capacity_Ah: Float
  /// Multiplies the chemistry's resistances; follows the SOH resistance estimate (aged cells
  /// drop more voltage, which an unscaled model would misread as a lower SOC).
  public var resistanceScale: Float
  public private(set) var minimumFilter: CellKalmanFilter
  public private(set) var meanFilter: CellKalmanFilter
  public private(set) var maximumFilter: CellKalmanFilter
  public private(set) var counter: CoulombCounter
  public private(set) var restTime_ms: UInt32
  private var chargeAtLastUpdate_mAms: Int64
  private var timeSinceUpdate_ms: UInt32
  private var restCorrectionDone: Bool

  /// The chemistry is not stored: the owner passes its one copy to `update` (≈ 1.9 KB of
  /// tables that would otherwise be duplicated per user).
  public init(capacity_Ah: Float, configuration: SOCConfiguration, initialSOC: Float) {
    self.configuration = configuration
    self.capacity_Ah = capacity_Ah
    resistanceScale = 1
    let filter = CellKalmanFilter(soc: initialSOC, socSigma: configuration.initialSOCSigma)
    minimumFilter = filter
    meanFilter = filter
    maximumFilter = filter
    counter = CoulombCounter()
    restTime_ms = 0
    chargeAtLastUpdate_mAms = 0
    timeSinceUpdate_ms = 0
    restCorrectionDone = false
  }

  /// Every 1 ms with the raw current sample.
  public mutating func integrateCurrent(
    current_mA: Int32, elapsed_ms: UInt32, contactorsOpen: Bool
  ) {
    counter.integrate(
      current_mA: current_mA, elapsed_ms: elapsed_ms, contactorsOpen: contactorsOpen)
    timeSinceUpdate_ms &+= elapsed_ms
  }

  /// Filter update (every 100 ms) with the latest checked scan; uses the charge integrated
  /// since the previous update.
  public mutating func update(_ m: PackMeasurement, chemistry: inout CellChemistry)
    -> SOCEstimate
  {
    let dt_ms = timeSinceUpdate_ms
    timeSinceUpdate_ms = 0
    let charge_mAms = counter.netDischarge_mAms - chargeAtLastUpdate_mAms
    chargeAtLastUpdate_mAms = counter.netDischarge_mAms
    let dt_s = float(dt_ms) / 1000
    let charge_As = float(charge_mAms) / 1_000_000
    let meanCurrent_A = dt_ms > 0 ? charge_As / dt_s : 0
    let plausible = m.isPlausibleForEstimation

    if dt_ms > 0 {
      StateOfChargeEstimator.predict(
        &minimumFilter, charge_As, meanCurrent_A, dt_s, capacity_Ah, resistanceScale, &chemistry,
        configuration)
      StateOfChargeEstimator.predict(
        &meanFilter, charge_As, meanCurrent_A, dt_s, capacity_Ah, resistanceScale, &chemistry,
        configuration)
      StateOfChargeEstimator.predict(
        &maximumFilter, charge_As, meanCurrent_A, dt_s, capacity_Ah, resistanceScale, &chemistry,
        configuration)
    }

    if abs(meanCurrent_A) < configuration.restCurrent_A {
      restTime_ms = min(restTime_ms &+ dt_ms, UInt32.max / 2)
    } else {
      restTime_ms = 0
      restCorrectionDone = false
    }

    var restCorrected = false
    if plausible {
      if restTime_ms >= configuration.restTime_ms && !restCorrectionDone {
        let sigma_V = configuration.restVoltageSigma_V
        StateOfChargeEstimator.resetFromOCV(&minimumFilter, m.minCell_V, &chemistry, sigma_V)
        StateOfChargeEstimator.resetFromOCV(&meanFilter, m.meanCell_V, &chemistry, sigma_V)
        StateOfChargeEstimator.resetFromOCV(&maximumFilter, m.maxCell_V, &chemistry, sigma_V)
        restCorrectionDone = true
        restCorrected = true
      } else {
        let current_A = m.current_A
        let noise_V =
          configuration.measurementNoise_V
          + configuration.measurementNoisePerAmpere_V * abs(current_A)
        let scale = resistanceScale
        StateOfChargeEstimator.correct(
          &minimumFilter, m.minCell_V, current_A, scale, &chemistry, noise_V)
        StateOfChargeEstimator.correct(
          &meanFilter, m.meanCell_V, current_A, scale, &chemistry, noise_V)
        StateOfChargeEstimator.correct(
          &maximumFilter, m.maxCell_V, current_A, scale, &chemistry, noise_V)
      }
    }
    return estimate(mode: plausible ? .kalman : .coulombCountingOnly, restCorrected: restCorrected)
  }

  /// Sets every filter to `soc` (e.g. restored from non-volatile memory at start-up).
  public mutating func restore(soc: Float, sigma: Float) {
    minimumFilter = CellKalmanFilter(soc: soc, socSigma: sigma)
    meanFilter = minimumFilter
    maximumFilter = minimumFilter
  }

  private func estimate(mode: SOCMode, restCorrected: Bool) -> SOCEstimate {
    let low = minimumFilter.soc
    let high = max(maximumFilter.soc, low)
    let span = low + (1 - high)
    let pack = span > 1e-6 ? min(max(low / span, 0), 1) : meanFilter.soc
    return SOCEstimate(
      pack: pack, minimumCell: low, meanCell: meanFilter.soc, maximumCell: high,
      sigma: meanFilter.socSigma, mode: mode, restCorrected: restCorrected)
  }

  private static func predict(
    _ filter: inout CellKalmanFilter, _ charge_As: Float, _ current_A: Float, _ dt_s: Float,
    _ capacity_Ah: Float, _ resistanceScale: Float, _ chemistry: inout CellChemistry,
    _ configuration: SOCConfiguration
  ) {
    filter.predict(
      charge_As: charge_As, current_A: current_A, dt_s: dt_s, capacity_Ah: capacity_Ah,
      parameters: scaled(chemistry.modelParameters(soc: filter.soc), resistanceScale),
      noise: configuration)
  }

  private static func correct(
    _ filter: inout CellKalmanFilter, _ voltage_V: Float, _ current_A: Float,
    _ resistanceScale: Float, _ chemistry: inout CellChemistry, _ noise_V: Float
  ) {
    filter.correct(
      voltage_V: voltage_V, current_A: current_A, chemistry: &chemistry,
      parameters: scaled(chemistry.modelParameters(soc: filter.soc), resistanceScale),
      measurementNoise_V: noise_V)
  }

  private static func scaled(_ p: CellModelParameters, _ scale: Float) -> CellModelParameters {
    CellModelParameters(
      r0_Ohm: p.r0_Ohm * scale, r1_Ohm: p.r1_Ohm * scale, r2_Ohm: p.r2_Ohm * scale,
      tau1_s: p.tau1_s, tau2_s: p.tau2_s)
  }

  private static func resetFromOCV(
    _ filter: inout CellKalmanFilter, _ voltage_V: Float, _ chemistry: inout CellChemistry,
    _ sigma_V: Float
  ) {
    let soc = chemistry.stateOfCharge(openCircuitVoltage_V: voltage_V)
    // The SOC error of an OCV reading is the voltage error over the local slope: large on the
    // flat plateaus, small on the steep ends.
    let slope = max(chemistry.ocvSlope_V(soc: soc), 0.05)
    filter.reset(soc: soc, socSigma: sigma_V / slope)
  }
}
