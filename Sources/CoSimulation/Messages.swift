import Platform

/// The payloads of the four frame kinds. Layouts are in docs/cosim-protocol.md; each decoder
/// checks the payload length against its contents before reading.

/// Rig → inverter ECU, once per control period.
public struct InverterSampleMessage: Sendable {
  public var sample: InverterSample
  public var received: CANFrameBatch

  public init(sample: InverterSample, received: CANFrameBatch) {
    self.sample = sample
    self.received = received
  }

  static let fixedSize = 12

  public func encode(into buffer: inout FrameBuffer, sequence: UInt32) {
    buffer.begin(kind: .inverterSample, sequence: sequence)
    buffer.append(u16: sample.phaseCurrentCounts[0])
    buffer.append(u16: sample.phaseCurrentCounts[1])
    buffer.append(u16: sample.dcLinkVoltageCounts)
    buffer.append(u16: sample.rotorAngleCounts)
    buffer.append(u16: sample.inverterTemperatureCounts)
    buffer.append(u16: sample.motorTemperatureCounts)
    buffer.append(canFrames: received)
    buffer.finish()
  }

  public static func decode(_ buffer: borrowing FrameBuffer) throws(FrameError) -> (UInt32, Self) {
    let frame = buffer.bytes.span.extracting(0..<buffer.count)
    let (sequence, payload) = try frame.validateFrame(kind: .inverterSample)
    let p = payload.lowerBound
    guard payload.count >= fixedSize else { throw .badLength(payload.count) }
    let sample = InverterSample(
      phaseCurrentCounts: [frame.u16(p), frame.u16(p + 2)], dcLinkVoltageCounts: frame.u16(p + 4),
      rotorAngleCounts: frame.u16(p + 6), inverterTemperatureCounts: frame.u16(p + 8),
      motorTemperatureCounts: frame.u16(p + 10))
    let received = try frame.canFrames(at: p + fixedSize, end: payload.upperBound)
    return (sequence, InverterSampleMessage(sample: sample, received: received))
  }
}

/// Status bits an ECU sets in its actuation frames.
public enum ActuationStatus {
  /// This period's sample frame was rejected: the outputs are in their safe state.
  public static let sampleRejected: UInt8 = 1 << 0
}

/// Inverter ECU → rig, once per control period.
public struct InverterActuationMessage: Sendable {
  public var command: PowerStageCommand
  public var status: UInt8
  /// ECU-internal values for the rig's trace (InverterApp documents the channels).
  public var telemetry: [16 of Float]
  public var transmitted: CANFrameBatch

  public init(
    command: PowerStageCommand, status: UInt8, telemetry: [16 of Float],
    transmitted: CANFrameBatch
  ) {
    self.command = command
    self.status = status
    self.telemetry = telemetry
    self.transmitted = transmitted
  }

  static let fixedSize = 4 + 12 + 4 * FrameFormat.telemetryCount

  public func encode(into buffer: inout FrameBuffer, sequence: UInt32) {
    buffer.begin(kind: .inverterActuation, sequence: sequence)
    buffer.append(u8: command.mode.rawValue)
    buffer.append(u8: status)
    buffer.append(u16: 0)
    // Element reads through spans: subscripting the InlineArray properties here copied each
    // whole array per element on the Cortex-M.
    let duties = command.duties.span
    for phase in 0..<3 { buffer.append(f32: duties[phase]) }
    let values = telemetry.span
    for channel in 0..<FrameFormat.telemetryCount { buffer.append(f32: values[channel]) }
    buffer.append(canFrames: transmitted)
    buffer.finish()
  }

  public static func decode(_ buffer: borrowing FrameBuffer) throws(FrameError) -> (UInt32, Self) {
    let frame = buffer.bytes.span.extracting(0..<buffer.count)
    let (sequence, payload) = try frame.validateFrame(kind: .inverterActuation)
    let p = payload.lowerBound
    guard payload.count >= fixedSize else { throw .badLength(payload.count) }
    guard let mode = PowerStageMode(rawValue: frame.u8(p)) else { throw .invalidField }
    let command = PowerStageCommand(
      mode: mode, duties: [frame.f32(p + 4), frame.f32(p + 8), frame.f32(p + 12)])
    let telemetry = frame.telemetry(at: p + 16)
    let transmitted = try frame.canFrames(at: p + fixedSize, end: payload.upperBound)
    return (
      sequence,
      InverterActuationMessage(
        command: command, status: frame.u8(p + 1), telemetry: telemetry,
        transmitted: transmitted)
    )
  }
}

