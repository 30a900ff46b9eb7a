import BatteryManagement
import Board
import CoSimulation
import ControlMath
import InverterApp
import MotorControl
import Platform
import Scheduling
import VehicleNetwork

/// Benchmark image: instructions per call of the control kernels (see Board/Benchmark.swift and
/// the README). Each kernel takes its input from the loop index, so nothing is constant-folded,
/// and stores its result in `sink`, so nothing is dead.
@main
struct BenchImage {
  nonisolated(unsafe) static var sink: Float = 0
  nonisolated(unsafe) static var controller = PIController(
    kp: 0.5, ki: 200, kb: 400, sampleTime_s: 50e-6, outputMin: -1, outputMax: 1)

  nonisolated(unsafe) static var currentLoop = CurrentLoop(
    parameters: CurrentLoopParameters(
      calibration: .brandA,
      offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
      angleOffset_counts: 0))

  /// Maps the call index to a value spread over [-range, range).
  @inline(__always)
  static func input(_ i: UInt32, range: Float) -> Float {
    Float(Int(i & 0xFFF)) * (2 * range / 4096) - range
  }

  @inline(never) static func baseline(_ i: UInt32) { sink = input(i, range: 1) }

  @inline(never) static func sinCosKernel(_ i: UInt32) {
    let sc = sinCos(input(i, range: 6.3))
    sink = sc.sin + sc.cos
  }

  @inline(never) static func atan2Kernel(_ i: UInt32) {
    sink = atan2(y: input(i, range: 1), x: input(i &* 7, range: 1))
  }

  @inline(never) static func piStepKernel(_ i: UInt32) {
    sink = controller.step(error: input(i, range: 2))
  }

  /// The current-loop step's input for call `i`: a sample that varies with the index.
  @inline(__always)
  static func currentLoopInputs(_ i: UInt32) -> CurrentLoopInputs {
    let sample = InverterSample(
      phaseCurrentCounts: [
        UInt16(truncatingIfNeeded: 1900 &+ (i & 0xFF)),
        UInt16(truncatingIfNeeded: 2100 &- (i & 0x7F)),
      ],
      dcLinkVoltageCounts: 1750, rotorAngleCounts: UInt16(truncatingIfNeeded: i &* 97),
      inverterTemperatureCounts: 700, motorTemperatureCounts: 700)
    return CurrentLoopInputs(
      sample: sample, reference: DirectQuadrature(d: -20, q: 100), enable: true, safeMode: .off)
  }

  nonisolated(unsafe) static var currentLoopInputsSink = currentLoopInputs(0)

  /// One complete current-loop step (ADC counts to compare values), stored into `sink`.
  @inline(never) static func currentLoopKernel(_ i: UInt32) {
    let out = currentLoop.step(currentLoopInputs(i))
    sink = out.command.duties[0]
  }

  /// `currentLoopKernel` without the step: builds the same inputs, reaches the same global and
  /// stores one word into `sink`, so that the difference is the step's own instructions.
  @inline(never) static func currentLoopBaseline(_ i: UInt32) {
    currentLoopInputsSink = currentLoopInputs(i)
    sink = currentLoop.state.pllSpeed_rad_s
  }

  nonisolated(unsafe) static var sampleFrame = FrameBuffer()
  nonisolated(unsafe) static var actuationFrame = FrameBuffer()

  @inline(never) static func decodeSampleKernel(_ i: UInt32) {
    if let (sequence, message) = try? InverterSampleMessage.decode(sampleFrame) {
      sink = Float(Int(sequence)) + Float(Int(message.sample.rotorAngleCounts))
    }
  }

  @inline(never) static func encodeActuationKernel(_ i: UInt32) {
    let message = InverterActuationMessage(
      command: PowerStageCommand(mode: .modulating, duties: [0.4, 0.5, input(i, range: 0.5)]),
      status: 0, telemetry: .init(repeating: 1), transmitted: CANFrameBatch())
    message.encode(into: &actuationFrame, sequence: i)
    sink = Float(Int(actuationFrame.count))
  }

  nonisolated(unsafe) static var crcInput: [46 of UInt8] = .init(repeating: 0x5A)

