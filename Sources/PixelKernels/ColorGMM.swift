import Foundation

/// A Gaussian mixture over RGB colours (full 3×3 covariances), as used by GrabCut-style colour models.
///
/// Colours are `Float` triples in 0…255 units. Fitting is deterministic: components are seeded by
/// Orchard–Bouman binary splitting (repeatedly split the component with the largest variance along
/// its principal axis at its mean) and refined by "hard EM" (assign each sample to its most likely
/// component, re-estimate), as in Rother et al., "GrabCut", SIGGRAPH 2004.
public struct ColorGMM: Sendable, Equatable {
    /// Number of components actually in use (≤ the requested count; fewer when samples are few).
    public private(set) var componentCount: Int
    /// Mixing weights, summing to 1.
    public private(set) var weights: [Double]
    /// Component means, 3 per component (r, g, b).
    public private(set) var means: [Double]
    /// Component covariances, 9 per component, row-major.
    public private(set) var covariances: [Double]
    // Per component: inverse covariance (9) and log(weight) - 0.5 log det - 1.5 log 2π.
    private var inverses: [Double]
    private var logNorms: [Double]

    /// Variance added to every covariance diagonal (in squared 0…255 colour units), so flat regions
    /// (saturated or JPEG-flattened colours) do not give singular, infinitely confident components.
    public static let defaultVarianceFloor: Double = 4

    /// A single broad component (used when a side has no samples at all): mean mid-grey, variance 64².
    public static func uninformative() -> ColorGMM {
        var g = ColorGMM(componentCount: 1)
        g.weights = [1]
        g.means = [128, 128, 128]
        g.covariances = [4096, 0, 0, 0, 4096, 0, 0, 0, 4096]
        g.finish(varianceFloor: 0)
        return g
    }

    private init(componentCount: Int) {
        self.componentCount = componentCount
        weights = []
        means = []
        covariances = []
        inverses = []
        logNorms = []
    }

    /// Fits a mixture to the samples `colors[i]` for which `select[i] == value`.
    ///
    /// - Parameters:
    ///   - colors: interleaved RGB floats, 3 per sample.
    ///   - select: one byte per sample; samples whose byte equals `value` are used.
    ///   - components: the number of components wanted (1…8; larger values are clamped to 8).
    ///   - varianceFloor: added to each covariance diagonal (squared colour units).
    ///   - assignments: scratch space, one byte per sample; receives each used sample's component.
    /// - Returns: the fitted mixture, or `uninformative()` when no sample is selected.
    public static func fit(
        colors: UnsafeBufferPointer<Float>, select: UnsafeBufferPointer<UInt8>, value: UInt8,
        components: Int, varianceFloor: Double = defaultVarianceFloor,
        assignments: UnsafeMutableBufferPointer<UInt8>
    ) -> ColorGMM {
        let n = select.count
        var indices = [Int32]()
        indices.reserveCapacity(n)
        for i in 0..<n where select[i] == value {
            assignments[i] = 0
            indices.append(Int32(truncatingIfNeeded: i))
        }
        if indices.isEmpty { return uninformative() }
        let components = min(max(components, 1), 8)
        // Binary splitting. Each split re-accumulates only the two halves of the split component,
        // in sample order, so every component's sums are those of a full pass.
        var k = 1
        var stats = Stats(components: max(1, components))
        stats.accumulate(colors: colors, indices: indices, assignments: UnsafeBufferPointer(assignments))
        while k < components {
            // Pick the component with the largest principal variance that has enough samples to split.
            var best = -1
            var bestLambda = 0.0
            var bestAxis = (0.0, 0.0, 0.0)
            for c in 0..<k where stats.count[c] >= 2 {
                let (lambda, axis) = stats.principalAxis(c)
                if lambda > bestLambda + 1e-9 {
                    best = c; bestLambda = lambda; bestAxis = axis
                }
            }
            if best < 0 || bestLambda < 1e-6 { break }
            let m = stats.mean(best)
            let threshold = bestAxis.0 * m.0 + bestAxis.1 * m.1 + bestAxis.2 * m.2
            stats.split(
                component: best, into: k, axis: bestAxis, threshold: threshold,
                colors: colors, indices: indices, assignments: assignments)
            k += 1
        }
        return stats.mixture(components: k, varianceFloor: varianceFloor)
    }

