// Reads test vectors on stdin, one per line:
//   <id hex> <data hex, 2 digits per byte> <value> <value> ...
// where the data are the bytes cantools encoded and the values are the physical values it was
// given, in DBC signal order. Writes one line per vector:
//   <values the firmware decodes from the data> | <firmware encoding of those values>
//   | <firmware encoding of the given values>
// The Python side compares all three against cantools.
import Platform

func parseFrame(id: Substring, hex: Substring) -> CANFrame? {
  guard let identifier = UInt32(id, radix: 16), hex.count % 2 == 0, hex.count <= 16 else {
    return nil
  }
  var frame = CANFrame(id: identifier, length: UInt8(hex.count / 2))
  var index = hex.startIndex
  for i in 0..<hex.count / 2 {
    let next = hex.index(index, offsetBy: 2)
    guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
    frame.data[i] = byte
    index = next
  }
  return frame
}

func hex(_ frame: CANFrame?) -> String {
  guard let frame else { return "none" }
  let digits = Array("0123456789abcdef")
  var text = ""
  for i in 0..<Int(frame.length) {
    text.append(digits[Int(frame.data[i] >> 4)])
    text.append(digits[Int(frame.data[i] & 0x0F)])
  }
  return text
}

var failures = 0
while let line = readLine() {
  let fields = line.split(separator: " ")
  guard fields.count >= 2, let frame = parseFrame(id: fields[0], hex: fields[1]) else {
    print("error unparsable line")
    failures += 1
    continue
  }
  let given = fields.dropFirst(2).compactMap { Double($0) }
  guard let decoded = decodeToValues(frame) else {
    print("error decode returned nil")
    failures += 1
    continue
  }
  let reencoded = encodeFromValues(id: frame.id, decoded)
  let encoded = encodeFromValues(id: frame.id, given)
  let values = decoded.map { String($0) }.joined(separator: " ")
  print("\(values) | \(hex(reencoded)) | \(hex(encoded))")
}
if failures > 0 { fatalError("unparsable vectors") }
