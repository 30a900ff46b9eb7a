/// A classic CAN 2.0 data frame as the controller sees it: identifier, data length code and up
/// to eight data bytes. Bytes past `length` are zero so that equal frames compare equal.
public struct CANFrame: Equatable, Sendable {
  /// The 11-bit (base) or 29-bit (extended) identifier.
  public var id: UInt32
  public var isExtended: Bool
  /// Data length code, 0...8.
  public var length: UInt8
  public var data: [8 of UInt8]

  public static let maxBaseID: UInt32 = 0x7FF
  public static let maxExtendedID: UInt32 = 0x1FFF_FFFF

  public init(id: UInt32, isExtended: Bool = false, length: UInt8, data: [8 of UInt8]) {
    self.id = id
    self.isExtended = isExtended
    self.length = length
    self.data = data
  }

  /// An all-zero frame of the given length.
  public init(id: UInt32, isExtended: Bool = false, length: UInt8) {
    self.init(id: id, isExtended: isExtended, length: length, data: .init(repeating: 0))
  }

  /// Whether identifier and length are within what the bus can carry; a board drops and
  /// counts frames that are not.
  public var isValid: Bool {
    length <= 8 && id <= (isExtended ? CANFrame.maxExtendedID : CANFrame.maxBaseID)
  }

  public static func == (a: CANFrame, b: CANFrame) -> Bool {
    guard a.id == b.id, a.isExtended == b.isExtended, a.length == b.length else { return false }
    for i in 0..<Int(a.length) where a.data[i] != b.data[i] { return false }
    return true
  }
}
