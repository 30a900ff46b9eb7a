/// Electrical and mechanical parameters of an interior permanent-magnet synchronous motor in the
/// rotor (dq) frame, amplitude-invariant convention (peak phase quantities).
public struct MotorParameters: Sendable {
  public var polePairs: UInt16
  public var statorResistance_ohm: Float
  public var inductanceD_H: Float
  public var inductanceQ_H: Float
  /// Permanent-magnet flux linkage (peak, per phase).
  public var fluxLinkage_Wb: Float
  public var rotorInertia_kgm2: Float

  public init(
    polePairs: UInt16, statorResistance_ohm: Float, inductanceD_H: Float, inductanceQ_H: Float,
    fluxLinkage_Wb: Float, rotorInertia_kgm2: Float
  ) {
    self.polePairs = polePairs
    self.statorResistance_ohm = statorResistance_ohm
    self.inductanceD_H = inductanceD_H
    self.inductanceQ_H = inductanceQ_H
    self.fluxLinkage_Wb = fluxLinkage_Wb
    self.rotorInertia_kgm2 = rotorInertia_kgm2
  }

  /// The reference e-axle motor shared by firmware calibration and the plant models.
  public static var referenceEAxle: MotorParameters {
    MotorParameters(
      polePairs: 4, statorResistance_ohm: 0.010, inductanceD_H: 0.20e-3, inductanceQ_H: 0.45e-3,
      fluxLinkage_Wb: 0.065, rotorInertia_kgm2: 0.05)
  }

  /// Air-gap torque T = 3/2 · p · (ψ·iq + (Ld − Lq)·id·iq).
  @inlinable
  public func torque_Nm(id_A: Float, iq_A: Float) -> Float {
    1.5 * Float(Int(polePairs)) * iq_A * (fluxLinkage_Wb + (inductanceD_H - inductanceQ_H) * id_A)
  }
}
