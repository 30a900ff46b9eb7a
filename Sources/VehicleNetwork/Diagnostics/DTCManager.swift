import ControlMath
import Platform

/// The DTC status byte of ISO 14229-1 Annex D.2.
public struct DTCStatus: Equatable, Sendable {
  public var rawValue: UInt8

  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static let testFailed = DTCStatus(rawValue: 0x01)
  public static let testFailedThisOperationCycle = DTCStatus(rawValue: 0x02)
  public static let pendingDTC = DTCStatus(rawValue: 0x04)
  public static let confirmedDTC = DTCStatus(rawValue: 0x08)
  public static let testNotCompletedSinceLastClear = DTCStatus(rawValue: 0x10)
  public static let testFailedSinceLastClear = DTCStatus(rawValue: 0x20)
  public static let testNotCompletedThisOperationCycle = DTCStatus(rawValue: 0x40)
  public static let warningIndicatorRequested = DTCStatus(rawValue: 0x80)
  /// After power-up with no history and after ClearDiagnosticInformation: both "not
  /// completed" bits set, everything else clear (0x50).
  public static let cleared = DTCStatus(rawValue: 0x50)

  public func contains(_ bits: DTCStatus) -> Bool { rawValue & bits.rawValue == bits.rawValue }
  public mutating func insert(_ bits: DTCStatus) { rawValue |= bits.rawValue }
  public mutating func remove(_ bits: DTCStatus) { rawValue &= ~bits.rawValue }
}

/// One row of an ECU's DTC table (foxBMS-style: thresholds as data, not code).
public struct DTCDefinition: Sendable {
  /// The 3-byte DTC number (e.g. 0x0A1B00), bits 24...31 zero.
  public var number: UInt32
  /// Counter-based debounce: a failing sample adds `stepUp`, a passing one subtracts
  /// `stepDown`; the result is failed at `failThreshold` and passed at `passThreshold`.
  public var failThreshold: Int16
  public var passThreshold: Int16
  public var stepUp: Int16
  public var stepDown: Int16
  /// A sample against the counter's sign restarts counting from 0 (AUTOSAR Dem "jump up" /
  /// "jump down"), so one passing sample does not delay the next failure's detection.
  public var jumpsToZeroOnReversal: Bool
  /// Operation cycles with a failure before the DTC is confirmed (1 = at the first failure).
  public var confirmationCycles: UInt8
  /// Failure-free operation cycles (test completed and passed) after which a confirmed DTC
  /// ages out of memory.
  public var agingCycles: UInt8
  /// Failure-free operation cycles after which the warning indicator is released.
  public var healingCycles: UInt8
  public var requestsWarningIndicator: Bool

  public init(
    number: UInt32, failThreshold: Int16 = 3, passThreshold: Int16 = -3, stepUp: Int16 = 1,
    stepDown: Int16 = 1, jumpsToZeroOnReversal: Bool = true, confirmationCycles: UInt8 = 1,
    agingCycles: UInt8 = 40,
    healingCycles: UInt8 = 3, requestsWarningIndicator: Bool = false
  ) {
    self.number = number & 0xFF_FFFF
    self.failThreshold = max(failThreshold, 1)
    self.passThreshold = min(passThreshold, -1)
    self.stepUp = max(stepUp, 1)
    self.stepDown = max(stepDown, 1)
    self.jumpsToZeroOnReversal = jumpsToZeroOnReversal
    self.confirmationCycles = max(confirmationCycles, 1)
    self.agingCycles = max(agingCycles, 1)
    self.healingCycles = max(healingCycles, 1)
    self.requestsWarningIndicator = requestsWarningIndicator
  }
}

/// Key signals captured at a DTC's first failure (ISO 14229-1 snapshot data), supplied by the
/// ECU; what each slot means is the ECU's documented choice.
public struct FreezeFrame: Equatable, Sendable {
  public static let signalCount = 8
  public var signals: [8 of Float]