    /// Re-estimates the mixture by one hard-EM step on the selected samples: each is assigned to its
    /// most likely component of `self`, then weights, means and covariances are recomputed.
    /// Components left with no sample are dropped.
    public func refit(
        colors: UnsafeBufferPointer<Float>, select: UnsafeBufferPointer<UInt8>, value: UInt8,
        varianceFloor: Double = defaultVarianceFloor, assignments: UnsafeMutableBufferPointer<UInt8>
    ) -> ColorGMM {
        let n = select.count
        var indices = [Int32]()
        indices.reserveCapacity(n)
        for i in 0..<n where select[i] == value { indices.append(Int32(truncatingIfNeeded: i)) }
        if indices.isEmpty { return self }
        let model = Evaluator(self)
        model.p.withUnsafeBufferPointer { p in
            indices.withUnsafeBufferPointer { indices in
                for s in indices {
                    let i = Int(s)
                    assignments[i] = UInt8(model.mostLikely(p, colors[3 * i], colors[3 * i + 1], colors[3 * i + 2]))
                }
            }
        }
        var stats = Stats(components: componentCount)
        stats.accumulate(colors: colors, indices: indices, assignments: UnsafeBufferPointer(assignments))
        return stats.mixture(components: componentCount, varianceFloor: varianceFloor)
    }

