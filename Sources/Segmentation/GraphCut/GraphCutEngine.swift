import FewClickCore
import Foundation
import PixelKernels

/// Image-only data of one crop that several calls for the same object can share: colours as floats,
/// the pairwise capacities and the edge map. A pure function of the crop's pixels and the settings.
struct CropFeatures: Sendable {
    let width: Int
    let height: Int
    /// Interleaved RGB as Float, 3 per pixel.
    let colors: [Float]
    /// Quantised pairwise capacities, 8 per pixel (direction order of `GridMaxFlow.directions`).
    let pairwise: [Int32]
    /// Colour gradient magnitude relative to its mean over the crop (mean 1).
    let edge: [Float]

    init(image: RGBImage, settings: GraphCutSettings) {
        let w = image.width, h = image.height, n = w * h
        width = w
        height = h
        var colors = [Float](repeating: 0, count: n * 3)
        image.pixels.withUnsafeBufferPointer { px in
            colors.withUnsafeMutableBufferPointer { c in
                for i in 0..<(n * 3) { c[i] = Float(px[i]) }
            }
        }
        let limit = Float(1 << 24)
        (pairwise, edge) = colors.withUnsafeBufferPointer { c in
            (
                ContrastWeights.capacities(
                    colors: c, width: w, height: h, gamma: Float(settings.smoothness * settings.flowScale), limit: limit),
                ContrastWeights.edgeStrength(colors: c, width: w, height: h)
            )
        }
        self.colors = colors
    }
}

/// Hard constraints and the box, from the clicks.
struct Seeds {
    /// Per pixel: 0 free, 1 hard object, 2 hard background.
    var hard: [UInt8]
    /// The hard-background box (half-open, clipped to the crop).
    var box: PixelBox
    /// Indices of hard-object pixels (for connectivity post-processing).
    var objectSeeds: [Int]
}

/// One run of the graph-cut engine on one crop.
struct GraphCutEngine {
    let settings: GraphCutSettings
    let features: CropFeatures
    let flow = GridMaxFlow()
    let dijkstra = GridDijkstra()

    var width: Int { features.width }
    var height: Int { features.height }

    // MARK: Seeds

    func seeds(clicks: [Click]) -> Seeds {
        let w = width, h = height, n = w * h
        let boxClicks = clicks.filter { $0.kind != .negative }
        var box = PixelBox.bounding(boxClicks.map(\.point)) ?? PixelBox(x0: 0, y0: 0, x1: w, y1: h)
        box = box.expanded(dx: settings.boxSlack, dy: settings.boxSlack).clipped(width: w, height: h)
        // Clicks entirely outside the crop clip to an inverted box: make it a well-formed empty one.
        box = PixelBox(x0: box.x0, y0: box.y0, x1: max(box.x0, box.x1), y1: max(box.y0, box.y1))
        var hard = [UInt8](repeating: 2, count: n)
        for y in box.y0..<box.y1 {
            for x in box.x0..<box.x1 { hard[y * w + x] = 0 }
        }
        func disk(_ c: Click, radius: Double, value: UInt8) {
            let (cx, cy) = c.point.pixel
            let r = Int(radius.rounded(.down))
            let r2 = radius * radius
            let ys = max(box.y0, cy - r), ye = min(box.y1 - 1, cy + r)
            let xs = max(box.x0, cx - r), xe = min(box.x1 - 1, cx + r)
            guard ys <= ye, xs <= xe else { return }
            for y in ys...ye {
                for x in xs...xe {
                    let dx = Double(x - cx), dy = Double(y - cy)
                    if dx * dx + dy * dy <= r2 { hard[y * w + x] = value }
                }
            }
        }
        if !box.isEmpty {
            for c in clicks {
                switch c.kind {
                case .extreme: disk(c, radius: settings.extremeRadius, value: 1)
                case .positive: disk(c, radius: settings.clickRadius, value: 1)
                case .negative: disk(c, radius: settings.clickRadius, value: 2)
                }
            }
        }
        var objectSeeds: [Int] = []
        for i in 0..<n where hard[i] == 1 { objectSeeds.append(i) }
        return Seeds(hard: hard, box: box, objectSeeds: objectSeeds)
    }

    // MARK: Boundary contour from the extreme points

