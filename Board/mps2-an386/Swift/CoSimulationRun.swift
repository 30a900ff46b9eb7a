import BoardSupport
import CoSimulation
import Platform
import Scheduling

/// How one ECU kind's frames map onto the port state.
public protocol CoSimulationFrames {
  /// Decodes the received sample frame into the port state; returns its sequence number.
  static func acceptSample(_ state: inout CoSimulationState) throws(FrameError) -> UInt32
  /// Encodes this period's actuation frame from the port state.
  static func encodeActuation(
    _ state: inout CoSimulationState, measurements: [16 of Float], status: UInt8)
}

public enum InverterFrames: CoSimulationFrames {
  @inline(never)
  public static func acceptSample(_ state: inout CoSimulationState) throws(FrameError) -> UInt32 {
    let (sequence, message) = try InverterSampleMessage.decode(state.frame)
    state.inverterSample = message.sample
    state.received = message.received
    return sequence
  }

  @inline(never)
  public static func encodeActuation(
    _ state: inout CoSimulationState, measurements: [16 of Float], status: UInt8
  ) {
    let message = InverterActuationMessage(
      command: state.command, status: status, telemetry: measurements,
      transmitted: state.takeTransmissions())
    message.encode(into: &state.frame, sequence: state.sequence)
  }
}

public enum BatteryFrames: CoSimulationFrames {
  @inline(never)
  public static func acceptSample(_ state: inout CoSimulationState) throws(FrameError) -> UInt32 {
    let sequence = try BatterySampleMessage.decode(state.frame, into: &state.batterySample)
    state.received = state.batterySample.received
    return sequence
  }

  @inline(never)
  public static func encodeActuation(
    _ state: inout CoSimulationState, measurements: [16 of Float], status: UInt8
  ) {
    let message = BatteryActuationMessage(
      contactors: state.contactors, status: status, balancingMask: state.balancingMask,
      telemetry: measurements, transmitted: state.takeTransmissions())
    message.encode(into: &state.frame, sequence: state.sequence)
  }
}

extension Board {
  /// Runs an ECU in the HIL rig: one control period per sample frame, until the rig closes the
  /// link. Returns the scheduler for the closing summary.
  public static func runCoSimulation<
    Tasks: TaskSet & MeasurementSource, Frames: CoSimulationFrames
  >(
    _ tasks: inout Tasks, frames: Frames.Type, linkPrefix: [160 of UInt8], supervisionTicks: UInt32
  ) -> CyclicScheduler {
    guard let channel = FrameChannel.open(prefix: linkPrefix) else {
      Console.write("error: cannot open the co-simulation FIFOs")
      Console.newline()
      exit(.linkFailure)
    }
    guard MemoryLayout<CoSimulationState>.size <= Int(board_cosim_storage_size()),
      let storage = board_cosim_storage()
    else {
      Console.write("error: co-simulation state does not fit its storage")
      Console.newline()
      exit(.linkFailure)
    }
    let state = storage.bindMemory(to: CoSimulationState.self, capacity: 1)
    state.initialize(to: CoSimulationState())
    state.pointee.channel = channel
    activePort = state
    defer { activePort = nil }
    return run(&tasks, frames: frames, port: state, supervisionTicks: supervisionTicks)
  }

  @inline(never)
  static func run<Tasks: TaskSet & MeasurementSource, Frames: CoSimulationFrames>(
    _ tasks: inout Tasks, frames: Frames.Type, port: UnsafeMutablePointer<CoSimulationState>,
    supervisionTicks: UInt32
  ) -> CyclicScheduler {
    var scheduler: CyclicScheduler
    do {
      scheduler = try CyclicScheduler(tasks: &tasks, supervisionTicks: supervisionTicks)
    } catch {
      Console.write("error: task schedule rejected by the scheduler")
      Console.newline()
      exit(.selfTestFailed)
    }
    // Virtual time advances only while the ECU computes (the rig's time stands still), so the
    // watchdog here catches a task that hangs, not a slow rig.
    var watchdog = BoardWatchdog(timeoutMicroseconds: 200_000)
    Console.write("cosim: linked, one control period per frame")
    Console.newline()
    while true {
      switch port.pointee.receive() {
      case .closed:
        port.pointee.printLinkSummary()
        return scheduler
      case .rejected(let error):
        port.pointee.sequence = port.pointee.frame.bytes.span.u32(8)
        port.pointee.reject(error)
      case .frame:
        do {
          let sequence = try Frames.acceptSample(&port.pointee)
          port.pointee.sequence = sequence
          try port.pointee.link.accept(sequence: sequence)
          port.pointee.sampleValid = true
          port.pointee.receivedRead = 0
        } catch {
          port.pointee.sequence = port.pointee.frame.bytes.span.u32(8)
          port.pointee.reject(error)
        }
      }
      scheduler.runOnePeriod(&tasks, watchdog: &watchdog)
      let status = port.pointee.sampleValid ? 0 : ActuationStatus.sampleRejected
      Frames.encodeActuation(&port.pointee, measurements: tasks.measurements, status: status)
      guard port.pointee.send() else {
        port.pointee.printLinkSummary()
        return scheduler
      }
    }
  }
}