  public init(signals: [8 of Float] = .init(repeating: 0)) { self.signals = signals }

  public static func == (a: FreezeFrame, b: FreezeFrame) -> Bool {
    for i in 0..<FreezeFrame.signalCount where a.signals[i].bitPattern != b.signals[i].bitPattern {
      return false
    }
    return true
  }
}

/// Why a DTC could not be added to the table.
public enum DTCTableError: Error, Equatable, Sendable {
  case tableFull
  case duplicate
}

/// The state kept for one DTC.
struct DTCEntry: Sendable {
  var definition: DTCDefinition
  var status = DTCStatus.cleared
  var debounce: Int16 = 0
  /// Operation cycles with a failure since the DTC last completed a cycle without one.
  var failedCycles: UInt8 = 0
  /// Completed failure-free operation cycles since the last failure (aging and healing).
  var failureFreeCycles: UInt8 = 0
  /// How often the test turned to failed since the last clear, saturating at 255.
  var occurrences: UInt8 = 0
  var hasFreezeFrame = false
  var freezeFrame = FreezeFrame()

  init(definition: DTCDefinition) { self.definition = definition }

  mutating func clear() {
    status = .cleared
    debounce = 0
    failedCycles = 0
    failureFreeCycles = 0
    occurrences = 0
    hasFreezeFrame = false
  }
}

/// A fixed table of DTCs with ISO 14229-1 status bits, counter-based debounce, freeze frames,
/// aging and healing over operation cycles, and a CRC-protected record for the non-volatile
/// store.
///
/// Status-bit rules (ISO 14229-1 Annex D):
/// - a debounced failure sets testFailed, testFailedThisOperationCycle, pendingDTC and
///   testFailedSinceLastClear, clears both "not completed" bits, captures the freeze frame if
///   none is held, and sets confirmedDTC (and warningIndicatorRequested where the row asks for
///   it) once the DTC failed in `confirmationCycles` operation cycles;
/// - a debounced pass clears testFailed and both "not completed" bits;
/// - `startOperationCycle` closes the previous cycle: after a cycle in which the test
///   completed without a failure, pendingDTC clears; after `healingCycles` such cycles in a row
///   warningIndicatorRequested clears; after `agingCycles` the DTC ages out (confirmedDTC and
///   testFailedSinceLastClear clear, the freeze frame and occurrence counter are dropped).
///   Then testFailedThisOperationCycle clears and testNotCompletedThisOperationCycle sets;
/// - while DTC setting is off (ControlDTCSetting 0x85) test results are ignored.
public struct DTCManager: Sendable {
  public static let capacity = 16
  /// Status bits this manager supports (DTCStatusAvailabilityMask): all eight.
  public static let availabilityMask: UInt8 = 0xFF
  /// Per-DTC bytes in the record: number (3), status, failed cycles, failure-free cycles,
  /// occurrences, freeze-frame flag, 8 floats.
  static let recordEntrySize = 8 + 4 * FreezeFrame.signalCount
  static let recordHeaderSize = 4
  /// Bytes `save` writes: header "KD", version, count, 16 entries, CRC-32.
  public static let recordSize = recordHeaderSize + capacity * recordEntrySize + 4
  static let recordVersion: UInt8 = 1

  public private(set) var count = 0
  /// False while ControlDTCSetting has switched DTC setting off.
  public var isSettingEnabled = true
  /// Set by every change that the record must keep; `save` clears it.
  public private(set) var needsSaving = false
  private var entries = [16 of DTCEntry](
    repeating: DTCEntry(definition: DTCDefinition(number: 0)))
  /// A save in slices (`saveSlice`): the next record byte to write (0 = none in progress) and
  /// the CRC over the bytes written so far.
  private var sliceOffset = 0
  private var sliceCRC = CRC32ISOHDLC()
  private var sliceCRCFinal: UInt32 = 0

