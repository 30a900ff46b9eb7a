import ControlMath
import Platform

/// The battery-management functions wired together at their rates, for the ECU (floor 2) to
/// call from its tasks: every 1 ms `stepCurrent`, every 10 ms `stepScan`, every 100 ms
/// `stepEstimation`. It owns the fault log and produces the record to persist.
public struct BatteryManager: Sendable {
  public private(set) var cellCount: Int
  public private(set) var acquisition: AcquisitionCheck
  public private(set) var protection: ProtectionMonitor
  public private(set) var stateOfCharge: StateOfChargeEstimator
  public private(set) var stateOfHealth: StateOfHealthEstimator
  public private(set) var balancer: PassiveBalancer
  public private(set) var contactors: ContactorSequencer
  public private(set) var powerLimitConfiguration: PowerLimitConfiguration
  public private(set) var faultLog: FaultLog
  /// The latest checked scan.
  public private(set) var measurement: PackMeasurement
  public private(set) var lastEstimate: SOCEstimate
  public private(set) var lastLimits: PowerLimits
  /// Working copy for the lookups (they are mutating: the tables remember their segment).
  private var chemistry: CellChemistry
  private var operating_ms: UInt32
  private var operating_s: UInt32
  private var lastContactorFault: ContactorFault?
  private var dischargeThroughputBase_Ah: Float
  private var contactorsOpenUnderLoadBase: UInt32
  /// The current monitor loss is in the fault log (cleared by the next scan).
  private var monitorLostLogged: Bool

  /// - Parameters:
  ///   - restored: the record loaded at start-up, if any (SOC restored with σ = 5 %: self-
  ///     discharge and rest since); otherwise the filters start at 50 % with σ = 15 % and
  ///     converge on the voltages within seconds.
  public init(pack: PackDescription, restored: PersistentBatteryData?) throws(LookupTableError) {
    cellCount = pack.cellCount
    chemistry = pack.chemistry
    acquisition = AcquisitionCheck(pack: pack, limits: .standard)
    protection = ProtectionMonitor()
    stateOfCharge = StateOfChargeEstimator(
      capacity_Ah: pack.chemistry.capacity_Ah, configuration: .standard,
      initialSOC: restored?.stateOfCharge ?? 0.5)
    stateOfHealth = StateOfHealthEstimator(
      nominalCapacity_Ah: pack.chemistry.capacity_Ah, configuration: .standard,
      capacity_Ah: restored?.capacity_Ah, resistanceRatio: restored?.resistanceRatio ?? 1)
    balancer = PassiveBalancer(configuration: .standard)
    contactors = ContactorSequencer(configuration: .standard)
    powerLimitConfiguration = try PowerLimitConfiguration.standard(for: pack.chemistry.limits)
    faultLog = restored?.faultLog ?? FaultLog()
    measurement = PackMeasurement()
    lastEstimate = SOCEstimate(
      pack: 0, minimumCell: 0, meanCell: 0, maximumCell: 0, sigma: 1, mode: .coulombCountingOnly,
      restCorrected: false)
    lastLimits = .zero
    operating_ms = 0
    operating_s = restored?.operatingTime_s ?? 0
    lastContactorFault = nil
    dischargeThroughputBase_Ah = restored?.dischargeThroughput_Ah ?? 0
    contactorsOpenUnderLoadBase = restored?.contactorOpenedUnderLoadCount ?? 0
    monitorLostLogged = false
    if let restored {
      stateOfCharge.restore(soc: restored.stateOfCharge, sigma: 0.05)
    }
    stateOfCharge.capacity_Ah = stateOfHealth.capacity_Ah
    stateOfCharge.resistanceScale = stateOfHealth.resistanceRatio
  }

  /// Re-initialises every stored property in place, as `init(pack:restored:)` does, one field
  /// at a time: the ECU constructs the manager in its static storage with this, without a
  /// whole-manager temporary on the stack (Swift builds a struct's value in its initialiser's
  /// frame and copies it out). No field is read before it is written.
  public mutating func reset(pack: borrowing PackDescription, restored: PersistentBatteryData?)
    throws(LookupTableError)
  {
    cellCount = pack.cellCount
    chemistry = pack.chemistry
    acquisition = AcquisitionCheck(pack: pack, limits: .standard)
    protection = ProtectionMonitor()
    stateOfCharge = StateOfChargeEstimator(
      capacity_Ah: pack.chemistry.capacity_Ah, configuration: .standard,
      initialSOC: restored?.stateOfCharge ?? 0.5)
    stateOfHealth = StateOfHealthEstimator(
      nominalCapacity_Ah: pack.chemistry.capacity_Ah, configuration: .standard,
      capacity_Ah: restored?.capacity_Ah, resistanceRatio: restored?.resistanceRatio ?? 1)
    balancer = PassiveBalancer(configuration: .standard)
    contactors = ContactorSequencer(configuration: .standard)
    powerLimitConfiguration = try PowerLimitConfiguration.standard(for: pack.chemistry.limits)
    faultLog = restored?.faultLog ?? FaultLog()
    measurement = PackMeasurement()
    lastEstimate = SOCEstimate(
      pack: 0, minimumCell: 0, meanCell: 0, maximumCell: 0, sigma: 1, mode: .coulombCountingOnly,
      restCorrected: false)
    lastLimits = .zero
    operating_ms = 0
    operating_s = restored?.operatingTime_s ?? 0
    lastContactorFault = nil
    dischargeThroughputBase_Ah = restored?.dischargeThroughput_Ah ?? 0
    contactorsOpenUnderLoadBase = restored?.contactorOpenedUnderLoadCount ?? 0
    monitorLostLogged = false
    if let restored {
      stateOfCharge.restore(soc: restored.stateOfCharge, sigma: 0.05)
    }
    stateOfCharge.capacity_Ah = stateOfHealth.capacity_Ah
    stateOfCharge.resistanceScale = stateOfHealth.resistanceRatio
  }

