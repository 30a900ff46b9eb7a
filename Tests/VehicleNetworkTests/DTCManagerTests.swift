import Platform
import Testing

@testable import VehicleNetwork

private let dtcA: UInt32 = 0x12_3400
private let dtcB: UInt32 = 0xC0_7300

private func manager(_ definition: DTCDefinition) -> DTCManager {
  var dtcs = DTCManager()
  try! dtcs.add(definition)
  return dtcs
}

private func frame(_ base: Float) -> FreezeFrame {
  var frame = FreezeFrame()
  for i in 0..<FreezeFrame.signalCount { frame.signals[i] = base + Float(i) }
  return frame
}

private func fail(
  _ dtcs: inout DTCManager, _ number: UInt32 = dtcA, times: Int = 1, signals ff: Float = 0
) {
  for _ in 0..<times { dtcs.report(number, failed: true, freezeFrame: frame(ff)) }
}

private func pass(_ dtcs: inout DTCManager, _ number: UInt32 = dtcA, times: Int = 1) {
  for _ in 0..<times { dtcs.report(number, failed: false, freezeFrame: FreezeFrame()) }
}

private func status(_ dtcs: DTCManager, _ number: UInt32 = dtcA) -> UInt8 {
  dtcs.status(of: number)?.rawValue ?? 0
}

// MARK: - Table

@Test func tableHolds16DTCsAndRefusesDuplicates() throws {
  var dtcs = DTCManager()
  for n in 0..<16 { try dtcs.add(DTCDefinition(number: UInt32(n + 1))) }
  #expect(throws: DTCTableError.tableFull) { try dtcs.add(DTCDefinition(number: 100)) }
  var other = DTCManager()
  try other.add(DTCDefinition(number: dtcA))
  #expect(throws: DTCTableError.duplicate) { try other.add(DTCDefinition(number: dtcA)) }
}

@Test func newDTCStartsWithBothNotCompletedBits0x50() {
  let dtcs = manager(DTCDefinition(number: dtcA))
  #expect(status(dtcs) == 0x50)
}

// MARK: - Debounce

@Test func failureQualifiesAtTheThirdFailingSampleWithThreshold3() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 3))
  fail(&dtcs, times: 2)
  #expect(status(dtcs) == 0x50)
  fail(&dtcs)
  #expect(status(dtcs) == 0x2F)
}

@Test func stepUp2ReachesThreshold4InTwoSamples() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 4, stepUp: 2))
  fail(&dtcs)
  #expect(status(dtcs) == 0x50)
  fail(&dtcs)
  #expect(status(dtcs) & 0x01 == 0x01)
}

@Test func passQualifiesAtPassThresholdMinus3AndClearsOnlyTestFailedAndNotCompletedBits() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1, passThreshold: -3))
  fail(&dtcs)
  pass(&dtcs, times: 2)
  #expect(status(dtcs) == 0x2F)
  pass(&dtcs)
  #expect(status(dtcs) == 0x2E)
}

@Test func passingTestOfAnUntestedDTCClearsTheNotCompletedBits() {
  var dtcs = manager(DTCDefinition(number: dtcA, passThreshold: -1))
  pass(&dtcs)
  #expect(status(dtcs) == 0x00)
}

@Test func withoutJumpAPassingSampleDelaysTheNextFailure() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 2, jumpsToZeroOnReversal: false))
  pass(&dtcs, times: 2)
  fail(&dtcs, times: 3)
  #expect(status(dtcs) & 0x01 == 0)
  fail(&dtcs)
  #expect(status(dtcs) & 0x01 == 0x01)
}

// MARK: - Operation cycles

@Test func newCycleClearsTestFailedThisCycleAndSetsNotCompletedThisCycle() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1))
  fail(&dtcs)
  dtcs.startOperationCycle()
  #expect(status(dtcs) == 0x6D)
}

@Test func pendingClearsAfterOneCycleThatCompletedWithoutFailure() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1, passThreshold: -1))
  fail(&dtcs)
  dtcs.startOperationCycle()
  pass(&dtcs)
  #expect(status(dtcs) == 0x2C)
  dtcs.startOperationCycle()
  #expect(status(dtcs) == 0x68)
}

@Test func anUntestedCycleNeitherClearsPendingNorCountsTowardAging() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1, passThreshold: -1))
  fail(&dtcs)
  pass(&dtcs)
  dtcs.startOperationCycle()
  dtcs.startOperationCycle()
  #expect(status(dtcs) & 0x04 == 0x04)
  #expect(dtcs.failureFreeCycles(at: 0) == 0)
}

@Test func confirmationAfterFailuresInTwoCyclesWithThreshold2() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1, confirmationCycles: 2))
  fail(&dtcs)
  #expect(status(dtcs) == 0x27)
  fail(&dtcs)
  #expect(status(dtcs) == 0x27)  // the same cycle counts once
  dtcs.startOperationCycle()
  fail(&dtcs)
  #expect(status(dtcs) == 0x2F)
}

