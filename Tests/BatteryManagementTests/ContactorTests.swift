import Platform
import Testing

@testable import BatteryManagement

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// DC link behind the contactors: charges through the precharge resistor (τ = 0.3 s) or the
/// mains (instantly), and discharges through the inverter's discharge circuit (τ = 0.2 s)
/// when disconnected. Feedback follows the command after one step unless welded.
struct LinkPlant {
  var pack_V = 350.0
  var link_V = 0.0
  var feedback = ContactorSet.allOpen
  var command = ContactorSet.allOpen
  var current_A = 0.0
  var weldedPositive = false
  /// A short or a broken precharge path: the link never charges.
  var linkShorted = false
  /// Something else holds the link up (e.g. a second source).
  var linkHeldUp = false

  mutating func step(_ dt_s: Double) {
    feedback = command
    if weldedPositive { feedback.positiveMain = true }
    let connected = feedback.negativeMain && feedback.positiveMain
    let precharging = feedback.negativeMain && feedback.precharge
    if linkShorted {
      link_V = 0
    } else if connected {
      link_V = pack_V
    } else if precharging {
      link_V += (pack_V - link_V) * (1 - exp(-dt_s / 0.3))
    } else if !linkHeldUp {
      link_V *= exp(-dt_s / 0.2)
    }
  }

  var sample: PackSample {
    PackSample(
      current_mA: Int32(current_A * 1000), packVoltage_dV: UInt16(pack_V * 10),
      linkVoltage_dV: UInt16(link_V * 10), feedback: feedback)
  }
}

/// Runs the sequencer for `ms` milliseconds in 10 ms steps; returns the number of precharge
/// starts seen.
@discardableResult
func run(
  _ sequencer: inout ContactorSequencer, _ plant: inout LinkPlant, ms: Int,
  request: ContactorRequest, forceOpen: Bool = false, prechargeAllowed: Bool = true
) -> Int {
  var starts = 0
  var previous = sequencer.state
  for _ in 0..<(ms / 10) {
    plant.command = sequencer.step(
      request: request, forceOpen: forceOpen, prechargeAllowed: prechargeAllowed,
      sample: plant.sample, elapsed_ms: 10)
    if sequencer.state == .precharging && previous != .precharging { starts += 1 }
    previous = sequencer.state
    plant.step(0.01)
  }
  return starts
}

