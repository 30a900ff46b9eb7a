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
    let resetCause = Board.takeResetCause()
    Board.printBanner(ecu: "inverter", resetCause: resetCause)
    RetainedDiagnosticStore.erase(after: resetCause)
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

  // The ECU (4.4 KB) is started in place in the board's static ECU storage (zero-filled memory
  // of a trivial type, which `start` writes field by field), not on the stack; one function
  // per mode, not inlined, so only one mode's construction temporaries exist at a time.

  @inline(never)
  static func runCoSimulation(link: [160 of UInt8]) -> CyclicScheduler {
    let ecu = Board.ecuStorage(
      for: InverterECU<
        CoSimulationInverterSensors, CoSimulationPowerStage,
        CoSimulationCANController, RetainedDiagnosticStore
      >.self)
    ecu.pointee.start(
      sensors: CoSimulationInverterSensors(), stage: CoSimulationPowerStage(),
      bus: CoSimulationCANController(), store: RetainedDiagnosticStore())
    return Board.runCoSimulation(
      &ecu.pointee, frames: InverterFrames.self, linkPrefix: link,
      supervisionTicks: ecu.pointee.supervisionTicks)
  }

  @inline(never)
  static func runStandalone(ticks: UInt32) -> CyclicScheduler {
    let ecu = Board.ecuStorage(
      for: InverterECU<
        BenchInverterSensors, BenchPowerStage, UnconnectedCANController,
        RetainedDiagnosticStore
      >.self)
    ecu.pointee.start(
      sensors: BenchInverterSensors(), stage: BenchPowerStage(),
      bus: UnconnectedCANController(), store: RetainedDiagnosticStore())
    return Board.runStandalone(
      &ecu.pointee, periodMicroseconds: ecu.pointee.controlPeriodMicroseconds,
      supervisionTicks: ecu.pointee.supervisionTicks, ticks: ticks)
  }
}
