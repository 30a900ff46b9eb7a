import ControlMath

/// State of health: capacity from charge throughput between well-known SOC points, internal
/// resistance from current steps, both as a percentage of the chemistry's nominal values.

public struct SOHConfiguration: Sendable {
  /// Two SOC points closer than this give no capacity sample: the SOC error would dominate.
  public var minimumDeltaSOC: Float
  /// SOC points less certain than this (1σ) are not used as anchors.
  public var maximumAnchorSigma: Float
  /// Weight of the prior (nominal or restored) capacity, in the same unit as a sample weight
  /// (ΔSOC² / (σa² + σb²)). 100 ≙ a 10 % prior uncertainty.
  public var priorWeight: Float
  /// Cap on the accumulated weight, so old samples fade and ageing stays visible.
  public var maximumWeight: Float
  /// Current change between two scans that counts as a step for the ΔV/ΔI estimate (0.2 C).
  public var minimumCurrentStep_A: Float
  /// Low-pass factor per accepted step for the resistance ratio.
  public var resistanceFilterAlpha: Float

  public init(
    minimumDeltaSOC: Float, maximumAnchorSigma: Float, priorWeight: Float, maximumWeight: Float,
    minimumCurrentStep_A: Float, resistanceFilterAlpha: Float
  ) {
    self.minimumDeltaSOC = minimumDeltaSOC
    self.maximumAnchorSigma = maximumAnchorSigma
    self.priorWeight = priorWeight
    self.maximumWeight = maximumWeight
    self.minimumCurrentStep_A = minimumCurrentStep_A
    self.resistanceFilterAlpha = resistanceFilterAlpha
  }

  public static let standard = SOHConfiguration(
    minimumDeltaSOC: 0.3, maximumAnchorSigma: 0.02, priorWeight: 100, maximumWeight: 20_000,
    minimumCurrentStep_A: 20, resistanceFilterAlpha: 0.05)
}

public struct StateOfHealthEstimator: Sendable {
  public let nominalCapacity_Ah: Float
  public var configuration: SOHConfiguration
  public private(set) var capacity_Ah: Float
  /// Accumulated confidence of `capacity_Ah`.
  public private(set) var capacityWeight: Float
  /// Measured R0 over the chemistry's R0 at the same SOC (1 = new).
  public private(set) var resistanceRatio: Float
  public private(set) var capacitySampleCount: UInt32
  public private(set) var resistanceSampleCount: UInt32
  private var anchorSOC: Float
  private var anchorSigma: Float
  private var anchorCharge_mAms: Int64
  private var hasAnchor: Bool
  private var resistanceFilter: LowPassFilter
  private var previousVoltage_V: Float
  private var previousCurrent_A: Float
  private var hasPrevious: Bool

  public init(
    nominalCapacity_Ah: Float, configuration: SOHConfiguration, capacity_Ah: Float? = nil,
    resistanceRatio: Float = 1
  ) {
    self.nominalCapacity_Ah = nominalCapacity_Ah
    self.configuration = configuration
    self.capacity_Ah = capacity_Ah ?? nominalCapacity_Ah
    capacityWeight = configuration.priorWeight
    self.resistanceRatio = resistanceRatio
    capacitySampleCount = 0
    resistanceSampleCount = 0
    anchorSOC = 0
    anchorSigma = 1
    anchorCharge_mAms = 0
    hasAnchor = false
    resistanceFilter = LowPassFilter(
      alpha: configuration.resistanceFilterAlpha, initialOutput: resistanceRatio)
    previousVoltage_V = 0
    previousCurrent_A = 0
    hasPrevious = false
  }

  /// Capacity as % of nominal.
  public var capacityPercent: Float { capacity_Ah / nominalCapacity_Ah * 100 }
  /// Internal resistance as % of nominal (100 % new; end of life is typically 200 %).
  public var resistancePercent: Float { resistanceRatio * 100 }

  /// Offers a well-known SOC point (e.g. the OCV after rest) with its 1σ and the coulomb
  /// counter's net discharge at that moment. Returns true when it produced a capacity sample.
  ///
  /// Each sample ΔAh/ΔSOC is weighted by ΔSOC² / (σa² + σb²), the inverse of its relative
  /// variance, so a long swing between steep parts of the OCV curve counts most.
  @discardableResult
  public mutating func observeSOCPoint(soc: Float, sigma: Float, netDischarge_mAms: Int64)
    -> Bool
  {
    guard sigma <= configuration.maximumAnchorSigma else { return false }
    defer {
      anchorSOC = soc
      anchorSigma = sigma
      anchorCharge_mAms = netDischarge_mAms
      hasAnchor = true
    }
    guard hasAnchor else { return false }
    let deltaSOC = anchorSOC - soc
    guard abs(deltaSOC) >= configuration.minimumDeltaSOC else { return false }
    let deltaAh = CoulombCounter.ampereHours(netDischarge_mAms - anchorCharge_mAms)
    let sample = deltaAh / deltaSOC
    // Outside 50…120 % of nominal is a measurement problem, not ageing.
    guard sample > 0.5 * nominalCapacity_Ah && sample < 1.2 * nominalCapacity_Ah else {
      return false
    }
    let variance = max(anchorSigma * anchorSigma + sigma * sigma, 1e-8)
    let weight = deltaSOC * deltaSOC / variance
    capacity_Ah = (capacityWeight * capacity_Ah + weight * sample) / (capacityWeight + weight)
    capacityWeight = min(capacityWeight + weight, configuration.maximumWeight)
    capacitySampleCount &+= 1
    return true
  }

  /// Every scan: mean cell voltage, pack current (positive = discharge) and the nominal R0 at
  /// the present SOC. A step of at least `minimumCurrentStep_A` within one 10 ms scan moves
  /// only the ohmic part (the fastest RC branch has τ ≈ 3 s), so −ΔV/ΔI ≈ R0.
  public mutating func observeScan(meanCell_V: Float, current_A: Float, nominalR0_Ohm: Float) {
    defer {
      previousVoltage_V = meanCell_V
      previousCurrent_A = current_A
      hasPrevious = true
    }
    guard hasPrevious, nominalR0_Ohm > 0 else { return }
    let deltaI = current_A - previousCurrent_A
    guard abs(deltaI) >= configuration.minimumCurrentStep_A else { return }
    let r = -(meanCell_V - previousVoltage_V) / deltaI
    let ratio = r / nominalR0_Ohm
    // Quantisation (1 mV over a 20 A step is 0.05 mΩ, 4 % of R0) is averaged by the filter;
    // ratios outside 0.5…4 are sensor glitches.
    guard ratio > 0.5 && ratio < 4 else { return }
    resistanceRatio = resistanceFilter.step(ratio)
    resistanceSampleCount &+= 1
  }
}