  @inline(never) static func crc32Kernel(_ i: UInt32) {
    crcInput[0] = UInt8(truncatingIfNeeded: i)
    sink = Float(Int(CRC32ISOHDLC.checksum(crcInput.span) & 0xFFFF))
  }

  nonisolated(unsafe) static var diagnostics = DiagnosticServer(
    configuration: .inverter, application: NoDiagnosticApplication(),
    keys: XTEASecurityKeyAlgorithm.development, dataIdentifiers: .ecuIdentification(),
    dtcs: sixteenDTCs())

  static func sixteenDTCs() -> DTCManager {
    var table = DTCManager()
    for n in 0..<DTCManager.capacity { try? table.add(DTCDefinition(number: UInt32(n) + 1)) }
    return table
  }

  /// One physically addressed TesterPresent through the whole server: ISO-TP reception,
  /// dispatch, response built and its single frame handed out.
  @inline(never) static func udsTesterPresentKernel(_ i: UInt32) {
    var request = CANFrame(id: 0x7E0, length: 8, data: .init(repeating: 0xCC))
    request.data[0] = 0x02
    request.data[1] = 0x3E
    request.data[2] = 0x00
    diagnostics.receive(request, now_ms: i)
    var bytes = 0
    while let frame = diagnostics.poll(now_ms: i) { bytes += Int(frame.length) }
    sink = Float(bytes)
  }

  /// One debounce sample of the last of 16 DTCs (the longest table search), through the
  /// diagnostic server as an ECU reports it.
  @inline(never) static func dtcReportKernel(_ i: UInt32) {
    diagnostics.dtcs.report(
      UInt32(DTCManager.capacity), failed: i & 4 == 0,
      freezeFrame: FreezeFrame(signals: .init(repeating: input(i, range: 1))))
    sink = Float(Int(i & 3))
  }

  nonisolated(unsafe) static var diagnosticStore = RetainedDiagnosticStore()

  /// One write of the 16-DTC record (648 bytes and its CRC-32) into the retained region, as
  /// `DiagnosticServer.persist` does after a change.
  @inline(never) static func dtcRecordSaveKernel(_ i: UInt32) {
    sink = diagnostics.dtcs.save(to: &diagnosticStore, at: 16) ? Float(Int(i & 1)) : 0
  }

  @inline(never) static func xteaKeyKernel(_ i: UInt32) {
    sink = Float(Int(XTEASecurityKeyAlgorithm.development.key(seed: i, level: 1) & 0xFFFF))
  }

  /// Inverter sensors turning at ≈ 1000 rpm (55 resolver counts per 50 µs period) with phase
  /// currents that vary with the call index (zero current at index 32).
  struct TurningRotorSensors: InverterSensors {
    var index: UInt32 = 0
    var angle: UInt16 = 0
    mutating func sample() -> InverterSample? {
      angle &+= 55
      return InverterSample(
        phaseCurrentCounts: [
          UInt16(truncatingIfNeeded: 2016 &+ (index & 0x3F)),
          UInt16(truncatingIfNeeded: 2080 &- (index & 0x3F)),
        ],
        dcLinkVoltageCounts: 1750, rotorAngleCounts: angle, inverterTemperatureCounts: 650,
        motorTemperatureCounts: 650)
    }
  }

  /// A bus that delivers at most one frame, set before the period that reads it.
  struct OneFrameBus: CANController {
    var pending: CANFrame? = nil
    mutating func transmit(_ frame: CANFrame) -> Bool { true }
    mutating func receive() -> CANFrame? {
      defer { pending = nil }
      return pending
    }
  }

  struct NoWatchdog: Watchdog {
    mutating func feed() {}
  }

  nonisolated(unsafe) static var inverter = InverterECU(
    sensors: TurningRotorSensors(), stage: BenchPowerStage(), bus: OneFrameBus(),
    store: RetainedDiagnosticStore(), calibration: .brandA)

