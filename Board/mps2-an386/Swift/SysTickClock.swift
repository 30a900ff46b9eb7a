import BoardSupport
import Platform
import _Volatile

/// The control-period clock of a standalone run: SysTick reloads every period; the core sleeps
/// (WFI) until COUNTFLAG shows the period has elapsed, so QEMU with `-icount sleep=off` skips
/// the idle time instead of executing a polling loop. In the HIL the co-simulation port is the
/// clock instead.
public struct SysTickClock: ControlClock {
  public let periodMicroseconds: UInt32
  private var period: UInt32 = 0

  public init(periodMicroseconds: UInt32) {
    self.periodMicroseconds = periodMicroseconds
    let systick = SysTick.systick
    systick.rvr.store(periodMicroseconds * (BoardClock.hz / 1_000_000) - 1)
    systick.cvr.store(0)
    systick.csr.store(SysTick.csrEnable | SysTick.csrClockSource | SysTick.csrTickInt)
  }

  public mutating func waitForNextPeriod() -> UInt32 {
    // With interrupts masked a pending SysTick still ends WFI, so an interrupt between the
    // COUNTFLAG test and the WFI cannot be slept through. The (empty) handler runs on unmask.
    let mask = core_primask_disable()
    while SysTick.systick.csr.load() & SysTick.csrCountFlag == 0 { core_wait_for_interrupt() }
    core_primask_restore(mask)
    period &+= 1
    return period
  }
}

/// A free-running 25 MHz tick counter on CMSDK TIMER0, for measuring instruction counts under
/// `-icount shift=0` (one tick = 40 instructions there).
public struct CycleTimer {
  public init() {
    let timer = CMSDKTimer.timer0
    timer.ctrl.store(0)
    timer.reload.store(UInt32.max)
    timer.value.store(UInt32.max)
    timer.ctrl.store(CMSDKTimer.ctrlEnable)
  }

  /// Ticks elapsed since start (the hardware counts down; wraps after 171 s).
  public func now() -> UInt32 {
    UInt32.max &- CMSDKTimer.timer0.value.load()
  }

  public static let ticksPerSecond = BoardClock.hz
}
