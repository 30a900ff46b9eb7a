import BatteryApp
import Board
import CoSimulation
import ControlMath
import Platform
import Scheduling

/// The battery-module manager ECU image: in the HIL rig with `cosim=PATH`, standalone
/// otherwise.
@main
struct BatteryImage {
  static func main() {
    Console.start()
    Board.printBanner(ecu: "bms", resetCause: Board.takeResetCause())
    Board.selfTest("ControlMath", ControlMathSelfTest.run())
    Board.selfTest("CoSimulation", CoSimulationSelfTest.run())
    let arguments = CommandLine()
    arguments.validate(known: Board.ecuArguments)

    var link: [160 of UInt8] = .init(repeating: 0)
    let scheduler: CyclicScheduler
    if arguments.copyValue("cosim", into: &link) {
      var ecu = BatteryECU(
        monitor: CoSimulationCellMonitor(), pack: CoSimulationPackSensors(),
        relays: CoSimulationContactors(), bus: CoSimulationCANController())
      scheduler = Board.runCoSimulation(
        &ecu, frames: BatteryFrames.self, linkPrefix: link, supervisionTicks: ecu.supervisionTicks)
    } else {
      var ecu = BatteryECU(
        monitor: BenchCellMonitor(), pack: BenchPackSensors(), relays: BenchContactors(),
        bus: UnconnectedCANController())
      scheduler = Board.runStandalone(
        &ecu, periodMicroseconds: ecu.controlPeriodMicroseconds,
        supervisionTicks: ecu.supervisionTicks,
        ticks: arguments.unsignedValue("ticks", default: 0))
    }
    Board.printRunSummary(scheduler)
    Board.exit(.success)
  }
}