    /// The region enclosed by the cheapest edge-following paths between consecutive extreme points
    /// (1 inside, including the paths), or nil when there are not 4 usable extreme points.
    func contourRegion(extremes: [Click], box: PixelBox) -> [UInt8]? {
        let w = width, h = height, n = w * h
        guard extremes.count >= 4, box.width >= 3, box.height >= 3 else { return nil }
        let pts = extremes.map { p -> (x: Int, y: Int) in
            let (x, y) = p.point.pixel
            return (min(max(x, box.x0), box.x1 - 1), min(max(y, box.y0), box.y1 - 1))
        }
        // Deterministic roles: leftmost, topmost, rightmost, bottommost (ties by index order).
        func pick(_ better: ((x: Int, y: Int), (x: Int, y: Int)) -> Bool) -> (x: Int, y: Int) {
            var best = pts[0]
            for p in pts.dropFirst() where better(p, best) { best = p }
            return best
        }
        let left = pick { $0.x < $1.x }, top = pick { $0.y < $1.y }
        let right = pick { $0.x > $1.x }, bottom = pick { $0.y > $1.y }
        let order = [left, top, right, bottom, left]
        var cost = [Float](repeating: 0, count: n)
        let floor = Float(settings.pathCostFloor), scale = Float(settings.pathEdgeScale)
        for i in 0..<n { cost[i] = floor + expf(-features.edge[i] / scale) }
        var onPath = [UInt8](repeating: 0, count: n)
        var allowed = [UInt8](repeating: 0, count: n)
        var dist = [Float](repeating: 0, count: n)
        var pred = [Int32](repeating: -1, count: n)
        let sx = Int((Double(box.width) * settings.pathSlack).rounded())
        let sy = Int((Double(box.height) * settings.pathSlack).rounded())
        for s in 0..<4 {
            let a = order[s], b = order[s + 1]
            let r = PixelBox(x0: min(a.x, b.x) - sx, y0: min(a.y, b.y) - sy, x1: max(a.x, b.x) + 1 + sx, y1: max(a.y, b.y) + 1 + sy)
            let rc = r.intersection(box)
            for i in 0..<n { allowed[i] = 0 }
            for y in rc.y0..<rc.y1 { for x in rc.x0..<rc.x1 { allowed[y * w + x] = 1 } }
            let target = b.y * w + b.x
            cost.withUnsafeBufferPointer { cost in
                allowed.withUnsafeBufferPointer { allowed in
                    dist.withUnsafeMutableBufferPointer { dist in
                        pred.withUnsafeMutableBufferPointer { pred in
                            dijkstra.run(
                                width: w, height: h, cost: cost, seeds: [a.y * w + a.x], allowed: allowed,
                                target: target, distances: dist, predecessors: pred)
                        }
                    }
                }
            }
            var k = target
            onPath[k] = 1
            var guardSteps = 0
            while pred[k] >= 0 && guardSteps < n {
                k = Int(pred[k]); onPath[k] = 1; guardSteps += 1
            }
            onPath[a.y * w + a.x] = 1
        }
        // Flood the box from its border through non-path pixels (4-connected); the rest is inside.
        var outside = [UInt8](repeating: 0, count: n)
        var stack: [Int] = []
        func seed(_ x: Int, _ y: Int) {
            let i = y * w + x
            if onPath[i] == 0 && outside[i] == 0 { outside[i] = 1; stack.append(i) }
        }
        for x in box.x0..<box.x1 { seed(x, box.y0); seed(x, box.y1 - 1) }
        for y in box.y0..<box.y1 { seed(box.x0, y); seed(box.x1 - 1, y) }
        while let i = stack.popLast() {
            let x = i % w, y = i / w
            if x > box.x0 { seed(x - 1, y) }
            if x + 1 < box.x1 { seed(x + 1, y) }
            if y > box.y0 { seed(x, y - 1) }
            if y + 1 < box.y1 { seed(x, y + 1) }
        }
        var inside = [UInt8](repeating: 0, count: n)
        var count = 0
        for y in box.y0..<box.y1 {
            for x in box.x0..<box.x1 where outside[y * w + x] == 0 {
                inside[y * w + x] = 1; count += 1
            }
        }
        // A degenerate contour (a thin sliver) is no better than the box.
        if count < box.area / 20 { return nil }
        return inside
    }

