import ControlMath
import MotorControl
import Platform
import VehicleNetwork

/// The inverter's receive side of the vehicle bus: the torque request from the VCU
/// (VCU_TorqueRequest, 0x101) and the battery's limits from the BMS (BMS_Limits, 0x302), both
/// checked with AUTOSAR E2E Profile 1, turned into the drive's `DriveRequest`.
///
/// Reception is split in two so that no frame is lost and the control task stays short: the
/// board delivers up to eight frames per control period and forgets unread ones at the next
/// period (the HIL port does), so the control-rate task moves every frame into `queue`
/// (`enqueue`, identifier filter only); the 1 kHz task checks and decodes them
/// (`processQueue`). Frames of other identifiers are not kept.
///
/// A frame counts as received only when its E2E check is `initial`, `ok` or `okSomeLost`;
/// CRC errors, repeated and out-of-sequence counters are ignored, so their data is never used
/// and they do not reset the message's age.
public struct DriveCommandReceiver: Sendable {
  /// Frames held between two 1 kHz jobs: the two messages arrive every 10 and 100 ms, at most
  /// two per job, so 8 leaves room for a burst four times that (the image's stack is tight).
  public static let queueCapacity = 8
  /// Frames read from the controller per control period at most: bounds the task's time even
  /// if a controller misbehaves (the HIL delivers at most eight).
  public static let maxFramesPerPeriod = 16
  /// Largest counter step accepted as `okSomeLost`: up to two frames lost in between.
  public static let maxDeltaCounter: UInt8 = 3
  /// Age reported before the first valid frame, and the largest age counted (60 s at 1 kHz).
  public static let maxAge_periods: UInt32 = 60_000

  public private(set) var queue: RingBuffer<CANFrame, 8>
  /// Frames of the two messages that did not fit in `queue`.
  public private(set) var droppedFrames: UInt32 = 0
  public private(set) var torqueChecker: E2EChecker
  public private(set) var limitsChecker: E2EChecker
  /// The result of the last E2E check of the torque request (one per frame, or one per job
  /// without a frame).
  public private(set) var torqueRequestStatus: E2EStatus = .lost
  /// The same for the battery limits.
  public private(set) var batteryLimitsStatus: E2EStatus = .lost
  /// The last torque request and battery limits that passed the E2E check.
  public private(set) var torqueRequest: VCUTorqueRequest?
  public private(set) var batteryLimits: BMSLimits?
  /// Processing periods (1 kHz jobs) since the last valid frame of each message.
  public private(set) var torqueRequestAge_periods: UInt32 = maxAge_periods
  public private(set) var batteryLimitsAge_periods: UInt32 = maxAge_periods
  /// Length of one processing period (the torque-management task's period), s.
  public let period_s: Float

  /// - Parameter period_s: how often `processQueue` runs; the E2E timeouts are counted in it.
  public init(period_s: Float) {
    self.period_s = period_s
    queue = RingBuffer(placeholder: CANFrame(id: 0, length: 0))
    // The E2E `lost` status follows the timeouts of the protection table (100 ms, 500 ms).
    torqueChecker = E2EChecker(
      dataID: VCUTorqueRequest.e2eDataID, maxDeltaCounter: Self.maxDeltaCounter,
      timeoutChecks: Self.checks(seconds: 0.1, period_s: period_s), framesToValid: 1)
    limitsChecker = E2EChecker(
      dataID: BMSLimits.e2eDataID, maxDeltaCounter: Self.maxDeltaCounter,
      timeoutChecks: Self.checks(seconds: 0.5, period_s: period_s), framesToValid: 1)
  }

  static func checks(seconds: Float, period_s: Float) -> UInt16 {
    UInt16(truncatingIfNeeded: Int32(seconds / max(period_s, 1e-5) + 0.5))
  }

  /// Control-rate side: keeps a frame of the two messages for the next `processQueue`.
  public mutating func enqueue(_ frame: CANFrame) {
    guard !frame.isExtended, frame.id == VCUTorqueRequest.id || frame.id == BMSLimits.id else {
      return
    }
    if !queue.push(frame) { droppedFrames &+= 1 }
  }

