import FewClickCore
import PixelKernels

/// One run of the graph-cut engine on one crop: the stages in order, each in its own file.
///
/// 1. `HardConstraints`: the box and the hard object/background disks from the clicks.
/// 2. Soft priors: the extreme points' `ContourTerm`, the learned model's log-odds (for
///    `clicknet-graphcut`), the corrective clicks' `ClickPriors`.
/// 3. The initial labelling the colour models are first fitted to, and the window the cuts may change.
/// 4. A few rounds of `ColorModels` refits and `BoxProblem` cuts.
/// 5. `PostProcess`, then `ProbabilityMap` for the answer.
struct GraphCutEngine {
    let settings: GraphCutSettings
    let features: CropFeatures
    let flow = GridMaxFlow()
    let dijkstra = GridDijkstra()

    var width: Int { features.width }
    var height: Int { features.height }

    /// What a run leaves for the next run on the same crop (a function of the crop and the clicks, so
    /// it changes speed, never results).
    struct Memo: Sendable {
        /// The contour last traced, reused while the extreme points and the box stay the same.
        var contour: ContourTerm?
        /// Geodesic distances around corrective clicks, by pixel index.
        var clicks: [Int: ClickPriors.Distances] = [:]
        /// Clicks remembered at most (the oldest are dropped together beyond it).
        static let maxClicks = 64
    }

    /// The soft priors of one run and what comes with them.
    struct Priors {
        /// Per crop pixel, nats in favour of the object.
        var prior: [Float]
        /// The contour traced for these clicks (kept in the memo).
        var contour: ContourTerm
        /// The contour region when it takes part in this run.
        var region: [UInt8]?
        /// Per pixel, ±1 where a corrective click vouches for the label (see `ClickPriors.add`).
        var clickRegion: [Int8]
        /// The click distances known after this run.
        var clickMemo: [Int: ClickPriors.Distances]
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
        let hard = HardConstraints(clicks: clicks, width: width, height: height, settings: settings)
        let network = network?.count == n ? network : nil
        let warm = previous.map { $0.width == width && $0.height == height } == true
            && clicks.contains(where: { $0.kind != .extreme })
        let priors = priors(clicks: clicks, hard: hard, warm: warm, memo: memo, network: network)
        let start = initialLabels(hard: hard, priors: priors, previous: warm ? previous : nil, network: network)
        var labels = start.labels
        let (window, fixed) = cutWindow(clicks: clicks, hard: hard, labels: labels, warm: warm)
        let problem = BoxProblem(window: window, fixed: fixed, features: features)
        var assignments = [UInt8](repeating: 0, count: n)
        var models = ColorModels.fit(to: labels, features: features, settings: settings, assignments: &assignments)
        var lastTerminal: [Int32]?
        for it in 0..<max(1, start.iterations) {
            if it > 0 { models = models.refit(to: labels, features: features, settings: settings, assignments: &assignments) }
            problem.cut(
                models: models, prior: start.prior, hard: hard.labels, flowScale: settings.flowScale, flow: flow,
                labels: &labels, lastTerminal: &lastTerminal)
        }
        PostProcess.apply(&labels, width: width, height: height, hard: hard, maxHoleArea: settings.maxHoleArea)
        return (labels, Memo(contour: priors.contour, clicks: priors.clickMemo))
    }

    /// The probability map of the final labels (see `ProbabilityMap.map`).
    func probability(labels: [UInt8]) -> GrayImage {
        ProbabilityMap.map(labels: labels, width: width, height: height, ramp: settings.probabilityRamp)
    }

    // MARK: Steps

