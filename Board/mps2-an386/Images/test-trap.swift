import Board
import Platform

/// Test image: an arithmetic overflow in Swift code must end in the trap handler, which forces
/// the outputs safe, names the trap and its address on the console and exits non-zero.
@main
struct TrapTestImage {
  /// Adds with Swift's checked arithmetic; the call site is kept out of line so the reported
  /// address resolves to this function.
  @inline(never)
  static func overflowingSum(_ a: UInt8, _ b: UInt8) -> UInt8 {
    a + b
  }

  static func main() {
    Console.start()
    Board.printBanner(ecu: "test-trap", resetCause: Board.takeResetCause())
    Board.safeStateHook = {
      Console.write("safe state forced")
      Console.newline()
    }
    let arguments = CommandLine()
    arguments.validate(known: ["operand"])
    let operand = UInt8(truncatingIfNeeded: arguments.unsignedValue("operand", default: 200))
    let sum = overflowingSum(operand, 100)
    Console.write("no trap: sum=")
    Console.write(decimal: UInt32(sum))
    Console.newline()
    Board.exit(.success)
  }
}