@Test func confirmedDTCAgesOutAfter40FailureFreeCyclesNotBefore() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1, passThreshold: -1))
  fail(&dtcs)
  for _ in 0..<40 {
    dtcs.startOperationCycle()
    pass(&dtcs)
  }
  #expect(status(dtcs) == 0x28)  // 39 closed cycles: still confirmed
  #expect(dtcs.freezeFrame(of: dtcA) != nil)
  dtcs.startOperationCycle()
  #expect(status(dtcs) == 0x40)
  #expect(dtcs.freezeFrame(of: dtcA) == nil)
  #expect(dtcs.occurrences(at: 0) == 0)
}

@Test func aFailureRestartsTheAgingCount() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1, passThreshold: -1))
  fail(&dtcs)
  for _ in 0..<30 {
    dtcs.startOperationCycle()
    pass(&dtcs)
  }
  fail(&dtcs)
  for _ in 0..<15 {
    dtcs.startOperationCycle()
    pass(&dtcs)
  }
  dtcs.startOperationCycle()
  #expect(status(dtcs) & 0x08 == 0x08)
}

@Test func warningIndicatorSetsWithConfirmationAndHealsAfter3FailureFreeCycles() {
  var dtcs = manager(
    DTCDefinition(
      number: dtcA, failThreshold: 1, passThreshold: -1, healingCycles: 3,
      requestsWarningIndicator: true))
  fail(&dtcs)
  #expect(status(dtcs) == 0xAF)
  for cycle in 1...3 {
    dtcs.startOperationCycle()
    pass(&dtcs)
    #expect(status(dtcs) & 0x80 == 0x80, "cycle \(cycle)")
  }
  dtcs.startOperationCycle()
  #expect(status(dtcs) & 0x80 == 0)
  #expect(status(dtcs) & 0x08 == 0x08)
}

// MARK: - Freeze frame

@Test func freezeFrameIsCapturedAtTheFirstFailureAndKeptOnLaterOnes() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 2))
  fail(&dtcs, signals: 10)
  #expect(dtcs.freezeFrame(of: dtcA) == nil)
  fail(&dtcs, signals: 20)
  #expect(dtcs.freezeFrame(of: dtcA) == frame(20))
  pass(&dtcs, times: 3)
  fail(&dtcs, times: 2, signals: 30)
  #expect(dtcs.freezeFrame(of: dtcA) == frame(20))
  #expect(dtcs.occurrences(at: 0) == 2)
}

// MARK: - Clear and DTC setting

@Test func clearAllRestores0x50AndDropsFreezeFrames() {
  var dtcs = DTCManager()
  try! dtcs.add(DTCDefinition(number: dtcA, failThreshold: 1))
  try! dtcs.add(DTCDefinition(number: dtcB, failThreshold: 1))
  fail(&dtcs, dtcA)
  fail(&dtcs, dtcB)
  let cleared = dtcs.clear(group: 0xFF_FFFF)
  #expect(cleared)
  #expect(status(dtcs, dtcA) == 0x50 && status(dtcs, dtcB) == 0x50)
  #expect(dtcs.freezeFrame(of: dtcA) == nil)
}

@Test func clearOneDTCLeavesTheOthersAndUnknownGroupIsRefused() {
  var dtcs = DTCManager()
  try! dtcs.add(DTCDefinition(number: dtcA, failThreshold: 1))
  try! dtcs.add(DTCDefinition(number: dtcB, failThreshold: 1))
  fail(&dtcs, dtcA)
  fail(&dtcs, dtcB)
  let clearedB = dtcs.clear(group: dtcB)
  #expect(clearedB)
  #expect(status(dtcs, dtcA) == 0x2F && status(dtcs, dtcB) == 0x50)
  let clearedUnknown = dtcs.clear(group: 0x99_9999)
  #expect(!clearedUnknown)
}

@Test func reportsAreIgnoredWhileDTCSettingIsOff() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1))
  dtcs.isSettingEnabled = false
  fail(&dtcs)
  #expect(status(dtcs) == 0x50)
  dtcs.isSettingEnabled = true
  fail(&dtcs)
  #expect(status(dtcs) == 0x2F)
}

// MARK: - Persistence

