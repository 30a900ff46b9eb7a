import ControlMath

/// Resolver (mechanical, 65536 counts per turn) to electrical angle, and the calibration of the
/// angle offset between the resolver's zero and the rotor's d axis.
public enum ResolverAngle {
  public static let radiansPerCount: Float = 9.587_379_9e-5  // 2π / 65536

  /// Electrical angle in counts: mechanical × pole pairs − offset, modulo one electrical turn.
  /// The wrap-around of the 16-bit arithmetic is the modulo.
  @inlinable @inline(__always)
  public static func electricalCounts(
    mechanicalCounts: UInt16, polePairs: UInt16, offset_counts: UInt16
  )
    -> UInt16
  {
    (mechanicalCounts &* polePairs) &- offset_counts
  }

  /// Electrical angle in [0, 2π).
  @inlinable @inline(__always)
  public static func electricalAngle_rad(
    mechanicalCounts: UInt16, polePairs: UInt16, offset_counts: UInt16
  ) -> Float {
    // Float(Int(_)): the direct UInt16 conversion is generic over BinaryInteger in Embedded
    // Swift and goes through an allocated word array.
    let counts = electricalCounts(
      mechanicalCounts: mechanicalCounts, polePairs: polePairs, offset_counts: offset_counts)
    return Float(Int(counts)) * radiansPerCount
  }

  /// Offset from an alignment: with a d-axis current injected at electrical angle 0 the rotor
  /// turns until its d axis lies on that angle; the resolver reading there is the offset.
  public static func offset(alignedMechanicalCounts: UInt16, polePairs: UInt16) -> UInt16 {
    alignedMechanicalCounts &* polePairs
  }

  /// Offset correction from a spin at zero current: the voltage is then all back-EMF on the
  /// true q axis, so an angle error δ shows as vd = ω·ψ·sin δ, vq = ω·ψ·cos δ in the
  /// controller's frame. Returns the corrected offset (δ added, in counts).
  public static func correctedOffset(
    _ offset_counts: UInt16, voltageD_V: Float, voltageQ_V: Float, electricalSpeed_rad_s: Float
  ) -> UInt16 {
    let sign: Float = electricalSpeed_rad_s < 0 ? -1 : 1
    let delta = atan2(y: sign * voltageD_V, x: sign * voltageQ_V)
    // |δ| ≤ π: at most half a turn of counts, well inside `roundToInt32`'s exact range; the
    // 16-bit wrap of a negative count is the modulo one turn.
    let counts = UInt16(truncatingIfNeeded: CurrentLoop.roundToInt32(delta / radiansPerCount))
    return offset_counts &+ counts
  }
}