  /// Brings the inverter ECU to running at 50 N·m: 70 ms of its whole schedule with the VCU's
  /// torque request every 10 ms and the BMS limits every 100 ms.
  static func startInverter() -> Bool {
    guard var scheduler = try? CyclicScheduler(tasks: inverter, supervisionTicks: 2000) else {
      return false
    }
    var vcu = E2EProtector(dataID: VCUTorqueRequest.e2eDataID)
    var bms = E2EProtector(dataID: BMSLimits.e2eDataID)
    var dog = NoWatchdog()
    inverter.sensors.index = 32
    for period in 0..<1400 {
      if period % 200 == 3 {
        var frame = VCUTorqueRequest(
          torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: true,
          torqueRequest_Nm: 50, speedRequest_rpm: 0, keyState: .run
        ).encode()
        vcu.protect(&frame)
        inverter.bus.pending = frame
      } else if period % 2000 == 5 {
        var frame = BMSLimits(
          limitsCRC: 0, limitsCounter: 0, chargeCurrentLimit_A: 300, dischargeCurrentLimit_A: 500,
          chargePowerLimit_kW: 150, dischargePowerLimit_kW: 200
        ).encode()
        bms.protect(&frame)
        inverter.bus.pending = frame
      }
      scheduler.runOnePeriod(&inverter, watchdog: &dog)
    }
    return inverter.drive.stateMachine.state == .running
  }

  /// One control-rate job of the inverter ECU while running: bus poll, sample, current loop,
  /// protections, safe-state selection, state machine, power-stage command.
  @inline(never) static func inverterControlPeriodKernel(_ i: UInt32) {
    inverter.sensors.index = i
    inverter.run(task: 0, tick: i)
    sink = inverter.stage.lastCommand.duties[0]
  }

  static func main() {
    Console.start()
    Board.printBanner(ecu: "bench", resetCause: Board.takeResetCause())
    let base = Benchmark.ticks(baseline)
    Benchmark.report("sin_cos", kernelTicks: Benchmark.ticks(sinCosKernel), baselineTicks: base)
    Benchmark.report("atan2", kernelTicks: Benchmark.ticks(atan2Kernel), baselineTicks: base)
    Benchmark.report("pi_step", kernelTicks: Benchmark.ticks(piStepKernel), baselineTicks: base)
    Benchmark.report(
      "foc_current_step", kernelTicks: Benchmark.ticks(currentLoopKernel),
      baselineTicks: Benchmark.ticks(currentLoopBaseline))
    Benchmark.report(
      "crc32_46_bytes", kernelTicks: Benchmark.ticks(crc32Kernel), baselineTicks: base)
    InverterSampleMessage(
      sample: InverterSample(
        phaseCurrentCounts: [2100, 2000], dcLinkVoltageCounts: 1750, rotorAngleCounts: 1234,
        inverterTemperatureCounts: 650, motorTemperatureCounts: 650),
      received: CANFrameBatch()
    ).encode(into: &sampleFrame, sequence: 1)
    let decode = Benchmark.report(
      "cosim_decode_inverter_sample", kernelTicks: Benchmark.ticks(decodeSampleKernel),
      baselineTicks: base)
    let encode = Benchmark.report(
      "cosim_encode_inverter_actuation", kernelTicks: Benchmark.ticks(encodeActuationKernel),
      baselineTicks: base)
    if !startInverter() {
      Console.write("inverter_control_period: the drive did not reach running")
      Console.newline()
    }
    let period = Benchmark.report(
      "inverter_control_period", kernelTicks: Benchmark.ticks(inverterControlPeriodKernel),
      baselineTicks: base)
    // The whole control-rate job in the rig: the ECU's period plus the co-simulation frames.
    Benchmark.report(
      "inverter_control_period_with_cosim_io", milliInstructions: period + decode + encode)
    Benchmark.reportShare(
      "inverter_control_period_share_20kHz_168MHz", milliInstructions: period,
      budgetCycles: Benchmark.cycles168MHz(microseconds: 50))
    reportBatteryKernels(baselineTicks: base)
    Benchmark.report(
      "uds_tester_present_roundtrip", kernelTicks: Benchmark.ticks(udsTesterPresentKernel),
      baselineTicks: base)
    Benchmark.report(
      "dtc_report_sample", kernelTicks: Benchmark.ticks(dtcReportKernel), baselineTicks: base)
    Benchmark.report(
      "xtea_security_key", kernelTicks: Benchmark.ticks(xteaKeyKernel), baselineTicks: base)
    Benchmark.report(
      "dtc_record_save", kernelTicks: Benchmark.ticks(dtcRecordSaveKernel), baselineTicks: base)
    Board.exit(.success)
  }
}