  /// Every 1 ms: charge integration and the over-current rows. Returns the contactor command;
  /// a current fault that has passed its delay opens the contactors here, without waiting for
  /// the next scan.
  public mutating func stepCurrent(_ sample: PackSample) -> ContactorSet {
    let open = contactors.command == .allOpen
    stateOfCharge.integrateCurrent(
      current_mA: sample.current_mA, elapsed_ms: 1, contactorsOpen: open)
    let status = protection.stepCurrent(current_A: Float(Int(sample.current_mA)) / 1000)
    record(status.newlyRecorded)
    if status.openContactors && !open {
      return contactors.step(
        request: .open, forceOpen: true, prechargeAllowed: false, sample: sample, elapsed_ms: 0)
    }
    return contactors.command
  }

  /// Every 10 ms: plausibility, voltage/temperature protections, resistance estimate,
  /// balancing and the contactor sequence. `request` is the vehicle's contactor request.
  public mutating func stepScan(
    _ scan: borrowing CellScan, _ sample: PackSample, request: ContactorRequest
  ) -> (contactors: ContactorSet, balancing: [3 of UInt32]) {
    operating_ms += 10
    if operating_ms >= 1000 {
      operating_ms -= 1000
      operating_s &+= 1
    }
    monitorLostLogged = false
    measurement = acquisition.evaluate(scan, sample)
    let status = protection.stepScan(measurement)
    record(status.newlyRecorded)
    if measurement.validCellCount > 0 {
      let nominalR0 = chemistry.modelParameters(soc: lastEstimate.meanCell).r0_Ohm
      stateOfHealth.observeScan(
        meanCell_V: measurement.meanCell_V, current_A: measurement.current_A,
        nominalR0_Ohm: nominalR0)
    }
    let command = contactors.step(
      request: request, forceOpen: status.openContactors,
      prechargeAllowed: measurement.allowsPrecharge && !status.faultPresent, sample: sample,
      elapsed_ms: 10)
    if let fault = contactors.fault, fault != lastContactorFault {
      faultLog.append(
        FaultLogEntry(
          code: FaultLogEntry.contactorCodeBase + fault.rawValue, operatingTime_s: operating_s))
    }
    lastContactorFault = contactors.fault
    let mask = balancer.step(scan, measurement, cellCount: cellCount)
    return (command, mask)
  }

  /// Fault-log code of a cell monitor that stopped delivering scans (outside the protection
  /// table's codes 0…25 and the contactor codes 100…).
  public static let monitorLostCode: UInt8 = 90

  /// Every 10 ms in place of `stepScan` when the cell monitor delivered no scan (a communication
  /// fault, a rejected co-simulation frame). Nothing was measured, so nothing is judged: the
  /// protections, SOH and balancing hold, and the contactor sequence holds its state and timers
  /// (the command stays as it is). With `monitorLost` (the caller's count of consecutive missing
  /// scans reached its limit) the cells are unwatched: the contactors open now, even under load,
  /// and the loss is logged once per loss.
  public mutating func stepWithoutScan(_ sample: PackSample, monitorLost: Bool) -> ContactorSet {
    guard monitorLost else { return contactors.command }
    if !monitorLostLogged {
      faultLog.append(
        FaultLogEntry(code: BatteryManager.monitorLostCode, operatingTime_s: operating_s))
      monitorLostLogged = true
    }
    return contactors.step(
      request: .open, forceOpen: true, prechargeAllowed: false, sample: sample, elapsed_ms: 10)
  }

