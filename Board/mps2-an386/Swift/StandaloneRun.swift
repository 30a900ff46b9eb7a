import BoardSupport
import Platform
import Scheduling

extension Board {
  /// Arguments every ECU image accepts on the semihosting command line: `ticks=N` (standalone
  /// run of N periods) or `cosim=PATH` (HIL run over the FIFOs PATH.in and PATH.out).
  public static let ecuArguments: [2 of StaticString] = ["ticks", "cosim"]

  /// Runs an ECU's task set under the cyclic scheduler, paced by SysTick, with the watchdog
  /// supervised by the scheduler. Stops after `ticks` control periods (0: never) and returns
  /// the scheduler for the caller's summary.
  public static func runStandalone<Tasks: TaskSet>(
    _ tasks: inout Tasks, periodMicroseconds: UInt32, supervisionTicks: UInt32, ticks: UInt32
  ) -> CyclicScheduler {
    var running = scheduler(for: &tasks, supervisionTicks: supervisionTicks)
    // Two supervision cycles of margin before the NMI, then the same again until the reset.
    let supervisionMicroseconds = supervisionTicks * periodMicroseconds
    var watchdog = BoardWatchdog(timeoutMicroseconds: 2 * supervisionMicroseconds)
    var clock = SysTickClock(periodMicroseconds: periodMicroseconds)
    Console.write("scheduler: period ")
    Console.write(decimal: periodMicroseconds)
    Console.write(" us, supervision every ")
    Console.write(decimal: supervisionTicks)
    Console.write(" periods")
    Console.newline()
    while ticks == 0 || running.tick != ticks {
      _ = clock.waitForNextPeriod()
      running.runOnePeriod(&tasks, watchdog: &watchdog)
    }
    return running
  }

  /// The scheduler for `tasks`, or exit when it rejects their schedule. Not inlined: the
  /// scheduler's initialiser takes the tasks by value, and the copy of a large ECU (1.5 KB for
  /// the inverter) then lives in this short frame instead of the running loop's.
  @inline(never)
  static func scheduler<Tasks: TaskSet>(for tasks: inout Tasks, supervisionTicks: UInt32)
    -> CyclicScheduler
  {
    do {
      return try CyclicScheduler(tasks: &tasks, supervisionTicks: supervisionTicks)
    } catch {
      Console.write("error: task schedule rejected by the scheduler")
      Console.newline()
      exit(.selfTestFailed)
    }
  }

  /// The closing line of a standalone run.
  public static func printRunSummary(_ scheduler: CyclicScheduler) {
    Console.write("ran ")
    Console.write(decimal: scheduler.tick)
    Console.write(" periods, ")
    Console.write(decimal: scheduler.healthyCycles)
    Console.write(" healthy supervision cycles, stack ")
    Console.write(decimal: board_stack_used())
    Console.write(" of ")
    Console.write(decimal: board_stack_size())
    Console.write(" bytes")
    Console.newline()
  }
}
