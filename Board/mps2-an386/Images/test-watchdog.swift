import Board
import Platform
import Scheduling

/// Test image: a task that hangs starves the watchdog (the scheduler stops feeding it); the
/// board must report it, reset, and show the reset cause on the next boot.
@main
struct WatchdogTestImage {
  /// Two tasks at 1 and 10 control periods; the slow one hangs at `hangAtTick`.
  struct HangingTasks: TaskSet {
    let hangAtTick: UInt32
    var taskCount: Int { 2 }
    func periodTicks(of task: Int) -> UInt32 { task == 0 ? 1 : 10 }

    mutating func run(task: Int, tick: UInt32) {
      guard task == 1, tick == hangAtTick else { return }
      Console.write("task 1 hangs at tick ")
      Console.write(decimal: tick)
      Console.newline()
      while true {}
    }
  }

  static func main() {
    Console.start()
    let resetCause = Board.takeResetCause()
    Board.printBanner(ecu: "test-watchdog", resetCause: resetCause)
    if resetCause == .watchdog {
      Console.write("recovered after watchdog reset")
      Console.newline()
      Board.exit(.success)
    }
    let arguments = CommandLine()
    arguments.validate(known: ["hang"])
    var tasks = HangingTasks(hangAtTick: arguments.unsignedValue("hang", default: 500))
    // Runs until the watchdog resets the board (a tick limit of 0 means no limit).
    _ = Board.runStandalone(&tasks, periodMicroseconds: 100, supervisionTicks: 100, ticks: 0)
  }
}
