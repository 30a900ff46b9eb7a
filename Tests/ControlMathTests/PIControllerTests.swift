import ControlMath
import Testing

private func controller(
  kp: Float = 2, ki: Float = 100, kb: Float = 50, limit: Float = 10
) -> PIController {
  PIController(
    kp: kp, ki: ki, kb: kb, sampleTime_s: 1e-3, outputMin: -limit, outputMax: limit)
}

@Test func proportionalOnlyOutputIsKpTimesError() {
  var pi = controller(kp: 2.5, ki: 0)
  #expect(pi.step(error: 1.5) == 3.75)
  #expect(pi.step(error: -2) == -5)
  #expect(pi.integrator == 0)
}

@Test func integratorAddsKiTimesSampleTimeTimesErrorEachStep() {
  var pi = controller(kp: 0, ki: 100)
  var outputs: [Float] = []
  for _ in 0..<10 { outputs.append(pi.step(error: 0.5)) }
  // Output of sample k is the integral of the k samples before it.
  for (k, output) in outputs.enumerated() {
    #expect(abs(Double(output) - Double(k) * 100 * 1e-3 * 0.5) <= 1e-5)
  }
  #expect(abs(Double(pi.integrator) - 10 * 100 * 1e-3 * 0.5) <= 1e-5)
}

@Test func outputNeverLeavesTheLimits() {
  var pi = controller(limit: 3)
  var rng = SplitMix64(seed: 10)
  for _ in 0..<10_000 {
    let output = pi.step(error: Float(rng.next(in: -20, 20)))
    #expect(output >= -3 && output <= 3)
  }
}

@Test func backCalculationHoldsTheIntegratorAtItsEquilibriumWhileSaturated() {
  let kp: Float = 2
  let ki: Float = 100
  let kb: Float = 50
  let error: Float = 20  // kp · e alone exceeds the limit of 10
  var pi = controller(kp: kp, ki: ki, kb: kb, limit: 10)
  for _ in 0..<20_000 { _ = pi.step(error: error) }
  // Steady state: ki·e + kb·(u − v) = 0 with u = 10, v = kp·e + I.
  let expected = 10 + Double(ki) * Double(error) / Double(kb) - Double(kp) * Double(error)
  #expect(abs(Double(pi.integrator) - expected) <= 1e-3)
}

@Test func withoutBackCalculationTheIntegratorWindsUp() {
  var pi = controller(kb: 0, limit: 10)
  for _ in 0..<20_000 { _ = pi.step(error: 20) }
  // 20 s of integrating 100 · 20: the very windup the back-calculation term prevents.
  #expect(pi.integrator > 30_000)
}

@Test func antiWindupLeavesSaturationWithin20StepsOfTheErrorReversing() {
  var withAntiWindup = controller(kb: 50, limit: 10)
  var withoutAntiWindup = controller(kb: 0, limit: 10)
  for _ in 0..<5_000 {
    _ = withAntiWindup.step(error: 20)
    _ = withoutAntiWindup.step(error: 20)
  }
  func stepsUntilBelowLimit(_ pi: inout PIController) -> Int {
    for n in 1...100_000 where pi.step(error: -1) < 10 { return n }
    return Int.max
  }
  #expect(stepsUntilBelowLimit(&withAntiWindup) <= 20)
  #expect(stepsUntilBelowLimit(&withoutAntiWindup) > 1_000)
}

@Test func presetOutputMakesTheNextStepReturnThatOutput() {
  var pi = controller(kp: 2, ki: 100)
  pi.preset(output: 4, error: 1.5)
  #expect(abs(pi.step(error: 1.5) - 4) <= 1e-6)
}

@Test func presetOutputIsLimitedToTheOutputRange() {
  var pi = controller(kp: 2, ki: 100, limit: 10)
  pi.preset(output: 50, error: 0)
  #expect(pi.integrator == 10)
}

@Test func resetAndPresetIntegratorSetTheState() {
  var pi = controller()
  for _ in 0..<10 { _ = pi.step(error: 1) }
  pi.reset()
  #expect(pi.integrator == 0)
  pi.preset(integrator: 2.5)
  #expect(pi.step(error: 0) == 2.5)
}

@Test func closedLoopOnAFirstOrderPlantSettlesWithin1PercentWithoutSteadyStateError() {
  // Plant: current of an R-L load, di/dt = (u − R·i)/L, R = 0.1 Ω, L = 1 mH, sampled at 10 kHz.
  // Gains by pole-zero cancellation for a 1 kHz bandwidth: kp = ωL, ki = ωR.
  let resistance = 0.1
  let inductance = 1e-3
  let sampleTime = 1e-4
  let omega = 2 * Double.pi * 1_000
  var pi = PIController(
    kp: Float(omega * inductance), ki: Float(omega * resistance), kb: Float(1 / sampleTime),
    sampleTime_s: Float(sampleTime), outputMin: -48, outputMax: 48)
  var current = 0.0
  let setpoint = 20.0
  for _ in 0..<5_000 {
    let voltage = Double(pi.step(error: Float(setpoint - current)))
    current += sampleTime * (voltage - resistance * current) / inductance
  }
  #expect(abs(current - setpoint) <= 0.01 * setpoint)
  #expect(abs(current - setpoint) <= 1e-3)
}
