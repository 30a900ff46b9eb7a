import Board
import ControlMath

/// Benchmark image: instructions per call of the control kernels (see Board/Benchmark.swift and
/// the README). Each kernel takes its input from the loop index, so nothing is constant-folded,
/// and stores its result in `sink`, so nothing is dead.
@main
struct BenchImage {
  nonisolated(unsafe) static var sink: Float = 0
  nonisolated(unsafe) static var controller = PIController(
    kp: 0.5, ki: 200, kb: 400, sampleTime_s: 50e-6, outputMin: -1, outputMax: 1)

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

  static func main() {
    Console.start()
    Board.printBanner(ecu: "bench", resetCause: Board.takeResetCause())
    let base = Benchmark.ticks(baseline)
    Benchmark.report("sin_cos", kernelTicks: Benchmark.ticks(sinCosKernel), baselineTicks: base)
    Benchmark.report("atan2", kernelTicks: Benchmark.ticks(atan2Kernel), baselineTicks: base)
    Benchmark.report("pi_step", kernelTicks: Benchmark.ticks(piStepKernel), baselineTicks: base)
    Board.exit(.success)
  }
}
