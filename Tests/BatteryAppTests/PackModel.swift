import BatteryApp
import BatteryManagement
import Platform
import Scheduling
import VehicleNetwork

/// A 96-cell pack behind three contactors and a DC link, stepped in 1 ms: every cell is the
/// chemistry's OCV at its own SOC minus R0·I (no RC branches: the ECU's decisions here do not
/// depend on them); the link charges through the precharge resistor, follows the pack when
/// both mains are closed and bleeds down otherwise; contactor feedback follows the command.
final class PackModel {
  static let cellCount = 96
  static let capacity_Ah = 100.0
  /// Precharge resistor and link capacitance: τ = 50 ms (the HIL rig's defaults).
  static let prechargeResistance_Ohm = 50.0
  static let linkCapacitance_F = 1e-3
  /// The inverter's discharge circuit with the pack disconnected: τ = 200 ms.
  static let bleedTimeConstant_s = 0.2

  var chemistry: CellChemistry
  var soc: [Double]
  var r0_Ohm: Double
  var temperature_dC: Int16 = 250
  /// Current the vehicle draws while both mains are closed (+ discharge).
  var load_A = 0.0
  var link_V = 0.0
  var command = ContactorSet.allOpen
  /// Forced readings (mV) and open sense wires.
  var cellOverride_mV: [Int: UInt16] = [:]
  var openWire: Set<Int> = []
  /// Scans and samples the fakes withhold (a lost frame).
  var dropScans = 0
  var dropSamples = 0
  var balancingMask: [3 of UInt32] = .init(repeating: 0)
  /// OCV per cell and their sum, refreshed with every step.
  private(set) var ocv: [Double] = []
  private(set) var openCircuitVoltage_V = 0.0
  private var steps = 0

  init(soc: Double) throws {
    chemistry = try CellChemistry.lgM50Group20p()
    self.soc = Array(repeating: soc, count: PackModel.cellCount)
    r0_Ohm = Double(chemistry.modelParameters(soc: Float(soc)).r0_Ohm)
    refresh()
  }

  func refresh() {
    ocv = soc.map { Double(chemistry.openCircuitVoltage_V(soc: Float($0))) }
    openCircuitVoltage_V = ocv.reduce(0, +)
  }

  var current_A: Double {
    if command.negativeMain && command.positiveMain { return load_A }
    if command.negativeMain && command.precharge {
      return (openCircuitVoltage_V - link_V) / PackModel.prechargeResistance_Ohm
    }
    return 0
  }

  func cellVoltage_V(_ i: Int, current_A: Double) -> Double { ocv[i] - r0_Ohm * current_A }

  var packVoltage_V: Double {
    openCircuitVoltage_V - Double(PackModel.cellCount) * r0_Ohm * current_A
  }

  var meanSOC: Double { soc.reduce(0, +) / Double(soc.count) }

  func step(_ dt_s: Double) {
    let i = current_A
    for c in 0..<PackModel.cellCount { soc[c] -= i * dt_s / (PackModel.capacity_Ah * 3600) }
    if command.negativeMain && command.positiveMain {
      link_V = packVoltage_V
    } else if command.negativeMain && command.precharge {
      link_V += i / PackModel.linkCapacitance_F * dt_s
    } else {
      link_V -= link_V * dt_s / PackModel.bleedTimeConstant_s
    }
    // The OCVs move by microvolts per millisecond: refreshed every 10 steps (keeps the suite
    // fast).
    steps += 1
    if steps % 10 == 0 { refresh() }
  }

  func scan() -> CellScan {
    var scan = CellScan()
    let current = current_A
    for c in 0..<PackModel.cellCount {
      let reading = cellOverride_mV[c] ?? UInt16(cellVoltage_V(c, current_A: current) * 1000 + 0.5)
      scan.cellVoltage_mV[c] = reading
      scan.openWire[c] = openWire.contains(c)
    }
    for t in 0..<32 { scan.temperature_dC[t] = temperature_dC }
    return scan
  }

  func sample() -> PackSample {
    PackSample(
      current_mA: Int32(current_A * 1000), packVoltage_dV: UInt16(packVoltage_V * 10 + 0.5),
      linkVoltage_dV: UInt16(max(link_V, 0) * 10 + 0.5), feedback: command)
  }
}

