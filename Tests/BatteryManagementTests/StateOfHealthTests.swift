import Testing

@testable import BatteryManagement

@Suite("State of health")
struct StateOfHealthTests {
  /// Two full cycles 95 % → 15 % → 95 % (0.5 C discharge, 0.3 C charge) with 12 min rests, on a
  /// cell that has lost 10 % of its capacity, the estimator seeing the same sensor errors as in
  /// the SOC tests. Rest points (OCV) anchor the capacity samples.
  @Test("capacity within ±3 % of a 10 % faded cell after two cycles")
  func capacityAfterTwoCycles() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    var plant = CellPlant(chemistry: chemistry, soc: 0.95, capacity_Ah: 90)
    var configuration = SOCConfiguration.standard
    configuration.restTime_ms = 10 * 60_000
    var soc = StateOfChargeEstimator(
      capacity_Ah: chemistry.capacity_Ah, configuration: configuration, initialSOC: 0.9)
    var soh = StateOfHealthEstimator(nominalCapacity_Ah: 100, configuration: .standard)
    var random = SeededGenerator(seed: 2024)

    func phase(current_A: Double, until done: (Double) -> Bool, maxSeconds: Int) {
      for _ in 0..<maxSeconds {
        if done(plant.soc) { return }
        plant.step(current_A: current_A, dt_s: 1)
        let measured_mA = Int32(((current_A * 1.005 + 0.02) * 1000).rounded())
        let cell_V = plant.terminalVoltage(current_A: current_A) + 0.002 * random.gaussian()
        soc.integrateCurrent(current_mA: measured_mA, elapsed_ms: 1000, contactorsOpen: false)
        let estimate = soc.update(
          uniformMeasurement(
            cell_V: Float((cell_V * 1000).rounded() / 1000), current_A: Float(measured_mA) / 1000),
          chemistry: &chemistry)
        if estimate.restCorrected {
          let sampled = soh.observeSOCPoint(
            soc: estimate.meanCell, sigma: estimate.sigma,
            netDischarge_mAms: soc.counter.netDischarge_mAms)
          if sampled { soc.capacity_Ah = soh.capacity_Ah }
        }
      }
    }

    phase(current_A: 0, until: { _ in false }, maxSeconds: 720)
    for _ in 0..<2 {
      phase(current_A: 45, until: { $0 <= 0.15 }, maxSeconds: 20_000)
      phase(current_A: 0, until: { _ in false }, maxSeconds: 720)
      phase(current_A: -30, until: { $0 >= 0.95 }, maxSeconds: 20_000)
      phase(current_A: 0, until: { _ in false }, maxSeconds: 720)
    }
    print(
      "SOH capacity", soh.capacity_Ah, "Ah,", soh.capacityPercent, "% after",
      soh.capacitySampleCount, "samples")
    #expect(soh.capacitySampleCount == 4)
    #expect(abs(soh.capacity_Ah - 90) / 90 <= 0.03)
    #expect(abs(soh.capacityPercent - 90) <= 3)
  }

  @Test("two SOC points less than 30 % apart give no capacity sample")
  func minimumDeltaSOC() {
    var soh = StateOfHealthEstimator(nominalCapacity_Ah: 100, configuration: .standard)
    soh.observeSOCPoint(soc: 0.8, sigma: 0.005, netDischarge_mAms: 0)
    let sampled = soh.observeSOCPoint(
      soc: 0.51, sigma: 0.005, netDischarge_mAms: 26 * 3_600_000_000)
    #expect(!sampled && soh.capacity_Ah == 100)
  }

  @Test("an uncertain SOC point (σ > 2 %) is not an anchor")
  func uncertainAnchorIgnored() {
    var soh = StateOfHealthEstimator(nominalCapacity_Ah: 100, configuration: .standard)
    soh.observeSOCPoint(soc: 0.9, sigma: 0.03, netDischarge_mAms: 0)
    let sampled = soh.observeSOCPoint(soc: 0.1, sigma: 0.005, netDischarge_mAms: 72 * 3_600_000_000)
    #expect(!sampled)
  }

  @Test("one precise sample of 80 Ah moves the estimate by its weight against the prior")
  func weightedUpdate() {
    var soh = StateOfHealthEstimator(nominalCapacity_Ah: 100, configuration: .standard)
    soh.observeSOCPoint(soc: 0.9, sigma: 0.01, netDischarge_mAms: 0)
    soh.observeSOCPoint(soc: 0.1, sigma: 0.01, netDischarge_mAms: 64 * 3_600_000_000)
    // Sample 64 Ah / 0.8 = 80 Ah with weight 0.8² / 2e-4 = 3200 against the prior's 100.
    let expected = (100.0 * 100 + 3200 * 80) / 3300
    #expect(abs(Double(soh.capacity_Ah) - expected) < 0.01)
  }

  @Test("resistance from current steps: a cell at 130 % R0 reads 130 ± 5 %")
  func resistanceFromCurrentSteps() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    var plant = CellPlant(chemistry: chemistry, soc: 0.6, capacity_Ah: 100)
    plant.resistanceScale = 1.3
    var soh = StateOfHealthEstimator(nominalCapacity_Ah: 100, configuration: .standard)
    var random = SeededGenerator(seed: 11)
    for step in 0..<30_000 {
      // 10 ms scans, current toggling 0 ↔ 60 A every 2 s.
      let current = (step / 200) % 2 == 0 ? 0.0 : 60.0
      plant.step(current_A: current, dt_s: 0.01)
      let v = plant.terminalVoltage(current_A: current) + 0.001 * random.gaussian()
      soh.observeScan(
        meanCell_V: Float((v * 1000).rounded() / 1000), current_A: Float(current),
        nominalR0_Ohm: chemistry.modelParameters(soc: Float(plant.soc)).r0_Ohm)
    }
    print("SOH resistance", soh.resistancePercent, "% from", soh.resistanceSampleCount, "steps")
    #expect(soh.resistanceSampleCount >= 50)
    #expect(abs(soh.resistancePercent - 130) <= 5)
  }
}
