import Platform

/// Start-up known-answer test of the frame codec: one sample frame encoded and decoded back.
public enum CoSimulationSelfTest {
  public static func run() -> Bool {
    let sample = InverterSample(
      phaseCurrentCounts: [2100, 1990], dcLinkVoltageCounts: 1750, rotorAngleCounts: 0xBEEF,
      inverterTemperatureCounts: 650, motorTemperatureCounts: 660)
    var buffer = FrameBuffer()
    InverterSampleMessage(sample: sample, received: CANFrameBatch())
      .encode(into: &buffer, sequence: 0x1234_5678)
    guard let (sequence, decoded) = try? InverterSampleMessage.decode(buffer) else {
      return false
    }
    return sequence == 0x1234_5678 && decoded.sample == sample && buffer.count == 12 + 16 + 4
  }
}