  public init() {}

  public mutating func add(_ definition: DTCDefinition) throws(DTCTableError) {
    guard count < DTCManager.capacity else { throw .tableFull }
    guard index(of: definition.number) == nil else { throw .duplicate }
    entries[count] = DTCEntry(definition: definition)
    count += 1
  }

  // Reads go through one Span: subscripting the InlineArray in a non-mutating method copied
  // the whole table per read on Cortex-M (measured: 14 193 instructions per report).
  public func index(of number: UInt32) -> Int? {
    DTCManager.find(number, in: entries.span, count: count)
  }

  /// Mutating methods search through this: calling the non-mutating `index(of:)` from them
  /// copied the whole manager (904 bytes) per call on Cortex-M.
  private static func find(_ number: UInt32, in rows: Span<DTCEntry>, count: Int) -> Int? {
    for i in 0..<count where rows[i].definition.number == number { return i }
    return nil
  }

  /// The DTC number of row `index`.
  public func number(at index: Int) -> UInt32 { entries.span[index].definition.number }

  /// The status byte of `number`, nil when the table has no such DTC.
  public func status(of number: UInt32) -> DTCStatus? {
    guard let i = index(of: number) else { return nil }
    return entries.span[i].status
  }

  public func status(at index: Int) -> DTCStatus { entries.span[index].status }

  /// The freeze frame captured at the first failure since the last clear, if any.
  public func freezeFrame(of number: UInt32) -> FreezeFrame? {
    guard let i = index(of: number), entries.span[i].hasFreezeFrame else { return nil }
    return entries.span[i].freezeFrame
  }

  /// Occurrence counter (extended data record 0x01).
  public func occurrences(at index: Int) -> UInt8 { entries.span[index].occurrences }

  /// Failure-free cycles since the last failure (extended data record 0x02, aging counter).
  public func failureFreeCycles(at index: Int) -> UInt8 {
    entries.span[index].failureFreeCycles
  }

  func hasFreezeFrame(at index: Int) -> Bool { entries.span[index].hasFreezeFrame }

  /// Row `index` and the row of `number`, read in place for the server's report paths: the
  /// non-mutating readers above copied the whole table (904 bytes) into their frame on
  /// Cortex-M, and the server nests them.
  mutating func entryInPlace(at index: Int) -> DTCEntry { entries.span[index] }

  mutating func indexInPlace(of number: UInt32) -> Int? {
    DTCManager.find(number, in: entries.span, count: count)
  }
  func freezeFrame(at index: Int) -> FreezeFrame { entries.span[index].freezeFrame }

  /// DTCs whose status has any bit of `mask` set (ISO 14229-1: status & mask != 0).
  public func count(matching mask: UInt8) -> Int {
    let rows = entries.span
    var matches = 0
    for i in 0..<count where rows[i].status.rawValue & mask & DTCManager.availabilityMask != 0 {
      matches += 1
    }
    return matches
  }

  // MARK: Test results

  /// One sample of the test behind `number`: failing or passing. The debounce counter turns
  /// samples into a qualified result; `freezeFrame` is captured at the first qualified
  /// failure. Unknown numbers and samples while DTC setting is off are ignored.
  public mutating func report(_ number: UInt32, failed: Bool, freezeFrame: FreezeFrame) {
    guard isSettingEnabled, let i = DTCManager.find(number, in: entries.span, count: count)
    else { return }
    // One entry is read, changed locally and written back once: element-wise writes into the
    // InlineArray cost a copy of the table each on Cortex-M.
    var entry = entries.span[i]
    let definition = entry.definition
    var start = Int(entry.debounce)
    if definition.jumpsToZeroOnReversal, failed ? start < 0 : start > 0 { start = 0 }
    var changed: Bool
    if failed {
      let counter = start + Int(definition.stepUp)
      if counter >= Int(definition.failThreshold) {
        entry.debounce = definition.failThreshold
        changed = DTCManager.qualifyFailed(&entry, freezeFrame)
      } else {
        entry.debounce = Int16(counter)
        changed = false
      }
    } else {
      let counter = start - Int(definition.stepDown)
      if counter <= Int(definition.passThreshold) {
        entry.debounce = definition.passThreshold
        changed = DTCManager.qualifyPassed(&entry)
      } else {
        entry.debounce = Int16(counter)
        changed = false
      }
    }
    var rows = entries.mutableSpan
    rows[i] = entry
    if changed { needsSaving = true }
  }

