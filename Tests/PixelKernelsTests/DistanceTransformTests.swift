import FewClickCore
import PixelKernels
import Testing

@Suite("Exact Euclidean distance transform")
struct DistanceTransformTests {
    /// Squared distance to the nearest zero pixel by brute force (zeros also on a 1-pixel ring
    /// around the image when `padded`).
    static func bruteForce(_ mask: [UInt8], width w: Int, height h: Int, padded: Bool) -> [Double] {
        var zeros: [(Int, Int)] = []
        for y in 0..<h { for x in 0..<w where mask[y * w + x] == 0 { zeros.append((x, y)) } }
        if padded {
            for x in -1...w { zeros.append((x, -1)); zeros.append((x, h)) }
            for y in 0..<h { zeros.append((-1, y)); zeros.append((w, y)) }
        }
        var out = [Double](repeating: .infinity, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                for (zx, zy) in zeros {
                    let d = Double((x - zx) * (x - zx) + (y - zy) * (y - zy))
                    if d < out[y * w + x] { out[y * w + x] = d }
                }
            }
        }
        return out
    }

    @Test("matches brute force on random masks, with and without padding")
    func randomMasks() {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<300 {
            let w = Int.random(in: 1...17, using: &rng), h = Int.random(in: 1...17, using: &rng)
            let density = [0.05, 0.3, 0.6, 0.9, 0.99][trial % 5]
            let mask = (0..<(w * h)).map { _ in Double.random(in: 0..<1, using: &rng) < density ? UInt8(1) : 0 }
            for padded in [false, true] {
                let fast = DistanceTransform.squaredDistanceToZero(mask, width: w, height: h, outsideIsZero: padded)
                let slow = Self.bruteForce(mask, width: w, height: h, padded: padded)
                #expect(fast == slow, "trial \(trial) \(w)x\(h) padded \(padded)")
            }
        }
    }

    @Test("an all-inside image without padding is infinitely far from any zero")
    func noZeros() {
        let d = DistanceTransform.squaredDistanceToZero([1, 1, 1, 1], width: 2, height: 2, outsideIsZero: false)
        #expect(d.allSatisfy { $0 == .infinity })
        let p = DistanceTransform.squaredDistanceToZero([1, 1, 1, 1], width: 2, height: 2, outsideIsZero: true)
        #expect(p == [1, 1, 1, 1])
    }

    @Test("a large blob gives exact integer squared distances")
    func largeDisk() {
        let w = 301, h = 257
        var mask = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w where (x - 150) * (x - 150) + (y - 128) * (y - 128) <= 100 * 100 { mask[y * w + x] = 1 } }
        let d = DistanceTransform.squaredDistanceToZero(mask, width: w, height: h, outsideIsZero: true)
        // Spot-check against brute force along the centre row (full brute force is too slow here).
        var zeros: [(Int, Int)] = []
        for y in 0..<h { for x in 0..<w where mask[y * w + x] == 0 { zeros.append((x, y)) } }
        for x in stride(from: 40, to: 260, by: 7) {
            let exact = zeros.map { Double(($0.0 - x) * ($0.0 - x) + ($0.1 - 128) * ($0.1 - 128)) }.min()!
            #expect(d[128 * w + x] == exact)
        }
        #expect(d.allSatisfy { $0 == $0.rounded() })
    }
}
