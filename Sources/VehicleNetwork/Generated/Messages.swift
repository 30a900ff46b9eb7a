// Generated from Network/kairo.dbc by scripts/generate_can_messages.py — do not edit.
// Regenerate with `python scripts/generate_can_messages.py`; CI runs it with --check.

import Platform

/// Torque or speed request to the inverter. E2E protected: AUTOSAR E2E Profile 1, DataIDMode BOTH, CRC in byte 0, counter in bits 8..11.
/// 0x101, sent by VCU.
public struct VCUTorqueRequest: Equatable, Sendable {
  public static let id: UInt32 = 0x101
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 10
  /// AUTOSAR E2E Profile 1 data ID (DataIDMode BOTH); see E2EProtection.swift.
  public static let e2eDataID: UInt16 = 0x0101

  /// Values of VCU_ControlMode; raw values outside the table still decode.
  public struct ControlMode: RawRepresentable, Equatable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let torque = Self(rawValue: 0)
    public static let speed = Self(rawValue: 1)
  }

  /// Values of VCU_KeyState; raw values outside the table still decode.
  public struct KeyState: RawRepresentable, Equatable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let off = Self(rawValue: 0)
    public static let accessory = Self(rawValue: 1)
    public static let run = Self(rawValue: 2)
    public static let crank = Self(rawValue: 3)
  }

  /// VCU_TorqueRequest_CRC: E2E Profile 1 CRC-8 (SAE J1850 polynomial 0x1D) over data ID (low, high) and bytes 1..7, 0...255.
  public var torqueRequestCRC: UInt8
  /// VCU_TorqueRequest_Counter: E2E Profile 1 alive counter 0..14, 0...14.
  public var torqueRequestCounter: UInt8
  /// VCU_ControlMode: 0...1.
  public var controlMode: ControlMode
  /// VCU_Enable: 0...1.
  public var enable: Bool
  /// VCU_TorqueRequest: Motor shaft torque request, positive = forward driving, -400...400 Nm, step 0.1.
  public var torqueRequest_Nm: Float
  /// VCU_SpeedRequest: Motor speed request in speed mode, -12000...12000 rpm.
  public var speedRequest_rpm: Int16
  /// VCU_KeyState: 0...3.
  public var keyState: KeyState

  public init(
    torqueRequestCRC: UInt8, torqueRequestCounter: UInt8, controlMode: ControlMode, enable: Bool,
    torqueRequest_Nm: Float, speedRequest_rpm: Int16, keyState: KeyState
  ) {
    self.torqueRequestCRC = torqueRequestCRC
    self.torqueRequestCounter = torqueRequestCounter
    self.controlMode = controlMode
    self.enable = enable
    self.torqueRequest_Nm = torqueRequest_Nm
    self.speedRequest_rpm = speedRequest_rpm
    self.keyState = keyState
  }

  static var torqueRequestCRCSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 0, length: 8, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 255)
  }
  static var torqueRequestCounterSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 8, length: 4, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 14)
  }
  static var controlModeSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 12, length: 2, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var enableSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 14, length: 1, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var torqueRequestSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 16, length: 16, byteOrder: .intel, isSigned: true),
      factor: 0.1, offset: 0.0, minimum: -400.0, maximum: 400.0)
  }
  static var speedRequestSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 32, length: 16, byteOrder: .intel, isSigned: true),
      offset: 0, minimum: -12000, maximum: 12000)
  }
  static var keyStateSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 48, length: 2, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 3)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.torqueRequestCRCSignal.encode(Int(torqueRequestCRC), into: &data)
    Self.torqueRequestCounterSignal.encode(Int(torqueRequestCounter), into: &data)
    Self.controlModeSignal.encode(Int(controlMode.rawValue), into: &data)
    Self.enableSignal.encode(enable ? 1 : 0, into: &data)
    Self.torqueRequestSignal.encode(torqueRequest_Nm, into: &data)
    Self.speedRequestSignal.encode(Int(speedRequest_rpm), into: &data)
    Self.keyStateSignal.encode(Int(keyState.rawValue), into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      torqueRequestCRC: UInt8(truncatingIfNeeded: torqueRequestCRCSignal.decode(data)),
      torqueRequestCounter: UInt8(truncatingIfNeeded: torqueRequestCounterSignal.decode(data)),
      controlMode: ControlMode(rawValue: UInt8(truncatingIfNeeded: controlModeSignal.decode(data))),
      enable: enableSignal.decode(data) != 0,
      torqueRequest_Nm: torqueRequestSignal.decode(data),
      speedRequest_rpm: Int16(truncatingIfNeeded: speedRequestSignal.decode(data)),
      keyState: KeyState(rawValue: UInt8(truncatingIfNeeded: keyStateSignal.decode(data))))
  }
}

