import Platform

extension Board {
  public static let name: StaticString = "mps2-an386"

  /// The first lines every image prints: what it is, which build, and why it started.
  public static func printBanner(ecu: StaticString, resetCause: ResetCause) {
    Console.write("Kairo ")
    Console.write(ecu)
    Console.write(" ")
    Console.write(BuildInfo.version)
    Console.write(" board=")
    Console.write(name)
    Console.write(" build=")
    Console.write(BuildInfo.build)
    Console.write(" brand=")
    Console.write(BuildInfo.brand)
    Console.newline()
    Console.write("reset cause: ")
    write(resetCause: resetCause)
    Console.newline()
  }
}

extension Board {
  /// Reports one module's start-up self-test; a failure ends the run with `selfTestFailed`
  /// before any task is scheduled (the outputs were never driven).
  public static func selfTest(_ module: StaticString, _ passed: Bool) {
    Console.write("self-test ")
    Console.write(module)
    if passed {
      Console.write(": ok")
      Console.newline()
      return
    }
    Console.write(": FAILED")
    Console.newline()
    exit(.selfTestFailed)
  }
}
