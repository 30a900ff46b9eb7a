// libFuzzer target: the co-simulation frame parser (InverterSampleMessage.decode and
// BatterySampleMessage.decode on a FrameBuffer). Input byte 0 selects the mode: odd = the
// remaining bytes are a frame whose header length and CRC are patched to be valid, so the
// fuzzer reaches the payload decoders; even = raw bytes, as they come off the transport.
import CoSimulation
import ControlMath
import Platform

@_cdecl("LLVMFuzzerTestOneInput")
public func coSimFrameFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 1 else { return 0 }
  let input = UnsafeBufferPointer(start: data, count: size)
  let patch = input[0] & 1 == 1
  var buffer = FrameBuffer()
  let body = min(size - 1, FrameFormat.maxFrameSize - (patch ? FrameFormat.checksumSize : 0))
  for i in 0..<body { buffer.append(u8: input[1 + i]) }
  if patch, buffer.count >= FrameFormat.headerSize {
    buffer.bytes[0] = FrameFormat.magic.0
    buffer.bytes[1] = FrameFormat.magic.1
    buffer.bytes[2] = FrameFormat.version
    buffer.bytes[3] =
      input[0] & 2 == 0
      ? FrameKind.inverterSample.rawValue
      : FrameKind.batterySample.rawValue
    buffer.finish()
  }
  let inverter = try? InverterSampleMessage.decode(buffer)
  let battery = try? BatterySampleMessage.decode(buffer)
  precondition(inverter == nil || battery == nil, "one frame decoded as both kinds")
  if let (_, message) = inverter {
    precondition(message.received.count <= FrameFormat.maxCANFrames, "too many CAN frames")
    for i in 0..<message.received.count {
      precondition(message.received.frames[i].isValid, "invalid CAN frame accepted")
    }
  }
  if let (_, message) = battery {
    precondition(message.received.count <= FrameFormat.maxCANFrames, "too many CAN frames")
  }
  return 0
}