// MARK: Battery management kernels

extension BenchImage {
  /// The manager on the reference pack, started in place in the board's ECU storage (as the
  /// BMS image does), contactors closed, 96 cells around 3.7 V with a spread that keeps the
  /// balancer deciding.
  nonisolated(unsafe) static var bmsManager: UnsafeMutablePointer<BatteryManager>? = nil
  nonisolated(unsafe) static var bmsScan = CellScan()

  static func bmsSample(_ i: UInt32) -> PackSample {
    PackSample(
      current_mA: Int32(truncatingIfNeeded: 20_000 &+ (i & 0x3FF)), packVoltage_dV: 3_552,
      linkVoltage_dV: 3_550,
      feedback: ContactorSet(negativeMain: true, positiveMain: true, precharge: false))
  }

  /// One 10 ms pass of `BatteryManager.stepScan`: plausibility of 96 cells and 32 sensors,
  /// the protection rows, the SOH resistance step, the balancing decision, the contactor step.
  @inline(never) static func bmsCellScanKernel(_ i: UInt32) {
    guard let manager = bmsManager else { return }
    bmsScan.cellVoltage_mV[Int(i % 96)] = UInt16(truncatingIfNeeded: 3_690 &+ (i & 0xF))
    let out = manager.pointee.stepScan(bmsScan, bmsSample(i), request: .close)
    sink = Float(Int(out.balancing[0] & 0xFF))
  }

  /// One 1 ms `stepCurrent` (charge integration, over-current rows).
  @inline(never) static func bmsCurrentKernel(_ i: UInt32) {
    guard let manager = bmsManager else { return }
    sink = manager.pointee.stepCurrent(bmsSample(i)).positiveMain ? 1 : 0
  }

  /// One full estimation update for the whole pack (`stepEstimation`: three 3-state EKFs on
  /// the min, mean and max cell, SOH feedback, power limits), preceded by one `stepCurrent` so
  /// that the prediction runs; subtract `bms_current_step` for the update alone.
  @inline(never) static func bmsEstimationKernel(_ i: UInt32) {
    guard let manager = bmsManager else { return }
    _ = manager.pointee.stepCurrent(bmsSample(i))
    sink = manager.pointee.stepEstimation().limits.dischargeCurrent_A
  }

  static func reportBatteryKernels(baselineTicks base: UInt32) {
    let manager = Board.ecuStorage(for: BatteryManager.self)
    guard let pack = try? PackDescription.reference(),
      (try? manager.pointee.reset(pack: pack, restored: nil)) != nil
    else { return }
    bmsManager = manager
    for cell in 0..<BatteryCapacity.maxCells {
      bmsScan.cellVoltage_mV[cell] = UInt16(truncatingIfNeeded: 3_690 + (cell % 7) * 8)
    }
    for sensor in 0..<BatteryCapacity.maxTemperatureSensors { bmsScan.temperature_dC[sensor] = 250 }
    // Close the contactors (precharge, mains) before measuring.
    for i in 0..<100 { bmsCellScanKernel(UInt32(i)) }
    let scan = Benchmark.report(
      "bms_cell_scan", kernelTicks: Benchmark.ticks(bmsCellScanKernel), baselineTicks: base)
    Benchmark.report(
      "bms_current_step", kernelTicks: Benchmark.ticks(bmsCurrentKernel), baselineTicks: base)
    let estimation = Benchmark.report(
      "bms_estimation_step", kernelTicks: Benchmark.ticks(bmsEstimationKernel),
      baselineTicks: base)
    Benchmark.reportShare(
      "bms_cell_scan_share_10ms_168MHz", milliInstructions: scan,
      budgetCycles: Benchmark.cycles168MHz(microseconds: 10_000))
    Benchmark.reportShare(
      "bms_estimation_step_share_100ms_168MHz", milliInstructions: estimation,
      budgetCycles: Benchmark.cycles168MHz(microseconds: 100_000))
  }
}
