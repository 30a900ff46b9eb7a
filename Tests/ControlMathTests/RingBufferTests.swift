import ControlMath
import Testing

@Test func ringBufferIsFirstInFirstOut() {
  var ring = RingBuffer<UInt8, 4>()
  #expect(ring.push(1) == true)
  #expect(ring.push(2) == true)
  #expect(ring.push(3) == true)
  #expect(ring.pop() == 1)
  #expect(ring.pop() == 2)
  #expect(ring.pop() == 3)
  #expect(ring.pop() == nil)
}

@Test func ringBufferRefusesPushWhenFullAndKeepsItsContents() {
  var ring = RingBuffer<Int32, 2>()
  #expect(ring.push(10) == true)
  #expect(ring.push(20) == true)
  #expect(ring.isFull)
  #expect(ring.push(30) == false)
  #expect(ring.count == 2)
  #expect(ring.pop() == 10)
  #expect(ring.pop() == 20)
}

@Test func ringBufferOfCapacityZeroIsAlwaysEmptyAndFull() {
  var ring = RingBuffer<UInt8, 0>()
  #expect(ring.isEmpty && ring.isFull)
  #expect(ring.push(1) == false)
  #expect(ring.pop() == nil)
  #expect(ring.peek() == nil)
}

@Test func ringBufferHoldsNonNumericElements() {
  struct Sample: Equatable {
    var current_A: Float
    var tick: UInt32
  }
  var ring = RingBuffer<Sample, 3>(placeholder: Sample(current_A: 0, tick: 0))
  #expect(ring.push(Sample(current_A: 1.5, tick: 7)) == true)
  #expect(ring.peek() == Sample(current_A: 1.5, tick: 7))
  #expect(ring.pop() == Sample(current_A: 1.5, tick: 7))
}

/// Runs `operations` random pushes, pops, peeks and clears against a plain array model and
/// checks every observable result.
private func checkAgainstModel<let C: Int>(
  _ ring: inout RingBuffer<UInt32, C>, seed: UInt64, operations: Int
) {
  var model: [UInt32] = []
  var rng = SplitMix64(seed: seed)
  for _ in 0..<operations {
    switch rng.next(below: 100) {
    case 0..<45:
      let value = UInt32(truncatingIfNeeded: rng.next())
      let accepted = ring.push(value)
      #expect(accepted == (model.count < C))
      if model.count < C { model.append(value) }
    case 45..<90:
      #expect(ring.pop() == (model.isEmpty ? nil : model.removeFirst()))
    case 90..<98:
      #expect(ring.peek() == model.first)
    default:
      ring.removeAll()
      model.removeAll()
    }
    #expect(ring.count == model.count)
    #expect(ring.isEmpty == model.isEmpty)
    #expect(ring.isFull == (model.count == C))
  }
}

@Test func ringBufferMatchesAFIFOModelOverRandomOperations() {
  var one = RingBuffer<UInt32, 1>()
  checkAgainstModel(&one, seed: 30, operations: 20_000)
  var seven = RingBuffer<UInt32, 7>()
  checkAgainstModel(&seven, seed: 31, operations: 20_000)
  var sixtyFour = RingBuffer<UInt32, 64>()
  checkAgainstModel(&sixtyFour, seed: 32, operations: 20_000)
}

@Test func ringBufferReportsItsCapacity() {
  #expect(RingBuffer<UInt8, 16>.capacity == 16)
}