/// Inverter fast status.
/// 0x181, sent by INV.
public struct INVStatus: Equatable, Sendable {
  public static let id: UInt32 = 0x181
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 10

  /// Values of INV_State; raw values outside the table still decode.
  public struct State: RawRepresentable, Equatable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let initializing = Self(rawValue: 0)
    public static let standby = Self(rawValue: 1)
    public static let precharge = Self(rawValue: 2)
    public static let ready = Self(rawValue: 3)
    public static let running = Self(rawValue: 4)
    public static let fault = Self(rawValue: 5)
    public static let safe = Self(rawValue: 6)
  }

  /// INV_Torque: -500...500 Nm, step 0.25.
  public var torque_Nm: Float
  /// INV_Speed: -13000...13000 rpm.
  public var speed_rpm: Int16
  /// INV_DCCurrent: DC-link current, positive = drawn from the battery, -1000...1000 A, step 0.5.
  public var dcCurrent_A: Float
  /// INV_DCVoltage: 0...500 V, step 0.5.
  public var dcVoltage_V: Float
  /// INV_State: 0...6.
  public var state: State
  /// INV_DeratingTemperature: 0...1.
  public var deratingTemperature: Bool
  /// INV_DeratingVoltage: 0...1.
  public var deratingVoltage: Bool
  /// INV_DeratingSpeed: 0...1.
  public var deratingSpeed: Bool
  /// INV_DeratingCurrent: 0...1.
  public var deratingCurrent: Bool
  /// INV_FaultCode: Most severe active fault, 0 = none, 0...63.
  public var faultCode: UInt8

  public init(
    torque_Nm: Float, speed_rpm: Int16, dcCurrent_A: Float, dcVoltage_V: Float, state: State,
    deratingTemperature: Bool, deratingVoltage: Bool, deratingSpeed: Bool, deratingCurrent: Bool,
    faultCode: UInt8
  ) {
    self.torque_Nm = torque_Nm
    self.speed_rpm = speed_rpm
    self.dcCurrent_A = dcCurrent_A
    self.dcVoltage_V = dcVoltage_V
    self.state = state
    self.deratingTemperature = deratingTemperature
    self.deratingVoltage = deratingVoltage
    self.deratingSpeed = deratingSpeed
    self.deratingCurrent = deratingCurrent
    self.faultCode = faultCode
  }

  static var torqueSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 0, length: 12, byteOrder: .intel, isSigned: true),
      factor: 0.25, offset: 0.0, minimum: -500.0, maximum: 500.0)
  }
  static var speedSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 12, length: 16, byteOrder: .intel, isSigned: true),
      offset: 0, minimum: -13000, maximum: 13000)
  }
  static var dcCurrentSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 28, length: 12, byteOrder: .intel, isSigned: true),
      factor: 0.5, offset: 0.0, minimum: -1000.0, maximum: 1000.0)
  }
  static var dcVoltageSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 40, length: 10, byteOrder: .intel, isSigned: false),
      factor: 0.5, offset: 0.0, minimum: 0.0, maximum: 500.0)
  }
  static var stateSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 50, length: 4, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 6)
  }
  static var deratingTemperatureSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 54, length: 1, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var deratingVoltageSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 55, length: 1, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var deratingSpeedSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 56, length: 1, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var deratingCurrentSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 57, length: 1, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var faultCodeSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 58, length: 6, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 63)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.torqueSignal.encode(torque_Nm, into: &data)
    Self.speedSignal.encode(Int(speed_rpm), into: &data)
    Self.dcCurrentSignal.encode(dcCurrent_A, into: &data)
    Self.dcVoltageSignal.encode(dcVoltage_V, into: &data)
    Self.stateSignal.encode(Int(state.rawValue), into: &data)
    Self.deratingTemperatureSignal.encode(deratingTemperature ? 1 : 0, into: &data)
    Self.deratingVoltageSignal.encode(deratingVoltage ? 1 : 0, into: &data)
    Self.deratingSpeedSignal.encode(deratingSpeed ? 1 : 0, into: &data)
    Self.deratingCurrentSignal.encode(deratingCurrent ? 1 : 0, into: &data)
    Self.faultCodeSignal.encode(Int(faultCode), into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      torque_Nm: torqueSignal.decode(data),
      speed_rpm: Int16(truncatingIfNeeded: speedSignal.decode(data)),
      dcCurrent_A: dcCurrentSignal.decode(data),
      dcVoltage_V: dcVoltageSignal.decode(data),
      state: State(rawValue: UInt8(truncatingIfNeeded: stateSignal.decode(data))),
      deratingTemperature: deratingTemperatureSignal.decode(data) != 0,
      deratingVoltage: deratingVoltageSignal.decode(data) != 0,
      deratingSpeed: deratingSpeedSignal.decode(data) != 0,
      deratingCurrent: deratingCurrentSignal.decode(data) != 0,
      faultCode: UInt8(truncatingIfNeeded: faultCodeSignal.decode(data)))
  }
}

