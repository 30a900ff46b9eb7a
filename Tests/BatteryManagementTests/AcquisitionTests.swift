import Platform
import Testing

@testable import BatteryManagement

/// A scan of the reference pack: every cell at `cell_mV`, every sensor at `temperature_dC`.
func referenceScan(cell_mV: UInt16 = 3_700, temperature_dC: Int16 = 250) -> CellScan {
  var scan = CellScan()
  for i in 0..<96 { scan.cellVoltage_mV[i] = cell_mV }
  for i in 0..<32 { scan.temperature_dC[i] = temperature_dC }
  return scan
}

func packSample(
  current_mA: Int32 = 0, pack_dV: UInt16 = 3_552, link_dV: UInt16 = 0,
  feedback: ContactorSet = .allOpen
) -> PackSample {
  PackSample(
    current_mA: current_mA, packVoltage_dV: pack_dV, linkVoltage_dV: link_dV, feedback: feedback)
}

func referenceCheck() throws -> AcquisitionCheck {
  AcquisitionCheck(pack: try PackDescription.reference(), limits: .standard)
}

@Suite("Acquisition and plausibility")
struct AcquisitionTests {
  @Test("a healthy scan gives min/max/mean in volts and is plausible")
  func healthyScan() throws {
    var check = try referenceCheck()
    var scan = referenceScan()
    scan.cellVoltage_mV[10] = 3_650
    scan.cellVoltage_mV[20] = 3_760
    scan.temperature_dC[3] = 312
    let m = check.evaluate(scan, packSample(current_mA: -12_345, pack_dV: 3_552))
    #expect(m.minCell_V == 3.65 && m.minCellIndex == 10)
    #expect(m.maxCell_V == 3.76 && m.maxCellIndex == 20)
    #expect(abs(m.meanCell_V - (3.7 * 94 + 3.65 + 3.76) / 96) < 1e-5)
    #expect(m.maxTemperature_C == 31.2 && m.minTemperature_C == 25)
    #expect(m.current_A == -12.345)
    #expect(m.validCellCount == 96 && m.faults.isEmpty && m.isPlausibleForEstimation)
  }

  @Test("an open wire above cell n excludes cells n and n+1 and blocks precharge")
  func openWireExcludesBothCells() throws {
    var check = try referenceCheck()
    var scan = referenceScan()
    scan.openWire[40] = true
    scan.cellVoltage_mV[40] = 4_600  // reads high …
    scan.cellVoltage_mV[41] = 2_800  // … and its neighbour low
    let m = check.evaluate(scan, packSample())
    #expect(!m.isCellValid(40) && !m.isCellValid(41) && m.isCellValid(39) && m.isCellValid(42))
    #expect(m.maxCell_V == 3.7 && m.minCell_V == 3.7)
    #expect(m.openWireCount == 1 && m.faults.contains(.openWire))
    #expect(!m.allowsPrecharge && !m.isPlausibleForEstimation)
  }

  @Test("a cell outside 1.0…5.0 V is a sensor fault, not a cell voltage")
  func rangeCheck() throws {
    var check = try referenceCheck()
    var scan = referenceScan()
    scan.cellVoltage_mV[7] = 5_001
    scan.cellVoltage_mV[8] = 999
    let m = check.evaluate(scan, packSample())
    #expect(!m.isCellValid(7) && !m.isCellValid(8))
    #expect(m.maxCell_V == 3.7 && m.minCell_V == 3.7)
    #expect(m.implausibleCellCount == 2 && m.faults.contains(.cellVoltageRange))
  }

  @Test("a cell step above 500 mV between scans is rejected, 500 mV is accepted")
  func rateCheck() throws {
    var check = try referenceCheck()
    _ = check.evaluate(referenceScan(), packSample())
    var scan = referenceScan()
    scan.cellVoltage_mV[3] = 3_700 + 500
    scan.cellVoltage_mV[4] = 3_700 - 501
    let m = check.evaluate(scan, packSample())
    #expect(m.isCellValid(3) && !m.isCellValid(4))
    #expect(m.faults.contains(.cellVoltageRate) && m.implausibleCellCount == 1)
  }

