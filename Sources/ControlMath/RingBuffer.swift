/// A first-in first-out queue of at most `Capacity` elements in fixed inline storage.
///
/// `push` refuses an element when full rather than overwriting the oldest, so the caller
/// decides what a drop means and counts it. Not safe for concurrent use from an interrupt and
/// the main loop: wrap it in a critical section or use one per context.
@frozen
public struct RingBuffer<Element, let Capacity: Int> {
  @usableFromInline var storage: [Capacity of Element]
  /// Index of the oldest element.
  @usableFromInline var head: Int
  @usableFromInline var size: Int

  /// An empty buffer. `placeholder` fills the unused slots; `pop` never returns it.
  public init(placeholder: Element) {
    self.storage = .init(repeating: placeholder)
    self.head = 0
    self.size = 0
  }

  public static var capacity: Int { Capacity }
  public var count: Int { size }
  public var isEmpty: Bool { size == 0 }
  public var isFull: Bool { size >= Capacity }

  /// Appends `element`; returns false, leaving the buffer unchanged, when it is full.
  @inlinable
  public mutating func push(_ element: Element) -> Bool {
    guard size < Capacity else { return false }
    var tail = head + size
    if tail >= Capacity { tail -= Capacity }
    storage[tail] = element
    size += 1
    return true
  }

  /// Removes and returns the oldest element, or nil when empty.
  @inlinable
  public mutating func pop() -> Element? {
    guard size > 0 else { return nil }
    let element = storage[head]
    head += 1
    if head >= Capacity { head = 0 }
    size -= 1
    return element
  }

  /// The oldest element without removing it, or nil when empty.
  ///
  /// `mutating` only so that self is passed by address: with Swift 6.3 a non-mutating read
  /// at a run-time index copied the whole storage to the stack on Cortex-M.
  @inlinable
  public mutating func peek() -> Element? {
    size > 0 ? storage[head] : nil
  }

  /// Empties the buffer (the stored slots keep their old contents).
  public mutating func removeAll() {
    head = 0
    size = 0
  }
}

extension RingBuffer: Sendable where Element: Sendable {}

extension RingBuffer where Element: ExpressibleByIntegerLiteral {
  /// An empty buffer of numbers, unused slots holding 0.
  public init() {
    self.init(placeholder: 0)
  }
}