/// Inverter temperatures and dq-frame currents and voltages.
/// 0x182, sent by INV.
public struct INVStatus2: Equatable, Sendable {
  public static let id: UInt32 = 0x182
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 10

  /// INV_InverterTemperature: -40...215 degC.
  public var inverterTemperature_degC: Int16
  /// INV_MotorTemperature: -40...215 degC.
  public var motorTemperature_degC: Int16
  /// INV_CurrentD: -500...500 A, step 0.25.
  public var currentD_A: Float
  /// INV_CurrentQ: -500...500 A, step 0.25.
  public var currentQ_A: Float
  /// INV_VoltageD: -500...500 V, step 0.25.
  public var voltageD_V: Float
  /// INV_VoltageQ: -500...500 V, step 0.25.
  public var voltageQ_V: Float

  public init(
    inverterTemperature_degC: Int16, motorTemperature_degC: Int16, currentD_A: Float,
    currentQ_A: Float, voltageD_V: Float, voltageQ_V: Float
  ) {
    self.inverterTemperature_degC = inverterTemperature_degC
    self.motorTemperature_degC = motorTemperature_degC
    self.currentD_A = currentD_A
    self.currentQ_A = currentQ_A
    self.voltageD_V = voltageD_V
    self.voltageQ_V = voltageQ_V
  }

