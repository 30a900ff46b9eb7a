import Foundation
import MotorControl
import Testing

private let angles: [Double] = stride(from: -3.1, through: 6.2, by: 0.37).map { $0 }

@Test func clarkeOfBalancedPhasesGivesTheVectorAtPhaseAmplitude() {
  for phi in angles {
    let amplitude = 123.0
    let a = amplitude * cos(phi)
    let b = amplitude * cos(phi - 2 * Double.pi / 3)
    let v = FrameTransform.clarke(a: Float(a), b: Float(b))
    #expect(abs(Double(v.alpha) - amplitude * cos(phi)) <= 1e-3)
    #expect(abs(Double(v.beta) - amplitude * sin(phi)) <= 1e-3)
  }
}

@Test func parkThenInverseParkIsTheIdentity() {
  for theta in angles {
    let s = Float(sin(theta))
    let c = Float(cos(theta))
    let x = AlphaBeta(alpha: 17.5, beta: -240.25)
    let back = FrameTransform.inversePark(FrameTransform.park(x, sin: s, cos: c), sin: s, cos: c)
    #expect(abs(back.alpha - x.alpha) <= 1e-4)
    #expect(abs(back.beta - x.beta) <= 1e-4)
  }
}

@Test func parkOfAVectorAtTheRotorAngleIsPureD() {
  for theta in angles {
    let x = AlphaBeta(alpha: Float(50 * cos(theta)), beta: Float(50 * sin(theta)))
    let dq = FrameTransform.park(x, sin: Float(sin(theta)), cos: Float(cos(theta)))
    #expect(abs(dq.d - 50) <= 1e-4)
    #expect(abs(dq.q) <= 1e-4)
  }
}

@Test func inverseClarkePhasesSumToZero() {
  for theta in angles {
    let p = FrameTransform.inverseClarke(
      AlphaBeta(alpha: Float(80 * cos(theta)), beta: Float(80 * sin(theta))))
    #expect(abs(p.a + p.b + p.c) <= 1e-4)
  }
}

/// Min/max injection: the line-to-line voltages are the commanded ones, the duties are centred
/// (max + min = 1) and stay in [0, 1] up to the inscribed circle Vdc/√3.
@Test func spaceVectorDutiesReproduceLineVoltagesAndStayInUnitRangeUpToInscribedCircle() {
  let link = 350.0
  for theta in stride(from: 0.0, to: 2 * Double.pi, by: 0.01) {
    for share in [0.0, 0.3, 0.99, 1.0] {
      let magnitude = share * link / 3.0.squareRoot()
      let v = AlphaBeta(alpha: Float(magnitude * cos(theta)), beta: Float(magnitude * sin(theta)))
      let d = FrameTransform.spaceVectorDuties(v, inverseDCLink_1_V: Float(1 / link))
      for duty in [d.a, d.b, d.c] {
        #expect(duty >= -1e-5 && duty <= 1 + 1e-5)
      }
      let va = magnitude * cos(theta)
      let vb = magnitude * cos(theta - 2 * Double.pi / 3)
      let vc = magnitude * cos(theta + 2 * Double.pi / 3)
      #expect(abs(Double(d.a - d.b) * link - (va - vb)) <= 2e-3)
      #expect(abs(Double(d.b - d.c) * link - (vb - vc)) <= 2e-3)
      #expect(abs(Double(max(d.a, d.b, d.c) + min(d.a, d.b, d.c)) - 1) <= 1e-5)
    }
  }
}

@Test func compareValueRoundsDutyTimesPeriodToNearestCount() {
  for duty: Float in [0, 0.000_1, 0.123_456, 0.5, 0.999_9, 1] {
    let expected = UInt16((Double(duty) * 4000).rounded())
    #expect(CurrentLoop.compareValue(duty, period: 4000) == expected)
  }
}

@Test func roundToInt32IsExactForSignedValuesBelow2To22() {
  for x: Float in [-4_194_303, -1000.4, -0.6, -0.4, 0, 0.4, 0.6, 1000.5, 4_194_303] {
    #expect(CurrentLoop.roundToInt32(x) == Int32(x.rounded(.toNearestOrEven)))
  }
}