    // MARK: Click priors

    /// Geodesic distances from one corrective click pixel within `window` (row-major over the
    /// window; `.infinity` beyond `clickPriorRadius`).
    struct ClickDistances: Sendable {
        var window: PixelBox
        var distances: [Float]
    }

    /// The geodesic distances around the click at pixel (cx, cy), cut off at `clickPriorRadius`.
    ///
    /// Every step costs at least 1 (`1 + clickEdgeWeight · edge`, edge ≥ 0), so a pixel within the
    /// cut-off is within that many pixels of the click in both x and y, and so is every pixel on its
    /// shortest path: the search runs on that window alone and gives the distances of a search over
    /// the whole crop.
    func clickDistances(cx: Int, cy: Int) -> ClickDistances {
        let w = width, h = height
        let radius = Float(settings.clickPriorRadius)
        let r = Int(radius) + 1
        let win = PixelBox.around(x: cx, y: cy, radius: r).clipped(width: w, height: h)
        let ww = win.width, wh = win.height
        let ew = Float(max(0, settings.clickEdgeWeight))
        var cost = [Float](repeating: 0, count: ww * wh)
        features.edge.withUnsafeBufferPointer { edge in
            for y in 0..<wh {
                for x in 0..<ww { cost[y * ww + x] = 1 + ew * edge[(y + win.y0) * w + (x + win.x0)] }
            }
        }
        var dist = [Float](repeating: 0, count: ww * wh)
        cost.withUnsafeBufferPointer { cost in
            dist.withUnsafeMutableBufferPointer { dist in
                dijkstra.run(
                    width: ww, height: wh, cost: cost, seeds: [(cy - win.y0) * ww + (cx - win.x0)],
                    maxDistance: radius, distances: dist)
            }
        }
        return ClickDistances(window: win, distances: dist)
    }

    /// Adds the corrective clicks' geodesic soft priors to `prior` (positive = object): each pixel
    /// within `clickPriorRadius` geodesic pixels of a click takes the prior of its nearest click,
    /// `±clickPrior · (1 - d / radius)`.
    ///
    /// - Parameter memo: distances of clicks already searched on this crop, keyed by pixel index;
    ///   receives the new ones.
    /// - Returns: per pixel, +1 / -1 where the nearest click is positive / negative and closer than
    ///   `clickRegionFraction · radius` (the region the click vouches for), else 0.
    func addClickPriors(clicks: [Click], to prior: inout [Float], memo: inout [Int: ClickDistances]) -> [Int8] {
        let w = width, h = height, n = w * h
        var region = [Int8](repeating: 0, count: n)
        let corrective = clicks.filter { $0.kind != .extreme }
        guard !corrective.isEmpty, settings.clickPrior > 0, settings.clickPriorRadius > 0 else { return region }
        var best = [Float](repeating: .infinity, count: n)
        var sign = [Float](repeating: 0, count: n)
        let radius = Float(settings.clickPriorRadius)
        let strength = Float(settings.clickPrior)
        let regionRadius = radius * Float(settings.clickRegionFraction)
        for c in corrective {
            let (cx, cy) = c.point.pixel
            guard cx >= 0, cx < w, cy >= 0, cy < h else { continue }
            let key = cy * w + cx
            let d: ClickDistances
            if let known = memo[key] {
                d = known
            } else {
                d = clickDistances(cx: cx, cy: cy)
                memo[key] = d
            }
            let sg: Float = c.kind == .positive ? 1 : -1
            let win = d.window
            for y in win.y0..<win.y1 {
                for x in win.x0..<win.x1 {
                    let i = y * w + x, di = d.distances[(y - win.y0) * win.width + (x - win.x0)]
                    // Later clicks win ties: they correct what earlier ones got wrong.
                    if di < radius && di <= best[i] { best[i] = di; sign[i] = sg }
                }
            }
        }
        for i in 0..<n where best[i] < radius {
            prior[i] += sign[i] * strength * (1 - best[i] / radius)
            if best[i] < regionRadius { region[i] = sign[i] > 0 ? 1 : -1 }
        }
        return region
    }

    // MARK: Cut

