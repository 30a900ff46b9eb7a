import Board
import InverterApp
import Platform
import Scheduling

/// The e-axle inverter ECU image.
@main
struct InverterImage {
  static let controlPeriodMicroseconds: UInt32 = 50

  static func main() {
    Console.start()
    Board.printBanner(ecu: "inverter", resetCause: Board.takeResetCause())
    let arguments = CommandLine()
    arguments.validate(known: Board.standaloneArguments)
    let ticks = arguments.unsignedValue("ticks", default: 0)

    var ecu = InverterECU(
      sensors: BenchInverterSensors(), stage: BenchPowerStage(), bus: UnconnectedCANController(),
      controlPeriodMicroseconds: controlPeriodMicroseconds)
    let scheduler = Board.runStandalone(
      &ecu, periodMicroseconds: controlPeriodMicroseconds,
      supervisionTicks: ecu.supervisionTicks, ticks: ticks)
    Board.printRunSummary(scheduler)
    Board.exit(.success)
  }
}
