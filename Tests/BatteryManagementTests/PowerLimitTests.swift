import Testing

@testable import BatteryManagement

func socEstimate(_ soc: Float) -> SOCEstimate {
  SOCEstimate(
    pack: soc, minimumCell: soc, meanCell: soc, maximumCell: soc, sigma: 0.01, mode: .kalman,
    restCorrected: false)
}

func limits(
  temperature_C: Float = 25, soc: Float = 0.5, minCell_V: Float = 3.7, maxCell_V: Float = 3.7,
  protection: ProtectionStatus = ProtectionStatus()
) throws -> PowerLimits {
  var configuration = try PowerLimitConfiguration.standard(for: .lgM50)
  var m = normalMeasurement(current_A: 0)
  m.minTemperature_C = temperature_C
  m.maxTemperature_C = temperature_C
  m.minCell_V = minCell_V
  m.maxCell_V = maxCell_V
  return configuration.limits(
    measurement: m, soc: socEstimate(soc), protection: protection,
    packOpenCircuitVoltage_V: 355, packResistance_Ohm: 0.12)
}

@Suite("Power limits (state of function)")
struct PowerLimitTests {
  @Test("at 25 °C, 50 % SOC, 3.7 V: the full 70 A charge and 145 A discharge")
  func nominalLimits() throws {
    let l = try limits()
    #expect(l.chargeCurrent_A == 70 && l.dischargeCurrent_A == 145)
    // Power at the terminal voltage the limit current produces (R = 0.12 Ω).
    #expect(abs(l.chargePower_W - 70 * (355 + 70 * 0.12)) < 1)
    #expect(abs(l.dischargePower_W - 145 * (355 - 145 * 0.12)) < 1)
  }

  @Test(
    "charge current over temperature: 0 at 0 °C, half at 5 °C, full 10…35 °C, 0 at 45 °C",
    arguments: [(-5, 0), (0, 0), (5, 35), (10, 70), (35, 70), (40, 35), (45, 0)] as [(Float, Float)]
  )
  func chargeTemperatureTrapezoid(temperature: Float, expected: Float) throws {
    #expect(abs(try limits(temperature_C: temperature).chargeCurrent_A - expected) < 0.01)
  }

  @Test(
    "discharge current over temperature: 0 at −20 °C, full 0…45 °C, 0 at 60 °C",
    arguments: [(-20, 0), (-10, 72.5), (0, 145), (45, 145), (52.5, 72.5), (60, 0)]
      as [(Float, Float)])
  func dischargeTemperatureTrapezoid(temperature: Float, expected: Float) throws {
    #expect(abs(try limits(temperature_C: temperature).dischargeCurrent_A - expected) < 0.01)
  }

  @Test("charge tapers from 80 % to 0 at 100 % SOC; discharge from 10 % to 0 at 0 %")
  func socTrapezoids() throws {
    #expect(abs(try limits(soc: 0.9).chargeCurrent_A - 35) < 0.01)
    #expect(try limits(soc: 1.0).chargeCurrent_A == 0)
    #expect(abs(try limits(soc: 0.05).dischargeCurrent_A - 72.5) < 0.01)
    #expect(try limits(soc: 0).dischargeCurrent_A == 0)
  }

  @Test("cell-voltage headroom: charge 0 at 4.20 V, discharge 0 at 2.50 V")
  func voltageHeadroom() throws {
    #expect(abs(try limits(maxCell_V: 4.15).chargeCurrent_A - 35) < 0.05)
    #expect(try limits(maxCell_V: 4.2).chargeCurrent_A == 0)
    #expect(abs(try limits(minCell_V: 2.7).dischargeCurrent_A - 72.5) < 0.05)
    #expect(try limits(minCell_V: 2.5).dischargeCurrent_A == 0)
  }

  @Test("a derate tier halves its direction; a fault zeroes both")
  func protectionTiers() throws {
    var derated = ProtectionStatus()
    derated.chargeDerated = true
    let d = try limits(protection: derated)
    #expect(d.chargeCurrent_A == 35 && d.dischargeCurrent_A == 145)
    var fault = ProtectionStatus()
    fault.highestSeverity = .fault
    #expect(try limits(protection: fault) == .zero)
  }
}