@Test func recordRoundTripsStatusCountersAndFreezeFrame() {
  var dtcs = DTCManager()
  try! dtcs.add(DTCDefinition(number: dtcA, failThreshold: 1))
  try! dtcs.add(DTCDefinition(number: dtcB, failThreshold: 1))
  fail(&dtcs, dtcB, signals: 7.25)
  dtcs.startOperationCycle()
  #expect(dtcs.needsSaving)
  var store = FakeStore()
  let saved = dtcs.save(to: &store, at: 100)
  #expect(saved)
  #expect(!dtcs.needsSaving)
  var restored = DTCManager()
  try! restored.add(DTCDefinition(number: dtcB, failThreshold: 1))
  try! restored.add(DTCDefinition(number: dtcA, failThreshold: 1))
  let used = restored.restore(from: store, at: 100)
  #expect(used)
  #expect(status(restored, dtcB) == 0x6D)
  #expect(status(restored, dtcA) == 0x50)
  #expect(restored.freezeFrame(of: dtcB) == frame(7.25))
  #expect(restored.occurrences(at: 0) == 1)
}

@Test func everySingleCorruptedByteMakesTheRecordRejectedAndKeepsCleanDefaults() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1))
  fail(&dtcs)
  var store = FakeStore()
  dtcs.save(to: &store, at: 0)
  for offset in stride(from: 0, to: DTCManager.recordSize, by: 7) {
    var corrupted = store
    corrupted.bytes[offset] ^= 0x10
    var restored = manager(DTCDefinition(number: dtcA, failThreshold: 1))
    let used = restored.restore(from: corrupted, at: 0)
    #expect(!used, "byte \(offset)")
    #expect(status(restored) == 0x50)
  }
}

@Test func erasedStoreIsNoRecord() {
  var dtcs = manager(DTCDefinition(number: dtcA))
  let erased = dtcs.restore(from: FakeStore(), at: 0)
  let tooSmall = dtcs.restore(from: FakeStore(capacity: 100), at: 0)
  #expect(!erased && !tooSmall)
}

@Test func saveIntoAStoreTooSmallReportsFailureAndStaysDirty() {
  var dtcs = manager(DTCDefinition(number: dtcA, failThreshold: 1))
  fail(&dtcs)
  var store = FakeStore(capacity: 64)
  let saved = dtcs.save(to: &store, at: 0)
  #expect(!saved)
  #expect(dtcs.needsSaving)
}

/// Host memory standing in for a non-volatile store (erased: 0xFF).
private struct SliceTestStore: NonVolatileStore {
  var bytes = [UInt8](repeating: 0xFF, count: 700)
  var capacity: Int { bytes.count }
  func read(at offset: Int) -> UInt8 { bytes[offset] }
  mutating func write(_ byte: UInt8, at offset: Int) -> Bool {
    guard offset >= 0 && offset < bytes.count else { return false }
    bytes[offset] = byte
    return true
  }
}

@Test func recordSavedIn32ByteSlicesIsByteForByteTheWholeSave() {
  var manager = DTCManager()
  for n in 1...5 { try? manager.add(DTCDefinition(number: UInt32(n) << 8, failThreshold: 1)) }
  manager.report(0x200, failed: true, freezeFrame: FreezeFrame(signals: .init(repeating: 1.5)))
  var whole = SliceTestStore()
  var copy = manager
  copy.save(to: &whole, at: 16)
  var sliced = SliceTestStore()
  var calls = 0
  while !manager.saveSlice(to: &sliced, at: 16, bytes: 32) { calls += 1 }
  // 648 bytes in 32-byte slices: 21 calls, the last one completes the pass.
  #expect(calls + 1 == (DTCManager.recordSize + 31) / 32)
  #expect(sliced.bytes == whole.bytes)
  #expect(!manager.needsSaving && !manager.isSavingInSlices)
  var restored = DTCManager()
  for n in 1...5 { try? restored.add(DTCDefinition(number: UInt32(n) << 8, failThreshold: 1)) }
  let loaded = restored.restore(from: sliced, at: 16)
  #expect(loaded)
  #expect(restored.status(of: 0x200) == manager.status(of: 0x200))
}

@Test func aChangeDuringASlicedPassMarksTheNextPassDue() {
  var manager = DTCManager()
  try? manager.add(DTCDefinition(number: 0x100, failThreshold: 1, passThreshold: -1))
  manager.report(0x100, failed: true, freezeFrame: FreezeFrame())
  var store = SliceTestStore()
  let firstSlice = manager.saveSlice(to: &store, at: 0, bytes: 32)
  #expect(!firstSlice)
  manager.report(0x100, failed: false, freezeFrame: FreezeFrame())
  while !manager.saveSlice(to: &store, at: 0, bytes: 64) {}
  #expect(manager.needsSaving)
  // The next pass writes the row as it is now, and nothing is due after it.
  let completed = manager.saveSlice(to: &store, at: 0, bytes: 1000)
  #expect(completed)
  #expect(!manager.needsSaving)
  var restored = DTCManager()
  try? restored.add(DTCDefinition(number: 0x100, failThreshold: 1, passThreshold: -1))
  let loaded = restored.restore(from: store, at: 0)
  #expect(loaded)
  #expect(restored.status(of: 0x100) == manager.status(of: 0x100))
}