@Suite("Contactor and precharge sequencing")
struct ContactorTests {
  @Test("close: negative main + precharge, positive main at ≥ 95 %, then precharge relay opens")
  func normalCloseSequence() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    var sawPrecharge = false
    var linkAtMainClose = 0.0
    for _ in 0..<300 {
      let command = sequencer.step(
        request: .close, forceOpen: false, prechargeAllowed: true, sample: plant.sample,
        elapsed_ms: 10)
      if command == ContactorSet(negativeMain: true, positiveMain: false, precharge: true) {
        sawPrecharge = true
      }
      if command.positiveMain && !plant.command.positiveMain { linkAtMainClose = plant.link_V }
      plant.command = command
      plant.step(0.01)
    }
    #expect(sawPrecharge)
    #expect(linkAtMainClose >= 0.95 * 350)
    #expect(sequencer.state == .closed)
    #expect(plant.command == ContactorSet(negativeMain: true, positiveMain: true, precharge: false))
  }

  @Test("precharge completes within 1 V of the pack even below 95 % (low pack voltage)")
  func prechargeWithinOneVolt() {
    var sequencer = ContactorSequencer(configuration: .standard)
    // Pack 15 V: 95 % is 0.75 V short, the 1 V margin decides.
    let sample = PackSample(
      current_mA: 0, packVoltage_dV: 150, linkVoltage_dV: 141,
      feedback: ContactorSet(negativeMain: true, positiveMain: false, precharge: true))
    _ = sequencer.step(
      request: .close, forceOpen: false, prechargeAllowed: true, sample: sample, elapsed_ms: 10)
    _ = sequencer.step(
      request: .close, forceOpen: false, prechargeAllowed: true, sample: sample, elapsed_ms: 10)
    #expect(sequencer.state == .closingMain)
  }

  @Test("link at 94.9 % of 350 V is not precharged")
  func prechargeThreshold() {
    var sequencer = ContactorSequencer(configuration: .standard)
    let sample = PackSample(
      current_mA: 0, packVoltage_dV: 3_500, linkVoltage_dV: 3_321,
      feedback: ContactorSet(negativeMain: true, positiveMain: false, precharge: true))
    for _ in 0..<5 {
      _ = sequencer.step(
        request: .close, forceOpen: false, prechargeAllowed: true, sample: sample, elapsed_ms: 10)
    }
    #expect(sequencer.state == .precharging)
  }

  @Test("precharge timeout 2 s, three attempts 1 s apart, then fault")
  func prechargeRetriesThenFault() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    plant.linkShorted = true
    let startsBeforeLast = run(
      &sequencer, &plant, ms: 2 * 2_000 + 2 * 1_000 + 1_990, request: .close)
    #expect(startsBeforeLast == 3)
    #expect(sequencer.state == .precharging && sequencer.attempt == 3)
    run(&sequencer, &plant, ms: 20, request: .close)
    #expect(sequencer.state == .fault && sequencer.fault == .prechargeFailed)
    #expect(plant.command == .allOpen)
    // Still asked to close: stays in fault, contactors open.
    run(&sequencer, &plant, ms: 5_000, request: .close)
    #expect(sequencer.state == .fault && plant.command == .allOpen)
    let acknowledged = sequencer.acknowledgeFault()
    #expect(acknowledged && sequencer.state == .open)
  }

  @Test("precharge succeeds on the second attempt when the short clears")
  func prechargeSecondAttempt() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    plant.linkShorted = true
    run(&sequencer, &plant, ms: 2_500, request: .close)
    #expect(sequencer.state == .prechargePause)
    plant.linkShorted = false
    run(&sequencer, &plant, ms: 3_000, request: .close)
    #expect(sequencer.state == .closed)
  }

  @Test("an open sense wire blocks precharge")
  func openWireBlocksPrecharge() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 1_000, request: .close, prechargeAllowed: false)
    #expect(sequencer.state == .open && plant.command == .allOpen)
  }

  @Test("a normal open waits for |I| < 5 A, then opens and passes the weld check")
  func openWaitsForLowCurrent() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 2_000, request: .close)
    plant.current_A = 50
    run(&sequencer, &plant, ms: 500, request: .open)
    #expect(sequencer.state == .waitingForLowCurrent && plant.command.positiveMain)
    plant.current_A = 4
    run(&sequencer, &plant, ms: 20, request: .open)
    #expect(sequencer.state == .weldCheck && plant.command == .allOpen)
    run(&sequencer, &plant, ms: 1_100, request: .open)
    #expect(sequencer.state == .open && sequencer.openedUnderLoadCount == 0)
  }

  @Test("a normal open under load opens anyway after 2 s and counts it")
  func openTimeoutUnderLoad() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 2_000, request: .close)
    plant.current_A = 80
    run(&sequencer, &plant, ms: 1_990, request: .open)
    #expect(sequencer.state == .waitingForLowCurrent)
    run(&sequencer, &plant, ms: 20, request: .open)
    #expect(sequencer.state == .weldCheck && sequencer.openedUnderLoadCount == 1)
  }

  @Test("a protection fault opens at once under load")
  func faultOpensImmediately() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 2_000, request: .close)
    plant.current_A = 150
    let command = sequencer.step(
      request: .close, forceOpen: true, prechargeAllowed: true, sample: plant.sample,
      elapsed_ms: 10)
    #expect(command == .allOpen && sequencer.openedUnderLoadCount == 1)
  }

  @Test("a welded positive main is detected after opening and cannot be acknowledged")
  func weldedPositiveMain() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 2_000, request: .close)
    plant.weldedPositive = true
    run(&sequencer, &plant, ms: 1_100, request: .open)
    #expect(sequencer.state == .fault && sequencer.fault == .positiveMainWelded)
    let acknowledged = sequencer.acknowledgeFault()
    #expect(!acknowledged && sequencer.state == .fault)
  }

  @Test("a link voltage that stays up after opening is a weld fault")
  func linkStaysUp() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 2_000, request: .close)
    plant.linkHeldUp = true
    run(&sequencer, &plant, ms: 1_100, request: .open)
    #expect(sequencer.state == .fault && sequencer.fault == .linkVoltageStaysUp)
  }

  @Test("feedback dropping for 100 ms while closed is a fault and opens the contactors")
  func feedbackLost() {
    var sequencer = ContactorSequencer(configuration: .standard)
    var plant = LinkPlant()
    run(&sequencer, &plant, ms: 2_000, request: .close)
    var sample = plant.sample
    sample.feedback.negativeMain = false
    var command = ContactorSet.allOpen
    for _ in 0..<10 {
      command = sequencer.step(
        request: .close, forceOpen: false, prechargeAllowed: true, sample: sample, elapsed_ms: 10)
    }
    #expect(sequencer.fault == .feedbackLost && command == .allOpen)
  }
}
