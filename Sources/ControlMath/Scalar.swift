// Small helpers that stay on the FPU: with -fno-math-errno `squareRoot()` is one vsqrt.f32,
// and division is one vdiv.f32, so there is no reciprocal or square-root approximation here.

/// `value` limited to [lower, upper]. NaN passes through, so a fault upstream stays visible.
/// If `lower > upper`, the result is `upper`.
@inlinable @inline(__always)
public func clamp(_ value: Float, lower: Float, upper: Float) -> Float {
  var v = value
  if v < lower { v = lower }
  if v > upper { v = upper }
  return v
}

/// Length of the vector (x, y), e.g. the current or voltage vector in the dq frame.
///
/// No scaling against overflow: components below about 1.8e19 are safe, far above any
/// physical quantity the firmware carries.
@inlinable @inline(__always)
public func magnitude(x: Float, y: Float) -> Float {
  (x * x + y * y).squareRoot()
}
