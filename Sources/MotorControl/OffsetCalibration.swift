import Platform

/// Zero-current readings of the two phase-current converters, in ADC counts.
public struct CurrentSensorOffsets: Equatable, Sendable {
  public var phaseA_counts: Float
  public var phaseB_counts: Float

  public init(phaseA_counts: Float, phaseB_counts: Float) {
    self.phaseA_counts = phaseA_counts
    self.phaseB_counts = phaseB_counts
  }
}

public enum OffsetCalibrationResult: Equatable, Sendable {
  case inProgress
  case done(CurrentSensorOffsets)
  /// An offset lies further from the nominal zero than the sensor can drift: a broken sensor or
  /// current flowing while the offsets were taken. Using it would bias every current.
  case implausible(CurrentSensorOffsets)
}

/// Start-up current-sensor offset calibration: with PWM off no current flows, so the mean of N
/// samples per phase is the converter's zero.
public struct OffsetCalibrator: Sendable {
  public let settings: OffsetCalibrationSettings
  public let nominalZero_counts: Float
  public private(set) var samplesTaken: UInt16
  // 4095 counts × 65535 samples < 2^31: the sums fit a 32-bit Int.
  private var sumA: Int
  private var sumB: Int

  public init(settings: OffsetCalibrationSettings, nominalZero_counts: Float) {
    self.settings = settings
    self.nominalZero_counts = nominalZero_counts
    samplesTaken = 0
    sumA = 0
    sumB = 0
  }

  /// Adds one sample taken with the power stage off; the result is final once `sampleCount`
  /// samples are in (further samples are ignored).
  public mutating func add(_ sample: InverterSample) -> OffsetCalibrationResult {
    let target = max(settings.sampleCount, 1)
    if samplesTaken < target {
      sumA += Int(sample.phaseCurrentCounts[0] & 0x0FFF)
      sumB += Int(sample.phaseCurrentCounts[1] & 0x0FFF)
      samplesTaken += 1
    }
    guard samplesTaken >= target else { return .inProgress }
    let offsets = CurrentSensorOffsets(
      phaseA_counts: Float(sumA) / Float(Int(target)),
      phaseB_counts: Float(sumB) / Float(Int(target)))
    let limit = settings.maxDeviation_counts
    let plausible =
      (offsets.phaseA_counts - nominalZero_counts).magnitude <= limit
      && (offsets.phaseB_counts - nominalZero_counts).magnitude <= limit
    return plausible ? .done(offsets) : .implausible(offsets)
  }

  public mutating func restart() {
    samplesTaken = 0
    sumA = 0
    sumB = 0
  }
}
