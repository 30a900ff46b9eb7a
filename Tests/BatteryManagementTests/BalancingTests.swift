import Platform
import Testing

@testable import BatteryManagement

func balancingInputs(_ scan: CellScan, current_mA: Int32 = 0) throws -> PackMeasurement {
  var check = try referenceCheck()
  return check.evaluate(scan, packSample(current_mA: current_mA))
}

func isEmpty(_ mask: [3 of UInt32]) -> Bool { mask[0] == 0 && mask[1] == 0 && mask[2] == 0 }

func isSet(_ mask: [3 of UInt32], _ cell: Int) -> Bool {
  (mask[cell / 32] >> UInt32(cell % 32)) & 1 != 0
}

@Suite("Passive balancing")
struct BalancingTests {
  @Test("at rest, a 30 mV spread starts balancing; cells above min + 10 mV are bled")
  func startsAtThirtyMillivolts() throws {
    var balancer = PassiveBalancer(configuration: .standard)
    var scan = referenceScan(cell_mV: 3_700)
    scan.cellVoltage_mV[5] = 3_730
    scan.cellVoltage_mV[70] = 3_711
    let mask = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(balancer.isActive)
    #expect(isSet(mask, 5) && isSet(mask, 70) && !isSet(mask, 0) && !isSet(mask, 95))
    #expect(mask[0].nonzeroBitCount + mask[1].nonzeroBitCount + mask[2].nonzeroBitCount == 2)
  }

  @Test("a 29 mV spread does not start balancing")
  func belowStartThreshold() throws {
    var balancer = PassiveBalancer(configuration: .standard)
    var scan = referenceScan()
    scan.cellVoltage_mV[5] = 3_729
    let mask = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(!balancer.isActive && isEmpty(mask))
  }

  @Test("once started, balancing continues down to 10 mV spread and stops there")
  func stopsAtTenMillivolts() throws {
    var balancer = PassiveBalancer(configuration: .standard)
    var scan = referenceScan()
    scan.cellVoltage_mV[5] = 3_740
    _ = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    scan.cellVoltage_mV[5] = 3_711
    let mask = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(balancer.isActive && isSet(mask, 5))
    scan.cellVoltage_mV[5] = 3_710
    let stopped = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(!balancer.isActive && isEmpty(stopped))
  }

  @Test("no balancing at or above 50 °C")
  func temperatureInhibit() throws {
    var balancer = PassiveBalancer(configuration: .standard)
    var scan = referenceScan()
    scan.cellVoltage_mV[5] = 3_760
    scan.temperature_dC[9] = 500
    let hot = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(!balancer.isActive && isEmpty(hot))
    scan.temperature_dC[9] = 499
    let warm = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(balancer.isActive && isSet(warm, 5))
  }

  @Test("balancing runs while charging but not while discharging")
  func currentDirection() throws {
    var balancer = PassiveBalancer(configuration: .standard)
    var scan = referenceScan()
    scan.cellVoltage_mV[5] = 3_760
    let discharging = balancer.step(
      scan, try balancingInputs(scan, current_mA: 20_000), cellCount: 96)
    #expect(isEmpty(discharging))
    let charging = balancer.step(
      scan, try balancingInputs(scan, current_mA: -20_000), cellCount: 96)
    #expect(isSet(charging, 5))
  }

  @Test("a cell behind an open sense wire is never bled")
  func openWireCellNotBled() throws {
    var balancer = PassiveBalancer(configuration: .standard)
    var scan = referenceScan()
    scan.cellVoltage_mV[5] = 3_760
    scan.cellVoltage_mV[33] = 3_760
    scan.openWire[33] = true
    let mask = balancer.step(scan, try balancingInputs(scan), cellCount: 96)
    #expect(isSet(mask, 5) && !isSet(mask, 33))
  }
}
