import Foundation
import MotorControl
import Platform

/// Interior PMSM in the rotor frame plus an average-value inverter, in Double: the plant the
/// current loop is tested against. Independent of the firmware's Float math.
struct MotorModel {
  var pp = 4.0
  var r = 0.010
  var ld = 0.20e-3
  var lq = 0.45e-3
  var psi = 0.065
  var inertia = 0.05
  var id = 0.0
  var iq = 0.0
  var mechanicalAngle = 0.0
  var mechanicalSpeed = 0.0
  /// Held speed (a dynamometer) when true; free to accelerate with `inertia` when false.
  var speedHeld = true
  var loadTorque = 0.0
  var dcLink = 350.0

  var electricalAngle: Double { pp * mechanicalAngle }
  var torque: Double { 1.5 * pp * iq * (psi + (ld - lq) * id) }
  var currentMagnitude: Double { (id * id + iq * iq).squareRoot() }

  /// Phase currents a, b at the present angle (amplitude-invariant inverse Park + Clarke).
  var phaseCurrents: (a: Double, b: Double) {
    let th = electricalAngle
    let alpha = cos(th) * id - sin(th) * iq
    let beta = sin(th) * id + cos(th) * iq
    return (alpha, -0.5 * alpha + 0.5 * 3.0.squareRoot() * beta)
  }

  /// The converters' view: 0.25 A/count around 2048, 0.2 V/count, 65536 counts per turn.
  func sample(temperatureCounts: UInt16 = 650) -> InverterSample {
    func currentCounts(_ i: Double) -> UInt16 {
      UInt16(min(max((i / 0.25).rounded() + 2048, 0), 4095))
    }
    let turns = mechanicalAngle / (2 * Double.pi)
    let fraction = turns - turns.rounded(.down)
    let angle = UInt16(Int((fraction * 65536).rounded(.down)) & 0xFFFF)
    let (a, b) = phaseCurrents
    return InverterSample(
      phaseCurrentCounts: [currentCounts(a), currentCounts(b)],
      dcLinkVoltageCounts: UInt16((dcLink / 0.2).rounded()), rotorAngleCounts: angle,
      inverterTemperatureCounts: temperatureCounts, motorTemperatureCounts: temperatureCounts)
  }

  /// Applies a power-stage command for one period `dt` (average model: each phase at its duty
  /// × Vdc, the common mode cancels in a star winding), integrating with `substeps` RK2 steps.
  mutating func apply(_ command: PowerStageCommand, for dt: Double, substeps: Int = 10) {
    var vAlpha = 0.0
    var vBeta = 0.0
    var shorted = false
    switch command.mode {
    case .modulating:
      let da = Double(command.duties[0])
      let db = Double(command.duties[1])
      let dc = Double(command.duties[2])
      let mean = (da + db + dc) / 3
      let va = (da - mean) * dcLink
      let vb = (db - mean) * dcLink
      vAlpha = va
      vBeta = (va + 2 * vb) / 3.0.squareRoot()
    case .activeShortCircuit:
      shorted = true
    case .off:
      // Freewheeling is not modelled beyond zero current (tests stay below the diode speed).
      id = 0
      iq = 0
    }
    let h = dt / Double(substeps)
    for _ in 0..<substeps {
      if command.mode == .off {
        mechanicalAngle += h * mechanicalSpeed
        continue
      }
      func derivatives(_ id: Double, _ iq: Double, _ theta: Double) -> (Double, Double) {
        let we = pp * mechanicalSpeed
        var vd = cos(theta) * vAlpha + sin(theta) * vBeta
        var vq = -sin(theta) * vAlpha + cos(theta) * vBeta
        if shorted {
          vd = 0
          vq = 0
        }
        return (
          (vd - r * id + we * lq * iq) / ld,
          (vq - r * iq - we * ld * id - we * psi) / lq
        )
      }
      let theta = electricalAngle
      let (k1d, k1q) = derivatives(id, iq, theta)
      let mid = theta + 0.5 * h * pp * mechanicalSpeed
      let (k2d, k2q) = derivatives(id + 0.5 * h * k1d, iq + 0.5 * h * k1q, mid)
      id += h * k2d
      iq += h * k2q
      if !speedHeld {
        mechanicalSpeed += h * (torque - loadTorque) / inertia
      }
      mechanicalAngle += h * mechanicalSpeed
    }
  }
}

/// The current loop closed around the model: sample → step → command applied over the next
/// period (the one-period computation delay of sampled PWM).
struct CurrentLoopRig {
  var model: MotorModel
  var loop: CurrentLoop
  var state: CurrentLoopState { loop.state }
  var pending = PowerStageCommand.off
  var last: CurrentLoopOutputs?
  let period: Double

  init(model: MotorModel, calibration: InverterCalibration = .brandA) {
    self.model = model
    loop = CurrentLoop(
      parameters: CurrentLoopParameters(
        calibration: calibration,
        offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
        angleOffset_counts: 0))
    period = Double(calibration.tuning.controlPeriod_s)
    let speed = Float(model.mechanicalSpeed * model.pp)
    loop.state.presetAngle(
      model.sample(), electricalSpeed_rad_s: speed, parameters: loop.parameters)
  }

  /// One control period with the given current reference; returns the loop's outputs.
  @discardableResult
  mutating func period(reference: DirectQuadrature, enable: Bool = true) -> CurrentLoopOutputs {
    let outputs = loop.step(
      CurrentLoopInputs(
        sample: model.sample(), reference: reference, enable: enable, safeMode: .off))
    model.apply(pending, for: period)
    pending = outputs.command
    last = outputs
    return outputs
  }
}