struct FakeMonitor: CellMonitor {
  let model: PackModel
  mutating func scan() -> CellScan? {
    if model.dropScans > 0 {
      model.dropScans -= 1
      return nil
    }
    return model.scan()
  }
  mutating func setBalancing(_ mask: [3 of UInt32]) { model.balancingMask = mask }
}

struct FakePackSensors: PackSensors {
  let model: PackModel
  mutating func sample() -> PackSample? {
    if model.dropSamples > 0 {
      model.dropSamples -= 1
      return nil
    }
    return model.sample()
  }
}

struct FakeRelays: ContactorDriver {
  let model: PackModel
  mutating func apply(_ command: ContactorSet) { model.command = command }
}

/// The vehicle bus: frames for the ECU, and what it sent with the millisecond it was sent in.
final class VehicleBus {
  var inbox: [CANFrame] = []
  var sent: [(ms: Int, frame: CANFrame)] = []
  var now_ms = 0

  func frames(id: UInt32) -> [(ms: Int, frame: CANFrame)] { sent.filter { $0.frame.id == id } }
}

struct FakeBus: CANController {
  let bus: VehicleBus
  mutating func transmit(_ frame: CANFrame) -> Bool {
    bus.sent.append((bus.now_ms, frame))
    return true
  }
  mutating func receive() -> CANFrame? { bus.inbox.isEmpty ? nil : bus.inbox.removeFirst() }
}

/// Byte-addressed RAM standing in for the board's store; survives "resets" by being handed to
/// the next ECU.
struct RAMStore: NonVolatileStore {
  var bytes: [UInt8]
  init(count: Int = 256, fill: UInt8 = 0) { bytes = [UInt8](repeating: fill, count: count) }
  var capacity: Int { bytes.count }
  func read(at offset: Int) -> UInt8 { bytes[offset] }
  mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0 && offset < bytes.count else { return false }
    bytes[offset] = byte
    return true
  }
}

struct CountingWatchdog: Watchdog {
  var feeds = 0
  mutating func feed() { feeds += 1 }
}

typealias TestECU = BatteryECU<
  FakeMonitor, FakePackSensors, FakeRelays, FakeBus, RAMStore, RAMStore
>

/// The ECU on the model, with a VCU sending VCU_TorqueRequest every 10 ms.
struct ECURig {
  let model: PackModel
  let bus = VehicleBus()
  var ecu: TestECU
  var scheduler: CyclicScheduler
  var watchdog = CountingWatchdog()
  var vcu = E2EProtector(dataID: VCUTorqueRequest.e2eDataID)
  var key = VCUTorqueRequest.KeyState.off
  var vcuSending = true
  var corruptVCU = false
  var ms = 0

  init(soc: Double = 0.6, store: RAMStore = RAMStore()) throws {
    model = try PackModel(soc: soc)
    ecu = try TestECU(
      monitor: FakeMonitor(model: model), pack: FakePackSensors(model: model),
      relays: FakeRelays(model: model), bus: FakeBus(bus: bus), store: store,
      diagnosticStore: RAMStore(count: 664, fill: 0xFF),
      description: try PackDescription.reference())
    scheduler = try CyclicScheduler(tasks: ecu, supervisionTicks: ecu.supervisionTicks)
  }

  mutating func run(ms count: Int, until done: ((ECURig) -> Bool)? = nil) -> Int? {
    for elapsed in 1...count {
      bus.now_ms = ms
      if vcuSending && ms % 10 == 0 {
        var frame = VCUTorqueRequest(
          torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: false,
          torqueRequest_Nm: 0, speedRequest_rpm: 0, keyState: key
        ).encode()
        vcu.protect(&frame)
        if corruptVCU { frame.data[0] ^= 0x5A }
        bus.inbox.append(frame)
      }
      scheduler.runOnePeriod(&ecu, watchdog: &watchdog)
      model.step(0.001)
      ms += 1
      if let done, done(self) { return elapsed }
    }
    return nil
  }

  var bmsState: UInt8 { UInt8(ecu.measurements[2]) }
}
