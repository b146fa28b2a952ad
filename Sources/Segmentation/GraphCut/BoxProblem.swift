import FewClickCore
import PixelKernels

/// The max-flow problem restricted to a window of the box: pixels outside the window keep fixed
/// labels (background outside the box; the previous labels elsewhere on a local refinement), so
/// they are folded into their window neighbours' terminal capacities and left out.
struct BoxProblem {
    /// The window, in crop pixels.
    let box: PixelBox
    /// Crop width in pixels.
    let cropWidth: Int
    /// Labels of the pixels outside the window (full crop size).
    let fixed: [UInt8]
    /// Box pixels' colours, 3 floats each.
    var colors: [Float]
    /// Pairwise capacities between box pixels, 8 per box pixel.
    var edges: [Int32]
    /// Signed capacity (flow units) of each window pixel's edges to fixed pixels outside the
    /// window: positive favours the object (neighbours fixed to object), negative the background.
    var outward: [Float]

    /// The problem on `box` of the crop with `features`, the pixels outside it fixed to `fixed`.
    init(window box: PixelBox, fixed: [UInt8], features: CropFeatures) {
        let w = features.width, h = features.height, bw = box.width, bh = box.height
        var colors = [Float](repeating: 0, count: bw * bh * 3)
        var edges = [Int32](repeating: 0, count: bw * bh * 8)
        var outward = [Float](repeating: 0, count: bw * bh)
        features.colors.withUnsafeBufferPointer { c in
            features.pairwise.withUnsafeBufferPointer { pw in
                for y in 0..<bh {
                    for x in 0..<bw {
                        let i = (y + box.y0) * w + (x + box.x0), j = y * bw + x
                        colors[3 * j] = c[3 * i]; colors[3 * j + 1] = c[3 * i + 1]; colors[3 * j + 2] = c[3 * i + 2]
                        var out: Int32 = 0
                        for d in 0..<8 {
                            let o = GridMaxFlow.directions[d]
                            let nx = x + o.dx, ny = y + o.dy
                            if nx >= 0 && nx < bw && ny >= 0 && ny < bh {
                                edges[j * 8 + d] = pw[i * 8 + d]
                            } else {
                                let gx = nx + box.x0, gy = ny + box.y0
                                guard gx >= 0, gx < w, gy >= 0, gy < h else { continue }
                                let q = gy * w + gx
                                out += fixed[q] != 0 ? pw[i * 8 + d] : -pw[i * 8 + d]
                            }
                        }
                        outward[j] = Float(out)
                    }
                }
            }
        }
        self.box = box
        cropWidth = w
        self.fixed = fixed
        self.colors = colors
        self.edges = edges
        self.outward = outward
    }

    /// The window pixels' signed terminal capacities (flow units, see `GridMaxFlow.solve`): hard
    /// labels at ±2²⁶, else the colour models' log-likelihood ratio plus `prior`, scaled by
    /// `flowScale`, plus the edges to fixed pixels, clamped to ±2²⁴ and rounded.
    func terminalCapacities(models: ColorModels, prior: [Float], hard: [HardLabel], flowScale: Double) -> [Int32] {
        let w = cropWidth, bw = box.width, bh = box.height, m = bw * bh
        var dfg = [Float](repeating: 0, count: m)
        var dbg = [Float](repeating: 0, count: m)
        colors.withUnsafeBufferPointer { c in
            dfg.withUnsafeMutableBufferPointer { models.fg.negativeLogLikelihood(colors: c, into: $0) }
            dbg.withUnsafeMutableBufferPointer { models.bg.negativeLogLikelihood(colors: c, into: $0) }
        }
        let scale = Float(flowScale)
        let hardValue: Int32 = 1 << 26
        let limit: Float = Float(1 << 24)
        var terminal = [Int32](repeating: 0, count: m)
        for y in 0..<bh {
            for x in 0..<bw {
                let i = (y + box.y0) * w + (x + box.x0), j = y * bw + x
                switch hard[i] {
                case .object: terminal[j] = hardValue
                case .background: terminal[j] = -hardValue
                case .free:
                    let t = (dbg[j] - dfg[j] + prior[i]) * scale + outward[j]
                    // Round half away from zero by truncation (a libm `roundf` call per pixel otherwise).
                    let c = t.isFinite ? min(max(t, -limit), limit) : 0
                    terminal[j] = Int32(c + (c < 0 ? -0.5 : 0.5))
                }
            }
        }
        return terminal
    }

