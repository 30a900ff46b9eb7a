import BoardSupport
import CoSimulation
import ControlMath
import Platform

/// The co-simulation port: in the HIL rig the ECU's sensors, actuators and CAN controller are
/// frames exchanged with the rig once per control period (docs/cosim-protocol.md) over two
/// host FIFOs, read and written with semihosting. The vCPU blocks inside each semihosting call,
/// so virtual time stands still while the rig computes the plant: runs are deterministic.
struct FrameChannel {
  let input: CInt
  let output: CInt

  static let pathCapacity = 160

  /// Opens `<prefix>.in` for reading, then `<prefix>.out` for writing; the rig opens them in
  /// the same order, so neither side waits on the other.
  static func open(prefix: [160 of UInt8]) -> FrameChannel? {
    var path = prefix
    var length = 0
    while length < pathCapacity && path[length] != 0 { length += 1 }
    guard length + 4 < pathCapacity else { return nil }
    func withSuffix(_ suffix: (UInt8, UInt8, UInt8), mode: CInt) -> CInt {
      path[length] = 0x2E  // "."
      path[length + 1] = suffix.0
      path[length + 2] = suffix.1
      path[length + 3] = suffix.2
      path[length + 4] = 0
      var span = path.mutableSpan
      return span.withUnsafeMutableBufferPointer { buffer -> CInt in
        guard let base = buffer.baseAddress else { return -1 }
        return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
          semihosting_open($0, mode)
        }
      }
    }
    let input = withSuffix((0x69, 0x6E, 0), mode: 1)  // "in", "rb"
    guard input >= 0 else { return nil }
    let output = withSuffix((0x6F, 0x75, 0x74), mode: 5)  // "out", "wb"
    guard output >= 0 else { return nil }
    return FrameChannel(input: input, output: output)
  }

  /// Reads exactly `count` bytes into `buffer` at its current end; false at end of stream.
  func read(_ count: Int, into buffer: inout FrameBuffer) -> Bool {
    guard buffer.count + count <= FrameFormat.maxFrameSize else { return false }
    var span = buffer.bytes.mutableSpan
    let start = buffer.count
    let complete = span.withUnsafeMutableBufferPointer { bytes -> Bool in
      guard let base = bytes.baseAddress else { return false }
      var done = 0
      while done < count {
        let missing = Int(semihosting_read(input, base + start + done, count - done))
        let got = count - done - missing
        guard got > 0 else { return false }
        done += got
      }
      return true
    }
    if complete { buffer.count += count }
    return complete
  }

  func write(_ buffer: inout FrameBuffer) -> Bool {
    let count = buffer.count
    var span = buffer.bytes.mutableSpan
    return span.withUnsafeMutableBufferPointer { bytes -> Bool in
      guard let base = bytes.baseAddress else { return false }
      return semihosting_write(output, base, count) == 0
    }
  }
}

/// What one receive attempt produced.
enum Reception {
  case frame
  case rejected(FrameError)
  case closed
}

/// The port's state, shared by the protocol adapters below (they are views of it). Touched
/// only from the main loop, never from an interrupt.
public struct CoSimulationState {
  var channel: FrameChannel? = nil
  var frame = FrameBuffer()
  var link = LinkDiagnostics()
  var sequence: UInt32 = 0
  /// Whether the current period's sample frame was accepted.
  var sampleValid = false
  var inverterSample = InverterSample(
    phaseCurrentCounts: [2048, 2048], dcLinkVoltageCounts: 0, rotorAngleCounts: 0,
    inverterTemperatureCounts: 0, motorTemperatureCounts: 0)
  var batterySample = BatterySampleMessage.empty
  var received = CANFrameBatch()
  var receivedRead = 0
  var transmitQueue = RingBuffer<CANFrame, 32>(placeholder: CANFrame(id: 0, length: 0))
  var transmitDrops: UInt32 = 0
  var command = PowerStageCommand.off
  var contactors = ContactorSet.allOpen
  var balancingMask: [3 of UInt32] = .init(repeating: 0)
  /// Set when a header's length could not be trusted: the stream position is unknown.
  var outOfStep = false
  /// Rejections printed so far: the first ones are printed, later ones only counted.
  var rejectionsLogged: UInt32 = 0
}

/// The running port's state, in static storage reserved by the board C (a Swift global of the
/// state would be initialised lazily, with its temporaries in every caller's frame); nil while
/// no port runs. The protocol adapters reach the state through it.
nonisolated(unsafe) var activePort: UnsafeMutablePointer<CoSimulationState>? = nil

/// The port state, for the adapters; they are only ever called while the port runs.
var coSimulation: UnsafeMutablePointer<CoSimulationState> {
  guard let port = activePort else {
    Console.write("error: co-simulation adapter used without a running port")
    Console.newline()
    Board.exit(.linkFailure)
  }
  return port
}

