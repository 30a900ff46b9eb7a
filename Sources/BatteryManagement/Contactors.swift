import Platform

/// Contactor and precharge sequencing. Stepped with the elapsed time; no clock inside.
///
///     open ─close→ precharging (negative main + precharge relay)
///       precharging ─link ≥ pack − 1 V or ≥ 95 %→ closingMain (+ positive main)
///       precharging ─2 s→ prechargePause ─1 s→ precharging (attempt 2, 3) ─→ fault
///       closingMain ─positive feedback→ closed (precharge relay opened)
///     closed ─open request→ waitingForLowCurrent ─|I| small or timeout→ weldCheck
///     closed ─protection fault→ weldCheck (at once, under load)
///     weldCheck ─feedback open and link voltage fallen→ open, else fault (welded)

public enum ContactorState: UInt8, Sendable {
  case open = 0
  case precharging = 1
  case prechargePause = 2
  case closingMain = 3
  case closed = 4
  case waitingForLowCurrent = 5
  case weldCheck = 6
  case fault = 7
}

public enum ContactorFault: UInt8, Error, Sendable {
  /// The link did not reach the pack voltage in `maxPrechargeAttempts` attempts: a short on
  /// the link, an open precharge path or a missing negative main.
  case prechargeFailed = 1
  /// The positive main's feedback did not report closed in time.
  case positiveMainDidNotClose = 2
  /// A closed contactor's feedback dropped while closed.
  case feedbackLost = 3
  /// Feedback still closed after opening: the contact is welded.
  case positiveMainWelded = 4
  case negativeMainWelded = 5
  case prechargeWelded = 6
  /// Feedback open but the link voltage did not fall: something still connects it.
  case linkVoltageStaysUp = 7
}

public enum ContactorRequest: UInt8, Sendable {
  case open
  case close
}

public struct ContactorConfiguration: Sendable {
  /// Precharge is complete when the link is within this of the pack …
  public var prechargeMargin_V: Float
  /// … or has reached this fraction of it.
  public var prechargeRatio: Float
  public var prechargeTimeout_ms: UInt32
  public var maxPrechargeAttempts: UInt8
  /// Pause between attempts so the precharge resistor cools.
  public var retryPause_ms: UInt32
  /// Time for a contactor's auxiliary contact to follow the coil.
  public var feedbackTimeout_ms: UInt32
  /// A normal open waits for |I| below this (contact life: opening under load erodes it) …
  public var openCurrentThreshold_A: Float
  /// … for at most this long, then opens anyway.
  public var openCurrentTimeout_ms: UInt32
  /// After opening: time before the feedback and link voltage are judged.
  public var weldCheck_ms: UInt32
  /// After `weldCheck_ms` the link must have fallen below this fraction of the pack voltage
  /// (the inverter's discharge circuit pulls it down once it is disconnected).
  public var weldLinkFraction: Float

  public init(
    prechargeMargin_V: Float, prechargeRatio: Float, prechargeTimeout_ms: UInt32,
    maxPrechargeAttempts: UInt8, retryPause_ms: UInt32, feedbackTimeout_ms: UInt32,
    openCurrentThreshold_A: Float, openCurrentTimeout_ms: UInt32, weldCheck_ms: UInt32,
    weldLinkFraction: Float
  ) {
    self.prechargeMargin_V = prechargeMargin_V
    self.prechargeRatio = prechargeRatio
    self.prechargeTimeout_ms = prechargeTimeout_ms
    self.maxPrechargeAttempts = maxPrechargeAttempts
    self.retryPause_ms = retryPause_ms
    self.feedbackTimeout_ms = feedbackTimeout_ms
    self.openCurrentThreshold_A = openCurrentThreshold_A
    self.openCurrentTimeout_ms = openCurrentTimeout_ms
    self.weldCheck_ms = weldCheck_ms
    self.weldLinkFraction = weldLinkFraction
  }

  public static let standard = ContactorConfiguration(
    prechargeMargin_V: 1, prechargeRatio: 0.95, prechargeTimeout_ms: 2_000,
    maxPrechargeAttempts: 3, retryPause_ms: 1_000, feedbackTimeout_ms: 100,
    openCurrentThreshold_A: 5, openCurrentTimeout_ms: 2_000, weldCheck_ms: 1_000,
    weldLinkFraction: 0.8)
}

public struct ContactorSequencer: Sendable {
  public var configuration: ContactorConfiguration
  public private(set) var state: ContactorState
  public private(set) var fault: ContactorFault?
  /// Precharge attempt in progress (1-based), 0 when none.
  public private(set) var attempt: UInt8
  /// Times the contactors were opened with current above the threshold (fault reactions and
  /// timeouts), for the contact-wear log.
  public private(set) var openedUnderLoadCount: UInt32
  private var timer_ms: UInt32
  private var feedbackMismatch_ms: UInt32
  /// The link-voltage part of the weld check applies only after the mains were closed; after an
  /// abandoned precharge the link may still hold most of the pack voltage.
  private var checkLinkAfterOpening: Bool

  public init(configuration: ContactorConfiguration) {
    self.configuration = configuration
    state = .open
    fault = nil
    attempt = 0
    openedUnderLoadCount = 0
    timer_ms = 0
    feedbackMismatch_ms = 0
    checkLinkAfterOpening = false
  }