    /// Writes `-log p(color)` (natural log, density over 0…255 colour units) for every sample.
    ///
    /// Evaluated in blocks of pixels, one component at a time, with `FastMath` for the log-sum-exp,
    /// so the loops vectorise.
    public func negativeLogLikelihood(colors: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        let model = Evaluator(self)
        let n = out.count
        precondition(colors.count >= 3 * n, "colour buffer too small")
        let k = model.k
        let block = 256
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block * (k + 1)) { scratch in
            let base = scratch.baseAddress!
            let mx = base + k * block
            model.p.withUnsafeBufferPointer { p in
                var start = 0
                while start < n {
                    let m = Swift.min(block, n - start)
                    let c3 = colors.baseAddress! + 3 * start
                    for i in 0..<m { mx[i] = -Float.infinity }
                    for c in 0..<k {
                        let o = c * 10
                        let m0 = p[o], m1 = p[o + 1], m2 = p[o + 2]
                        let a00 = p[o + 3], a01 = p[o + 4], a02 = p[o + 5], a11 = p[o + 6], a12 = p[o + 7], a22 = p[o + 8]
                        let ln = p[o + 9]
                        let v = base + c * block
                        for i in 0..<m {
                            let dr = c3[3 * i] - m0, dg = c3[3 * i + 1] - m1, db = c3[3 * i + 2] - m2
                            let q = dr * (a00 * dr + a01 * dg + a02 * db) + dg * (a11 * dg + a12 * db) + a22 * db * db
                            let x = ln - 0.5 * q
                            v[i] = x
                            mx[i] = x > mx[i] ? x : mx[i]
                        }
                    }
                    let o = out.baseAddress! + start
                    for i in 0..<m { o[i] = 0 }
                    for c in 0..<k {
                        let v = base + c * block
                        for i in 0..<m { o[i] += FastMath.exp(v[i] - mx[i]) }
                    }
                    // The sum is at least 1 (the largest term is e^0).
                    for i in 0..<m { o[i] = -(mx[i] + FastMath.log(o[i])) }
                    start += m
                }
            }
        }
    }

    // MARK: - Internals

    fileprivate mutating func finish(varianceFloor: Double) {
        inverses = [Double](repeating: 0, count: componentCount * 9)
        logNorms = [Double](repeating: 0, count: componentCount)
        for c in 0..<componentCount {
            var m = Array(covariances[(c * 9)..<(c * 9 + 9)])
            m[0] += varianceFloor; m[4] += varianceFloor; m[8] += varianceFloor
            for j in 0..<9 { covariances[c * 9 + j] = m[j] }
            var det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
                + m[2] * (m[3] * m[7] - m[4] * m[6])
            if !(det > 1e-6) {
                m[0] += 1; m[4] += 1; m[8] += 1
                for j in 0..<9 { covariances[c * 9 + j] = m[j] }
                det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
                    + m[2] * (m[3] * m[7] - m[4] * m[6])
                det = max(det, 1e-6)
            }
            let inv = [
                (m[4] * m[8] - m[5] * m[7]) / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
                (m[5] * m[6] - m[3] * m[8]) / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
                (m[3] * m[7] - m[4] * m[6]) / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det,
            ]
            for j in 0..<9 { inverses[c * 9 + j] = inv[j] }
            logNorms[c] = log(max(weights[c], 1e-12)) - 0.5 * log(det) - 1.5 * log(2 * Double.pi)
        }
    }

    /// Sufficient statistics per component.
    private struct Stats {
        var count: [Int]
        var sum: [Double]   // 3 per component
        var prod: [Double]  // 9 per component

        init(components: Int) {
            count = [Int](repeating: 0, count: components)
            sum = [Double](repeating: 0, count: components * 3)
            prod = [Double](repeating: 0, count: components * 9)
        }

        /// Adds the samples listed in `indices` to their assigned components, in list order.
        mutating func accumulate(colors: UnsafeBufferPointer<Float>, indices: [Int32], assignments: UnsafeBufferPointer<UInt8>) {
            let k = count.count
            withPointers { count, sum, prod in
                indices.withUnsafeBufferPointer { indices in
                    for s in indices {
                        let i = Int(s)
                        let c = Int(assignments[i])
                        if c >= k { continue }
                        Stats.add(c, colors[3 * i], colors[3 * i + 1], colors[3 * i + 2], count, sum, prod)
                    }
                }
            }
        }

        /// Splits component `old` along `axis` at `threshold`: its samples beyond the threshold move to
        /// component `new`, and both components' sums are recomputed from their samples in list order
        /// (so they equal a full `accumulate`).
        mutating func split(
            component old: Int, into new: Int, axis: (Double, Double, Double), threshold: Double,
            colors: UnsafeBufferPointer<Float>, indices: [Int32], assignments: UnsafeMutableBufferPointer<UInt8>
        ) {
            clear(old)
            clear(new)
            let oldC = UInt8(old), newC = UInt8(new)
            withPointers { count, sum, prod in
                indices.withUnsafeBufferPointer { indices in
                    for s in indices {
                        let i = Int(s)
                        guard assignments[i] == oldC else { continue }
                        let r = colors[3 * i], g = colors[3 * i + 1], b = colors[3 * i + 2]
                        let v = Double(r) * axis.0 + Double(g) * axis.1 + Double(b) * axis.2
                        let c = v > threshold ? newC : oldC
                        assignments[i] = c
                        Stats.add(Int(c), r, g, b, count, sum, prod)
                    }
                }
            }
        }

        private mutating func withPointers(
            _ body: (UnsafeMutablePointer<Int>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
        ) {
            count.withUnsafeMutableBufferPointer { count in
                sum.withUnsafeMutableBufferPointer { sum in
                    prod.withUnsafeMutableBufferPointer { prod in
                        body(count.baseAddress!, sum.baseAddress!, prod.baseAddress!)
                    }
                }
            }
        }

        @inline(__always)
        private static func add(
            _ c: Int, _ rf: Float, _ gf: Float, _ bf: Float,
            _ count: UnsafeMutablePointer<Int>, _ sum: UnsafeMutablePointer<Double>, _ prod: UnsafeMutablePointer<Double>
        ) {
            let r = Double(rf), g = Double(gf), b = Double(bf)
            count[c] += 1
            sum[3 * c] += r; sum[3 * c + 1] += g; sum[3 * c + 2] += b
            prod[9 * c] += r * r; prod[9 * c + 1] += r * g; prod[9 * c + 2] += r * b
            prod[9 * c + 4] += g * g; prod[9 * c + 5] += g * b; prod[9 * c + 8] += b * b
        }

        mutating func clear(_ c: Int) {
            count[c] = 0
            for j in 0..<3 { sum[3 * c + j] = 0 }
            for j in 0..<9 { prod[9 * c + j] = 0 }
        }

        func mean(_ c: Int) -> (Double, Double, Double) {
            let n = Double(count[c])
            return (sum[3 * c] / n, sum[3 * c + 1] / n, sum[3 * c + 2] / n)
        }

        func covariance(_ c: Int) -> [Double] {
            let n = Double(count[c])
            let m = mean(c)
            let mm = [m.0, m.1, m.2]
            var cov = [Double](repeating: 0, count: 9)
            for a in 0..<3 {
                for b in a..<3 {
                    let v = prod[9 * c + 3 * a + b] / n - mm[a] * mm[b]
                    cov[3 * a + b] = v
                    cov[3 * b + a] = v
                }
            }
            return cov
        }

        /// Largest eigenvalue and its unit eigenvector (power iteration, fixed 30 steps).
        func principalAxis(_ c: Int) -> (Double, (Double, Double, Double)) {
            let s = covariance(c)
            var v = (1.0, 1.0, 1.0)
            var lambda = 0.0
            for _ in 0..<30 {
                let w = (
                    s[0] * v.0 + s[1] * v.1 + s[2] * v.2, s[3] * v.0 + s[4] * v.1 + s[5] * v.2,
                    s[6] * v.0 + s[7] * v.1 + s[8] * v.2
                )
                let norm = (w.0 * w.0 + w.1 * w.1 + w.2 * w.2).squareRoot()
                if norm < 1e-12 { return (0, (1, 0, 0)) }
                lambda = norm
                v = (w.0 / norm, w.1 / norm, w.2 / norm)
            }
            return (lambda, v)
        }

        func mixture(components: Int, varianceFloor: Double) -> ColorGMM {
            var total = 0
            for c in 0..<components { total += count[c] }
            var g = ColorGMM(componentCount: 0)
            for c in 0..<components where count[c] > 0 {
                let m = mean(c)
                g.weights.append(Double(count[c]) / Double(max(1, total)))
                g.means += [m.0, m.1, m.2]
                g.covariances += covariance(c)
                g.componentCount += 1
            }
            if g.componentCount == 0 { return ColorGMM.uninformative() }
            g.finish(varianceFloor: varianceFloor)
            return g
        }
    }

    /// Flattened Float parameters for the per-pixel loops.
    private struct Evaluator {
        var k: Int
        var p: [Float]  // per component: mean 3, inverse 6 (upper triangle: 00 01 02 11 12 22), logNorm 1

        init(_ g: ColorGMM) {
            k = g.componentCount
            p = []
            p.reserveCapacity(k * 10)
            for c in 0..<k {
                p += [Float(g.means[3 * c]), Float(g.means[3 * c + 1]), Float(g.means[3 * c + 2])]
                let i = g.inverses
                p += [
                    Float(i[9 * c]), Float(i[9 * c + 1] + i[9 * c + 3]), Float(i[9 * c + 2] + i[9 * c + 6]),
                    Float(i[9 * c + 4]), Float(i[9 * c + 5] + i[9 * c + 7]), Float(i[9 * c + 8]),
                ]
                p.append(Float(g.logNorms[c]))
            }
        }

        /// The component with the highest weighted log density at (r, g, b); `p` is `self.p`'s storage.
        @inline(__always)
        func mostLikely(_ p: UnsafeBufferPointer<Float>, _ r: Float, _ g: Float, _ b: Float) -> Int {
            var best = 0
            var bestV = -Float.infinity
            for c in 0..<k {
                let o = c * 10
                let dr = r - p[o], dg = g - p[o + 1], db = b - p[o + 2]
                let q = dr * (p[o + 3] * dr + p[o + 4] * dg + p[o + 5] * db) + dg * (p[o + 6] * dg + p[o + 7] * db)
                    + p[o + 8] * db * db
                let v = p[o + 9] - 0.5 * q
                if v > bestV { bestV = v; best = c }
            }
            return best
        }
    }
}
