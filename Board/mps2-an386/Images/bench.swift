import Board
import CoSimulation
import ControlMath
import MotorControl
import Platform

/// Benchmark image: instructions per call of the control kernels (see Board/Benchmark.swift and
/// the README). Each kernel takes its input from the loop index, so nothing is constant-folded,
/// and stores its result in `sink`, so nothing is dead.
@main
struct BenchImage {
  nonisolated(unsafe) static var sink: Float = 0
  nonisolated(unsafe) static var controller = PIController(
    kp: 0.5, ki: 200, kb: 400, sampleTime_s: 50e-6, outputMin: -1, outputMax: 1)

  nonisolated(unsafe) static var currentLoop = CurrentLoop(
    parameters: CurrentLoopParameters(
      calibration: .brandA,
      offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
      angleOffset_counts: 0))

  /// Maps the call index to a value spread over [-range, range).
  @inline(__always)
  static func input(_ i: UInt32, range: Float) -> Float {
    Float(Int(i & 0xFFF)) * (2 * range / 4096) - range
  }

  @inline(never) static func baseline(_ i: UInt32) { sink = input(i, range: 1) }

  @inline(never) static func sinCosKernel(_ i: UInt32) {
    let sc = sinCos(input(i, range: 6.3))
    sink = sc.sin + sc.cos
  }

  @inline(never) static func atan2Kernel(_ i: UInt32) {
    sink = atan2(y: input(i, range: 1), x: input(i &* 7, range: 1))
  }

  @inline(never) static func piStepKernel(_ i: UInt32) {
    sink = controller.step(error: input(i, range: 2))
  }

  /// The current-loop step's input for call `i`: a sample that varies with the index.
  @inline(__always)
  static func currentLoopInputs(_ i: UInt32) -> CurrentLoopInputs {
    let sample = InverterSample(
      phaseCurrentCounts: [
        UInt16(truncatingIfNeeded: 1900 &+ (i & 0xFF)),
        UInt16(truncatingIfNeeded: 2100 &- (i & 0x7F)),
      ],
      dcLinkVoltageCounts: 1750, rotorAngleCounts: UInt16(truncatingIfNeeded: i &* 97),
      inverterTemperatureCounts: 700, motorTemperatureCounts: 700)
    return CurrentLoopInputs(
      sample: sample, reference: DirectQuadrature(d: -20, q: 100), enable: true, safeMode: .off)
  }

  nonisolated(unsafe) static var currentLoopInputsSink = currentLoopInputs(0)

  /// One complete current-loop step (ADC counts to compare values), stored into `sink`.
  @inline(never) static func currentLoopKernel(_ i: UInt32) {
    let out = currentLoop.step(currentLoopInputs(i))
    sink = out.command.duties[0]
  }

  /// `currentLoopKernel` without the step: builds the same inputs, reaches the same global and
  /// stores one word into `sink`, so that the difference is the step's own instructions.
  @inline(never) static func currentLoopBaseline(_ i: UInt32) {
    currentLoopInputsSink = currentLoopInputs(i)
    sink = currentLoop.state.pllSpeed_rad_s
  }

  nonisolated(unsafe) static var sampleFrame = FrameBuffer()
  nonisolated(unsafe) static var actuationFrame = FrameBuffer()

  @inline(never) static func decodeSampleKernel(_ i: UInt32) {
    if let (sequence, message) = try? InverterSampleMessage.decode(sampleFrame) {
      sink = Float(Int(sequence)) + Float(Int(message.sample.rotorAngleCounts))
    }
  }

  @inline(never) static func encodeActuationKernel(_ i: UInt32) {
    let message = InverterActuationMessage(
      command: PowerStageCommand(mode: .modulating, duties: [0.4, 0.5, input(i, range: 0.5)]),
      status: 0, telemetry: .init(repeating: 1), transmitted: CANFrameBatch())
    message.encode(into: &actuationFrame, sequence: i)
    sink = Float(Int(actuationFrame.count))
  }

  nonisolated(unsafe) static var crcInput: [46 of UInt8] = .init(repeating: 0x5A)

  @inline(never) static func crc32Kernel(_ i: UInt32) {
    crcInput[0] = UInt8(truncatingIfNeeded: i)
    sink = Float(Int(CRC32ISOHDLC.checksum(crcInput.span) & 0xFFFF))
  }

  static func main() {
    Console.start()
    Board.printBanner(ecu: "bench", resetCause: Board.takeResetCause())
    let base = Benchmark.ticks(baseline)
    Benchmark.report("sin_cos", kernelTicks: Benchmark.ticks(sinCosKernel), baselineTicks: base)
    Benchmark.report("atan2", kernelTicks: Benchmark.ticks(atan2Kernel), baselineTicks: base)
    Benchmark.report("pi_step", kernelTicks: Benchmark.ticks(piStepKernel), baselineTicks: base)
    Benchmark.report(
      "foc_current_step", kernelTicks: Benchmark.ticks(currentLoopKernel),
      baselineTicks: Benchmark.ticks(currentLoopBaseline))
    Benchmark.report(
      "crc32_46_bytes", kernelTicks: Benchmark.ticks(crc32Kernel), baselineTicks: base)
    InverterSampleMessage(
      sample: InverterSample(
        phaseCurrentCounts: [2100, 2000], dcLinkVoltageCounts: 1750, rotorAngleCounts: 1234,
        inverterTemperatureCounts: 650, motorTemperatureCounts: 650),
      received: CANFrameBatch()
    ).encode(into: &sampleFrame, sequence: 1)
    Benchmark.report(
      "cosim_decode_inverter_sample", kernelTicks: Benchmark.ticks(decodeSampleKernel),
      baselineTicks: base)
    Benchmark.report(
      "cosim_encode_inverter_actuation", kernelTicks: Benchmark.ticks(encodeActuationKernel),
      baselineTicks: base)
    Board.exit(.success)
  }
}