    /// One cut with the given colour models: writes 0/1 labels (fixed labels outside the window).
    ///
    /// - Parameter lastTerminal: the terminal capacities of the previous cut of the same problem,
    ///   whose flow `flow` still holds (then only the change is applied and the search goes on
    ///   from that flow; the labels are the same as a fresh solve's); nil for a fresh solve.
    ///   Receives this cut's terminal capacities.
    func cut(
        models: ColorModels, prior: [Float], hard: [HardLabel], flowScale: Double, flow: GridMaxFlow,
        labels: inout [UInt8], lastTerminal: inout [Int32]?
    ) {
        let w = cropWidth, bw = box.width, bh = box.height, m = bw * bh
        labels = fixed
        guard m > 0 else { return }
        let terminal = terminalCapacities(models: models, prior: prior, hard: hard, flowScale: flowScale)
        var sub = [UInt8](repeating: 0, count: m)
        if let last = lastTerminal, last.count == m {
            var change = [Int32](repeating: 0, count: m)
            for j in 0..<m { change[j] = terminal[j] &- last[j] }
            change.withUnsafeBufferPointer { c in
                sub.withUnsafeMutableBufferPointer { l in flow.resolve(terminalChange: c, labels: l) }
            }
        } else {
            terminal.withUnsafeBufferPointer { t in
                edges.withUnsafeBufferPointer { e in
                    sub.withUnsafeMutableBufferPointer { l in
                        _ = flow.solve(width: bw, height: bh, terminal: t, edges: e, labels: l)
                    }
                }
            }
        }
        lastTerminal = terminal
        for y in 0..<bh {
            for x in 0..<bw { labels[(y + box.y0) * w + (x + box.x0)] = sub[y * bw + x] }
        }
    }
}

/// The object and background colour models (Gaussian mixtures over the crop's RGB).
struct ColorModels {
    var fg: ColorGMM
    var bg: ColorGMM

    /// Fits both models from scratch (binary splitting) to a 0/1 labelling of the crop.
    static func fit(to labels: [UInt8], features: CropFeatures, settings: GraphCutSettings, assignments: inout [UInt8]) -> ColorModels {
        withBuffers(labels, features, &assignments) { c, l, a in
            ColorModels(
                fg: ColorGMM.fit(colors: c, select: l, value: 1, components: settings.components,
                                 varianceFloor: settings.varianceFloor, assignments: a),
                bg: ColorGMM.fit(colors: c, select: l, value: 0, components: settings.components,
                                 varianceFloor: settings.varianceFloor, assignments: a))
        }
    }

    /// One hard-EM refit of both models to a labelling.
    func refit(to labels: [UInt8], features: CropFeatures, settings: GraphCutSettings, assignments: inout [UInt8]) -> ColorModels {
        Self.withBuffers(labels, features, &assignments) { c, l, a in
            ColorModels(
                fg: fg.refit(colors: c, select: l, value: 1, varianceFloor: settings.varianceFloor, assignments: a),
                bg: bg.refit(colors: c, select: l, value: 0, varianceFloor: settings.varianceFloor, assignments: a))
        }
    }

    private static func withBuffers<R>(
        _ labels: [UInt8], _ features: CropFeatures, _ assignments: inout [UInt8],
        _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>) -> R
    ) -> R {
        features.colors.withUnsafeBufferPointer { c in
            labels.withUnsafeBufferPointer { l in
                assignments.withUnsafeMutableBufferPointer { a in body(c, l, a) }
            }
        }
    }
}
