import Testing

@testable import BatteryManagement

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Result of one closed-loop run of the estimator against the Double-precision plant.
struct SOCRunResult {
  /// Time after which the error stayed within 1 %.
  var convergence_s: Double
  var rmse: Double
  var maxError: Double
  var samples: Int
  var duration_s: Double
}

/// Drives the plant with a random drive profile (segments of 5–40 s: rest, regen up to 60 A,
/// discharge up to 150 A) and runs the estimator on the noisy, biased measurements every 100 ms.
func runDriveProfile(
  initialSOC: Double, estimatorSOC: Float, duration_s: Double, seed: UInt64,
  gainError: Double = 0.005, offset_A: Double = 0.020, voltageNoise_V: Double = 0.002,
  plantCapacity_Ah: Double = 100, plantResistanceScale: Double = 1,
  modelResistanceScale: Float = 1
) throws -> SOCRunResult {
  var chemistry = try CellChemistry.lgM50Group20p()
  var plant = CellPlant(chemistry: chemistry, soc: initialSOC, capacity_Ah: plantCapacity_Ah)
  plant.resistanceScale = plantResistanceScale
  var estimator = StateOfChargeEstimator(
    capacity_Ah: chemistry.capacity_Ah, configuration: .standard, initialSOC: estimatorSOC)
  estimator.resistanceScale = modelResistanceScale
  var random = SeededGenerator(seed: seed)
  let dt = 0.1
  var segmentLeft = 0.0
  var current = 0.0
  var sumSquares = 0.0
  var maxError = 0.0
  var count = 0
  var t = 0.0
  var convergence_s = -1.0
  while t < duration_s {
    if segmentLeft <= 0 {
      segmentLeft = 5 + 35 * random.uniform()
      let kind = random.uniform()
      if kind < 0.2 {
        current = 0
      } else if kind < 0.35 {
        current = -20 - 40 * random.uniform()
      } else {
        current = 10 + 140 * random.uniform()
      }
    }
    plant.step(current_A: current, dt_s: dt)
    t += dt
    segmentLeft -= dt
    let measured_A = current * (1 + gainError) + offset_A
    let measured_mA = Int32((measured_A * 1000).rounded())
    let cell_V = plant.terminalVoltage(current_A: current) + voltageNoise_V * random.gaussian()
    let cell_mV = (cell_V * 1000).rounded()
    estimator.integrateCurrent(current_mA: measured_mA, elapsed_ms: 100, contactorsOpen: false)
    let estimate = estimator.update(
      uniformMeasurement(cell_V: Float(cell_mV / 1000), current_A: Float(measured_mA) / 1000),
      chemistry: &chemistry)
    let error = Double(estimate.meanCell) - plant.soc
    if abs(error) > 0.01 { convergence_s = -1 } else if convergence_s < 0 { convergence_s = t }
    if t >= 300 {
      sumSquares += error * error
      maxError = max(maxError, abs(error))
      count += 1
    }
  }
  return SOCRunResult(
    convergence_s: convergence_s, rmse: (sumSquares / Double(count)).squareRoot(),
    maxError: maxError, samples: count,
    duration_s: t)
}

@Suite("State of charge")
struct StateOfChargeTests {
  @Test("decayFactor matches exp(-x) within 2e-6 relative for x in 0…0.5 and 1e-4 up to 20")
  func decayFactorMatchesLibm() {
    var x = 0.0
    while x <= 20 {
      let expected = exp(-x)
      let got = Double(decayFactor(Float(x)))
      let tolerance = x <= 0.5 ? 2e-6 : 1e-4
      #expect(abs(got - expected) / expected <= tolerance, "x = \(x)")
      x += x < 0.5 ? 0.001 : 0.05
    }
  }

  @Test(
    "EKF from a 10 % wrong SOC: RMSE ≤ 1 % and max ≤ 2 % after 300 s over a 40 min drive",
    arguments: [(0.80, 0.70), (0.60, 0.70), (0.35, 0.25)])
  func ekfConvergesOnDriveProfile(trueSOC: Double, startSOC: Double) throws {
    let result = try runDriveProfile(
      initialSOC: trueSOC, estimatorSOC: Float(startSOC), duration_s: 2400, seed: 42)
    print(
      "EKF true", trueSOC, "start", startSOC, "converged after", result.convergence_s, "s, RMSE",
      result.rmse, "max", result.maxError)
    #expect(result.duration_s >= 1800)
    #expect(result.rmse <= 0.01, "RMSE \(result.rmse)")
    #expect(result.maxError <= 0.02, "max \(result.maxError)")
  }

