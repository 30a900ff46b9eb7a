import BoardSupport
import Platform
import _Volatile

/// The CMSDK watchdog as the ECU's independent watchdog. It interrupts (NMI) when not fed
/// within `timeout`, and resets the MCU when the interrupt is still pending one more timeout
/// later: the NMI is the ECU's last words, never a recovery.
public struct BoardWatchdog: Watchdog {
  /// - Parameter timeoutMicroseconds: time from a feed to the NMI; the reset follows after the
  ///   same time again.
  public init(timeoutMicroseconds: UInt32) {
    let wdog = CMSDKWatchdog.wdog
    wdog.wdoglock.store(CMSDKWatchdog.unlockKey)
    wdog.wdogload.store(timeoutMicroseconds * (BoardClock.hz / 1_000_000))
    wdog.wdogcontrol.store(CMSDKWatchdog.controlINTEN | CMSDKWatchdog.controlRESEN)
    wdog.wdoglock.store(0)
  }

  public mutating func feed() {
    let wdog = CMSDKWatchdog.wdog
    wdog.wdoglock.store(CMSDKWatchdog.unlockKey)
    wdog.wdogintclr.store(1)  // clears the interrupt and reloads the counter
    wdog.wdoglock.store(0)
  }
}

/// The watchdog NMI: outputs safe, reset cause recorded, then wait for the reset.
@c(kairo_watchdog_interrupt)
func watchdogInterrupt() {
  Board.forceSafeState()
  Board.recordResetCause(.watchdog)
  Console.newline()
  Console.write("WATCHDOG: not fed within its window; outputs safe, reset follows")
  Console.newline()
  while true { core_wait_for_interrupt() }
}
