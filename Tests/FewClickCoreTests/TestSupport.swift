import FewClickCore
import Foundation


enum TestMasks {
    /// Uniform noise with the given object probability.
    static func noise(width: Int, height: Int, p: Double, rng: inout SplitMix64) -> Mask {
        var bits = [UInt8](repeating: 0, count: width * height)
        for i in bits.indices where Double.random(in: 0..<1, using: &rng) < p { bits[i] = 1 }
        return Mask(width: width, height: height, bits: bits)
    }

    /// A union of random ellipses, some with an elliptical hole, some with an object inside the hole.
    static func blobs(width: Int, height: Int, count: Int, minRadius: Double = 1, rng: inout SplitMix64) -> Mask {
        var mask = Mask(width: width, height: height)
        for _ in 0..<count {
            let cx = Double.random(in: 0..<Double(width), using: &rng)
            let cy = Double.random(in: 0..<Double(height), using: &rng)
            let rx = Double.random(in: minRadius...max(minRadius + 0.5, Double(width) / 3), using: &rng)
            let ry = Double.random(in: minRadius...max(minRadius + 0.5, Double(height) / 3), using: &rng)
            let hole = Double.random(in: 0..<1, using: &rng) < 0.6
            let island = Double.random(in: 0..<1, using: &rng) < 0.5
            for y in 0..<height {
                for x in 0..<width {
                    let dx = (Double(x) + 0.5 - cx) / rx, dy = (Double(y) + 0.5 - cy) / ry
                    let d = dx * dx + dy * dy
                    if d <= 1 { mask[x, y] = true }
                    if hole && d <= 0.25 { mask[x, y] = false }
                    if hole && island && d <= 0.04 { mask[x, y] = true }
                }
            }
        }
        return mask
    }

    /// Parses rows of `#` (object) and `.` (background).
    static func ascii(_ rows: [String]) -> Mask {
        let h = rows.count, w = rows.first?.count ?? 0
        var mask = Mask(width: w, height: h)
        for (y, row) in rows.enumerated() {
            for (x, c) in row.enumerated() where c == "#" { mask[x, y] = true }
        }
        return mask
    }
}

/// The folder of this test target's fixtures (read by path: the tests run from the source tree).
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