  @Test(
    "EKF with unmodelled ageing (R ×1.15, capacity −5 %, 5 mV noise): RMSE ≤ 1 %, max ≤ 2 %"
  )
  func ekfToleratesModelMismatch() throws {
    let result = try runDriveProfile(
      initialSOC: 0.75, estimatorSOC: 0.65, duration_s: 2400, seed: 7, voltageNoise_V: 0.005,
      plantCapacity_Ah: 95, plantResistanceScale: 1.15)
    print("EKF R×1.15:", result.convergence_s, "s, RMSE", result.rmse, "max", result.maxError)
    #expect(result.rmse <= 0.01, "RMSE \(result.rmse)")
    #expect(result.maxError <= 0.02, "max \(result.maxError)")
  }

  @Test("EKF on a cell with R ×1.5, given the SOH resistance scale: RMSE ≤ 1 %, max ≤ 2 %")
  func ekfUsesResistanceScaleFromStateOfHealth() throws {
    let result = try runDriveProfile(
      initialSOC: 0.75, estimatorSOC: 0.65, duration_s: 2400, seed: 9, voltageNoise_V: 0.005,
      plantResistanceScale: 1.5, modelResistanceScale: 1.5)
    print("EKF R×1.5 scaled:", result.convergence_s, "s, RMSE", result.rmse, "max", result.maxError)
    #expect(result.rmse <= 0.01, "RMSE \(result.rmse)")
    #expect(result.maxError <= 0.02, "max \(result.maxError)")
  }
}

@Suite("Coulomb counting, rest correction and fallback")
struct CoulombCountingTests {
  @Test("100 A for one hour in 1 ms steps integrates to exactly 100 Ah")
  func integratesExactly() {
    var counter = CoulombCounter()
    for _ in 0..<3_600_000 {
      counter.integrate(current_mA: 100_000, elapsed_ms: 1, contactorsOpen: false)
    }
    #expect(counter.netDischarge_mAms == 100 * 3_600_000_000)
    #expect(CoulombCounter.ampereHours(counter.netDischarge_mAms) == 100)
  }

  @Test("a 300 mA offset learned with open contactors is removed from the integration")
  func offsetLearnedWhileOpen() {
    var counter = CoulombCounter()
    for _ in 0..<120_000 { counter.integrate(current_mA: 300, elapsed_ms: 1, contactorsOpen: true) }
    #expect(abs(counter.offset_mA - 300) < 0.01)
    #expect(counter.netDischarge_mAms == 0)
    for _ in 0..<60_000 { counter.integrate(current_mA: 300, elapsed_ms: 1, contactorsOpen: false) }
    // Without the correction this would be 300 mA × 60 s = 18 000 000 mA·ms.
    #expect(abs(counter.netDischarge_mAms) < 2_000)
  }

  @Test("implausible voltages: coulomb counting only, flagged, voltage ignored")
  func fallbackOnImplausibleMeasurement() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    var estimator = StateOfChargeEstimator(
      capacity_Ah: chemistry.capacity_Ah, configuration: .standard, initialSOC: 0.6)
    var m = uniformMeasurement(cell_V: 3.2, current_A: 50)  // says ≈ 8 % SOC
    m.faults.insert(.openWire)
    m.openWireCount = 1
    var estimate = estimator.update(m, chemistry: &chemistry)
    for _ in 0..<600 {
      estimator.integrateCurrent(current_mA: 50_000, elapsed_ms: 100, contactorsOpen: false)
      estimate = estimator.update(m, chemistry: &chemistry)
    }
    #expect(estimate.mode == .coulombCountingOnly)
    // 50 A for 60 s out of 100 Ah = 0.833 %.
    #expect(abs(Double(estimate.meanCell) - (0.6 - 50.0 * 60 / 360_000)) < 1e-4)
  }

  @Test("after 30 min below 2 A the SOC is reset from the OCV table, once")
  func restCorrection() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    var estimator = StateOfChargeEstimator(
      capacity_Ah: chemistry.capacity_Ah, configuration: .standard, initialSOC: 0.6)
    let ocv = chemistry.openCircuitVoltage_V(soc: 0.42)
    var corrections = 0
    var last = estimator.update(
      uniformMeasurement(cell_V: ocv, current_A: 0), chemistry: &chemistry)
    for _ in 0..<(31 * 60) {
      estimator.integrateCurrent(current_mA: 1_000, elapsed_ms: 1_000, contactorsOpen: false)
      last = estimator.update(uniformMeasurement(cell_V: ocv, current_A: 1), chemistry: &chemistry)
      if last.restCorrected { corrections += 1 }
    }
    #expect(corrections == 1)
    #expect(abs(last.meanCell - 0.42) < 0.002)
    #expect(last.sigma < 0.01)
  }

  @Test("pack SOC is 0 when the lowest cell is empty and 1 when the highest is full")
  func usablePackSOC() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    var estimator = StateOfChargeEstimator(
      capacity_Ah: chemistry.capacity_Ah, configuration: .standard, initialSOC: 0.5)
    var m = uniformMeasurement(cell_V: 3.7, current_A: 0)
    m.minCell_V = chemistry.openCircuitVoltage_V(soc: 0.2)
    m.meanCell_V = chemistry.openCircuitVoltage_V(soc: 0.3)
    m.maxCell_V = chemistry.openCircuitVoltage_V(soc: 0.4)
    var estimate = estimator.update(m, chemistry: &chemistry)
    for _ in 0..<600 {
      estimator.integrateCurrent(current_mA: 0, elapsed_ms: 100, contactorsOpen: false)
      estimate = estimator.update(m, chemistry: &chemistry)
    }
    #expect(abs(estimate.minimumCell - 0.2) < 0.005 && abs(estimate.maximumCell - 0.4) < 0.005)
    // 0.2 / (0.2 + 1 − 0.4) = 0.25.
    #expect(abs(estimate.pack - 0.25) < 0.005)
  }
}