  /// Returns whether anything the record keeps changed.
  private static func qualifyFailed(_ entry: inout DTCEntry, _ freezeFrame: FreezeFrame) -> Bool {
    let before = entry.status
    let occurrences = entry.occurrences
    let hadFreezeFrame = entry.hasFreezeFrame
    var status = before
    if !status.contains(.testFailed) {
      entry.occurrences = occurrences == 255 ? 255 : occurrences + 1
    }
    if !status.contains(.testFailedThisOperationCycle) {
      entry.failedCycles = entry.failedCycles == 255 ? 255 : entry.failedCycles + 1
    }
    if !hadFreezeFrame {
      entry.hasFreezeFrame = true
      entry.freezeFrame = freezeFrame
    }
    entry.failureFreeCycles = 0
    status.insert(
      DTCStatus(rawValue: 0x01 | 0x02 | 0x04 | DTCStatus.testFailedSinceLastClear.rawValue))
    status.remove(DTCStatus(rawValue: 0x10 | 0x40))
    if entry.failedCycles >= entry.definition.confirmationCycles {
      status.insert(.confirmedDTC)
      if entry.definition.requestsWarningIndicator { status.insert(.warningIndicatorRequested) }
    }
    entry.status = status
    return status != before || !hadFreezeFrame || entry.occurrences != occurrences
  }

  private static func qualifyPassed(_ entry: inout DTCEntry) -> Bool {
    var status = entry.status
    status.remove(DTCStatus(rawValue: 0x01 | 0x10 | 0x40))
    guard status != entry.status else { return false }
    entry.status = status
    return true
  }

  /// Ends the current operation cycle and starts the next (ignition or wake-up cycle; the ECU
  /// calls it once at power-up after `restore` and at every new cycle).
  public mutating func startOperationCycle() {
    for i in 0..<count {
      var entry = entries[i]
      let tested = !entry.status.contains(.testNotCompletedThisOperationCycle)
      let failed = entry.status.contains(.testFailedThisOperationCycle)
      if tested, !failed {
        entry.status.remove(.pendingDTC)
        entry.failedCycles = 0
        entry.failureFreeCycles = entry.failureFreeCycles == 255 ? 255 : entry.failureFreeCycles + 1
        if entry.failureFreeCycles >= entry.definition.healingCycles {
          entry.status.remove(.warningIndicatorRequested)
        }
        if entry.failureFreeCycles >= entry.definition.agingCycles,
          entry.status.contains(.testFailedSinceLastClear)
        {
          entry.status.remove(DTCStatus(rawValue: 0x08 | 0x20))
          entry.hasFreezeFrame = false
          entry.occurrences = 0
        }
      }
      entry.status.remove(.testFailedThisOperationCycle)
      entry.status.insert(.testNotCompletedThisOperationCycle)
      entry.debounce = 0
      entries[i] = entry
    }
    needsSaving = true
  }

  // MARK: ClearDiagnosticInformation

  /// Clears every DTC (group 0xFFFFFF) or the one DTC `group`; false when `group` is neither.
  @discardableResult
  public mutating func clear(group: UInt32) -> Bool {
    if group == 0xFF_FFFF {
      for i in 0..<count { entries[i].clear() }
    } else {
      guard let i = DTCManager.find(group, in: entries.span, count: count) else { return false }
      entries[i].clear()
    }
    needsSaving = true
    return true
  }