  /// Every 100 ms: SOC update (with the SOH feedback) and the power limits to publish.
  public mutating func stepEstimation() -> (soc: SOCEstimate, limits: PowerLimits) {
    let estimate = stateOfCharge.update(measurement, chemistry: &chemistry)
    if estimate.restCorrected {
      let sampled = stateOfHealth.observeSOCPoint(
        soc: estimate.meanCell, sigma: estimate.sigma,
        netDischarge_mAms: stateOfCharge.counter.netDischarge_mAms)
      if sampled { stateOfCharge.capacity_Ah = stateOfHealth.capacity_Ah }
    }
    stateOfCharge.resistanceScale = stateOfHealth.resistanceRatio
    lastEstimate = estimate
    let cells = Float(cellCount)
    let packOCV = cells * chemistry.openCircuitVoltage_V(soc: estimate.meanCell)
    let packR =
      cells * chemistry.modelParameters(soc: estimate.meanCell).r0_Ohm
      * stateOfHealth.resistanceRatio
    lastLimits = powerLimitConfiguration.limits(
      measurement: measurement, soc: estimate, protection: protection.status,
      packOpenCircuitVoltage_V: packOCV, packResistance_Ohm: packR)
    return (estimate, lastLimits)
  }

  /// Clears latched protection faults (once healed) and an acknowledgeable contactor fault.
  public mutating func acknowledgeFaults() -> Bool {
    let protectionCleared = protection.resetFaults()
    let contactorsCleared = contactors.acknowledgeFault()
    return protectionCleared && contactorsCleared
  }

  /// What to write with `BatteryRecordStore.save`.
  public var persistentData: PersistentBatteryData {
    BatteryManager.persistentData(
      lastEstimate, stateOfHealth, stateOfCharge.counter, dischargeThroughputBase_Ah,
      contactorsOpenUnderLoadBase &+ contactors.openedUnderLoadCount, operating_s, faultLog)
  }

  /// `persistentData`, read in place: on the Cortex-M4F a non-mutating read of this ≈ 3.5 KB
  /// struct held in a larger one copied it whole onto the stack.
  public mutating func currentPersistentData() -> PersistentBatteryData {
    BatteryManager.persistentData(
      lastEstimate, stateOfHealth, stateOfCharge.counter, dischargeThroughputBase_Ah,
      contactorsOpenUnderLoadBase &+ contactors.openedUnderLoadCount, operating_s, faultLog)
  }

  /// What the ECU publishes (CAN, measurement channels), read in place for the same reason.
  public mutating func snapshot() -> BatteryManagerSnapshot {
    BatteryManagerSnapshot(
      measurement: measurement, contactorState: contactors.state, contactorFault: contactors.fault,
      protection: protection.status, capacityPercent: stateOfHealth.capacityPercent,
      resistancePercent: stateOfHealth.resistancePercent, estimate: lastEstimate)
  }

  private static func persistentData(
    _ estimate: SOCEstimate, _ health: StateOfHealthEstimator, _ counter: CoulombCounter,
    _ throughputBase_Ah: Float, _ openedUnderLoad: UInt32, _ operating_s: UInt32,
    _ faultLog: FaultLog
  ) -> PersistentBatteryData {
    let throughput =
      throughputBase_Ah + CoulombCounter.ampereHours(counter.dischargeThroughput_mAms)
    let capacity = max(health.capacity_Ah, 1)
    return PersistentBatteryData(
      stateOfCharge: estimate.meanCell, capacity_Ah: health.capacity_Ah,
      resistanceRatio: health.resistanceRatio, dischargeThroughput_Ah: throughput,
      equivalentFullCycles: UInt32(Int(throughput / capacity)),
      contactorOpenedUnderLoadCount: openedUnderLoad, operatingTime_s: operating_s,
      faultLog: faultLog)
  }

  private mutating func record(_ rows: UInt32) {
    guard rows != 0 else { return }
    for index in 0..<ProtectionTable.rowCount where (rows &>> UInt32(index)) & 1 != 0 {
      faultLog.append(FaultLogEntry(code: UInt8(index), operatingTime_s: operating_s))
    }
  }
}

/// The manager's published state at one instant (≈ 150 bytes).
public struct BatteryManagerSnapshot: Sendable {
  /// The latest checked scan.
  public var measurement: PackMeasurement
  public var contactorState: ContactorState
  public var contactorFault: ContactorFault?
  public var protection: ProtectionStatus
  public var capacityPercent: Float
  public var resistancePercent: Float
  /// The latest SOC estimate (all zeros before the first `stepEstimation`).
  public var estimate: SOCEstimate

  public init(
    measurement: PackMeasurement, contactorState: ContactorState, contactorFault: ContactorFault?,
    protection: ProtectionStatus, capacityPercent: Float, resistancePercent: Float,
    estimate: SOCEstimate
  ) {
    self.measurement = measurement
    self.contactorState = contactorState
    self.contactorFault = contactorFault
    self.protection = protection
    self.capacityPercent = capacityPercent
    self.resistancePercent = resistancePercent
    self.estimate = estimate
  }
}
