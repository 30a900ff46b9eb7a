import InverterApp
import MotorControl
import Platform
import Testing
import VehicleNetwork

/// A VCU that stamps its frames with a free-running E2E counter.
private struct VCU {
  var protector = E2EProtector(dataID: VCUTorqueRequest.e2eDataID)
  var message = VCUTorqueRequest(
    torqueRequestCRC: 0, torqueRequestCounter: 0, controlMode: .torque, enable: true,
    torqueRequest_Nm: 0, speedRequest_rpm: 0, keyState: .run)

  mutating func frame(torque_Nm: Float) -> CANFrame {
    message.torqueRequest_Nm = torque_Nm
    var frame = message.encode()
    protector.protect(&frame)
    return frame
  }
}

private func receive(_ receiver: inout DriveCommandReceiver, _ frame: CANFrame) -> Float {
  receiver.enqueue(frame)
  receiver.processQueue()
  return receiver.request(dcLink_V: 350).torque_Nm
}

@Test func twoLostFramesInBetweenStillAcceptTheNext() {
  var receiver = DriveCommandReceiver(period_s: 1e-3)
  var vcu = VCU()
  #expect(receive(&receiver, vcu.frame(torque_Nm: 10)) == 10)
  _ = vcu.frame(torque_Nm: 0)
  _ = vcu.frame(torque_Nm: 0)
  #expect(receive(&receiver, vcu.frame(torque_Nm: 20)) == 20)
  #expect(receiver.torqueRequestStatus == .okSomeLost)
}

@Test func counterJumpOfFourIsIgnoredAndTheFollowingFrameAccepted() {
  var receiver = DriveCommandReceiver(period_s: 1e-3)
  var vcu = VCU()
  #expect(receive(&receiver, vcu.frame(torque_Nm: 10)) == 10)
  for _ in 0..<3 { _ = vcu.frame(torque_Nm: 0) }
  #expect(receive(&receiver, vcu.frame(torque_Nm: 30)) == 10)
  #expect(receiver.torqueRequestStatus == .wrongSequence)
  #expect(receive(&receiver, vcu.frame(torque_Nm: 40)) == 40)
}

@Test func frameWithTheBMSDataIDIsACRCErrorForTheTorqueRequest() {
  var receiver = DriveCommandReceiver(period_s: 1e-3)
  var vcu = VCU()
  vcu.protector = E2EProtector(dataID: BMSLimits.e2eDataID)
  #expect(receive(&receiver, vcu.frame(torque_Nm: 10)) == 0)
  #expect(receiver.torqueRequestStatus == .crcError)
  #expect(receiver.torqueRequestAge_periods == DriveCommandReceiver.maxAge_periods)
}

@Test func batteryCurrentLimitIsLoweredToThePowerLimitAtTheLinkVoltage() {
  var receiver = DriveCommandReceiver(period_s: 1e-3)
  var protector = E2EProtector(dataID: BMSLimits.e2eDataID)
  var frame = BMSLimits(
    limitsCRC: 0, limitsCounter: 0, chargeCurrentLimit_A: 200, dischargeCurrentLimit_A: 400,
    chargePowerLimit_kW: 35, dischargePowerLimit_kW: 300
  ).encode()
  protector.protect(&frame)
  receiver.enqueue(frame)
  receiver.processQueue()
  let battery = receiver.request(dcLink_V: 350).battery
  #expect(battery.discharge_A == 400)  // 300 kW / 350 V = 857 A: the current limit binds
  #expect(abs(battery.charge_A - 100) <= 0.01)  // 35 kW / 350 V
  #expect(receiver.batteryLimitsAge_s == 0)
}

@Test func otherIdentifiersAreNotQueued() {
  var receiver = DriveCommandReceiver(period_s: 1e-3)
  receiver.enqueue(CANFrame(id: 0x301, length: 8))
  receiver.enqueue(CANFrame(id: 0x101, isExtended: true, length: 8))
  #expect(receiver.queue.isEmpty)
}
