import BoardSupport
import Platform
import _Volatile

/// Process exit codes a Kairo image gives QEMU through semihosting, so a test can tell how a
/// run ended without parsing the console.
public enum ExitCode: Int32 {
  case success = 0
  case selfTestFailed = 1
  case badCommandLine = 2
  case swiftTrap = 3
  case hardwareFault = 4
  case linkFailure = 5
}

/// Reset handling and last words: the reset cause that survives a reset, the hook that forces
/// the ECU's outputs safe, and the reporters the fault vectors and `swift_trap` call. On a
/// vehicle a trap or fault would reset the MCU after its report; on QEMU the run ends with a
/// distinct exit code instead, so a test can tell. Either way the reset cause `fault` is
/// recorded first.
public enum Board {
  /// Called first by every fault path: drives the outputs to their safe state (PWM off or
  /// active short circuit, contactors open) before anything is printed. Set by the image.
  nonisolated(unsafe) public static var safeStateHook: (@convention(c) () -> Void)? = nil

  private static let recordMarker: UInt32 = 0x4B41_4952  // "KAIR"

  /// Why this boot happened, read once at start-up; consumes the record so that a reset the
  /// board did not record (power loss) reads as power-on next time.
  public static func takeResetCause() -> ResetCause {
    defer {
      reset_record_store(0, 0)
      reset_record_store(1, 0)
    }
    guard reset_record_load(0) == recordMarker else { return .powerOn }
    return ResetCause(rawValue: UInt8(truncatingIfNeeded: reset_record_load(1))) ?? .powerOn
  }

  static func recordResetCause(_ cause: ResetCause) {
    reset_record_store(1, UInt32(cause.rawValue))
    reset_record_store(0, recordMarker)
  }

  /// Requests a system reset (AIRCR.SYSRESETREQ) after recording it as a software reset.
  public static func reset() -> Never {
    recordResetCause(.software)
    core_data_barrier()
    SystemControlBlock.scb.aircr.store(
      SystemControlBlock.aircrVectKey | SystemControlBlock.aircrSysResetReq)
    while true { core_wait_for_interrupt() }
  }

  public static func exit(_ code: ExitCode) -> Never {
    semihosting_exit(code.rawValue)
  }

  static func forceSafeState() {
    if let hook = safeStateHook { hook() }
  }

  public static func write(resetCause: ResetCause) {
    switch resetCause {
    case .powerOn: Console.write("power-on")
    case .watchdog: Console.write("watchdog")
    case .software: Console.write("software")
    case .fault: Console.write("fault")
    }
  }
}

/// `swift_trap` (Board C runtime) lands here with the address of the trapping call.
@c(kairo_report_trap)
func reportTrap(callSite: UInt32) {
  Board.forceSafeState()
  Board.recordResetCause(.fault)
  Console.newline()
  Console.write("TRAP: Swift runtime trap (overflow, bounds or precondition) at pc=")
  Console.write(hex: callSite)
  Console.newline()
  Board.exit(.swiftTrap)
}

/// Every fault vector lands here with the frame the core stacked and the exception number.
@c(kairo_report_fault)
func reportFault(frame: UnsafePointer<UInt32>, exceptionNumber: UInt32) {
  Board.forceSafeState()
  Board.recordResetCause(.fault)
  let scb = SystemControlBlock.scb
  Console.newline()
  Console.write("FAULT: ")
  switch exceptionNumber {
  case 3: Console.write("HardFault")
  case 4: Console.write("MemManage")
  case 5: Console.write("BusFault")
  case 6: Console.write("UsageFault")
  default: Console.write("unexpected exception ")
  }
  if exceptionNumber > 6 { Console.write(decimal: exceptionNumber) }
  Console.write(" pc=")
  Console.write(hex: frame[6])
  Console.write(" lr=")
  Console.write(hex: frame[5])
  Console.write(" cfsr=")
  Console.write(hex: scb.cfsr.load())
  Console.write(" hfsr=")
  Console.write(hex: scb.hfsr.load())
  Console.write(" bfar=")
  Console.write(hex: scb.bfar.load())
  Console.newline()
  Board.exit(.hardwareFault)
}
