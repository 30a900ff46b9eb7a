@testable import BatteryManagement

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// SplitMix64: a seeded generator, so every run sees the same noise.
struct SeededGenerator {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1).
  mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

  /// Standard normal (Box–Muller).
  mutating func gaussian() -> Double {
    let u1 = max(uniform(), 1e-300)
    let u2 = uniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

/// Linear interpolation in Double, ends held.
func interpolate(_ x: Double, _ xs: [Double], _ ys: [Double]) -> Double {
  if x <= xs[0] { return ys[0] }
  if x >= xs[xs.count - 1] { return ys[ys.count - 1] }
  var i = 0
  while x > xs[i + 1] { i += 1 }
  let t = (x - xs[i]) / (xs[i + 1] - xs[i])
  return ys[i] + t * (ys[i + 1] - ys[i])
}

/// The reference cell as a Double-precision 2RC plant (exact exponential discretisation), built
/// from the chemistry tables (the same data the firmware uses, evaluated independently).
struct CellPlant {
  var ocvSOC: [Double] = []
  var ocvV: [Double] = []
  var rcSOC: [Double] = []
  var r0: [Double] = []
  var r1: [Double] = []
  var r2: [Double] = []
  var tau1: [Double] = []
  var tau2: [Double] = []
  var capacity_Ah: Double
  var soc: Double
  var v1 = 0.0
  var v2 = 0.0
  /// Multiplies every resistance (ageing).
  var resistanceScale = 1.0

  init(chemistry: CellChemistry, soc: Double, capacity_Ah: Double) {
    for i in 0..<101 {
      ocvSOC.append(Double(Float(i) / 100))
      ocvV.append(Double(chemistry.ocv_V[i]))
    }
    for i in 0..<5 {
      rcSOC.append(Double(chemistry.rcSOC[i]))
      r0.append(Double(chemistry.r0_Ohm[i]))
      r1.append(Double(chemistry.r1_Ohm[i]))
      r2.append(Double(chemistry.r2_Ohm[i]))
      tau1.append(Double(chemistry.tau1_s[i]))
      tau2.append(Double(chemistry.tau2_s[i]))
    }
    self.capacity_Ah = capacity_Ah
    self.soc = soc
  }

  func ocv(_ s: Double) -> Double { interpolate(s, ocvSOC, ocvV) }

  func resistance0() -> Double { interpolate(soc, rcSOC, r0) * resistanceScale }

  /// Advances by `dt_s` at constant current (positive = discharge).
  mutating func step(current_A: Double, dt_s: Double) {
    let t1 = interpolate(soc, rcSOC, tau1)
    let t2 = interpolate(soc, rcSOC, tau2)
    let a1 = exp(-dt_s / t1)
    let a2 = exp(-dt_s / t2)
    v1 = a1 * v1 + interpolate(soc, rcSOC, r1) * resistanceScale * (1 - a1) * current_A
    v2 = a2 * v2 + interpolate(soc, rcSOC, r2) * resistanceScale * (1 - a2) * current_A
    soc -= current_A * dt_s / (capacity_Ah * 3600)
  }

  func terminalVoltage(current_A: Double) -> Double {
    ocv(soc) - v1 - v2 - resistance0() * current_A
  }
}

/// A measurement of identical cells in every position (min = mean = max).
func uniformMeasurement(cell_V: Float, current_A: Float) -> PackMeasurement {
  var m = PackMeasurement()
  m.minCell_V = cell_V
  m.maxCell_V = cell_V
  m.meanCell_V = cell_V
  m.current_A = current_A
  m.validCellCount = 96
  m.minTemperature_C = 25
  m.maxTemperature_C = 25
  m.packVoltage_V = cell_V * 96
  m.sumOfCells_V = cell_V * 96
  return m
}
