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
