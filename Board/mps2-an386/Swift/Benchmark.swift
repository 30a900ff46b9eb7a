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

  /// Prints `NAME insns=NNN.NNN`: the kernel's instructions per call beyond the baseline;
  /// returns that count in thousandths of an instruction.
  @discardableResult
  public static func report(_ name: StaticString, kernelTicks: UInt32, baselineTicks: UInt32)
    -> UInt32
  {
    let milliInstructions = kernelTicks &- baselineTicks
    report(name, milliInstructions: milliInstructions)
    return milliInstructions
  }

  public static func report(_ name: StaticString, milliInstructions: UInt32) {
    Console.write(name)
    Console.write(" insns=")
    Console.write(fixed: Int32(bitPattern: milliInstructions), decimals: 3)
    Console.newline()
  }

  /// Prints `NAME pct=NN.NNN`: the share of a budget of `budgetCycles` CPU cycles that
  /// `milliInstructions` take at one cycle per instruction (a lower bound: a Cortex-M4F runs
  /// this kind of code at roughly 1.2 to 1.5 cycles per instruction).
  public static func reportShare(
    _ name: StaticString, milliInstructions: UInt32, budgetCycles: UInt32
  ) {
    Console.write(name)
    Console.write(" pct=")
    Console.write(
      fixed: Int32(
        bitPattern: milliInstructions / budgetCycles * 100
          + milliInstructions % budgetCycles * 100 / budgetCycles), decimals: 3)
    Console.newline()
  }

  /// Cycles in a control period of `microseconds` at the 168 MHz of an automotive-class M4F.
  public static func cycles168MHz(microseconds: UInt32) -> UInt32 { 168 * microseconds }
}