  private static let prechargePath = ContactorSet(
    negativeMain: true, positiveMain: false, precharge: true)
  private static let closingPath = ContactorSet(
    negativeMain: true, positiveMain: true, precharge: true)
  private static let mainPath = ContactorSet(
    negativeMain: true, positiveMain: true, precharge: false)

  /// The command for the present state.
  public var command: ContactorSet {
    switch state {
    case .precharging: return ContactorSequencer.prechargePath
    case .closingMain: return ContactorSequencer.closingPath
    case .closed, .waitingForLowCurrent: return ContactorSequencer.mainPath
    case .open, .prechargePause, .weldCheck, .fault: return .allOpen
    }
  }

  /// One step.
  /// - Parameters:
  ///   - request: what the vehicle asks for.
  ///   - forceOpen: a protection fault: open now, even under load.
  ///   - prechargeAllowed: false while anything makes closing unsafe (an open sense wire, an
  ///     unacknowledged fault): no precharge starts, one in progress is abandoned.
  ///   - sample: pack and link voltage, current and contactor feedback.
  /// - Returns: the contactor command to apply.
  public mutating func step(
    request: ContactorRequest, forceOpen: Bool, prechargeAllowed: Bool, sample: PackSample,
    elapsed_ms: UInt32
  ) -> ContactorSet {
    let pack_V = Float(Int(sample.packVoltage_dV)) / 10
    let link_V = Float(Int(sample.linkVoltage_dV)) / 10
    let current_A = Float(Int(sample.current_mA)) / 1000
    timer_ms = timer_ms > UInt32.max - elapsed_ms ? UInt32.max : timer_ms + elapsed_ms

    switch state {
    case .open:
      if request == .close && !forceOpen && prechargeAllowed {
        attempt = 1
        enter(.precharging)
      }

    case .precharging:
      if forceOpen || request == .open || !prechargeAllowed {
        // The precharge resistor limits the current: opening here is never under load.
        checkLinkAfterOpening = false
        enter(.weldCheck)
      } else if link_V >= pack_V - configuration.prechargeMargin_V
        || link_V >= configuration.prechargeRatio * pack_V
      {
        enter(.closingMain)
      } else if timer_ms >= configuration.prechargeTimeout_ms {
        if attempt >= configuration.maxPrechargeAttempts {
          enterFault(.prechargeFailed)
        } else {
          enter(.prechargePause)
        }
      }

    case .prechargePause:
      if forceOpen || request == .open || !prechargeAllowed {
        attempt = 0
        enter(.open)
      } else if timer_ms >= configuration.retryPause_ms {
        attempt += 1
        enter(.precharging)
      }

    case .closingMain:
      if forceOpen || request == .open {
        openNow(current_A)
      } else if sample.feedback.positiveMain {
        attempt = 0
        enter(.closed)
      } else if timer_ms >= configuration.feedbackTimeout_ms {
        openNow(current_A)
        enterFault(.positiveMainDidNotClose)
      }

    case .closed, .waitingForLowCurrent:
      if !(sample.feedback.negativeMain && sample.feedback.positiveMain) {
        feedbackMismatch_ms += elapsed_ms
      } else {
        feedbackMismatch_ms = 0
      }
      if forceOpen {
        openNow(current_A)
      } else if feedbackMismatch_ms >= configuration.feedbackTimeout_ms {
        openNow(current_A)
        enterFault(.feedbackLost)
      } else if state == .closed {
        if request == .open { enter(.waitingForLowCurrent) }
      } else if request == .close {
        state = .closed
      } else if abs(current_A) < configuration.openCurrentThreshold_A
        || timer_ms >= configuration.openCurrentTimeout_ms
      {
        openNow(current_A)
      }

    case .weldCheck:
      if timer_ms >= configuration.weldCheck_ms {
        if sample.feedback.positiveMain {
          enterFault(.positiveMainWelded)
        } else if sample.feedback.negativeMain {
          enterFault(.negativeMainWelded)
        } else if sample.feedback.precharge {
          enterFault(.prechargeWelded)
        } else if checkLinkAfterOpening && pack_V > 0
          && link_V > configuration.weldLinkFraction * pack_V
        {
          enterFault(.linkVoltageStaysUp)
        } else {
          attempt = 0
          enter(.open)
        }
      }

    case .fault:
      break
    }
    return command
  }

  /// Leaves the fault state after service. Welds and a link that stays up are permanent:
  /// only a power cycle after repair clears them, so this returns false for those.
  public mutating func acknowledgeFault() -> Bool {
    guard state == .fault, let f = fault else { return state != .fault }
    switch f {
    case .positiveMainWelded, .negativeMainWelded, .prechargeWelded, .linkVoltageStaysUp:
      return false
    case .prechargeFailed, .positiveMainDidNotClose, .feedbackLost:
      fault = nil
      attempt = 0
      enter(.open)
      return true
    }
  }

  private mutating func openNow(_ current_A: Float) {
    if abs(current_A) >= configuration.openCurrentThreshold_A {
      openedUnderLoadCount &+= 1
    }
    checkLinkAfterOpening = true
    enter(.weldCheck)
  }

  private mutating func enter(_ next: ContactorState) {
    state = next
    timer_ms = 0
    feedbackMismatch_ms = 0
  }

  private mutating func enterFault(_ f: ContactorFault) {
    fault = f
    enter(.fault)
  }
}
