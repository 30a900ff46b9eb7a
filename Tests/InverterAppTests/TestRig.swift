import Foundation
import InverterApp
import MotorControl
import Platform
import Scheduling
import VehicleNetwork

/// The reference e-axle on a dynamometer (speed held) behind an average-value inverter, in
/// Double and independent of the firmware's math: dq model, explicit Euler in sub-steps.
struct EAxlePlant {
  let polePairs = 4.0
  let resistance_ohm = 0.010
  let inductanceD_H = 0.20e-3
  let inductanceQ_H = 0.45e-3
  let fluxLinkage_Wb = 0.065

  var id_A = 0.0
  var iq_A = 0.0
  var mechanicalAngle_rad = 0.0
  var speed_rpm = 0.0
  var dcLink_V = 350.0
  var temperature_C = 25.0
  /// Zero-current error of the phase A current converter, counts.
  var phaseAOffset_counts = 0.0

  var speed_rad_s: Double { speed_rpm * Double.pi / 30 }
  var torque_Nm: Double {
    1.5 * polePairs * iq_A * (fluxLinkage_Wb + (inductanceD_H - inductanceQ_H) * id_A)
  }

  /// The board's view: 0.25 A/count around 2048, 0.2 V/count, 65536 counts per mechanical
  /// turn, 0.1 °C/count − 40 °C.
  func sample() -> InverterSample {
    let theta = polePairs * mechanicalAngle_rad
    let alpha = cos(theta) * id_A - sin(theta) * iq_A
    let beta = sin(theta) * id_A + cos(theta) * iq_A
    let a = alpha
    let b = -0.5 * alpha + 0.5 * 3.0.squareRoot() * beta
    func counts(_ value: Double, _ perCount: Double, _ zero: Double) -> UInt16 {
      UInt16(min(max((value / perCount + zero).rounded(), 0), 4095))
    }
    let turns = mechanicalAngle_rad / (2 * Double.pi)
    let angle = UInt16(Int(((turns - turns.rounded(.down)) * 65536).rounded(.down)) & 0xFFFF)
    let temperature = counts(temperature_C + 40, 0.1, 0)
    return InverterSample(
      phaseCurrentCounts: [
        counts(a, 0.25, 2048 + phaseAOffset_counts), counts(b, 0.25, 2048),
      ],
      dcLinkVoltageCounts: counts(dcLink_V, 0.2, 0), rotorAngleCounts: angle,
      inverterTemperatureCounts: temperature, motorTemperatureCounts: temperature)
  }

  /// One period under `command`: leg voltages duty × Vdc (the common mode cancels in the star
  /// winding), windings shorted in ASC; with the switches open the tests stay below the
  /// back-EMF that could drive current through the diodes, so the current is zero.
  mutating func apply(_ command: PowerStageCommand, for dt: Double, substeps: Int = 5) {
    var vAlpha = 0.0
    var vBeta = 0.0
    switch command.mode {
    case .modulating:
      let a = Double(command.duties[0])
      let b = Double(command.duties[1])
      let c = Double(command.duties[2])
      let mean = (a + b + c) / 3
      vAlpha = (a - mean) * dcLink_V
      vBeta = (vAlpha + 2 * (b - mean) * dcLink_V) / 3.0.squareRoot()
    case .activeShortCircuit:
      break
    case .off:
      id_A = 0
      iq_A = 0
    }
    let h = dt / Double(substeps)
    let omega = polePairs * speed_rad_s
    for _ in 0..<substeps {
      if command.mode != .off {
        let theta = polePairs * mechanicalAngle_rad
        let vd = cos(theta) * vAlpha + sin(theta) * vBeta
        let vq = -sin(theta) * vAlpha + cos(theta) * vBeta
        let did = (vd - resistance_ohm * id_A + omega * inductanceQ_H * iq_A) / inductanceD_H
        let diq =
          (vq - resistance_ohm * iq_A - omega * (inductanceD_H * id_A + fluxLinkage_Wb))
          / inductanceQ_H
        id_A += h * did
        iq_A += h * diq
      }
      mechanicalAngle_rad += h * speed_rad_s
    }
  }
}