  static var inverterTemperatureSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 0, length: 8, byteOrder: .intel, isSigned: false),
      offset: -40, minimum: -40, maximum: 215)
  }
  static var motorTemperatureSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 8, length: 8, byteOrder: .intel, isSigned: false),
      offset: -40, minimum: -40, maximum: 215)
  }
  static var currentDSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 16, length: 12, byteOrder: .intel, isSigned: true),
      factor: 0.25, offset: 0.0, minimum: -500.0, maximum: 500.0)
  }
  static var currentQSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 28, length: 12, byteOrder: .intel, isSigned: true),
      factor: 0.25, offset: 0.0, minimum: -500.0, maximum: 500.0)
  }
  static var voltageDSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 40, length: 12, byteOrder: .intel, isSigned: true),
      factor: 0.25, offset: 0.0, minimum: -500.0, maximum: 500.0)
  }
  static var voltageQSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 52, length: 12, byteOrder: .intel, isSigned: true),
      factor: 0.25, offset: 0.0, minimum: -500.0, maximum: 500.0)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.inverterTemperatureSignal.encode(Int(inverterTemperature_degC), into: &data)
    Self.motorTemperatureSignal.encode(Int(motorTemperature_degC), into: &data)
    Self.currentDSignal.encode(currentD_A, into: &data)
    Self.currentQSignal.encode(currentQ_A, into: &data)
    Self.voltageDSignal.encode(voltageD_V, into: &data)
    Self.voltageQSignal.encode(voltageQ_V, into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      inverterTemperature_degC: Int16(truncatingIfNeeded: inverterTemperatureSignal.decode(data)),
      motorTemperature_degC: Int16(truncatingIfNeeded: motorTemperatureSignal.decode(data)),
      currentD_A: currentDSignal.decode(data),
      currentQ_A: currentQSignal.decode(data),
      voltageD_V: voltageDSignal.decode(data),
      voltageQ_V: voltageQSignal.decode(data))
  }
}

/// Battery pack status. Motorola byte order.
/// 0x301, sent by BMS.
public struct BMSStatus: Equatable, Sendable {
  public static let id: UInt32 = 0x301
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 100

  /// Values of BMS_State; raw values outside the table still decode.
  public struct State: RawRepresentable, Equatable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let initializing = Self(rawValue: 0)
    public static let standby = Self(rawValue: 1)
    public static let precharge = Self(rawValue: 2)
    public static let closed = Self(rawValue: 3)
    public static let charging = Self(rawValue: 4)
    public static let fault = Self(rawValue: 5)
    public static let opening = Self(rawValue: 6)
    public static let sleep = Self(rawValue: 7)
  }

  /// BMS_PackVoltage: 0...600 V, step 0.1.
  public var packVoltage_V: Float
  /// BMS_PackCurrent: Pack current, positive = discharge, -1500...1500 A, step 0.1.
  public var packCurrent_A: Float
  /// BMS_SOC: 0...100 %, step 0.1.
  public var soc_pct: Float
  /// BMS_SOH: 0...100 %, step 0.5.
  public var soh_pct: Float
  /// BMS_State: 0...7.
  public var state: State
  /// BMS_ContactorPositive: 0...1.
  public var contactorPositive: Bool
  /// BMS_ContactorNegative: 0...1.
  public var contactorNegative: Bool
  /// BMS_ContactorPrecharge: 0...1.
  public var contactorPrecharge: Bool

  public init(
    packVoltage_V: Float, packCurrent_A: Float, soc_pct: Float, soh_pct: Float, state: State,
    contactorPositive: Bool, contactorNegative: Bool, contactorPrecharge: Bool
  ) {
    self.packVoltage_V = packVoltage_V
    self.packCurrent_A = packCurrent_A
    self.soc_pct = soc_pct
    self.soh_pct = soh_pct
    self.state = state
    self.contactorPositive = contactorPositive
    self.contactorNegative = contactorNegative
    self.contactorPrecharge = contactorPrecharge
  }

  static var packVoltageSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 7, length: 16, byteOrder: .motorola, isSigned: false),
      factor: 0.1, offset: 0.0, minimum: 0.0, maximum: 600.0)
  }
  static var packCurrentSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 23, length: 16, byteOrder: .motorola, isSigned: true),
      factor: 0.1, offset: 0.0, minimum: -1500.0, maximum: 1500.0)
  }
  static var socSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 39, length: 10, byteOrder: .motorola, isSigned: false),
      factor: 0.1, offset: 0.0, minimum: 0.0, maximum: 100.0)
  }
  static var sohSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 45, length: 8, byteOrder: .motorola, isSigned: false),
      factor: 0.5, offset: 0.0, minimum: 0.0, maximum: 100.0)
  }
  static var stateSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 53, length: 4, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 7)
  }
  static var contactorPositiveSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 49, length: 1, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var contactorNegativeSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 48, length: 1, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }
  static var contactorPrechargeSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 63, length: 1, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 1)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.packVoltageSignal.encode(packVoltage_V, into: &data)
    Self.packCurrentSignal.encode(packCurrent_A, into: &data)
    Self.socSignal.encode(soc_pct, into: &data)
    Self.sohSignal.encode(soh_pct, into: &data)
    Self.stateSignal.encode(Int(state.rawValue), into: &data)
    Self.contactorPositiveSignal.encode(contactorPositive ? 1 : 0, into: &data)
    Self.contactorNegativeSignal.encode(contactorNegative ? 1 : 0, into: &data)
    Self.contactorPrechargeSignal.encode(contactorPrecharge ? 1 : 0, into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      packVoltage_V: packVoltageSignal.decode(data),
      packCurrent_A: packCurrentSignal.decode(data),
      soc_pct: socSignal.decode(data),
      soh_pct: sohSignal.decode(data),
      state: State(rawValue: UInt8(truncatingIfNeeded: stateSignal.decode(data))),
      contactorPositive: contactorPositiveSignal.decode(data) != 0,
      contactorNegative: contactorNegativeSignal.decode(data) != 0,
      contactorPrecharge: contactorPrechargeSignal.decode(data) != 0)
  }
}