    /// The contour (traced, or reused from the memo), the learned prior and the click priors.
    func priors(clicks: [Click], hard: HardConstraints, warm: Bool, memo: Memo?, network: [Float]?) -> Priors {
        let n = width * height
        var prior = [Float](repeating: 0, count: n)
        let extremes = clicks.filter { $0.kind == .extreme }
        let contourScale = network == nil ? 1 : Float(settings.networkContourScale)
        let contour: ContourTerm
        if let cached = memo?.contour, cached.extremes == extremes, cached.box == hard.box {
            contour = cached
        } else if settings.boundaryPaths && contourScale > 0 {
            contour = ContourTerm(extremes: extremes, box: hard.box, features: features, settings: settings, dijkstra: dijkstra)
        } else {
            contour = ContourTerm(extremes: extremes, box: hard.box)
        }
        let region = contourScale > 0 ? contour.region : nil
        if region != nil {
            let k = Float(warm ? settings.correctionContourScale : 1) * contourScale
            contour.setPrior(&prior, hard: hard.labels, scale: k, settings: settings)
        }
        if let network {
            let k = Float(warm ? settings.networkCorrectionPrior : settings.networkPrior)
            let cap = Float(settings.networkLogOddsClamp)
            for i in 0..<n where hard.labels[i] == .free { prior[i] += k * min(cap, max(-cap, network[i])) }
        }
        var clickMemo = memo?.clicks ?? [:]
        if clickMemo.count > Memo.maxClicks { clickMemo = [:] }
        let clickRegion = ClickPriors(settings: settings, features: features, dijkstra: dijkstra)
            .add(clicks: clicks, to: &prior, memo: &clickMemo)
        return Priors(prior: prior, contour: contour, region: region, clickRegion: clickRegion, clickMemo: clickMemo)
    }

    /// The labelling the colour models are first fitted to, the prior with the previous mask's
    /// term, and the number of cut rounds: the previous mask with what the clicks vouch for on a
    /// warm start (`previous` non-nil), else the learned model's mask, the contour region or the
    /// box; hard labels always win.
    func initialLabels(hard: HardConstraints, priors: Priors, previous: GrayImage?, network: [Float]?)
        -> (labels: [UInt8], prior: [Float], iterations: Int)
    {
        let n = width * height, box = hard.box
        var labels = [UInt8](repeating: 0, count: n)
        var prior = priors.prior
        var iterations = settings.iterations
        if let previous {
            for i in 0..<n { labels[i] = previous.pixels[i] >= 128 ? 1 : 0 }
            iterations = settings.refineIterations
            // What the clicks vouch for joins the labelling the colour models are fitted to.
            for i in 0..<n where priors.clickRegion[i] != 0 { labels[i] = priors.clickRegion[i] > 0 ? 1 : 0 }
            if settings.previousPrior > 0 {
                let pp = Float(settings.previousPrior)
                for i in 0..<n { prior[i] += labels[i] != 0 ? pp : -pp }
            }
        } else if let network {
            for y in box.y0..<box.y1 {
                for x in box.x0..<box.x1 where network[y * width + x] > 0 { labels[y * width + x] = 1 }
            }
        } else if let region = priors.region, settings.contourInitialModel {
            labels = region
        } else {
            for y in box.y0..<box.y1 { for x in box.x0..<box.x1 { labels[y * width + x] = 1 } }
        }
        for i in 0..<n where hard.labels[i] != .free { labels[i] = hard.labels[i] == .object ? 1 : 0 }
        return (labels, prior, iterations)
    }

    /// The window the cuts may change and the labels of the pixels outside it: the box (outside it
    /// background), or on a local refinement the neighbourhood of the newest click (the rest of the
    /// box keeps `labels`).
    func cutWindow(clicks: [Click], hard: HardConstraints, labels: [UInt8], warm: Bool) -> (window: PixelBox, fixed: [UInt8]) {
        let box = hard.box
        guard warm, settings.localWindow > 0, let last = clicks.last, last.kind != .extreme else {
            return (box, [UInt8](repeating: 0, count: width * height))
        }
        var fixed = labels
        let r = Int((settings.clickPriorRadius * settings.localWindow).rounded())
        let (cx, cy) = last.point.pixel
        var window = PixelBox.around(x: cx, y: cy, radius: r).intersection(box)
        if window.isEmpty { window = box }
        for y in 0..<height {
            for x in 0..<width where !box.contains(x: x, y: y) { fixed[y * width + x] = 0 }
        }
        return (window, fixed)
    }
}