struct FakeSensors: InverterSensors {
  /// What the next `sample()` returns (the rig sets it every period).
  var next: InverterSample? = nil
  var samples = 0
  mutating func sample() -> InverterSample? {
    samples += 1
    return next
  }
}

struct FakeStage: PowerStage {
  var last = PowerStageCommand.off
  var applied = 0
  mutating func apply(_ command: PowerStageCommand) {
    last = command
    applied += 1
  }
}

/// A CAN controller whose received frames are readable only during the period they arrive in
/// (the rig replaces `inbox` every period, as the HIL port does).
struct FakeBus: CANController {
  var sent: [CANFrame] = []
  var inbox: [CANFrame] = []
  mutating func transmit(_ frame: CANFrame) -> Bool {
    sent.append(frame)
    return true
  }
  mutating func receive() -> CANFrame? { inbox.isEmpty ? nil : inbox.removeFirst() }
}

struct FakeWatchdog: Watchdog {
  var feeds = 0
  mutating func feed() { feeds += 1 }
}

/// A non-volatile store in host memory (erased: every byte 0xFF).
struct RAMStore: NonVolatileStore {
  var bytes = [UInt8](repeating: 0xFF, count: 664)
  var capacity: Int { bytes.count }
  func read(at offset: Int) -> UInt8 { bytes[offset] }
  mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0 && offset < bytes.count else { return false }
    bytes[offset] = byte
    return true
  }
}

typealias TestECU = InverterECU<FakeSensors, FakeStage, FakeBus, RAMStore>

/// Measurement channel numbers (the ECU's documented list).
enum Channel: Int {
  case id = 0
  case iq, idReference, iqReference, torqueReference, torqueEstimate, speed, dcLink, state
  case faultCode, torqueRequest, voltageDemand, motoringLimit, missingSamples, stageMode
  case torqueRequestE2E
}

/// The ECU under its scheduler, closed around the plant, with the VCU and the BMS on the bus
/// sending their E2E-protected messages every 10 and 100 ms.
struct Rig {
  static let period_s = 50e-6
  /// Control periods per 10 ms VCU cycle and 100 ms BMS cycle; the messages arrive a few
  /// periods off the 1 kHz job, as on a real bus.
  static let vcuPeriods = 200
  static let vcuPhase = 7
  static let bmsPeriods = 2000
  static let bmsPhase = 13

  var plant = EAxlePlant()
  var ecu: TestECU
  var scheduler: CyclicScheduler
  var dog = FakeWatchdog()
  var tick = 0

  var vcu = VCUTorqueRequest(
    torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: false,
    torqueRequest_Nm: 0, speedRequest_rpm: 0, keyState: .run)
  var sendTorqueRequests = true
  /// Flips the CRC byte of every regular torque request after protection.
  var corruptTorqueRequests = false
  var vcuProtector = E2EProtector(dataID: VCUTorqueRequest.e2eDataID)

  var bms = BMSLimits(
    limitsCRC: 0, limitsCounter: 0, chargeCurrentLimit_A: 300, dischargeCurrentLimit_A: 500,
    chargePowerLimit_kW: 150, dischargePowerLimit_kW: 200)
  var sendBatteryLimits = true
  var bmsProtector = E2EProtector(dataID: BMSLimits.e2eDataID)

  /// Frames delivered in the next period after the regular ones.
  var extraFrames: [CANFrame] = []
  /// The next period's sample is lost.
  var dropNextSample = false
  /// Everything the ECU sent, with the period it was sent in.
  var transmitted: [(tick: Int, frame: CANFrame)] = []