/// Rig → battery ECU, once per control period (1 ms).
public struct BatterySampleMessage: Sendable {
  public var scan: CellScan
  public var cellCount: Int
  public var temperatureCount: Int
  public var pack: PackSample
  public var received: CANFrameBatch

  public init(
    scan: CellScan, cellCount: Int, temperatureCount: Int, pack: PackSample,
    received: CANFrameBatch
  ) {
    self.scan = scan
    self.cellCount = cellCount
    self.temperatureCount = temperatureCount
    self.pack = pack
    self.received = received
  }

  /// Counts, pack sample and the 96-bit open-wire mask; cells and temperatures follow.
  static let fixedSize = 4 + 12 + 12

  public func encode(into buffer: inout FrameBuffer, sequence: UInt32) {
    buffer.begin(kind: .batterySample, sequence: sequence)
    buffer.append(u8: UInt8(truncatingIfNeeded: cellCount))
    buffer.append(u8: UInt8(truncatingIfNeeded: temperatureCount))
    buffer.append(u16: 0)
    buffer.append(u32: UInt32(bitPattern: pack.current_mA))
    buffer.append(u16: pack.packVoltage_dV)
    buffer.append(u16: pack.linkVoltage_dV)
    buffer.append(u8: ContactorBits.encode(pack.feedback))
    buffer.append(u8: 0)
    buffer.append(u16: 0)
    let openWire = scan.openWire.span
    for word in 0..<3 {
      var bits: UInt32 = 0
      for bit in 0..<32 where openWire[word * 32 + bit] { bits |= 1 << UInt32(bit) }
      buffer.append(u32: bits)
    }
    let cells = scan.cellVoltage_mV.span
    for cell in 0..<cellCount { buffer.append(u16: cells[cell]) }
    let temperatures = scan.temperature_dC.span
    for sensor in 0..<temperatureCount {
      buffer.append(u16: UInt16(bitPattern: temperatures[sensor]))
    }
    buffer.append(canFrames: received)
    buffer.finish()
  }

  /// An all-zero message to decode into.
  public static var empty: BatterySampleMessage {
    BatterySampleMessage(
      scan: CellScan(), cellCount: 0, temperatureCount: 0,
      pack: PackSample(current_mA: 0, packVoltage_dV: 0, linkVoltage_dV: 0, feedback: .allOpen),
      received: CANFrameBatch())
  }

  public static func decode(_ buffer: borrowing FrameBuffer) throws(FrameError) -> (UInt32, Self) {
    var message = empty
    let sequence = try decode(buffer, into: &message)
    return (sequence, message)
  }

  /// Decodes in place: the message is 500 bytes, and a decoder that returned it by value
  /// needed 2.6 KB of stack on the Cortex-M for the copies.
  public static func decode(_ buffer: borrowing FrameBuffer, into message: inout Self)
    throws(FrameError) -> UInt32
  {
    let frame = buffer.bytes.span.extracting(0..<buffer.count)
    let (sequence, payload) = try frame.validateFrame(kind: .batterySample)
    var p = payload.lowerBound
    guard payload.count >= fixedSize else { throw .badLength(payload.count) }
    let cellCount = Int(frame.u8(p))
    let temperatureCount = Int(frame.u8(p + 1))
    guard cellCount <= BatteryCapacity.maxCells,
      temperatureCount <= BatteryCapacity.maxTemperatureSensors
    else { throw .invalidField }
    let variable = 2 * (cellCount + temperatureCount)
    guard payload.count >= fixedSize + variable + 4 else { throw .badLength(payload.count) }
    let canStart = p + fixedSize + variable
    message.received = try frame.canFrames(at: canStart, end: payload.upperBound)
    message.cellCount = cellCount
    message.temperatureCount = temperatureCount
    message.pack = PackSample(
      current_mA: Int32(bitPattern: frame.u32(p + 4)), packVoltage_dV: frame.u16(p + 8),
      linkVoltage_dV: frame.u16(p + 10), feedback: ContactorBits.decode(frame.u8(p + 12)))
    p += 16
    for word in 0..<3 {
      let bits = frame.u32(p + 4 * word)
      for bit in 0..<32 {
        message.scan.openWire[word * 32 + bit] = bits & (1 << UInt32(bit)) != 0
      }
    }
    p += 12
    for cell in 0..<BatteryCapacity.maxCells {
      message.scan.cellVoltage_mV[cell] = cell < cellCount ? frame.u16(p + 2 * cell) : 0
    }
    p += 2 * cellCount
    for sensor in 0..<BatteryCapacity.maxTemperatureSensors {
      message.scan.temperature_dC[sensor] =
        sensor < temperatureCount ? Int16(bitPattern: frame.u16(p + 2 * sensor)) : 0
    }
    return sequence
  }
}