    /// The max-flow problem restricted to a window of the box: pixels outside the window keep fixed
    /// labels (background outside the box; the previous labels elsewhere on a local refinement), so
    /// they are folded into their window neighbours' terminal capacities and left out.
    struct BoxProblem {
        let box: PixelBox
        /// Labels of the pixels outside the window (full crop size).
        let fixed: [UInt8]
        /// Box pixels' colours, 3 floats each.
        var colors: [Float]
        /// Pairwise capacities between box pixels, 8 per box pixel.
        var edges: [Int32]
        /// Signed capacity (flow units) of each window pixel's edges to fixed pixels outside the
        /// window: positive favours the object (neighbours fixed to object), negative the background.
        var outward: [Float]
    }

    func boxProblem(window box: PixelBox, fixed: [UInt8]) -> BoxProblem {
        let w = width, h = height, bw = box.width, bh = box.height
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
        return BoxProblem(box: box, fixed: fixed, colors: colors, edges: edges, outward: outward)
    }

    /// One cut with the given colour models: writes 0/1 labels (fixed labels outside the window).
    ///
    /// - Parameter lastTerminal: the terminal capacities of the previous cut of the same problem,
    ///   whose flow the solver still holds (then only the change is applied and the search goes on
    ///   from that flow; the labels are the same as a fresh solve's); nil for a fresh solve.
    ///   Receives this cut's terminal capacities.
    func cut(
        fg: ColorGMM, bg: ColorGMM, prior: [Float], seeds: Seeds, problem: BoxProblem, labels: inout [UInt8],
        lastTerminal: inout [Int32]?
    ) {
        let w = width, box = problem.box, bw = box.width, bh = box.height, m = bw * bh
        labels = problem.fixed
        guard m > 0 else { return }
        var dfg = [Float](repeating: 0, count: m)
        var dbg = [Float](repeating: 0, count: m)
        problem.colors.withUnsafeBufferPointer { c in
            dfg.withUnsafeMutableBufferPointer { fg.negativeLogLikelihood(colors: c, into: $0) }
            dbg.withUnsafeMutableBufferPointer { bg.negativeLogLikelihood(colors: c, into: $0) }
        }
        let scale = Float(settings.flowScale)
        let hardValue: Int32 = 1 << 26
        let limit: Float = Float(1 << 24)
        var terminal = [Int32](repeating: 0, count: m)
        for y in 0..<bh {
            for x in 0..<bw {
                let i = (y + box.y0) * w + (x + box.x0), j = y * bw + x
                switch seeds.hard[i] {
                case 1: terminal[j] = hardValue
                case 2: terminal[j] = -hardValue
                default:
                    let t = (dbg[j] - dfg[j] + prior[i]) * scale + problem.outward[j]
                    // Round half away from zero by truncation (a libm `roundf` call per pixel otherwise).
                    let c = t.isFinite ? min(max(t, -limit), limit) : 0
                    terminal[j] = Int32(c + (c < 0 ? -0.5 : 0.5))
                }
            }
        }
        var sub = [UInt8](repeating: 0, count: m)
        if let last = lastTerminal, last.count == m {
            var change = [Int32](repeating: 0, count: m)
            for j in 0..<m { change[j] = terminal[j] &- last[j] }
            change.withUnsafeBufferPointer { c in
                sub.withUnsafeMutableBufferPointer { l in flow.resolve(terminalChange: c, labels: l) }
            }
        } else {
            terminal.withUnsafeBufferPointer { t in
                problem.edges.withUnsafeBufferPointer { e in
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

    /// Fits both colour models from scratch (binary splitting) to a labelling.
    func fitModels(labels: [UInt8], assignments: inout [UInt8]) -> (fg: ColorGMM, bg: ColorGMM) {
        features.colors.withUnsafeBufferPointer { c in
            labels.withUnsafeBufferPointer { l in
                assignments.withUnsafeMutableBufferPointer { a in
                    (
                        ColorGMM.fit(colors: c, select: l, value: 1, components: settings.components,
                                     varianceFloor: settings.varianceFloor, assignments: a),
                        ColorGMM.fit(colors: c, select: l, value: 0, components: settings.components,
                                     varianceFloor: settings.varianceFloor, assignments: a)
                    )
                }
            }
        }
    }

    /// One hard-EM refit of both models to a labelling.
    func refitModels(_ models: (fg: ColorGMM, bg: ColorGMM), labels: [UInt8], assignments: inout [UInt8]) -> (fg: ColorGMM, bg: ColorGMM) {
        features.colors.withUnsafeBufferPointer { c in
            labels.withUnsafeBufferPointer { l in
                assignments.withUnsafeMutableBufferPointer { a in
                    (
                        models.fg.refit(colors: c, select: l, value: 1, varianceFloor: settings.varianceFloor, assignments: a),
                        models.bg.refit(colors: c, select: l, value: 0, varianceFloor: settings.varianceFloor, assignments: a)
                    )
                }
            }
        }
    }

    // MARK: Whole run

    /// The contour region for these clicks (see `contourRegion`), computed once per box.
    struct Contour: Sendable {
        /// The extreme points and the box it was traced for.
        var extremes: [Click]
        var box: PixelBox
        /// 1 inside the contour; nil when no contour could be traced.
        var region: [UInt8]?
    }

    /// What a run leaves for the next run on the same crop (a function of the crop and the clicks, so
    /// it changes speed, never results).
    struct Memo: Sendable {
        /// The contour last traced, reused while the extreme points and the box stay the same.
        var contour: Contour?
        /// Geodesic distances around corrective clicks, by pixel index.
        var clicks: [Int: ClickDistances] = [:]
        /// Clicks remembered at most (the oldest are dropped together beyond it).
        static let maxClicks = 64
    }

    /// Segments: returns the final 0/1 labels and what the next call on this crop can reuse.
    ///
    /// - Parameter memo: what an earlier call on the same crop left (see `Memo`).
    /// - Parameter network: the learned model's log-odds of the object per crop pixel (row-major),
    ///   for `clicknet-graphcut`: a soft prior of `networkPrior` (first mask) or
    ///   `networkCorrectionPrior` (corrective clicks) nats per unit, and the first mask's initial
    ///   labelling; nil for the plain graph cut.
    func run(clicks: [Click], previous: GrayImage?, memo: Memo?, network: [Float]? = nil) -> (labels: [UInt8], memo: Memo) {
        let n = width * height
        let seeds = seeds(clicks: clicks)
        var prior = [Float](repeating: 0, count: n)
        let extremes = clicks.filter { $0.kind == .extreme }
        let network = network?.count == n ? network : nil
        let contourScale = network == nil ? 1 : Float(settings.networkContourScale)
        let contour: Contour
        if let cached = memo?.contour, cached.extremes == extremes, cached.box == seeds.box {
            contour = cached
        } else {
            contour = Contour(
                extremes: extremes, box: seeds.box,
                region: settings.boundaryPaths && contourScale > 0 ? contourRegion(extremes: extremes, box: seeds.box) : nil)
        }
        let region = contourScale > 0 ? contour.region : nil
        let warm = previous.map { $0.width == width && $0.height == height } == true
            && clicks.contains(where: { $0.kind != .extreme })
        if let region {
            let k = Float(warm ? settings.correctionContourScale : 1) * contourScale
            let pin = Float(settings.insidePrior) * k, pout = Float(settings.outsidePrior) * k
            for i in 0..<n where seeds.hard[i] == 0 { prior[i] = region[i] != 0 ? pin : -pout }
        }
        if let network {
            let k = Float(warm ? settings.networkCorrectionPrior : settings.networkPrior)
            let cap = Float(settings.networkLogOddsClamp)
            for i in 0..<n where seeds.hard[i] == 0 { prior[i] += k * min(cap, max(-cap, network[i])) }
        }
        var clickMemo = memo?.clicks ?? [:]
        if clickMemo.count > Memo.maxClicks { clickMemo = [:] }
        let clickRegion = addClickPriors(clicks: clicks, to: &prior, memo: &clickMemo)

        var labels = [UInt8](repeating: 0, count: n)
        var iterations = settings.iterations
        if warm, let previous {
            for i in 0..<n { labels[i] = previous.pixels[i] >= 128 ? 1 : 0 }
            iterations = settings.refineIterations
            // What the clicks vouch for joins the labelling the colour models are fitted to.
            for i in 0..<n where clickRegion[i] != 0 { labels[i] = clickRegion[i] > 0 ? 1 : 0 }
            if settings.previousPrior > 0 {
                let pp = Float(settings.previousPrior)
                for i in 0..<n { prior[i] += labels[i] != 0 ? pp : -pp }
            }
        } else if let network {
            for y in seeds.box.y0..<seeds.box.y1 {
                for x in seeds.box.x0..<seeds.box.x1 where network[y * width + x] > 0 { labels[y * width + x] = 1 }
            }
        } else if let region, settings.contourInitialModel {
            labels = region
        } else {
            for y in seeds.box.y0..<seeds.box.y1 { for x in seeds.box.x0..<seeds.box.x1 { labels[y * width + x] = 1 } }
        }
        for i in 0..<n where seeds.hard[i] != 0 { labels[i] = seeds.hard[i] == 1 ? 1 : 0 }

        // The window the cuts may change: the box, or on a local refinement the neighbourhood of
        // the newest click (the rest keeps the previous labels).
        var fixed = [UInt8](repeating: 0, count: n)
        var window = seeds.box
        if warm, settings.localWindow > 0, let last = clicks.last, last.kind != .extreme {
            fixed = labels
            let r = Int((settings.clickPriorRadius * settings.localWindow).rounded())
            let (cx, cy) = last.point.pixel
            window = PixelBox.around(x: cx, y: cy, radius: r).intersection(seeds.box)
            if window.isEmpty { window = seeds.box }
            for y in 0..<height {
                for x in 0..<width where !seeds.box.contains(x: x, y: y) { fixed[y * width + x] = 0 }
            }
        }
        let problem = boxProblem(window: window, fixed: fixed)
        var assignments = [UInt8](repeating: 0, count: n)
        var models = fitModels(labels: labels, assignments: &assignments)
        var lastTerminal: [Int32]?
        for it in 0..<max(1, iterations) {
            if it > 0 { models = refitModels(models, labels: labels, assignments: &assignments) }
            cut(fg: models.fg, bg: models.bg, prior: prior, seeds: seeds, problem: problem, labels: &labels,
                lastTerminal: &lastTerminal)
        }
        postprocess(&labels, seeds: seeds)
        return (labels, Memo(contour: contour, clicks: clickMemo))
    }

    // MARK: Post-processing

    /// Keeps the object parts 8-connected to object seeds and fills small background holes.
    func postprocess(_ labels: inout [UInt8], seeds: Seeds) {
        let w = width, h = height, n = w * h
        if !seeds.objectSeeds.isEmpty {
            var keep = [UInt8](repeating: 0, count: n)
            var stack: [Int] = []
            for s in seeds.objectSeeds where labels[s] != 0 && keep[s] == 0 { keep[s] = 1; stack.append(s) }
            while let i = stack.popLast() {
                let x = i % w, y = i / w
                for dy in -1...1 {
                    let ny = y + dy
                    if ny < 0 || ny >= h { continue }
                    for dx in -1...1 {
                        let nx = x + dx
                        if nx < 0 || nx >= w { continue }
                        let j = ny * w + nx
                        if labels[j] != 0 && keep[j] == 0 { keep[j] = 1; stack.append(j) }
                    }
                }
            }
            labels = keep
        }
        guard settings.maxHoleArea > 0 else { return }
        // Background components (4-connected) not touching the crop border are holes. Outside the
        // box every pixel is background and reaches the crop border through such pixels, so only
        // components inside the box are searched, and one that borders a pixel outside the box
        // touches the crop border.
        let box = seeds.box
        let bw = box.width
        guard bw > 0, box.height > 0 else { return }
        var visited = [UInt8](repeating: 0, count: bw * box.height)
        var component: [Int] = []
        var stack: [Int] = []
        for sy in box.y0..<box.y1 {
            for sx in box.x0..<box.x1 {
                let start = sy * w + sx
                guard labels[start] == 0 && visited[(sy - box.y0) * bw + (sx - box.x0)] == 0 else { continue }
                component.removeAll(keepingCapacity: true)
                var touchesBorder = false
                var hasHardBackground = false
                visited[(sy - box.y0) * bw + (sx - box.x0)] = 1
                stack.append(start)
                while let i = stack.popLast() {
                    component.append(i)
                    let x = i % w, y = i / w
                    if x == 0 || y == 0 || x == w - 1 || y == h - 1 { touchesBorder = true }
                    if seeds.hard[i] == 2 { hasHardBackground = true }
                    // The 4 neighbours, without an array literal per pixel.
                    func visit(_ nx: Int, _ ny: Int) {
                        guard nx >= 0, nx < w, ny >= 0, ny < h else { return }
                        guard box.contains(x: nx, y: ny) else { touchesBorder = true; return }
                        let j = ny * w + nx, v = (ny - box.y0) * bw + (nx - box.x0)
                        if labels[j] == 0 && visited[v] == 0 { visited[v] = 1; stack.append(j) }
                    }
                    visit(x - 1, y); visit(x + 1, y); visit(x, y - 1); visit(x, y + 1)
                }
                if !touchesBorder && !hasHardBackground && component.count <= settings.maxHoleArea {
                    for i in component { labels[i] = 1 }
                }
            }
        }
    }

    /// The probability map: 0.5 ± a ramp of the Euclidean distance to the other label, so that
    /// thresholding at 128 gives back `labels` exactly.
    ///
    /// An object pixel at distance d from the nearest background pixel gets
    /// `255 · (0.5 + 0.5 · tanh((d - 0.5) / ramp))` (at least 128), a background pixel at distance d
    /// from the nearest object pixel `255 · (0.5 - 0.5 · tanh((d - 0.5) / ramp))` (at most 127). The
    /// values reach 255 / 0 at a distance `S` of a few ramps, so the distances are computed only on
    /// the object's bounding box grown by `S` (farther pixels are background at 0), and looked up by
    /// squared distance, which is an integer.
    func probability(labels: [UInt8]) -> GrayImage {
        let w = width, h = height
        let ramp = max(settings.probabilityRamp, 0.1)
        @inline(__always) func objectValue(_ d: Double) -> UInt8 {
            let p = 0.5 + 0.5 * tanh((d - 0.5) / ramp)
            return UInt8(min(255, max(128, (p * 255).rounded())))
        }
        @inline(__always) func backgroundValue(_ d: Double) -> UInt8 {
            let p = 0.5 - 0.5 * tanh((d - 0.5) / ramp)
            return UInt8(min(127, max(0, (p * 255).rounded())))
        }
        var out = [UInt8](repeating: 0, count: w * h)
        guard let objectBox = Mask(width: w, height: h, bits: labels).boundingBox else {
            return GrayImage(width: w, height: h, pixels: out)
        }
        // Saturation distance: both values are final from S on (they are monotone in d).
        var saturation = 1
        while saturation < 10_000 && (objectValue(Double(saturation)) != 255 || backgroundValue(Double(saturation)) != 0) {
            saturation += 1
        }
        let limit = saturation * saturation
        var objectLUT = [UInt8](repeating: 255, count: limit + 1)
        var backgroundLUT = [UInt8](repeating: 0, count: limit + 1)
        for s in 0...limit {
            objectLUT[s] = objectValue(Double(s).squareRoot())
            backgroundLUT[s] = backgroundValue(Double(s).squareRoot())
        }
        let r = objectBox.expanded(dx: saturation, dy: saturation).clipped(width: w, height: h)
        let rw = r.width, rh = r.height
        var sub = [UInt8](repeating: 0, count: rw * rh)
        var inverted = [UInt8](repeating: 0, count: rw * rh)
        for y in 0..<rh {
            for x in 0..<rw {
                let l: UInt8 = labels[(y + r.y0) * w + (x + r.x0)] != 0 ? 1 : 0
                sub[y * rw + x] = l
                inverted[y * rw + x] = 1 - l
            }
        }
        // Distance from object pixels to the nearest background pixel, and vice versa.
        let dIn = DistanceTransform.squaredDistanceToZero(sub, width: rw, height: rh, outsideIsZero: false)
        let dOut = DistanceTransform.squaredDistanceToZero(inverted, width: rw, height: rh, outsideIsZero: false)
        let dLimit = Double(limit)
        for y in 0..<rh {
            for x in 0..<rw {
                let j = y * rw + x
                let v: UInt8
                if sub[j] != 0 {
                    let s = dIn[j]
                    v = s <= dLimit ? objectLUT[Int(s)] : 255
                } else {
                    let s = dOut[j]
                    v = s <= dLimit ? backgroundLUT[Int(s)] : 0
                }
                out[(y + r.y0) * w + (x + r.x0)] = v
            }
        }
        return GrayImage(width: w, height: h, pixels: out)
    }
}
