import MotorControl
import Platform
import Testing

@Test func brandAUsesTheReferenceMotorAndBoard() {
  let a = InverterCalibration.brandA
  #expect(a.motor.polePairs == 4)
  #expect(a.motor.statorResistance_ohm == 0.010)
  #expect(a.motor.inductanceD_H == 0.20e-3)
  #expect(a.motor.inductanceQ_H == 0.45e-3)
  #expect(a.motor.fluxLinkage_Wb == 0.065)
  #expect(a.scaling.phaseCurrent_A_per_count == 0.25)
  #expect(a.scaling.dcLink_V_per_count == 0.2)
  #expect(a.scaling.temperature_C(counts: 650) == 25)
  #expect(a.limits.phaseCurrent_A == 300)
  #expect(abs(a.limits.speed_rad_s - 1256.64) <= 0.01)
  #expect(a.tuning.controlPeriod_s == 50e-6)
}

@Test func brandBIsGentlerThanBrandAOnTheSameHardware() {
  let a = InverterCalibration.brandA
  let b = InverterCalibration.brandB
  #expect(b.motor.fluxLinkage_Wb == a.motor.fluxLinkage_Wb)
  #expect(b.limits.motoringTorque_Nm < a.limits.motoringTorque_Nm)
  #expect(b.limits.power_W < a.limits.power_W)
  #expect(b.limits.torqueRise_Nm_s < a.limits.torqueRise_Nm_s)
  #expect(b.limits.speed_rad_s < a.limits.speed_rad_s)
}

/// The current limit must stay below the overcurrent trip, the trip below the 400 A rating.
@Test func currentLimitTripAndRatingAreOrdered() {
  for calibration in [InverterCalibration.brandA, .brandB] {
    let trip = calibration.protections[.phaseOvercurrent].threshold
    #expect(calibration.limits.phaseCurrent_A < trip)
    #expect(trip < 400)
  }
}

@Test func currentLoopGainsCancelTheWindingPole() {
  let p = CurrentLoopParameters(
    calibration: .brandA, offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
    angleOffset_counts: 0)
  // 0.3 / 50 µs = 6000 rad/s crossover.
  #expect(abs(p.proportionalD_V_A - 6000 * 0.20e-3) <= 1e-4)
  #expect(abs(p.proportionalQ_V_A - 6000 * 0.45e-3) <= 1e-4)
  #expect(abs(p.integralD_V_As / p.proportionalD_V_A - 0.010 / 0.20e-3) <= 1e-2)
  #expect(abs(p.latency_s - 75e-6) <= 1e-9)
}

/// The step reads the offsets and gains pre-multiplied; assigning the source fields after
/// construction (as the offset calibration does) must reach the step.
@Test func currentOffsetsAssignedAfterInitReachTheStepWithin1mA() {
  var parameters = CurrentLoopParameters(
    calibration: .brandA, offsets: CurrentSensorOffsets(phaseA_counts: 2048, phaseB_counts: 2048),
    angleOffset_counts: 0)
  parameters.currentOffsetA_counts = 2100
  parameters.currentOffsetB_counts = 1990.5
  var loop = CurrentLoop(parameters: parameters)
  // Samples exactly at the new offsets: zero current at every angle.
  for angle: UInt16 in [0, 12_345, 40_000] {
    let out = loop.step(
      CurrentLoopInputs(
        sample: InverterSample(
          phaseCurrentCounts: [2100, 1990], dcLinkVoltageCounts: 1750, rotorAngleCounts: angle,
          inverterTemperatureCounts: 650, motorTemperatureCounts: 650),
        reference: DirectQuadrature(d: 0, q: 0), enable: false, safeMode: .off))
    // Phase B sits half a count (0.125 A) below its offset: |i| = 0.125 · 2/√3.
    let expected = 0.125 * 2 / 3.0.squareRoot()
    #expect(abs(Double(out.currentAmplitude_A) - expected) <= 1e-3)
  }
}
