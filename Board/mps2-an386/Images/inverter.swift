import Board
import CoSimulation
import ControlMath
import InverterApp
import Platform
import Scheduling

/// The e-axle inverter ECU image: in the HIL rig with `cosim=PATH`, standalone otherwise. The
/// brand calibration (and with it the control period) is the one the build selected.
@main
struct InverterImage {
  static func main() {
    Console.start()
    Board.printBanner(ecu: "inverter", resetCause: Board.takeResetCause())
    Board.selfTest("ControlMath", ControlMathSelfTest.run())
    Board.selfTest("CoSimulation", CoSimulationSelfTest.run())
    let arguments = CommandLine()
    arguments.validate(known: Board.ecuArguments)

    var link: [160 of UInt8] = .init(repeating: 0)
    let scheduler =
      arguments.copyValue("cosim", into: &link)
      ? runCoSimulation(link: link)
      : runStandalone(ticks: arguments.unsignedValue("ticks", default: 0))
    Board.printRunSummary(scheduler)
    Board.exit(.success)
  }

  // One function per mode, not inlined: each holds its own ECU (1.6 KB), so only one of them
  // is ever on the stack.

  @inline(never)
  static func runCoSimulation(link: [160 of UInt8]) -> CyclicScheduler {
    var ecu = InverterECU(
      sensors: CoSimulationInverterSensors(), stage: CoSimulationPowerStage(),
      bus: CoSimulationCANController())
    return Board.runCoSimulation(
      &ecu, frames: InverterFrames.self, linkPrefix: link, supervisionTicks: ecu.supervisionTicks)
  }

  @inline(never)
  static func runStandalone(ticks: UInt32) -> CyclicScheduler {
    var ecu = InverterECU(
      sensors: BenchInverterSensors(), stage: BenchPowerStage(), bus: UnconnectedCANController())
    return Board.runStandalone(
      &ecu, periodMicroseconds: ecu.controlPeriodMicroseconds,
      supervisionTicks: ecu.supervisionTicks, ticks: ticks)
  }
}
