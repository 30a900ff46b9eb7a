import BatteryApp
import BatteryManagement
import Board
import CoSimulation
import ControlMath
import Platform
import Scheduling

/// The battery-module manager ECU on the co-simulation port (HIL rig).
typealias HILBatteryECU = BatteryECU<
  CoSimulationCellMonitor, CoSimulationPackSensors, CoSimulationContactors,
  CoSimulationCANController, RetainedRAMStore, RetainedDiagnosticStore
>
/// The same ECU on an unconnected bench (standalone `ticks=N` runs).
typealias BenchBatteryECU = BatteryECU<
  BenchCellMonitor, BenchPackSensors, BenchContactors, UnconnectedCANController, RetainedRAMStore,
  RetainedDiagnosticStore
>

/// The battery-module manager ECU image: in the HIL rig with `cosim=PATH`, standalone
/// otherwise. The ECU is started in the board's static ECU storage and stepped there in place;
/// the persistent record is loaded from the retained-RAM store when it starts.
@main
struct BatteryImage {
  static func main() {
    Console.start()
    let resetCause = Board.takeResetCause()
    Board.printBanner(ecu: "bms", resetCause: resetCause)
    RetainedDiagnosticStore.erase(after: resetCause)
    Board.selfTest("ControlMath", ControlMathSelfTest.run())
    Board.selfTest("CoSimulation", CoSimulationSelfTest.run())
    let arguments = CommandLine()
    arguments.validate(known: ["ticks", "cosim", "store"])
    attachStore(arguments)

    var link: [160 of UInt8] = .init(repeating: 0)
    let scheduler: CyclicScheduler
    if arguments.copyValue("cosim", into: &link) {
      let ecu = Board.ecuStorage(for: HILBatteryECU.self)
      construct(ecu) { ecu, description throws(LookupTableError) in
        try ecu.start(
          monitor: CoSimulationCellMonitor(), pack: CoSimulationPackSensors(),
          relays: CoSimulationContactors(), bus: CoSimulationCANController(),
          store: RetainedRAMStore(), diagnosticStore: RetainedDiagnosticStore(),
          description: description)
      }
      ecu.pointee.startDiagnostics()
      scheduler = Board.runCoSimulation(
        &ecu.pointee, frames: BatteryFrames.self, linkPrefix: link,
        supervisionTicks: ecu.pointee.supervisionTicks)
    } else {
      let ecu = Board.ecuStorage(for: BenchBatteryECU.self)
      construct(ecu) { ecu, description throws(LookupTableError) in
        try ecu.start(
          monitor: BenchCellMonitor(), pack: BenchPackSensors(), relays: BenchContactors(),
          bus: UnconnectedCANController(), store: RetainedRAMStore(),
          diagnosticStore: RetainedDiagnosticStore(), description: description)
      }
      ecu.pointee.startDiagnostics()
      scheduler = Board.runStandalone(
        &ecu.pointee, periodMicroseconds: ecu.pointee.controlPeriodMicroseconds,
        supervisionTicks: ecu.pointee.supervisionTicks,
        ticks: arguments.unsignedValue("ticks", default: 0))
    }
    Board.printRunSummary(scheduler)
    Board.exit(.success)
  }

  /// Starts the reference pack's ECU in `storage` (zero-filled static memory of a trivial
  /// type, which `start` writes field by field before reading any); a rejected calibration
  /// ends the run.
  @inline(never)
  static func construct<ECU>(
    _ storage: UnsafeMutablePointer<ECU>,
    _ start: (inout ECU, borrowing PackDescription) throws(LookupTableError) -> Void
  ) {
    let description: PackDescription
    do {
      description = try PackDescription.reference()
    } catch {
      calibrationRejected()
    }
    do {
      try start(&storage.pointee, description)
    } catch {
      calibrationRejected()
    }
  }

  /// `store=PATH`: the retained-RAM store is backed by that host file (semihosting), so the
  /// persistent record outlives the QEMU process as it outlives a reset on the ECU; the HIL
  /// rig restarts the image on the same file to reset the ECU mid-run. Without it the store is
  /// plain retained RAM (zero at power-on on QEMU: no record).
  static func attachStore(_ arguments: borrowing CommandLine) {
    var path: [160 of UInt8] = .init(repeating: 0)
    guard arguments.copyValue("store", into: &path) else { return }
    guard RetainedRAMStore.attachHostFile(path) else {
      Console.write("error: store file cannot be opened")
      Console.newline()
      Board.exit(.badCommandLine)
    }
    Console.write("store: host file")
    Console.newline()
  }

  static func calibrationRejected() -> Never {
    Console.write("error: pack calibration rejected")
    Console.newline()
    Board.exit(.selfTestFailed)
  }
}