/// Battery operating limits. E2E protected: AUTOSAR E2E Profile 1, DataIDMode BOTH, CRC in byte 0, counter in bits 8..11.
/// 0x302, sent by BMS.
public struct BMSLimits: Equatable, Sendable {
  public static let id: UInt32 = 0x302
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 100
  /// AUTOSAR E2E Profile 1 data ID (DataIDMode BOTH); see E2EProtection.swift.
  public static let e2eDataID: UInt16 = 0x0302

  /// BMS_Limits_CRC: 0...255.
  public var limitsCRC: UInt8
  /// BMS_Limits_Counter: 0...14.
  public var limitsCounter: UInt8
  /// BMS_ChargeCurrentLimit: 0...1000 A, step 0.5.
  public var chargeCurrentLimit_A: Float
  /// BMS_DischargeCurrentLimit: 0...1000 A, step 0.5.
  public var dischargeCurrentLimit_A: Float
  /// BMS_ChargePowerLimit: 0...400 kW, step 0.1.
  public var chargePowerLimit_kW: Float
  /// BMS_DischargePowerLimit: 0...400 kW, step 0.1.
  public var dischargePowerLimit_kW: Float

  public init(
    limitsCRC: UInt8, limitsCounter: UInt8, chargeCurrentLimit_A: Float,
    dischargeCurrentLimit_A: Float, chargePowerLimit_kW: Float, dischargePowerLimit_kW: Float
  ) {
    self.limitsCRC = limitsCRC
    self.limitsCounter = limitsCounter
    self.chargeCurrentLimit_A = chargeCurrentLimit_A
    self.dischargeCurrentLimit_A = dischargeCurrentLimit_A
    self.chargePowerLimit_kW = chargePowerLimit_kW
    self.dischargePowerLimit_kW = dischargePowerLimit_kW
  }