  // MARK: Non-volatile record

  /// Writes the record (`recordSize` bytes from `offset`): header "KD", version, DTC count,
  /// one entry per DTC, CRC-32/ISO-HDLC over all of it. False when the store refused a byte.
  @discardableResult
  public mutating func save(to store: inout some NonVolatileStore, at offset: Int) -> Bool {
    var writer = RecordWriter(offset: offset)
    writer.put(0x4B, &store)
    writer.put(0x44, &store)
    writer.put(DTCManager.recordVersion, &store)
    writer.put(UInt8(truncatingIfNeeded: count), &store)
    for i in 0..<DTCManager.capacity {
      let entry = entries[i]
      let number = i < count ? entry.definition.number : 0
      writer.put(UInt8(truncatingIfNeeded: number &>> 16), &store)
      writer.put(UInt8(truncatingIfNeeded: number &>> 8), &store)
      writer.put(UInt8(truncatingIfNeeded: number), &store)
      writer.put(entry.status.rawValue, &store)
      writer.put(entry.failedCycles, &store)
      writer.put(entry.failureFreeCycles, &store)
      writer.put(entry.occurrences, &store)
      writer.put(entry.hasFreezeFrame ? 1 : 0, &store)
      for s in 0..<FreezeFrame.signalCount {
        writer.put(u32: entry.freezeFrame.signals[s].bitPattern, &store)
      }
    }
    writer.put(u32: writer.crc.finish(), &store)
    if writer.isComplete { needsSaving = false }
    return writer.isComplete
  }

  /// True while a save in slices is under way.
  public var isSavingInSlices: Bool { sliceOffset != 0 }

  /// Writes the next `bytes` bytes of the record (the same bytes `save` writes), starting a
  /// new pass when none is under way and the record needs saving; returns true when this call
  /// completed a pass. A whole record costs ≈ 18 000 instructions on the Cortex-M4F, more than
  /// an inverter control period: slices spread it over several jobs. The bytes come from the
  /// rows as they are when written, and the CRC covers exactly what was written, so a row
  /// that changes during a pass gives a valid record and marks the next pass due. Until the
  /// CRC is written the record reads as corrupt (power cut: every DTC starts cleared).
  @discardableResult
  public mutating func saveSlice(
    to store: inout some NonVolatileStore, at offset: Int, bytes: Int
  ) -> Bool {
    if sliceOffset == 0 {
      guard needsSaving else { return false }
      needsSaving = false
      sliceCRC = CRC32ISOHDLC()
    }
    let crcStart = DTCManager.recordSize - 4
    var remaining = max(bytes, 1)
    while remaining > 0 {
      let k = sliceOffset
      let byte: UInt8
      if k < crcStart {
        byte = recordByte(k)
        sliceCRC.update(byte)
      } else {
        if k == crcStart { sliceCRCFinal = sliceCRC.finish() }
        byte = UInt8(truncatingIfNeeded: sliceCRCFinal &>> UInt32(8 * (3 - (k - crcStart))))
      }
      guard store.write(byte, at: offset + k) else {
        // Abandon the pass; the next call starts over.
        sliceOffset = 0
        needsSaving = true
        return false
      }
      sliceOffset += 1
      remaining -= 1
      if sliceOffset == DTCManager.recordSize {
        sliceOffset = 0
        return true
      }
    }
    return false
  }