/// Battery ECU → rig, once per control period.
public struct BatteryActuationMessage: Sendable {
  public var contactors: ContactorSet
  public var status: UInt8
  public var balancingMask: [3 of UInt32]
  /// ECU-internal values for the rig's trace (BatteryApp documents the channels).
  public var telemetry: [16 of Float]
  public var transmitted: CANFrameBatch

  public init(
    contactors: ContactorSet, status: UInt8, balancingMask: [3 of UInt32],
    telemetry: [16 of Float], transmitted: CANFrameBatch
  ) {
    self.contactors = contactors
    self.status = status
    self.balancingMask = balancingMask
    self.telemetry = telemetry
    self.transmitted = transmitted
  }

  static let fixedSize = 4 + 12 + 4 * FrameFormat.telemetryCount

  public func encode(into buffer: inout FrameBuffer, sequence: UInt32) {
    buffer.begin(kind: .batteryActuation, sequence: sequence)
    buffer.append(u8: ContactorBits.encode(contactors))
    buffer.append(u8: status)
    buffer.append(u16: 0)
    let mask = balancingMask.span
    for word in 0..<3 { buffer.append(u32: mask[word]) }
    let values = telemetry.span
    for channel in 0..<FrameFormat.telemetryCount { buffer.append(f32: values[channel]) }
    buffer.append(canFrames: transmitted)
    buffer.finish()
  }

  public static func decode(_ buffer: borrowing FrameBuffer) throws(FrameError) -> (UInt32, Self) {
    let frame = buffer.bytes.span.extracting(0..<buffer.count)
    let (sequence, payload) = try frame.validateFrame(kind: .batteryActuation)
    let p = payload.lowerBound
    guard payload.count >= fixedSize else { throw .badLength(payload.count) }
    let telemetry = frame.telemetry(at: p + 16)
    let transmitted = try frame.canFrames(at: p + fixedSize, end: payload.upperBound)
    return (
      sequence,
      BatteryActuationMessage(
        contactors: ContactorBits.decode(frame.u8(p)), status: frame.u8(p + 1),
        balancingMask: [frame.u32(p + 4), frame.u32(p + 8), frame.u32(p + 12)],
        telemetry: telemetry, transmitted: transmitted)
    )
  }
}

/// The 16 measurement channels of an actuation frame.
extension Span where Element == UInt8 {
  func telemetry(at offset: Int) -> [16 of Float] {
    var values: [16 of Float] = .init(repeating: 0)
    for channel in 0..<FrameFormat.telemetryCount { values[channel] = f32(offset + 4 * channel) }
    return values
  }
}

/// Contactors as bits: 0 negative main, 1 positive main, 2 precharge.
enum ContactorBits {
  static func encode(_ set: ContactorSet) -> UInt8 {
    (set.negativeMain ? 1 : 0) | (set.positiveMain ? 2 : 0) | (set.precharge ? 4 : 0)
  }

  static func decode(_ bits: UInt8) -> ContactorSet {
    ContactorSet(negativeMain: bits & 1 != 0, positiveMain: bits & 2 != 0, precharge: bits & 4 != 0)
  }
}