  static var limitsCRCSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 0, length: 8, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 255)
  }
  static var limitsCounterSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 8, length: 4, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 14)
  }
  static var chargeCurrentLimitSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 16, length: 12, byteOrder: .intel, isSigned: false),
      factor: 0.5, offset: 0.0, minimum: 0.0, maximum: 1000.0)
  }
  static var dischargeCurrentLimitSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 28, length: 12, byteOrder: .intel, isSigned: false),
      factor: 0.5, offset: 0.0, minimum: 0.0, maximum: 1000.0)
  }
  static var chargePowerLimitSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 40, length: 12, byteOrder: .intel, isSigned: false),
      factor: 0.1, offset: 0.0, minimum: 0.0, maximum: 400.0)
  }
  static var dischargePowerLimitSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 52, length: 12, byteOrder: .intel, isSigned: false),
      factor: 0.1, offset: 0.0, minimum: 0.0, maximum: 400.0)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.limitsCRCSignal.encode(Int(limitsCRC), into: &data)
    Self.limitsCounterSignal.encode(Int(limitsCounter), into: &data)
    Self.chargeCurrentLimitSignal.encode(chargeCurrentLimit_A, into: &data)
    Self.dischargeCurrentLimitSignal.encode(dischargeCurrentLimit_A, into: &data)
    Self.chargePowerLimitSignal.encode(chargePowerLimit_kW, into: &data)
    Self.dischargePowerLimitSignal.encode(dischargePowerLimit_kW, into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      limitsCRC: UInt8(truncatingIfNeeded: limitsCRCSignal.decode(data)),
      limitsCounter: UInt8(truncatingIfNeeded: limitsCounterSignal.decode(data)),
      chargeCurrentLimit_A: chargeCurrentLimitSignal.decode(data),
      dischargeCurrentLimit_A: dischargeCurrentLimitSignal.decode(data),
      chargePowerLimit_kW: chargePowerLimitSignal.decode(data),
      dischargePowerLimit_kW: dischargePowerLimitSignal.decode(data))
  }
}

/// Extreme cell voltages and temperatures with their positions (cell 1..96, sensor 1..16).
/// 0x303, sent by BMS.
public struct BMSCellStatistics: Equatable, Sendable {
  public static let id: UInt32 = 0x303
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 100

  /// BMS_MinCellVoltage: 0...5 V, step 0.001.
  public var minCellVoltage_V: Float
  /// BMS_MaxCellVoltage: 0...5 V, step 0.001.
  public var maxCellVoltage_V: Float
  /// BMS_MinCellVoltageIndex: 1...96.
  public var minCellVoltageIndex: UInt8
  /// BMS_MaxCellVoltageIndex: 1...96.
  public var maxCellVoltageIndex: UInt8
  /// BMS_MinCellTemperature: -40...120 degC.
  public var minCellTemperature_degC: Int16
  /// BMS_MaxCellTemperature: -40...120 degC.
  public var maxCellTemperature_degC: Int16
  /// BMS_MinCellTemperatureIndex: 1...16.
  public var minCellTemperatureIndex: UInt8
  /// BMS_MaxCellTemperatureIndex: 1...16.
  public var maxCellTemperatureIndex: UInt8

  public init(
    minCellVoltage_V: Float, maxCellVoltage_V: Float, minCellVoltageIndex: UInt8,
    maxCellVoltageIndex: UInt8, minCellTemperature_degC: Int16, maxCellTemperature_degC: Int16,
    minCellTemperatureIndex: UInt8, maxCellTemperatureIndex: UInt8
  ) {
    self.minCellVoltage_V = minCellVoltage_V
    self.maxCellVoltage_V = maxCellVoltage_V
    self.minCellVoltageIndex = minCellVoltageIndex
    self.maxCellVoltageIndex = maxCellVoltageIndex
    self.minCellTemperature_degC = minCellTemperature_degC
    self.maxCellTemperature_degC = maxCellTemperature_degC
    self.minCellTemperatureIndex = minCellTemperatureIndex
    self.maxCellTemperatureIndex = maxCellTemperatureIndex
  }