  /// Byte `k` of the record before its CRC (layout of `save`), read in place.
  private mutating func recordByte(_ k: Int) -> UInt8 {
    switch k {
    case 0: return 0x4B
    case 1: return 0x44
    case 2: return DTCManager.recordVersion
    case 3: return UInt8(truncatingIfNeeded: count)
    default: break
    }
    let row = (k - DTCManager.recordHeaderSize) / DTCManager.recordEntrySize
    let j = (k - DTCManager.recordHeaderSize) % DTCManager.recordEntrySize
    let entry = entries.span[row]
    let number = row < count ? entry.definition.number : 0
    switch j {
    case 0: return UInt8(truncatingIfNeeded: number &>> 16)
    case 1: return UInt8(truncatingIfNeeded: number &>> 8)
    case 2: return UInt8(truncatingIfNeeded: number)
    case 3: return entry.status.rawValue
    case 4: return entry.failedCycles
    case 5: return entry.failureFreeCycles
    case 6: return entry.occurrences
    case 7: return entry.hasFreezeFrame ? 1 : 0
    default:
      let bits = entry.freezeFrame.signals[(j - 8) / 4].bitPattern
      return UInt8(truncatingIfNeeded: bits &>> UInt32(8 * (3 - (j - 8) % 4)))
    }
  }

  /// Reads the record back into the table's rows, matched by DTC number (rows the record
  /// does not know keep their cleared state). A record with a wrong header, version or CRC
  /// is ignored and every DTC keeps its clean default; returns whether the record was used.
  @discardableResult
  public mutating func restore(from store: some NonVolatileStore, at offset: Int) -> Bool {
    let size = DTCManager.recordSize
    guard offset >= 0, offset + size <= store.capacity else { return false }
    var crc = CRC32ISOHDLC()
    for k in 0..<(size - 4) { crc.update(store.read(at: offset + k)) }
    let stored = RecordWriter.u32(store, offset + size - 4)
    guard crc.finish() == stored, store.read(at: offset) == 0x4B,
      store.read(at: offset + 1) == 0x44, store.read(at: offset + 2) == DTCManager.recordVersion,
      Int(store.read(at: offset + 3)) <= DTCManager.capacity
    else { return false }
    let recorded = Int(store.read(at: offset + 3))
    for r in 0..<recorded {
      let base = offset + DTCManager.recordHeaderSize + r * DTCManager.recordEntrySize
      let number =
        UInt32(store.read(at: base)) &<< 16 | UInt32(store.read(at: base + 1)) &<< 8
        | UInt32(store.read(at: base + 2))
      guard let i = index(of: number) else { continue }
      entries[i].status = DTCStatus(rawValue: store.read(at: base + 3))
      entries[i].failedCycles = store.read(at: base + 4)
      entries[i].failureFreeCycles = store.read(at: base + 5)
      entries[i].occurrences = store.read(at: base + 6)
      entries[i].hasFreezeFrame = store.read(at: base + 7) == 1
      for s in 0..<FreezeFrame.signalCount {
        entries[i].freezeFrame.signals[s] = Float(
          bitPattern: RecordWriter.u32(store, base + 8 + 4 * s))
      }
      entries[i].debounce = 0
    }
    needsSaving = false
    return true
  }
}

/// Sequential big-endian writes into a non-volatile store with a running CRC-32.
struct RecordWriter {
  var offset: Int
  var crc = CRC32ISOHDLC()
  var isComplete = true

  init(offset: Int) { self.offset = offset }

  mutating func put(_ byte: UInt8, _ store: inout some NonVolatileStore) {
    crc.update(byte)
    if !store.write(byte, at: offset) { isComplete = false }
    offset += 1
  }

  mutating func put(u32 value: UInt32, _ store: inout some NonVolatileStore) {
    put(UInt8(truncatingIfNeeded: value &>> 24), &store)
    put(UInt8(truncatingIfNeeded: value &>> 16), &store)
    put(UInt8(truncatingIfNeeded: value &>> 8), &store)
    put(UInt8(truncatingIfNeeded: value), &store)
  }

  static func u32(_ store: some NonVolatileStore, _ offset: Int) -> UInt32 {
    UInt32(store.read(at: offset)) &<< 24 | UInt32(store.read(at: offset + 1)) &<< 16
      | UInt32(store.read(at: offset + 2)) &<< 8 | UInt32(store.read(at: offset + 3))
  }
}
