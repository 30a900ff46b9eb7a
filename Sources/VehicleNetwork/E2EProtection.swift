import ControlMath
import Platform

/// End-to-end protection of a CAN message after AUTOSAR E2E Profile 1 (SWS E2ELibrary, variant
/// 1A, DataIDMode BOTH): CRC in byte 0, alive counter 0...14 in the low nibble of byte 1.
///
/// The CRC is CRC-8 SAE J1850 (polynomial 0x1D) computed as the AUTOSAR library chains it:
/// start 0x00, over data ID low byte, data ID high byte, then payload bytes 1..<length, no
/// final XOR (the library's XOR 0xFF of each chained call and the profile's final XOR 0xFF
/// cancel). The data ID is per message (`E2EDataID` in the DBC; Kairo uses the CAN
/// identifier) and is never transmitted, so a frame routed to the wrong identifier fails the
/// CRC.
public enum E2EProfile1 {
  /// Counter values run 0...14; 15 is reserved (Profile 1).
  public static let counterModulus: UInt8 = 15
  public static let crcByte = 0
  public static let counterByte = 1

  /// The Profile 1 CRC of `frame` for `dataID` (byte 0 is excluded, it holds the CRC).
  public static func crc(of frame: CANFrame, dataID: UInt16) -> UInt8 {
    // Crc_CalculateCRC8(&DataID low, 1, 0xFF, FALSE): resuming from 0xFF starts the register
    // at 0x00; the chained calls continue it and the profile's final XOR 0xFF undoes finish().
    var crc = CRC8SAEJ1850(resuming: 0xFF)
    crc.update(UInt8(truncatingIfNeeded: dataID))
    crc.update(UInt8(truncatingIfNeeded: dataID >> 8))
    var i = 1
    while i < Int(min(frame.length, 8)) {
      crc.update(frame.data[i])
      i += 1
    }
    return crc.finish() ^ 0xFF
  }

  /// The alive counter carried in `frame`.
  public static func counter(of frame: CANFrame) -> UInt8 { frame.data[counterByte] & 0x0F }
}

/// Sender side: stamps counter and CRC into each outgoing frame of one message.
public struct E2EProtector: Sendable {
  public let dataID: UInt16
  /// The counter the next protected frame carries.
  public private(set) var counter: UInt8

  public init(dataID: UInt16) {
    self.dataID = dataID
    self.counter = 0
  }

  /// Writes the counter into the low nibble of byte 1 (high nibble kept), then the CRC into
  /// byte 0, and advances the counter 0...14 cyclically. Frames shorter than 2 bytes cannot
  /// carry the header and are left unchanged.
  public mutating func protect(_ frame: inout CANFrame) {
    guard frame.length >= 2 else { return }
    let byte1 = frame.data[E2EProfile1.counterByte]
    frame.data[E2EProfile1.counterByte] = (byte1 & 0xF0) | counter
    frame.data[E2EProfile1.crcByte] = E2EProfile1.crc(of: frame, dataID: dataID)
    counter = counter + 1 == E2EProfile1.counterModulus ? 0 : counter + 1
  }
}

/// What one receive check found.
public enum E2EStatus: Equatable, Sendable {
  /// First correct frame after start or after the stream was lost: counter taken as reference.
  case initial
  /// Correct CRC, counter advanced by exactly 1.
  case ok
  /// Correct CRC, counter advanced by 2...maxDeltaCounter: frames were lost in between, but
  /// few enough to accept the data.
  case okSomeLost
  /// Correct CRC, same counter as the last accepted frame: stale data, not used.
  case repeated
  /// Correct CRC, counter jumped beyond maxDeltaCounter (or carries the reserved value 15);
  /// the new counter becomes the reference.
  case wrongSequence
  /// CRC mismatch, or a frame too short to carry the E2E header.
  case crcError
  /// No frame in this check, still within the timeout.
  case noNewData
  /// No frame for `timeoutChecks` consecutive checks.
  case lost
}

/// Receiver side of E2E Profile 1 with a simple validity state machine: call `check` once per
/// receive cycle of the message (with the frame received in that cycle, or nil).
///
/// The signal is valid after `framesToValid` consecutive good receptions (initial, ok,
/// okSomeLost). Any repeated, wrong-sequence, CRC-error or lost result makes it invalid at
/// once and restarts that count; noNewData leaves validity alone until the timeout.
public struct E2EChecker: Sendable {
  public let dataID: UInt16
  public let maxDeltaCounter: UInt8
  public let timeoutChecks: UInt16
  public let framesToValid: UInt16

  public private(set) var isValid = false
  public private(set) var lastStatus = E2EStatus.lost
  /// Counter of the last accepted frame; nil until one arrives and after a loss.
  public private(set) var referenceCounter: UInt8? = nil
  private var checksWithoutData: UInt16 = 0
  private var consecutiveGood: UInt16 = 0

  /// - Parameters:
  ///   - maxDeltaCounter: largest accepted counter step, 1...14 (1 = no frame may be lost).
  ///   - timeoutChecks: consecutive checks without a frame before the stream counts as lost.
  ///   - framesToValid: consecutive good frames needed to (re)gain validity, at least 1.
  public init(dataID: UInt16, maxDeltaCounter: UInt8, timeoutChecks: UInt16, framesToValid: UInt16)
  {
    self.dataID = dataID
    self.maxDeltaCounter = min(max(maxDeltaCounter, 1), E2EProfile1.counterModulus - 1)
    self.timeoutChecks = max(timeoutChecks, 1)
    self.framesToValid = max(framesToValid, 1)
  }

  /// Classifies one receive cycle and updates validity.
  @discardableResult
  public mutating func check(_ frame: CANFrame?) -> E2EStatus {
    let status = classify(frame)
    lastStatus = status
    switch status {
    case .initial, .ok, .okSomeLost:
      if consecutiveGood < framesToValid { consecutiveGood += 1 }
      if consecutiveGood >= framesToValid { isValid = true }
    case .noNewData:
      break
    case .repeated, .wrongSequence, .crcError, .lost:
      consecutiveGood = 0
      isValid = false
    }
    return status
  }

  private mutating func classify(_ frame: CANFrame?) -> E2EStatus {
    guard let frame else {
      if checksWithoutData < timeoutChecks { checksWithoutData += 1 }
      if checksWithoutData >= timeoutChecks {
        referenceCounter = nil
        return .lost
      }
      return .noNewData
    }
    checksWithoutData = 0
    guard frame.length >= 2, frame.length <= 8,
      frame.data[E2EProfile1.crcByte] == E2EProfile1.crc(of: frame, dataID: dataID)
    else { return .crcError }
    let counter = E2EProfile1.counter(of: frame)
    guard counter < E2EProfile1.counterModulus else { return .wrongSequence }
    guard let reference = referenceCounter else {
      referenceCounter = counter
      return .initial
    }
    let delta = (counter + E2EProfile1.counterModulus - reference) % E2EProfile1.counterModulus
    if delta == 0 { return .repeated }
    referenceCounter = counter
    if delta == 1 { return .ok }
    return delta <= maxDeltaCounter ? .okSomeLost : .wrongSequence
  }
}