  static var minCellVoltageSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 0, length: 13, byteOrder: .intel, isSigned: false),
      factor: 0.001, offset: 0.0, minimum: 0.0, maximum: 5.0)
  }
  static var maxCellVoltageSignal: ScaledSignal {
    ScaledSignal(
      SignalLayout(startBit: 13, length: 13, byteOrder: .intel, isSigned: false),
      factor: 0.001, offset: 0.0, minimum: 0.0, maximum: 5.0)
  }
  static var minCellVoltageIndexSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 26, length: 7, byteOrder: .intel, isSigned: false),
      offset: 1, minimum: 1, maximum: 96)
  }
  static var maxCellVoltageIndexSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 33, length: 7, byteOrder: .intel, isSigned: false),
      offset: 1, minimum: 1, maximum: 96)
  }
  static var minCellTemperatureSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 40, length: 8, byteOrder: .intel, isSigned: false),
      offset: -40, minimum: -40, maximum: 120)
  }
  static var maxCellTemperatureSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 48, length: 8, byteOrder: .intel, isSigned: false),
      offset: -40, minimum: -40, maximum: 120)
  }
  static var minCellTemperatureIndexSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 56, length: 4, byteOrder: .intel, isSigned: false),
      offset: 1, minimum: 1, maximum: 16)
  }
  static var maxCellTemperatureIndexSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 60, length: 4, byteOrder: .intel, isSigned: false),
      offset: 1, minimum: 1, maximum: 16)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.minCellVoltageSignal.encode(minCellVoltage_V, into: &data)
    Self.maxCellVoltageSignal.encode(maxCellVoltage_V, into: &data)
    Self.minCellVoltageIndexSignal.encode(Int(minCellVoltageIndex), into: &data)
    Self.maxCellVoltageIndexSignal.encode(Int(maxCellVoltageIndex), into: &data)
    Self.minCellTemperatureSignal.encode(Int(minCellTemperature_degC), into: &data)
    Self.maxCellTemperatureSignal.encode(Int(maxCellTemperature_degC), into: &data)
    Self.minCellTemperatureIndexSignal.encode(Int(minCellTemperatureIndex), into: &data)
    Self.maxCellTemperatureIndexSignal.encode(Int(maxCellTemperatureIndex), into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      minCellVoltage_V: minCellVoltageSignal.decode(data),
      maxCellVoltage_V: maxCellVoltageSignal.decode(data),
      minCellVoltageIndex: UInt8(truncatingIfNeeded: minCellVoltageIndexSignal.decode(data)),
      maxCellVoltageIndex: UInt8(truncatingIfNeeded: maxCellVoltageIndexSignal.decode(data)),
      minCellTemperature_degC: Int16(truncatingIfNeeded: minCellTemperatureSignal.decode(data)),
      maxCellTemperature_degC: Int16(truncatingIfNeeded: maxCellTemperatureSignal.decode(data)),
      minCellTemperatureIndex: UInt8(
        truncatingIfNeeded: minCellTemperatureIndexSignal.decode(data)),
      maxCellTemperatureIndex: UInt8(truncatingIfNeeded: maxCellTemperatureIndexSignal.decode(data))
    )
  }
}

/// All 96 cell voltages, four per frame, multiplexed by index 0..23 (cells 4i+1..4i+4), sent round robin: one frame per cycle, every cell refreshed within 960 ms.
/// 0x304, sent by BMS. Multiplexed: `index` 0...23 selects which 4 cellVoltage_V values the frame carries (BMS_CellVoltage001 ... BMS_CellVoltage096).
public struct BMSCellVoltages: Equatable, Sendable {
  public static let id: UInt32 = 0x304
  public static let length: UInt8 = 8
  public static let cycleTime_ms: UInt32 = 40

  public static let indexRange: ClosedRange<UInt8> = 0...23
  public static let valuesPerFrame = 4

  /// Multiplexer BMS_CellVoltages_Mux: 0...23.
  public var index: UInt8
  /// BMS_CellVoltage001: 0...5 V, step 0.001.
  public var cellVoltage_V: [4 of Float]

  public init(index: UInt8, cellVoltage_V: [4 of Float]) {
    self.index = index
    self.cellVoltage_V = cellVoltage_V
  }

  public static func == (a: Self, b: Self) -> Bool {
    guard a.index == b.index else { return false }
    for i in 0..<4 where a.cellVoltage_V[i] != b.cellVoltage_V[i] { return false }
    return true
  }

