/// Instruction counting under `qemu-system-arm -icount shift=0` (one instruction per virtual
/// nanosecond; TIMER0 ticks at 25 MHz, i.e. once per 40 instructions).
///
/// A kernel is called `calls` times through an out-of-line call and the same loop around an
/// empty kernel is subtracted, leaving the kernel body's own instructions. With 40 000 calls
/// one timer tick is exactly 0.001 instructions per call, so the tick difference *is* the
/// count in thousandths: no division, no rounding.
public enum Benchmark {
  public static let calls: UInt32 = 40_000

  /// Ticks taken by `calls` invocations of `kernel(i)` for i in 0 ..< calls.
  @inline(never)
  public static func ticks(_ kernel: (UInt32) -> Void) -> UInt32 {
    let timer = CycleTimer()
    let start = timer.now()
    var i: UInt32 = 0
    while i < calls {
      kernel(i)
      i &+= 1
    }
    return timer.now() &- start
  }

  /// Prints `NAME insns=NNN.NNN`: the kernel's instructions per call beyond the baseline.
  public static func report(_ name: StaticString, kernelTicks: UInt32, baselineTicks: UInt32) {
    Console.write(name)
    Console.write(" insns=")
    Console.write(fixed: Int32(bitPattern: kernelTicks &- baselineTicks), decimals: 3)
    Console.newline()
  }
}
