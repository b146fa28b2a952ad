import Foundation
import PixelKernels
import Testing

@Suite("FastMath")
struct FastMathTests {
    @Test("exp is within 4 ulp of Foundation's over -87…88 and clamps outside")
    func expAccuracy() {
        var x: Float = -87
        var worst: Float = 0
        while x <= 88 {
            let want = Foundation.exp(Double(x))
            let got = Double(FastMath.exp(x))
            worst = max(worst, Float(abs(got - want) / want))
            x += 0.0137
        }
        #expect(worst < 4 * Float.ulpOfOne, "worst relative error \(worst)")
        #expect(FastMath.exp(0) == 1)
        #expect(FastMath.exp(-1000) > 0 && FastMath.exp(-1000) < 1e-37)
        #expect(FastMath.exp(1000).isFinite && FastMath.exp(1000) > 1e38)
    }

    @Test("log is within 4 ulp (or 1e-7 absolute near 1) of Foundation's over normal floats")
    func logAccuracy() {
        var samples: [Float] = [1, 2, 0.5, Float.leastNormalMagnitude, Float.greatestFiniteMagnitude, 1.4142135, 1.4142137]
        var x: Float = 1e-30
        while x < 1e30 { samples.append(x); x *= 1.0137 }
        var y: Float = 0.5
        while y < 8 { samples.append(y); y += 0.000731 }
        for s in samples {
            let want = Foundation.log(Double(s))
            let got = Double(FastMath.log(s))
            let err = abs(got - want)
            #expect(err <= max(4 * Double(Float.ulpOfOne) * abs(want), 1e-7), "log(\(s)) = \(got), want \(want)")
        }
    }
}