@Suite("Minimum/maximum/mean filters on a pack with spread")
struct CellSpreadTests {
  /// 96 cells: 94 nominal at 70 %, one weak cell (92 Ah) at 64 % and one strong cell at 76 %;
  /// 40 min of the random drive profile. The minimum filter must follow the weak cell, the
  /// maximum filter the strong one, and the pack SOC the usable range between them.
  @Test("min and max filters track the weakest and strongest cell within 1 % RMSE after 300 s")
  func extremeCellsTracked() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    var nominal = CellPlant(chemistry: chemistry, soc: 0.70, capacity_Ah: 100)
    var weak = CellPlant(chemistry: chemistry, soc: 0.64, capacity_Ah: 92)
    var strong = CellPlant(chemistry: chemistry, soc: 0.76, capacity_Ah: 100)
    var estimator = StateOfChargeEstimator(
      capacity_Ah: 100, configuration: .standard, initialSOC: 0.6)
    var random = SeededGenerator(seed: 5)
    var segmentLeft = 0.0
    var current = 0.0
    var squaresMin = 0.0
    var squaresMax = 0.0
    var squaresPack = 0.0
    var count = 0.0
    var t = 0.0
    while t < 2400 {
      if segmentLeft <= 0 {
        segmentLeft = 5 + 35 * random.uniform()
        let kind = random.uniform()
        current =
          kind < 0.2 ? 0 : (kind < 0.35 ? -20 - 40 * random.uniform() : 10 + 140 * random.uniform())
      }
      for i in 0..<3 {
        switch i {
        case 0: nominal.step(current_A: current, dt_s: 0.1)
        case 1: weak.step(current_A: current, dt_s: 0.1)
        default: strong.step(current_A: current, dt_s: 0.1)
        }
      }
      t += 0.1
      segmentLeft -= 0.1
      func measured(_ plant: CellPlant) -> Float {
        let v = plant.terminalVoltage(current_A: current) + 0.002 * random.gaussian()
        return Float((v * 1000).rounded() / 1000)
      }
      let vNominal = measured(nominal)
      var m = uniformMeasurement(cell_V: vNominal, current_A: 0)
      m.minCell_V = measured(weak)
      m.maxCell_V = measured(strong)
      m.meanCell_V = (94 * vNominal + m.minCell_V + m.maxCell_V) / 96
      let measured_mA = Int32(((current * 1.005 + 0.02) * 1000).rounded())
      m.current_A = Float(measured_mA) / 1000
      estimator.integrateCurrent(current_mA: measured_mA, elapsed_ms: 100, contactorsOpen: false)
      let estimate = estimator.update(m, chemistry: &chemistry)
      if t >= 300 {
        let usable = weak.soc / (weak.soc + 1 - strong.soc)
        squaresMin += pow(Double(estimate.minimumCell) - weak.soc, 2)
        squaresMax += pow(Double(estimate.maximumCell) - strong.soc, 2)
        squaresPack += pow(Double(estimate.pack) - usable, 2)
        count += 1
      }
    }
    let rmseMin = (squaresMin / count).squareRoot()
    let rmseMax = (squaresMax / count).squareRoot()
    let rmsePack = (squaresPack / count).squareRoot()
    print("spread: RMSE min", rmseMin, "max", rmseMax, "pack", rmsePack)
    #expect(rmseMin <= 0.01 && rmseMax <= 0.01 && rmsePack <= 0.01)
  }
}
