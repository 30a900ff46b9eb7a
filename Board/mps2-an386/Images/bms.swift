import BatteryApp
import Board
import Platform
import Scheduling

/// The battery-module manager ECU image.
@main
struct BatteryImage {
  static func main() {
    Console.start()
    Board.printBanner(ecu: "bms", resetCause: Board.takeResetCause())
    let arguments = CommandLine()
    arguments.validate(known: Board.standaloneArguments)
    let ticks = arguments.unsignedValue("ticks", default: 0)

    var ecu = BatteryECU(
      monitor: BenchCellMonitor(), pack: BenchPackSensors(), relays: BenchContactors(),
      bus: UnconnectedCANController())
    let scheduler = Board.runStandalone(
      &ecu, periodMicroseconds: ecu.controlPeriodMicroseconds,
      supervisionTicks: ecu.supervisionTicks, ticks: ticks)
    Board.printRunSummary(scheduler)
    Board.exit(.success)
  }
}