  static var indexSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 0, length: 8, byteOrder: .intel, isSigned: false),
      offset: 0, minimum: 0, maximum: 23)
  }
  static func valueSignal(_ position: Int) -> ScaledSignal {
    switch position {
    case 0:
      return ScaledSignal(
        SignalLayout(startBit: 8, length: 14, byteOrder: .intel, isSigned: false),
        factor: 0.001, offset: 0.0, minimum: 0.0, maximum: 5.0)
    case 1:
      return ScaledSignal(
        SignalLayout(startBit: 22, length: 14, byteOrder: .intel, isSigned: false),
        factor: 0.001, offset: 0.0, minimum: 0.0, maximum: 5.0)
    case 2:
      return ScaledSignal(
        SignalLayout(startBit: 36, length: 14, byteOrder: .intel, isSigned: false),
        factor: 0.001, offset: 0.0, minimum: 0.0, maximum: 5.0)
    default:
      return ScaledSignal(
        SignalLayout(startBit: 50, length: 14, byteOrder: .intel, isSigned: false),
        factor: 0.001, offset: 0.0, minimum: 0.0, maximum: 5.0)
    }
  }

  /// The frame; an index outside `indexRange` and out-of-range values are sent as the
  /// nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.indexSignal.encode(Int(index), into: &data)
    for i in 0..<4 {
      Self.valueSignal(i).encode(cellVoltage_V[i], into: &data)
    }
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length or an index outside
  /// `indexRange`.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let index = UInt8(truncatingIfNeeded: indexSignal.decode(frame.data))
    guard indexRange.contains(index) else { return nil }
    var values = [4 of Float](repeating: 0)
    for i in 0..<4 { values[i] = valueSignal(i).decode(frame.data) }
    return Self(index: index, cellVoltage_V: values)
  }
}

/// Diagnostic event: sent by an ECU when a DTC status byte changes (ISO 14229-1 DTC status bits).
/// 0x6F0, sent by INV, BMS.
public struct DiagnosticEvent: Equatable, Sendable {
  public static let id: UInt32 = 0x6F0
  public static let length: UInt8 = 5
  public static let cycleTime_ms: UInt32 = 0  // sent on event

  /// Values of DiagEvent_ECU; raw values outside the table still decode.
  public struct ECU: RawRepresentable, Equatable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let vcu = Self(rawValue: 1)
    public static let inv = Self(rawValue: 2)
    public static let bms = Self(rawValue: 3)
  }

  /// DiagEvent_ECU: 0...255.
  public var ecu: ECU
  /// DiagEvent_DTC: 3-byte DTC number (ISO 14229-1 DTCFormatIdentifier 0x01, SAE J2012-DA), 0...16777215.
  public var dtc: UInt32
  /// DiagEvent_Status: 0...255.
  public var status: UInt8

  public init(ecu: ECU, dtc: UInt32, status: UInt8) {
    self.ecu = ecu
    self.dtc = dtc
    self.status = status
  }

  static var ecuSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 7, length: 8, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 255)
  }
  static var dtcSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 15, length: 24, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 16777215)
  }
  static var statusSignal: IntegerSignal {
    IntegerSignal(
      SignalLayout(startBit: 39, length: 8, byteOrder: .motorola, isSigned: false),
      offset: 0, minimum: 0, maximum: 255)
  }

  /// The frame; out-of-range values are sent as the nearest range limit.
  public func encode() -> CANFrame {
    var data = [8 of UInt8](repeating: 0)
    Self.ecuSignal.encode(Int(ecu.rawValue), into: &data)
    Self.dtcSignal.encode(UInt(dtc), into: &data)
    Self.statusSignal.encode(Int(status), into: &data)
    return CANFrame(id: Self.id, length: Self.length, data: data)
  }

  /// The message in `frame`, or nil for another identifier or length.
  public static func decode(_ frame: CANFrame) -> Self? {
    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }
    let data = frame.data
    return Self(
      ecu: ECU(rawValue: UInt8(truncatingIfNeeded: ecuSignal.decode(data))),
      dtc: UInt32(truncatingIfNeeded: dtcSignal.decode(data)),
      status: UInt8(truncatingIfNeeded: statusSignal.decode(data)))
  }
}
