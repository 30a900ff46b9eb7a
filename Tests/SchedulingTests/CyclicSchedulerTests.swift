import Platform
import Scheduling
import Testing

/// Three tasks at 1, 2 and 5 control periods that record when they ran.
private struct RecordingTasks: TaskSet {
  var periods: [UInt32] = [1, 2, 5]
  var runs: [[UInt32]] = [[], [], []]

  var taskCount: Int { periods.count }
  func periodTicks(of task: Int) -> UInt32 { periods[task] }
  mutating func run(task: Int, tick: UInt32) { runs[task].append(tick) }
}

private struct CountingWatchdog: Watchdog {
  var feeds = 0
  mutating func feed() { feeds += 1 }
}

@Test func tasksRunAtTheirPeriodsInPriorityOrder() throws {
  var tasks = RecordingTasks()
  var dog = CountingWatchdog()
  var scheduler = try CyclicScheduler(tasks: tasks, supervisionTicks: 10)
  for _ in 0..<20 { scheduler.runOnePeriod(&tasks, watchdog: &dog) }
  #expect(tasks.runs[0] == Array(0..<20))
  #expect(tasks.runs[1] == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
  #expect(tasks.runs[2] == [0, 5, 10, 15])
  #expect(scheduler.tick == 20)
}

@Test func watchdogIsFedOncePerHealthySupervisionCycle() throws {
  var tasks = RecordingTasks()
  var dog = CountingWatchdog()
  var scheduler = try CyclicScheduler(tasks: tasks, supervisionTicks: 10)
  for _ in 0..<9 { scheduler.runOnePeriod(&tasks, watchdog: &dog) }
  #expect(dog.feeds == 0)
  #expect(scheduler.runOnePeriod(&tasks, watchdog: &dog))
  #expect(dog.feeds == 1)
  for _ in 0..<30 { scheduler.runOnePeriod(&tasks, watchdog: &dog) }
  #expect(dog.feeds == 4)
  #expect(scheduler.healthyCycles == 4)
  #expect(scheduler.failedTask == nil)
}

@Test func aTaskThatMissesItsCheckInStarvesTheWatchdog() throws {
  // The scheduler counts a check-in when run returns; model a missed job by a supervision
  // cycle in which one task's period was changed behind the scheduler's back.
  var tasks = RecordingTasks()
  var dog = CountingWatchdog()
  var scheduler = try CyclicScheduler(tasks: tasks, supervisionTicks: 10)
  for _ in 0..<10 { scheduler.runOnePeriod(&tasks, watchdog: &dog) }
  #expect(dog.feeds == 1)
  tasks.periods[2] = 3  // now runs 4 times per cycle instead of 2
  var healthy = true
  for _ in 0..<10 { healthy = scheduler.runOnePeriod(&tasks, watchdog: &dog) && healthy }
  #expect(!healthy)
  #expect(dog.feeds == 1)
  #expect(scheduler.failedTask == 2)
}

@Test func configurationErrorsAreReportedNotTrapped() {
  var tasks = RecordingTasks()
  tasks.periods = [1, 3]
  tasks.runs = [[], []]
  #expect(throws: CyclicScheduler.ConfigurationError.supervisionNotAMultiple(task: 1)) {
    try CyclicScheduler(tasks: tasks, supervisionTicks: 10)
  }
  tasks.periods = [1, 0]
  #expect(throws: CyclicScheduler.ConfigurationError.zeroPeriod(task: 1)) {
    try CyclicScheduler(tasks: tasks, supervisionTicks: 10)
  }
  tasks.periods = Array(repeating: 1, count: 9)
  #expect(throws: CyclicScheduler.ConfigurationError.tooManyTasks(count: 9)) {
    try CyclicScheduler(tasks: tasks, supervisionTicks: 10)
  }
}