  init(calibration: InverterCalibration = .brandA, speed_rpm: Double = 1000) {
    plant.speed_rpm = speed_rpm
    ecu = TestECU(
      sensors: FakeSensors(), stage: FakeStage(), bus: FakeBus(), store: RAMStore(),
      calibration: calibration)
    // The schedule is valid by construction (checked by the task-rate test).
    scheduler = try! CyclicScheduler(tasks: ecu, supervisionTicks: ecu.supervisionTicks)
  }

  /// The measurement channels after the last period.
  var measurements: [16 of Float] = .init(repeating: 0)

  var state: InverterState { ecu.drive.stateMachine.state }
  func channel(_ channel: Channel) -> Float { measurements[channel.rawValue] }

  /// The last INV_Status the ECU sent, decoded.
  func lastSent(_ message: INVStatus.Type) -> INVStatus? {
    transmitted.last { $0.frame.id == INVStatus.id }.flatMap { INVStatus.decode($0.frame) }
  }

  /// The last INV_Status2 the ECU sent, decoded.
  func lastSent(_ message: INVStatus2.Type) -> INVStatus2? {
    transmitted.last { $0.frame.id == INVStatus2.id }.flatMap { INVStatus2.decode($0.frame) }
  }

  /// The torque request as the VCU sends it now (counter and CRC stamped).
  mutating func torqueRequestFrame() -> CANFrame {
    var frame = vcu.encode()
    vcuProtector.protect(&frame)
    return frame
  }

  mutating func run(periods: Int) {
    for _ in 0..<periods {
      var inbox: [CANFrame] = []
      if sendTorqueRequests && tick % Rig.vcuPeriods == Rig.vcuPhase {
        var frame = torqueRequestFrame()
        if corruptTorqueRequests { frame.data[0] ^= 0xFF }
        inbox.append(frame)
      }
      if sendBatteryLimits && tick % Rig.bmsPeriods == Rig.bmsPhase {
        var frame = bms.encode()
        bmsProtector.protect(&frame)
        inbox.append(frame)
      }
      inbox += extraFrames
      extraFrames = []
      ecu.bus.inbox = inbox
      ecu.sensors.next = dropNextSample ? nil : plant.sample()
      dropNextSample = false
      scheduler.runOnePeriod(&ecu, watchdog: &dog)
      for frame in ecu.bus.sent { transmitted.append((tick, frame)) }
      ecu.bus.sent = []
      measurements = ecu.measurements
      plant.apply(ecu.stage.last, for: Rig.period_s)
      tick += 1
    }
  }

  mutating func run(milliseconds: Double) {
    run(periods: Int((milliseconds * 1e-3 / Rig.period_s).rounded()))
  }

  /// Key in run and the drive enabled with `torque_Nm` requested, from power-up: the offset
  /// calibration (51.2 ms) and standby, then 150 ms to ramp up and settle.
  mutating func driveAt(torque_Nm: Float) {
    vcu.enable = true
    vcu.torqueRequest_Nm = torque_Nm
    run(milliseconds: 60)
    run(milliseconds: 150)
  }
}

/// The MTPA currents of the reference motor for a torque, in Double, by bisection on iq along
/// the MTPA curve id = c − √(c² + iq²), c = ψ / (2·(Lq − Ld)) (a different method from the
/// firmware's Newton iteration on the quartic).
func referenceMTPA(torque_Nm: Double) -> (id: Double, iq: Double) {
  let p = 4.0
  let ld = 0.20e-3
  let lq = 0.45e-3
  let psi = 0.065
  let c = psi / (2 * (lq - ld))
  func id(_ iq: Double) -> Double { c - (c * c + iq * iq).squareRoot() }
  func torque(_ iq: Double) -> Double { 1.5 * p * iq * (psi + (ld - lq) * id(iq)) }
  var low = 0.0
  var high = 1000.0
  for _ in 0..<100 {
    let mid = 0.5 * (low + high)
    if torque(mid) < torque_Nm { low = mid } else { high = mid }
  }
  return (id(low), low)
}
