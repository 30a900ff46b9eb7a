// Generated from Network/kairo.dbc by scripts/generate_can_messages.py — do not edit.
// Regenerate with `python scripts/generate_can_messages.py`; CI runs it with --check.

// Host-only: flat Double lists in DBC signal order for the cantools cross-check.
import Platform
import VehicleNetwork

/// Decodes `frame` and returns its signal values in DBC order, or nil if no message matches.
func decodeToValues(_ frame: CANFrame) -> [Double]? {
  switch frame.id {
  case VCUTorqueRequest.id:
    guard let m = VCUTorqueRequest.decode(frame) else { return nil }
    return [
      Double(m.torqueRequestCRC), Double(m.torqueRequestCounter), Double(m.controlMode.rawValue),
      m.enable ? 1 : 0, Double(m.torqueRequest_Nm), Double(m.speedRequest_rpm),
      Double(m.keyState.rawValue),
    ]
  case INVStatus.id:
    guard let m = INVStatus.decode(frame) else { return nil }
    return [
      Double(m.torque_Nm), Double(m.speed_rpm), Double(m.dcCurrent_A), Double(m.dcVoltage_V),
      Double(m.state.rawValue), m.deratingTemperature ? 1 : 0, m.deratingVoltage ? 1 : 0,
      m.deratingSpeed ? 1 : 0, m.deratingCurrent ? 1 : 0, Double(m.faultCode),
    ]
  case INVStatus2.id:
    guard let m = INVStatus2.decode(frame) else { return nil }
    return [
      Double(m.inverterTemperature_degC), Double(m.motorTemperature_degC), Double(m.currentD_A),
      Double(m.currentQ_A), Double(m.voltageD_V), Double(m.voltageQ_V),
    ]
  case BMSStatus.id:
    guard let m = BMSStatus.decode(frame) else { return nil }
    return [
      Double(m.packVoltage_V), Double(m.packCurrent_A), Double(m.soc_pct), Double(m.soh_pct),
      Double(m.state.rawValue), m.contactorPositive ? 1 : 0, m.contactorNegative ? 1 : 0,
      m.contactorPrecharge ? 1 : 0,
    ]
  case BMSLimits.id:
    guard let m = BMSLimits.decode(frame) else { return nil }
    return [
      Double(m.limitsCRC), Double(m.limitsCounter), Double(m.chargeCurrentLimit_A),
      Double(m.dischargeCurrentLimit_A), Double(m.chargePowerLimit_kW),
      Double(m.dischargePowerLimit_kW),
    ]
  case BMSCellStatistics.id:
    guard let m = BMSCellStatistics.decode(frame) else { return nil }
    return [
      Double(m.minCellVoltage_V), Double(m.maxCellVoltage_V), Double(m.minCellVoltageIndex),
      Double(m.maxCellVoltageIndex), Double(m.minCellTemperature_degC),
      Double(m.maxCellTemperature_degC), Double(m.minCellTemperatureIndex),
      Double(m.maxCellTemperatureIndex),
    ]
  case BMSCellVoltages.id:
    guard let m = BMSCellVoltages.decode(frame) else { return nil }
    var out: [Double] = [Double(m.index)]
    for i in 0..<BMSCellVoltages.valuesPerFrame { out.append(Double(m.cellVoltage_V[i])) }
    return out
  case DiagnosticEvent.id:
    guard let m = DiagnosticEvent.decode(frame) else { return nil }
    return [Double(m.ecu.rawValue), Double(m.dtc), Double(m.status)]
  default: return nil
  }
}

/// Builds message `id` from values in DBC signal order and encodes it.
func encodeFromValues(id: UInt32, _ v: [Double]) -> CANFrame? {
  switch id {
  case VCUTorqueRequest.id:
    return VCUTorqueRequest(
      torqueRequestCRC: UInt8(v[0]), torqueRequestCounter: UInt8(v[1]),
      controlMode: .init(rawValue: UInt8(v[2])), enable: v[3] != 0, torqueRequest_Nm: Float(v[4]),
      speedRequest_rpm: Int16(v[5]), keyState: .init(rawValue: UInt8(v[6]))
    ).encode()
  case INVStatus.id:
    return INVStatus(
      torque_Nm: Float(v[0]), speed_rpm: Int16(v[1]), dcCurrent_A: Float(v[2]),
      dcVoltage_V: Float(v[3]), state: .init(rawValue: UInt8(v[4])), deratingTemperature: v[5] != 0,
      deratingVoltage: v[6] != 0, deratingSpeed: v[7] != 0, deratingCurrent: v[8] != 0,
      faultCode: UInt8(v[9])
    ).encode()
  case INVStatus2.id:
    return INVStatus2(
      inverterTemperature_degC: Int16(v[0]), motorTemperature_degC: Int16(v[1]),
      currentD_A: Float(v[2]), currentQ_A: Float(v[3]), voltageD_V: Float(v[4]),
      voltageQ_V: Float(v[5])
    ).encode()
  case BMSStatus.id:
    return BMSStatus(
      packVoltage_V: Float(v[0]), packCurrent_A: Float(v[1]), soc_pct: Float(v[2]),
      soh_pct: Float(v[3]), state: .init(rawValue: UInt8(v[4])), contactorPositive: v[5] != 0,
      contactorNegative: v[6] != 0, contactorPrecharge: v[7] != 0
    ).encode()
  case BMSLimits.id:
    return BMSLimits(
      limitsCRC: UInt8(v[0]), limitsCounter: UInt8(v[1]), chargeCurrentLimit_A: Float(v[2]),
      dischargeCurrentLimit_A: Float(v[3]), chargePowerLimit_kW: Float(v[4]),
      dischargePowerLimit_kW: Float(v[5])
    ).encode()
  case BMSCellStatistics.id:
    return BMSCellStatistics(
      minCellVoltage_V: Float(v[0]), maxCellVoltage_V: Float(v[1]),
      minCellVoltageIndex: UInt8(v[2]), maxCellVoltageIndex: UInt8(v[3]),
      minCellTemperature_degC: Int16(v[4]), maxCellTemperature_degC: Int16(v[5]),
      minCellTemperatureIndex: UInt8(v[6]), maxCellTemperatureIndex: UInt8(v[7])
    ).encode()
  case BMSCellVoltages.id:
    var values = [4 of Float](repeating: 0)
    for i in 0..<BMSCellVoltages.valuesPerFrame { values[i] = Float(v[i + 1]) }
    return BMSCellVoltages(index: UInt8(v[0]), cellVoltage_V: values).encode()
  case DiagnosticEvent.id:
    return DiagnosticEvent(
      ecu: .init(rawValue: UInt8(v[0])), dtc: UInt32(v[1]), status: UInt8(v[2])
    ).encode()
  default: return nil
  }
}
