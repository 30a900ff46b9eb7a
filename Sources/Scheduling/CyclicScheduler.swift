import Platform

/// The tasks of one ECU, run by `CyclicScheduler`. An ECU implements `run(task:period:)` as a
/// `switch` over its own task indices (no closures: Embedded Swift has no heap for them).
public protocol TaskSet {
  /// Number of tasks; indices are `0 ..< taskCount`. At most `CyclicScheduler.maxTasks`.
  var taskCount: Int { get }
  /// The task's period in control periods (≥ 1).
  func periodTicks(of task: Int) -> UInt32
  /// Runs one job of `task` in control period `tick`. Returning is the task's check-in for
  /// the watchdog supervision.
  mutating func run(task: Int, tick: UInt32)
}

/// A time-triggered cyclic executive with alive supervision of every task (AUTOSAR WdgM
/// style): the watchdog is fed at the end of a supervision cycle only if every task checked
/// in exactly as often as its period demands. A task that hangs, or one that stops being run,
/// therefore starves the watchdog and the board resets.
public struct CyclicScheduler {
  public static let maxTasks = 8

  /// Length of a supervision cycle in control periods: a multiple of every task period.
  public let supervisionTicks: UInt32
  /// Control periods since start, for the tasks' own use (wraps at 2^32).
  public private(set) var tick: UInt32 = 0
  /// Position inside the supervision cycle. The schedule runs on this, not on `tick`, so the
  /// 2^32 wrap (2.5 days at 20 kHz) cannot shift a task's phase.
  private var phase: UInt32 = 0
  /// Completed supervision cycles whose check-ins were all as expected.
  public private(set) var healthyCycles: UInt32 = 0
  /// The first task whose check-in count was wrong in the last failed supervision cycle.
  public private(set) var failedTask: Int? = nil

  private var checkIns: [8 of UInt32] = .init(repeating: 0)
  private var expected: [8 of UInt32] = .init(repeating: 0)
  private var taskCount: Int

  public enum ConfigurationError: Error, Equatable {
    case tooManyTasks(count: Int)
    case zeroPeriod(task: Int)
    case supervisionNotAMultiple(task: Int)
  }

  /// - Parameter supervisionTicks: the watchdog feeding cycle; every task period must divide it.
  public init<Tasks: TaskSet>(tasks: Tasks, supervisionTicks: UInt32) throws(ConfigurationError) {
    var copy = tasks
    try self.init(tasks: &copy, supervisionTicks: supervisionTicks)
  }

  /// The same, reading the task set in place: for an ECU kept in static storage, passing it
  /// by value copied the whole ECU (2.8 KB for the battery ECU) into the caller's frame on the
  /// MCU. The task set is not modified.
  public init<Tasks: TaskSet>(tasks: inout Tasks, supervisionTicks: UInt32)
    throws(ConfigurationError)
  {
    guard tasks.taskCount <= CyclicScheduler.maxTasks else {
      throw .tooManyTasks(count: tasks.taskCount)
    }
    self.supervisionTicks = supervisionTicks
    self.taskCount = tasks.taskCount
    for task in 0..<tasks.taskCount {
      let period = tasks.periodTicks(of: task)
      guard period > 0 else { throw .zeroPeriod(task: task) }
      guard supervisionTicks % period == 0 else { throw .supervisionNotAMultiple(task: task) }
      expected[task] = supervisionTicks / period
    }
  }

  /// Runs every task due in the current control period, in index order (index = priority),
  /// then advances time; at the end of a supervision cycle checks the alive counters and feeds
  /// the watchdog when they are all as expected. Returns false when supervision failed.
  @discardableResult
  public mutating func runOnePeriod<Tasks: TaskSet, Dog: Watchdog>(
    _ tasks: inout Tasks, watchdog: inout Dog
  ) -> Bool {
    for task in 0..<taskCount where phase % tasks.periodTicks(of: task) == 0 {
      tasks.run(task: task, tick: tick)
      checkIns[task] &+= 1
    }
    tick &+= 1
    phase += 1
    guard phase == supervisionTicks else { return true }
    phase = 0
    var healthy = true
    for task in 0..<taskCount where checkIns[task] != expected[task] {
      if healthy { failedTask = task }
      healthy = false
    }
    for task in 0..<taskCount { checkIns[task] = 0 }
    if healthy {
      healthyCycles &+= 1
      watchdog.feed()
    }
    return healthy
  }
}
