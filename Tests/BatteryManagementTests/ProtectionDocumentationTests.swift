import Testing

@testable import BatteryManagement

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The Markdown row docs/bms-protections.md must carry for a table row.
func documentationLine(_ row: ProtectionRow) -> String {
  let comparison = row.tripsAbove ? "≥" : "≤"
  let direction: String
  switch row.direction {
  case .any: direction = "any"
  case .charging: direction = "charging"
  case .discharging: direction = "discharging"
  }
  let derates: String
  switch row.derates {
  case .charge: derates = "charge"
  case .discharge: derates = "discharge"
  case .both: derates = "both"
  }
  let goal = row.reactionGoal_ms > 0 ? "\(row.reactionGoal_ms)" : "–"
  return
    "| \(row.id.rawValue) | \(row.id) | \(row.quantity) \(comparison) \(row.threshold) "
    + "| \(row.hysteresis) | \(row.severity) | \(direction) | \(derates) | \(row.debounce_ms) "
    + "| \(row.delay_ms) | \(goal) |"
}

func readRepositoryFile(_ relativePath: String) -> String? {
  // Tests/BatteryManagementTests/<this file> → repository root.
  var root = #filePath
  for _ in 0..<3 {
    guard let slash = root.lastIndex(of: "/") else { return nil }
    root = String(root[..<slash])
  }
  guard let file = fopen(root + "/" + relativePath, "r") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = fread(&buffer, 1, buffer.count, file)
    if n <= 0 { break }
    bytes.append(contentsOf: buffer[0..<n])
  }
  return String(decoding: bytes, as: UTF8.self)
}

@Suite("Protection documentation")
struct ProtectionDocumentationTests {
  @Test("docs/bms-protections.md lists every row of the table with its current values")
  func documentationMatchesTable() throws {
    let text = try #require(readRepositoryFile("docs/bms-protections.md"))
    for index in 0..<ProtectionTable.rowCount {
      let line = documentationLine(ProtectionTable.rows[index])
      #expect(text.contains(line), "missing or stale: \(line)")
    }
  }
}
