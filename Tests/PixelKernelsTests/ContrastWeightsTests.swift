import FewClickCore
import Foundation
import PixelKernels
import Testing

@Suite("Contrast weights")
struct ContrastWeightsTests {
    static func image(_ rng: inout SplitMix64, width: Int, height: Int) -> [Float] {
        (0..<(width * height * 3)).map { _ in Float(rng.int(0...255)) }
    }

    @Test("capacities equal a direct evaluation of γ·exp(-β‖Δc‖²)/|pq| (±1 rounding), symmetric, 0 off-grid")
    func capacitiesMatchReference() {
        var rng = SplitMix64(seed: 5)
        for (w, h) in [(1, 1), (1, 6), (6, 1), (2, 2), (7, 5), (16, 9)] {
            let colors = Self.image(&rng, width: w, height: h)
            let gamma: Float = 640
            let caps = colors.withUnsafeBufferPointer {
                ContrastWeights.capacities(colors: $0, width: w, height: h, gamma: gamma, limit: Float(1 << 24))
            }
            func sq(_ i: Int, _ j: Int) -> Double {
                (0..<3).reduce(0.0) { s, ch in let d = Double(colors[3 * i + ch] - colors[3 * j + ch]); return s + d * d }
            }
            // β over every unordered 8-neighbour pair.
            var sum = 0.0, pairs = 0
            for y in 0..<h {
                for x in 0..<w {
                    for (dx, dy) in [(1, 0), (0, 1), (1, 1), (-1, 1)] {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, nx < w, ny < h else { continue }
                        sum += sq(y * w + x, ny * w + nx); pairs += 1
                    }
                }
            }
            let beta = sum > 0 ? Double(pairs) / (2 * sum) : 0
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    for (d, o) in GridMaxFlow.directions.enumerated() {
                        let nx = x + o.dx, ny = y + o.dy
                        let got = caps[i * 8 + d]
                        guard nx >= 0, nx < w, ny >= 0, ny < h else {
                            #expect(got == 0, "\(w)×\(h) pixel \(i) direction \(d) leaves the grid")
                            continue
                        }
                        let j = ny * w + nx
                        let len = (o.dx != 0 && o.dy != 0) ? 2.0.squareRoot() : 1
                        let want = Double(gamma) * Foundation.exp(-beta * sq(i, j)) / len
                        #expect(abs(Double(got) - want) <= 1, "\(w)×\(h) pixel \(i) direction \(d): \(got) vs \(want)")
                        #expect(caps[j * 8 + (7 - d)] == got)
                    }
                }
            }
        }
    }

    @Test("a flat image gets the full weight everywhere; absurd γ is clamped to the limit")
    func flatAndClamped() {
        let colors = [Float](repeating: 90, count: 4 * 3 * 3)
        let caps = colors.withUnsafeBufferPointer { ContrastWeights.capacities(colors: $0, width: 4, height: 3, gamma: 100, limit: Float(1 << 24)) }
        #expect(caps[(1 * 4 + 1) * 8 + 4] == 100 && caps[(1 * 4 + 1) * 8 + 7] == 71)
        for gamma: Float in [1e30, .infinity] {
            let huge = colors.withUnsafeBufferPointer { ContrastWeights.capacities(colors: $0, width: 4, height: 3, gamma: gamma, limit: 1000) }
            // Pixel (1, 1) has all 8 neighbours inside the grid.
            #expect(huge[(1 * 4 + 1) * 8..<(1 * 4 + 2) * 8].allSatisfy { $0 == 1000 }, "γ \(gamma)")
            #expect(huge.allSatisfy { $0 == 0 || $0 == 1000 })
        }
    }

    @Test("edge strength is the max-channel central-difference magnitude divided by its mean")
    func edgeStrengthMatchesReference() {
        var rng = SplitMix64(seed: 9)
        for (w, h) in [(1, 1), (2, 3), (3, 2), (9, 7)] {
            let colors = Self.image(&rng, width: w, height: h)
            let edge = colors.withUnsafeBufferPointer { ContrastWeights.edgeStrength(colors: $0, width: w, height: h) }
            var raw = [Double](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    let x0 = max(0, x - 1), x1 = min(w - 1, x + 1), y0 = max(0, y - 1), y1 = min(h - 1, y + 1)
                    raw[y * w + x] = (0..<3).map { ch -> Double in
                        let gx = Double(colors[3 * (y * w + x1) + ch] - colors[3 * (y * w + x0) + ch])
                        let gy = Double(colors[3 * (y1 * w + x) + ch] - colors[3 * (y0 * w + x) + ch])
                        return (gx * gx + gy * gy).squareRoot()
                    }.max()!
                }
            }
            let mean = max(raw.reduce(0, +) / Double(w * h), 1e-3)
            for i in 0..<(w * h) {
                #expect(abs(Double(edge[i]) - raw[i] / mean) <= 1e-4 * max(1, raw[i] / mean), "\(w)×\(h) pixel \(i)")
            }
        }
    }
}