  /// 1 kHz side: checks and decodes every queued frame in arrival order, then ages the
  /// messages that brought nothing valid in this period.
  public mutating func processQueue() {
    if torqueRequestAge_periods < Self.maxAge_periods { torqueRequestAge_periods += 1 }
    if batteryLimitsAge_periods < Self.maxAge_periods { batteryLimitsAge_periods += 1 }
    var torqueFrames = false
    var limitsFrames = false
    while let frame = queue.pop() {
      if frame.id == VCUTorqueRequest.id {
        torqueFrames = true
        torqueRequestStatus = torqueChecker.check(frame)
        if Self.accepts(torqueRequestStatus), let message = VCUTorqueRequest.decode(frame) {
          torqueRequest = message
          torqueRequestAge_periods = 0
        }
      } else {
        limitsFrames = true
        batteryLimitsStatus = limitsChecker.check(frame)
        if Self.accepts(batteryLimitsStatus), let message = BMSLimits.decode(frame) {
          batteryLimits = message
          batteryLimitsAge_periods = 0
        }
      }
    }
    if !torqueFrames { torqueRequestStatus = torqueChecker.check(nil) }
    if !limitsFrames { batteryLimitsStatus = limitsChecker.check(nil) }
  }

  static func accepts(_ status: E2EStatus) -> Bool {
    switch status {
    case .initial, .ok, .okSomeLost: true
    case .repeated, .wrongSequence, .crcError, .noNewData, .lost: false
    }
  }

  public var torqueRequestAge_s: Float { Float(Int(torqueRequestAge_periods)) * period_s }
  public var batteryLimitsAge_s: Float { Float(Int(batteryLimitsAge_periods)) * period_s }

  /// The drive request from the last valid messages.
  ///
  /// - run: enable set with the key in run;
  /// - fault clear: a valid request with enable cleared. A latched fault is thus cleared only
  ///   by the VCU withdrawing the enable, so the drive never restarts by itself: the enable
  ///   has to be given again;
  /// - battery: the BMS current limits, each lowered to its power limit at the present
  ///   DC-link voltage (`dcLink_V`); zero until the first valid BMS_Limits.
  ///
  /// `mutating` only so that it is called in place: a non-mutating call on the ECU's stored
  /// receiver copied all of it (the frame queue included) to the stack on Cortex-M.
  public mutating func request(dcLink_V: Float) -> DriveRequest {
    var request = DriveRequest.idle
    if let vcu = torqueRequest {
      request.mode = vcu.controlMode == .speed ? .speed : .torque
      request.runRequest = vcu.enable && vcu.keyState == .run
      request.clearFaultRequest = !vcu.enable
      request.torque_Nm = vcu.torqueRequest_Nm
      request.speed_rad_s = Float(Int(vcu.speedRequest_rpm)) * InverterCalibration.rpm
    }
    if let bms = batteryLimits {
      let link_V = max(dcLink_V, 1)
      request.battery = BatteryLimits(
        discharge_A: min(bms.dischargeCurrentLimit_A, bms.dischargePowerLimit_kW * 1000 / link_V),
        charge_A: min(bms.chargeCurrentLimit_A, bms.chargePowerLimit_kW * 1000 / link_V))
    }
    request.torqueRequestAge_s = torqueRequestAge_s
    request.batteryLimitsAge_s = batteryLimitsAge_s
    return request
  }
}

extension E2EStatus {
  /// The status as a number for the measurement channel: initial 0, ok 1, okSomeLost 2,
  /// repeated 3, wrongSequence 4, crcError 5, noNewData 6, lost 7.
  public var measurementCode: UInt8 {
    switch self {
    case .initial: 0
    case .ok: 1
    case .okSomeLost: 2
    case .repeated: 3
    case .wrongSequence: 4
    case .crcError: 5
    case .noNewData: 6
    case .lost: 7
    }
  }
}