extension CoSimulationState {
  /// Receives the next frame: the header, then the rest as the header's length says. Every
  /// frame the rig sends gets exactly one answer, so a bad header whose length is plausible is
  /// consumed whole and rejected. One whose length cannot be trusted loses the framing: it is
  /// rejected as read, and the next receive first searches the stream for the magic number.
  @inline(never)
  mutating func receive() -> Reception {
    guard let channel else { return .closed }
    frame.count = 0
    guard channel.read(FrameFormat.headerSize, into: &frame) else { return .closed }
    if outOfStep {
      while frame.bytes.span.u8(0) != FrameFormat.magic.0
        || frame.bytes.span.u8(1) != FrameFormat.magic.1
      {
        for i in 0..<(FrameFormat.headerSize - 1) { frame.bytes[i] = frame.bytes[i + 1] }
        frame.count -= 1
        guard channel.read(1, into: &frame) else { return .closed }
      }
      outOfStep = false
    }
    let remaining: Int
    do {
      remaining = try frame.bytes.span.extracting(0..<frame.count).frameRemainingLength()
    } catch {
      let declared = Int(frame.bytes.span.u16(4)) + FrameFormat.checksumSize
      if declared <= FrameFormat.maxFrameSize - FrameFormat.headerSize {
        guard channel.read(declared, into: &frame) else { return .closed }
      } else {
        outOfStep = true
      }
      return .rejected(error)
    }
    guard channel.read(remaining, into: &frame) else { return .closed }
    return .frame
  }

  @inline(never)
  mutating func reject(_ error: FrameError) {
    link.count(error)
    sampleValid = false
    received.removeAll()
    receivedRead = 0
    guard rejectionsLogged < 20 else { return }
    rejectionsLogged += 1
    Console.write("cosim: frame rejected (")
    switch error {
    case .badMagic: Console.write("bad magic")
    case .unsupportedVersion: Console.write("unsupported version")
    case .unexpectedKind: Console.write("unexpected kind")
    case .badLength: Console.write("bad length")
    case .checksumMismatch: Console.write("checksum mismatch")
    case .sequenceGap: Console.write("sequence gap")
    case .tooManyCANFrames: Console.write("too many CAN frames")
    case .invalidCANFrame: Console.write("invalid CAN frame")
    case .invalidField: Console.write("invalid field")
    }
    Console.write(") after period ")
    Console.write(decimal: sequence)
    Console.write(": outputs safe")
    Console.newline()
  }

  /// Moves up to one frame batch of queued transmissions into `batch`.
  @inline(never)
  mutating func takeTransmissions() -> CANFrameBatch {
    var batch = CANFrameBatch()
    while batch.count < FrameFormat.maxCANFrames, let frame = transmitQueue.pop() {
      _ = batch.append(frame)
    }
    return batch
  }

  @inline(never)
  mutating func send() -> Bool {
    guard let channel else { return false }
    return channel.write(&frame)
  }

  /// `mutating` only so that it is called on the state in place, not on a copy of it.
  mutating func printLinkSummary() {
    Console.write("cosim: ")
    Console.write(decimal: link.accepted)
    Console.write(" frames accepted, ")
    Console.write(decimal: link.rejected)
    Console.write(" rejected, ")
    Console.write(decimal: transmitDrops)
    Console.write(" CAN transmissions dropped")
    Console.newline()
  }
}

// MARK: The Platform protocols as views of the port

public struct CoSimulationInverterSensors: InverterSensors {
  public init() {}
  public mutating func sample() -> InverterSample? {
    coSimulation.pointee.sampleValid ? coSimulation.pointee.inverterSample : nil
  }
}

public struct CoSimulationPowerStage: PowerStage {
  public init() {}
  public mutating func apply(_ command: PowerStageCommand) {
    coSimulation.pointee.command = command
  }
}

public struct CoSimulationCellMonitor: CellMonitor {
  public init() {}
  public mutating func scan() -> CellScan? {
    coSimulation.pointee.sampleValid ? coSimulation.pointee.batterySample.scan : nil
  }
  public mutating func setBalancing(_ mask: [3 of UInt32]) {
    coSimulation.pointee.balancingMask = mask
  }
}

public struct CoSimulationPackSensors: PackSensors {
  public init() {}
  public mutating func sample() -> PackSample? {
    coSimulation.pointee.sampleValid ? coSimulation.pointee.batterySample.pack : nil
  }
}

public struct CoSimulationContactors: ContactorDriver {
  public init() {}
  public mutating func apply(_ command: ContactorSet) { coSimulation.pointee.contactors = command }
}

/// The vehicle bus as the rig delivers it: frames received in a period are readable during that
/// period; transmissions are queued and leave with the period's actuation frame (up to eight per
/// period, the rest in later periods; a full queue drops and counts).
public struct CoSimulationCANController: CANController {
  public init() {}

  public mutating func transmit(_ frame: CANFrame) -> Bool {
    guard coSimulation.pointee.transmitQueue.push(frame) else {
      coSimulation.pointee.transmitDrops &+= 1
      return false
    }
    return true
  }

  public mutating func receive() -> CANFrame? {
    guard coSimulation.pointee.receivedRead < coSimulation.pointee.received.count else {
      return nil
    }
    defer { coSimulation.pointee.receivedRead += 1 }
    return coSimulation.pointee.received.frames[coSimulation.pointee.receivedRead]
  }
}