  @Test("a temperature step above 5 °C per scan or outside −40…125 °C is dropped")
  func temperatureChecks() throws {
    var check = try referenceCheck()
    _ = check.evaluate(referenceScan(), packSample())
    var scan = referenceScan()
    scan.temperature_dC[0] = 250 + 51
    scan.temperature_dC[1] = 1_251
    scan.temperature_dC[2] = 250 + 50
    let m = check.evaluate(scan, packSample())
    #expect(m.faults.contains(.temperatureRate) && m.faults.contains(.temperatureRange))
    #expect(m.maxTemperature_C == 30)
  }

  @Test("sum of cells vs pack voltage: 3 V + 2 % tolerance")
  func sumCheck() throws {
    var check = try referenceCheck()
    // Sum = 355.2 V; tolerance at 355.2 V ≈ 3 + 7.1 = 10.1 V.
    let ok = check.evaluate(referenceScan(), packSample(pack_dV: 3_552 - 95))
    #expect(!ok.faults.contains(.packVoltageMismatch))
    let bad = check.evaluate(referenceScan(), packSample(pack_dV: 3_552 - 110))
    #expect(bad.faults.contains(.packVoltageMismatch) && !bad.isPlausibleForEstimation)
  }

  @Test("a pack description beyond the ECU's storage is rejected")
  func packDescriptionLimits() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    #expect(throws: PackDescriptionError.tooManyCells) {
      try PackDescription(
        cellsPerModule: 14, temperatureSensorsPerModule: 4, modulesPerPack: 7 + 1,
        chemistry: chemistry)
    }
    #expect(throws: PackDescriptionError.tooManyTemperatureSensors) {
      try PackDescription(
        cellsPerModule: 12, temperatureSensorsPerModule: 5, modulesPerPack: 8,
        chemistry: chemistry)
    }
    let pack = try PackDescription.reference()
    #expect(pack.cellCount == 96 && pack.temperatureSensorCount == 32)
  }

  @Test("LG M50 20p: 100 Ah, OCV 2.5…4.2 V, R0 = single-cell fit ÷ 20")
  func lgM50Tables() throws {
    var chemistry = try CellChemistry.lgM50Group20p()
    #expect(chemistry.capacity_Ah == 100)
    #expect(chemistry.openCircuitVoltage_V(soc: 0) == 2.5)
    #expect(chemistry.openCircuitVoltage_V(soc: 1) == 4.2)
    #expect(abs(chemistry.openCircuitVoltage_V(soc: 0.505) - (3.7509 + 3.7606) / 2) < 1e-5)
    // Chen2020 2RC fit at 50 %: R0 = 24.11 mΩ per cell.
    #expect(abs(chemistry.modelParameters(soc: 0.5).r0_Ohm - 0.024_11 / 20) < 1e-7)
    #expect(abs(chemistry.stateOfCharge(openCircuitVoltage_V: 3.7509) - 0.5) < 1e-5)
  }

  @Test("a chemistry whose OCV does not rise strictly is rejected")
  func nonMonotonicOCVRejected() {
    var ocv: [101 of Float] = .init(repeating: 0)
    for i in 0..<101 { ocv[i] = 3 + Float(i) / 100 }
    ocv[50] = ocv[49]
    #expect(throws: PackDescriptionError.self) {
      try CellChemistry(
        capacity_Ah: 100, ocv_V: ocv, rcSOC: [0.1, 0.3, 0.5, 0.7, 0.9],
        r0_Ohm: .init(repeating: 0.001), r1_Ohm: .init(repeating: 0.001),
        r2_Ohm: .init(repeating: 0.001), tau1_s: .init(repeating: 1),
        tau2_s: .init(repeating: 10), limits: .lgM50)
    }
  }
}
