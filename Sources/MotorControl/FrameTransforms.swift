import ControlMath

/// Stator-frame (αβ) quantity, amplitude-invariant: |αβ| equals the phase peak.
public struct AlphaBeta: Equatable, Sendable {
  public var alpha: Float
  public var beta: Float

  public init(alpha: Float, beta: Float) {
    self.alpha = alpha
    self.beta = beta
  }
}

/// Rotor-frame (dq) quantity: d along the magnet flux, q leading it by 90° electrical.
public struct DirectQuadrature: Equatable, Sendable {
  public var d: Float
  public var q: Float

  public init(d: Float, q: Float) {
    self.d = d
    self.q = q
  }
}

/// The three phase duty cycles of one PWM period, each in [0, 1].
public struct PhaseDuties: Equatable, Sendable {
  public var a: Float
  public var b: Float
  public var c: Float

  public init(a: Float, b: Float, c: Float) {
    self.a = a
    self.b = b
    self.c = c
  }
}

/// Clarke, Park and their inverses, and space-vector modulation: the equations of the current
/// loop, each a few multiplies, inlined into the step.
public enum FrameTransform {
  public static let sqrt3: Float = 1.732_050_8
  public static let inverseSqrt3: Float = 0.577_350_26

  /// Clarke transform for a star winding without neutral (ia + ib + ic = 0): only two phases
  /// are measured.
  @inlinable @inline(__always)
  public static func clarke(a: Float, b: Float) -> AlphaBeta {
    AlphaBeta(alpha: a, beta: (a + 2 * b) * inverseSqrt3)
  }

  /// Inverse Clarke: phase quantities from αβ.
  @inlinable @inline(__always)
  public static func inverseClarke(_ v: AlphaBeta) -> (a: Float, b: Float, c: Float) {
    let half = -0.5 * v.alpha
    let root = 0.5 * sqrt3 * v.beta
    return (v.alpha, half + root, half - root)
  }

  /// Park transform with the electrical angle given as its sine and cosine.
  @inlinable @inline(__always)
  public static func park(_ x: AlphaBeta, sin s: Float, cos c: Float) -> DirectQuadrature {
    DirectQuadrature(d: c * x.alpha + s * x.beta, q: c * x.beta - s * x.alpha)
  }

  @inlinable @inline(__always)
  public static func inversePark(_ x: DirectQuadrature, sin s: Float, cos c: Float) -> AlphaBeta {
    AlphaBeta(alpha: c * x.d - s * x.q, beta: s * x.d + c * x.q)
  }

  /// Space-vector modulation by min/max zero-sequence injection: centring the three phase
  /// voltages between the rails gives the same switching pattern as classic sector-based SVM and
  /// a linear range up to |v| = Vdc/√3 (15 % more than sine PWM). For |v| ≤ Vdc/√3 the duties
  /// lie in [0, 1] without clamping (the span max − min of the phase voltages is at most √3·|v|);
  /// the current loop keeps the voltage inside that circle, so no clamp is spent here.
  ///
  /// The centring ignores any voltage common to the three phases, so the phases are taken
  /// shifted by α/2: x = 1.5·α for phase a and ±r, r = (√3/2)·β, for phases b and c (see
  /// `spaceVectorDuties(threeHalvesPerUnit:)`).
  @inlinable @inline(__always)
  public static func spaceVectorDuties(_ v: AlphaBeta, inverseDCLink_1_V: Float) -> PhaseDuties {
    let scale = 1.5 * inverseDCLink_1_V
    return spaceVectorDuties(
      threeHalvesPerUnit: AlphaBeta(alpha: v.alpha * scale, beta: v.beta * scale))
  }

  /// `spaceVectorDuties(_:inverseDCLink_1_V:)` of 1.5 × the voltage divided by the link voltage,
  /// for a caller that folds that factor into a scaling of its own.
  ///
  /// Phase a shifted by α/2 is x = 1.5·α, phases b and c are ±r, r = (√3/2)·β. The median of
  /// (x, r, −r) is x limited to ±|r|: one clamp instead of a median of three, written
  /// (|x + |r|| − |x − |r||)/2 without a compare (the M4F has no float min/max, and each
  /// compare-and-select costs four instructions); its rounding is that of |x| + |r| ≤ 2, below
  /// 3e-7. Each duty is its shifted phase plus the common 0.5 + (median − x)/2.
  @inlinable @inline(__always)
  public static func spaceVectorDuties(threeHalvesPerUnit v: AlphaBeta) -> PhaseDuties {
    let x = v.alpha
    let r = inverseSqrt3 * v.beta
    let limit = r.magnitude
    let twiceMedian = (x + limit).magnitude - (x - limit).magnitude
    let common = 0.5 + 0.25 * twiceMedian - 0.5 * x
    return PhaseDuties(a: common + x, b: common + r, c: common - r)
  }
}
