import FewClickCore
import Foundation
import PixelKernels
import Testing

@Suite("Colour GMM")
struct ColorGMMTests {
    /// Samples around two colours (seeded noise of ±`spread` per channel), interleaved RGB.
    static func twoClusters(_ rng: inout SplitMix64, count: Int, spread: Int) -> [Float] {
        let centres: [(Int, Int, Int)] = [(200, 40, 40), (30, 90, 210)]
        var colors: [Float] = []
        for i in 0..<count {
            let c = centres[i % 2]
            for v in [c.0, c.1, c.2] { colors.append(Float(v + rng.int(-spread...spread))) }
        }
        return colors
    }

    static func fit(_ colors: [Float], select: [UInt8], components: Int) -> ColorGMM {
        var assignments = [UInt8](repeating: 0, count: select.count)
        return colors.withUnsafeBufferPointer { c in
            select.withUnsafeBufferPointer { s in
                assignments.withUnsafeMutableBufferPointer { a in
                    ColorGMM.fit(colors: c, select: s, value: 1, components: components, assignments: a)
                }
            }
        }
    }

    static func nll(_ g: ColorGMM, _ colors: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: colors.count / 3)
        colors.withUnsafeBufferPointer { c in out.withUnsafeMutableBufferPointer { g.negativeLogLikelihood(colors: c, into: $0) } }
        return out
    }

    /// `-log Σ w·N(x; μ, Σ)` from the published parameters, in Double.
    static func referenceNLL(_ g: ColorGMM, _ x: (Double, Double, Double)) -> Double {
        var p = 0.0
        for c in 0..<g.componentCount {
            let m = Array(g.covariances[(9 * c)..<(9 * c + 9)])
            let minors: [Double] = [m[4] * m[8] - m[5] * m[7], m[3] * m[8] - m[5] * m[6], m[3] * m[7] - m[4] * m[6]]
            let det: Double = m[0] * minors[0] - m[1] * minors[1] + m[2] * minors[2]
            let inv: [Double] = [
                (m[4] * m[8] - m[5] * m[7]) / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
                (m[5] * m[6] - m[3] * m[8]) / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
                (m[3] * m[7] - m[4] * m[6]) / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det,
            ]
            let d = [x.0 - g.means[3 * c], x.1 - g.means[3 * c + 1], x.2 - g.means[3 * c + 2]]
            var q = 0.0
            for r in 0..<3 { for s in 0..<3 { q += d[r] * inv[3 * r + s] * d[s] } }
            let norm: Double = pow(2 * Double.pi, 1.5) * det.squareRoot()
            let density: Double = exp(-0.5 * q) / norm
            p += g.weights[c] * density
        }
        return -log(p)
    }

    @Test("two colour clusters: two components at their means, weights summing to 1")
    func separatesClusters() {
        var rng = SplitMix64(seed: 21)
        let colors = Self.twoClusters(&rng, count: 400, spread: 10)
        let g = Self.fit(colors, select: [UInt8](repeating: 1, count: 400), components: 2)
        #expect(g.componentCount == 2)
        #expect(abs(g.weights.reduce(0, +) - 1) < 1e-12)
        // The blue cluster's component first.
        let blue = g.means[0] < g.means[3] ? 0 : 1, red = 1 - blue
        let blueMean: [Double] = Array(g.means[(3 * blue)..<(3 * blue + 3)])
        let redMean: [Double] = Array(g.means[(3 * red)..<(3 * red + 3)])
        #expect(abs(blueMean[0] - 30) < 3 && abs(blueMean[2] - 210) < 3)
        #expect(abs(redMean[0] - 200) < 3 && abs(redMean[1] - 40) < 3)
    }

    @Test("negative log-likelihood matches the mixture density from the published parameters")
    func likelihoodMatchesDensity() {
        var rng = SplitMix64(seed: 22)
        let colors = Self.twoClusters(&rng, count: 300, spread: 25)
        let g = Self.fit(colors, select: [UInt8](repeating: 1, count: 300), components: 5)
        let probes: [Float] = [200, 40, 40, 30, 90, 210, 128, 128, 128, 0, 255, 0, 115, 65, 125]
        let got = Self.nll(g, probes)
        for k in 0..<(probes.count / 3) {
            let want = Self.referenceNLL(g, (Double(probes[3 * k]), Double(probes[3 * k + 1]), Double(probes[3 * k + 2])))
            #expect(abs(Double(got[k]) - want) <= 1e-3 * max(1, abs(want)), "probe \(k): \(got[k]) vs \(want)")
        }
        // Own colours are likelier than a colour far from both clusters.
        #expect(got[0] < got[2] && got[1] < got[2])
        #expect(got[0] < got[3] && got[1] < got[3])
    }

    @Test("no selected sample gives the uninformative model; fit and refit are deterministic")
    func emptyAndDeterministic() {
        var rng = SplitMix64(seed: 23)
        let colors = Self.twoClusters(&rng, count: 200, spread: 30)
        #expect(Self.fit(colors, select: [UInt8](repeating: 0, count: 200), components: 3) == ColorGMM.uninformative())
        let select = (0..<200).map { UInt8($0 % 3 == 0 ? 0 : 1) }
        let a = Self.fit(colors, select: select, components: 4)
        #expect(a == Self.fit(colors, select: select, components: 4))
        var assignments = [UInt8](repeating: 0, count: 200)
        let refit = colors.withUnsafeBufferPointer { c in
            select.withUnsafeBufferPointer { s in
                assignments.withUnsafeMutableBufferPointer { a0 in a.refit(colors: c, select: s, value: 1, assignments: a0) }
            }
        }
        #expect(refit.componentCount <= a.componentCount && refit.componentCount >= 1)
        #expect(abs(refit.weights.reduce(0, +) - 1) < 1e-12)
    }
}
