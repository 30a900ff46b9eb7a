/// The hardware an ECU needs from a board, one small protocol per job (the HAL).
///
/// ECU code (floor 2) is generic over these (`some P`), so the same ECU runs on a board, in the
/// co-simulation rig and in host tests with fakes. Everything here is a value type: no heap.

/// The vehicle CAN controller. Non-blocking in both directions.
public protocol CANController {
  /// Queues a frame for transmission; returns false when the transmit queue is full (the
  /// caller counts the drop).
  mutating func transmit(_ frame: CANFrame) -> Bool
  /// The oldest received frame, or nil when none is pending.
  mutating func receive() -> CANFrame?
}

/// The independent watchdog. A board resets the MCU when it is not fed within its timeout.
public protocol Watchdog {
  mutating func feed()
}

/// Why the MCU last started.
public enum ResetCause: UInt8, Sendable {
  case powerOn = 0
  case watchdog = 1
  case software = 2
  case fault = 3
}

/// The ECU's time base, counted in control periods (never the wall clock), so that the same
/// inputs give the same behaviour on a board, in the rig and on the host.
public protocol ControlClock {
  /// Length of one control period in microseconds.
  var periodMicroseconds: UInt32 { get }
  /// Blocks until the next control period starts and returns its number (wraps at 2^32).
  mutating func waitForNextPeriod() -> UInt32
}

/// A byte-addressed non-volatile store (data flash / EEPROM emulation). Writes are not atomic:
/// power can fail part-way, so callers keep records double-buffered and CRC-protected.
public protocol NonVolatileStore {
  /// Size of the store in bytes.
  var capacity: Int { get }
  /// The byte at `offset` (0 ..< capacity).
  func read(at offset: Int) -> UInt8
  /// Writes one byte; false when `offset` is out of range or the device failed.
  mutating func write(_ byte: UInt8, at offset: Int) -> Bool
}

/// ECU-internal values a test rig samples every control period (the role XCP measurement plays
/// on a real bench). Each ECU documents what its channels mean.
public protocol MeasurementSource {
  /// `mutating get` so that a generic caller holding the ECU `inout` reads it in place: a
  /// plain getter made the HIL loop copy the whole inverter ECU (1.5 KB) every period.
  /// Conformers implement it with an ordinary getter.
  var measurements: [16 of Float] { mutating get }
}
