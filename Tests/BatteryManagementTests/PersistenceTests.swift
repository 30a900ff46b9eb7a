import Platform
import Testing

@testable import BatteryManagement

/// Data flash with power cuts: after `budget` successful byte writes the power fails. The byte
/// being written at the cut is torn (holds `tornValue` instead of the intended value) when
/// `tearLastByte` is set; later writes fail and change nothing.
struct PowerCutStore: NonVolatileStore {
  var bytes: [Int]
  var budget = Int.max
  var tearLastByte = false
  var tornValue: UInt8 = 0x5A
  var writes = 0

  init(size: Int = 256) { bytes = Array(repeating: 0xFF, count: size) }

  var capacity: Int { bytes.count }

  func read(at offset: Int) -> UInt8 { UInt8(bytes[offset]) }

  mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0 && offset < bytes.count else { return false }
    guard writes < budget else {
      if writes == budget && tearLastByte { bytes[offset] = Int(tornValue ^ byte) }
      writes += 1
      return false
    }
    bytes[offset] = Int(byte)
    writes += 1
    return true
  }
}

func sampleData(_ n: UInt32) -> PersistentBatteryData {
  var log = FaultLog()
  for i in 0..<(Int(n) % 11) {
    log.append(FaultLogEntry(code: UInt8(i), operatingTime_s: n &* 100 &+ UInt32(i)))
  }
  return PersistentBatteryData(
    stateOfCharge: 0.5 + Float(n) / 1000, capacity_Ah: 100 - Float(n) / 10,
    resistanceRatio: 1 + Float(n) / 100, dischargeThroughput_Ah: Float(n) * 37.5,
    equivalentFullCycles: n, contactorOpenedUnderLoadCount: n / 3, operatingTime_s: n * 3600,
    faultLog: log)
}

@Suite("Persistence")
struct PersistenceTests {
  @Test("a record fits its slot")
  func recordFitsSlot() {
    #expect(BatteryRecordStore.recordSize <= BatteryRecordStore.slotSize)
  }

  @Test("save then load returns the same data, and saves alternate slots")
  func roundTrip() throws {
    var store = PowerCutStore()
    for n: UInt32 in 1...5 {
      let sequence = try BatteryRecordStore.save(sampleData(n), to: &store)
      #expect(sequence == n)
      let loaded = try BatteryRecordStore.load(from: store)
      #expect(loaded.data == sampleData(n) && loaded.sequence == n)
    }
  }

  @Test("an empty store has no valid record")
  func emptyStore() {
    #expect(throws: PersistenceError.noValidRecord) {
      try BatteryRecordStore.load(from: PowerCutStore())
    }
  }

  @Test(
    "a power cut after every possible number of byte writes leaves the old or the new record",
    arguments: [false, true])
  func powerCutAtEveryByte(tear: Bool) throws {
    // Histories of 1 to 3 completed saves, so the cut hits slot A and slot B.
    for history: UInt32 in 1...3 {
      for budget in 0...BatteryRecordStore.recordSize {
        var store = PowerCutStore()
        for n in 1...history { try BatteryRecordStore.save(sampleData(n), to: &store) }
        store.writes = 0
        store.budget = budget
        store.tearLastByte = tear
        let completed = (try? BatteryRecordStore.save(sampleData(history + 1), to: &store)) != nil
        let loaded = try BatteryRecordStore.load(from: store)
        let isOld = loaded.data == sampleData(history) && loaded.sequence == history
        let isNew = loaded.data == sampleData(history + 1) && loaded.sequence == history + 1
        #expect(isOld || isNew, "history \(history), cut after \(budget) bytes")
        #expect(isNew == completed, "history \(history), cut after \(budget) bytes")
      }
    }
  }

  @Test("a cut during the very first save leaves no record or the complete one")
  func firstSaveCut() throws {
    for budget in 0...BatteryRecordStore.recordSize {
      var store = PowerCutStore()
      store.budget = budget
      store.tearLastByte = true
      let completed = (try? BatteryRecordStore.save(sampleData(1), to: &store)) != nil
      if completed {
        #expect(try BatteryRecordStore.load(from: store).data == sampleData(1))
      } else {
        #expect(throws: PersistenceError.noValidRecord) {
          try BatteryRecordStore.load(from: store)
        }
      }
    }
  }

  @Test("after a cut, the next save still works and becomes the newest")
  func recoveryAfterCut() throws {
    var store = PowerCutStore()
    try BatteryRecordStore.save(sampleData(1), to: &store)
    try BatteryRecordStore.save(sampleData(2), to: &store)
    store.writes = 0
    store.budget = 40
    #expect(throws: PersistenceError.writeFailed) {
      try BatteryRecordStore.save(sampleData(3), to: &store)
    }
    store.budget = .max
    try BatteryRecordStore.save(sampleData(4), to: &store)
    let loaded = try BatteryRecordStore.load(from: store)
    #expect(loaded.data == sampleData(4) && loaded.sequence == 3)
  }

  @Test("a flipped bit in the newest record falls back to the previous one")
  func bitFlipFallsBack() throws {
    var store = PowerCutStore()
    try BatteryRecordStore.save(sampleData(1), to: &store)
    try BatteryRecordStore.save(sampleData(2), to: &store)  // slot B
    store.bytes[BatteryRecordStore.slotSize + 20] ^= 0x04
    #expect(try BatteryRecordStore.load(from: store).data == sampleData(1))
  }

  @Test("the sequence counter may wrap: 0 is newer than 0xFFFFFFFF")
  func sequenceWraps() {
    #expect(BatteryRecordStore.isNewer(0, than: UInt32.max))
    #expect(!BatteryRecordStore.isNewer(UInt32.max, than: 0))
  }

  @Test("a store smaller than two slots is rejected")
  func storeTooSmall() {
    var store = PowerCutStore(size: 200)
    #expect(throws: PersistenceError.storeTooSmall) {
      try BatteryRecordStore.save(sampleData(1), to: &store)
    }
  }

  @Test("the fault log keeps the last 8 entries, oldest first")
  func faultLogRing() {
    var log = FaultLog()
    for i in 0..<11 { log.append(FaultLogEntry(code: UInt8(i), operatingTime_s: UInt32(i))) }
    #expect(log.count == 8)
    #expect(log.entry(0)?.code == 3 && log.entry(7)?.code == 10 && log.entry(8) == nil)
  }
}
