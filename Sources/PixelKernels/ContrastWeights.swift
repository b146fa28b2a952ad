/// The image-derived terms of a GrabCut-style energy on an 8-connected grid: contrast-sensitive
/// pairwise capacities and a relative edge-strength map. Colours are interleaved RGB `Float`s, 3 per
/// pixel, row-major.
public enum ContrastWeights {
    /// Pairwise capacities `γ · exp(-β‖Δc‖²) / |pq|` for every 8-neighbour pair, rounded to integers
    /// (half away from zero) and clamped to `0…limit` (an infinite γ gives `limit`), with β = 1 / (2 · mean ‖Δc‖²) over all pairs
    /// (0 for a flat image).
    ///
    /// - Returns: `width * height * 8` capacities, `[i * 8 + d]` for the edge from pixel `i` in
    ///   direction `d` of `GridMaxFlow.directions` (symmetric: the reverse edge has the same value);
    ///   0 for directions leaving the grid.
    public static func capacities(
        colors: UnsafeBufferPointer<Float>, width w: Int, height h: Int, gamma: Float, limit: Float
    ) -> [Int32] {
        let n = w * h
        precondition(w >= 0 && h >= 0 && colors.count >= 3 * n, "colour buffer too small")
        var pairwise = [Int32](repeating: 0, count: n * 8)
        if n == 0 { return pairwise }
        // Squared colour differences to the right, down, down-right and down-left neighbours: one
        // plane each, entry i for the pair (i, i + step). Invalid pairs (leaving the grid) are skipped.
        let steps = (1, w, w + 1, w - 1)
        let directions = (4, 6, 7, 5)
        let diff = UnsafeMutablePointer<Float>.allocate(capacity: 4 * n)
        defer { diff.deallocate() }
        let c = colors.baseAddress!
        var sum = 0.0
        var pairs = 0
        @inline(__always) func range(_ k: Int, _ y: Int) -> (Int, Int) {
            // x range of pixels in row y whose neighbour in plane k is inside the grid.
            switch k {
            case 0: return (0, w - 1)
            case 1: return y + 1 < h ? (0, w) : (0, 0)
            case 2: return y + 1 < h ? (0, w - 1) : (0, 0)
            default: return y + 1 < h ? (1, w) : (0, 0)
            }
        }
        @inline(__always) func step(_ k: Int) -> Int {
            k == 0 ? steps.0 : (k == 1 ? steps.1 : (k == 2 ? steps.2 : steps.3))
        }
        for k in 0..<4 {
            let plane = diff + k * n, s = step(k)
            for y in 0..<h {
                let (x0, x1) = range(k, y)
                guard x0 < x1 else { continue }
                var rowSum: Float = 0
                for x in x0..<x1 {
                    let i = y * w + x, j = i + s
                    let dr = c[3 * i] - c[3 * j], dg = c[3 * i + 1] - c[3 * j + 1], db = c[3 * i + 2] - c[3 * j + 2]
                    let v = dr * dr + dg * dg + db * db
                    plane[i] = v
                    rowSum += v
                }
                sum += Double(rowSum)
                pairs += x1 - x0
            }
        }
        let beta = sum > 0 ? Float(Double(pairs) / (2 * sum)) : 0
        let weight = UnsafeMutablePointer<Int32>.allocate(capacity: w)
        defer { weight.deallocate() }
        pairwise.withUnsafeMutableBufferPointer { pw in
            for k in 0..<4 {
                let plane = diff + k * n, s = step(k)
                let d = k == 0 ? directions.0 : (k == 1 ? directions.1 : (k == 2 ? directions.2 : directions.3))
                let g = k >= 2 ? gamma / 1.414_213_56 : gamma
                for y in 0..<h {
                    let (x0, x1) = range(k, y)
                    guard x0 < x1 else { continue }
                    let row = plane + y * w
                    for x in x0..<x1 {
                        let raw = g * FastMath.exp(-beta * row[x])
                        // The clamp keeps the solver's sums in range for absurd γ (NaN counts as 0).
                        let v = raw.isNaN ? 0 : Swift.min(Swift.max(raw, 0), limit)
                        weight[x] = Int32(v + 0.5)
                    }
                    for x in x0..<x1 {
                        let i = y * w + x
                        pw[i * 8 + d] = weight[x]
                        pw[(i + s) * 8 + (7 - d)] = weight[x]
                    }
                }
            }
        }
        return pairwise
    }

    /// Colour edge strength: per channel the central-difference gradient magnitude (one-sided at the
    /// border), the maximum over channels, divided by its mean over the grid (so the map has mean 1;
    /// the mean is floored at 1e-3 for flat images).
    public static func edgeStrength(colors: UnsafeBufferPointer<Float>, width w: Int, height h: Int) -> [Float] {
        let n = w * h
        precondition(w >= 0 && h >= 0 && colors.count >= 3 * n, "colour buffer too small")
        var edge = [Float](repeating: 0, count: n)
        if n == 0 { return edge }
        let c = colors.baseAddress!
        var edgeSum = 0.0
        edge.withUnsafeMutableBufferPointer { e in
            for y in 0..<h {
                let up = Swift.max(0, y - 1) * w, down = Swift.min(h - 1, y + 1) * w, row = y * w
                var rowSum: Float = 0
                @inline(__always) func magnitude(_ x: Int, _ x0: Int, _ x1: Int) -> Float {
                    var m: Float = 0
                    for ch in 0..<3 {
                        let gx = c[3 * (row + x1) + ch] - c[3 * (row + x0) + ch]
                        let gy = c[3 * (down + x) + ch] - c[3 * (up + x) + ch]
                        let v = (gx * gx + gy * gy).squareRoot()
                        m = v > m ? v : m
                    }
                    return m
                }
                // Interior columns without clamping (vectorisable), then the two border columns.
                if w >= 3 {
                    for x in 1..<(w - 1) {
                        let m = magnitude(x, x - 1, x + 1)
                        e[row + x] = m
                        rowSum += m
                    }
                }
                let last = w - 1
                let left = magnitude(0, 0, Swift.min(1, last))
                e[row] = left
                rowSum += left
                if last > 0 {
                    let right = magnitude(last, last - 1, last)
                    e[row + last] = right
                    rowSum += right
                }
                edgeSum += Double(rowSum)
            }
            let mean = Float(Swift.max(edgeSum / Double(n), 1e-3))
            let inv = 1 / mean
            for i in 0..<n { e[i] *= inv }
        }
        return edge
    }
}
