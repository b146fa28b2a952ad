import Evaluation
import FewClickCore
import PixelKernels
import Testing

@testable import Segmentation

/// The graph-cut engine's stages, each on its own.
@Suite("Graph-cut stages")
struct GraphCutStagesTests {
    let settings = GraphCutSettings.default

    /// A dark square (x, y in 20..<60) on a light, noisy background, 80 × 80.
    func squareScene() -> (RGBImage, Mask) {
        let gt = Scene.mask(width: 80, height: 80) { x, y in x >= 20 && x < 60 && y >= 20 && y < 60 }
        let image = Scene.render(
            mask: gt, noise: 6, seed: 3, object: { _, _ in (40, 40, 60) }, background: { _, _ in (210, 200, 180) })
        return (image, gt)
    }

    func extremes(_ gt: Mask) -> [Click] { Scene.extremePoints(gt) }

    @Test("hard labels: background outside the box, object disks at extreme and positive clicks, background at negative ones")
    func hardConstraints() {
        #expect(HardLabel.free.rawValue == 0 && HardLabel.object.rawValue == 1 && HardLabel.background.rawValue == 2)
        let w = 50, h = 40
        let clicks = [
            Click(x: 10.5, y: 20.5, kind: .extreme), Click(x: 25.5, y: 8.5, kind: .extreme),
            Click(x: 40.5, y: 20.5, kind: .extreme), Click(x: 25.5, y: 32.5, kind: .extreme),
            Click(x: 25.5, y: 20.5, kind: .negative), Click(x: 18.5, y: 15.5, kind: .positive),
        ]
        let hard = HardConstraints(clicks: clicks, width: w, height: h, settings: settings)
        let box = hard.box
        #expect(box == PixelBox.bounding(clicks.filter { $0.kind != .negative }.map(\.point))!.clipped(width: w, height: h))
        func at(_ x: Int, _ y: Int) -> HardLabel { hard.labels[y * w + x] }
        #expect(at(box.x0 - 1, 20) == .background && at(box.x1, 20) == .background && at(25, box.y0 - 1) == .background)
        // Extreme disks of radius `extremeRadius` (2), click disks of `clickRadius` (5).
        #expect(at(10, 20) == .object && at(12, 20) == .object && at(13, 20) == .free)
        #expect(at(25, 20) == .background && at(30, 20) == .background && at(31, 20) == .free)
        #expect(at(18, 15) == .object && at(18, 10) == .object && at(18, 9) == .free)
        #expect(hard.objectSeeds == hard.labels.indices.filter { hard.labels[$0] == .object })
        // Clicks outside the crop: an empty box, everything background.
        let outside = HardConstraints(clicks: [Click(x: -20, y: -20, kind: .extreme)], width: w, height: h, settings: settings)
        #expect(outside.box.isEmpty && outside.labels.allSatisfy { $0 == .background } && outside.objectSeeds.isEmpty)
    }

    @Test("contour: traces the square's outline from its extreme points, in tour order; nil without 4 points")
    func contour() throws {
        let (image, gt) = squareScene()
        let features = CropFeatures(image: image, settings: settings)
        let ex = extremes(gt)
        let hard = HardConstraints(clicks: ex, width: 80, height: 80, settings: settings)
        let tour = ContourTerm.tour([ex[2], ex[0], ex[3], ex[1]], box: hard.box)
        #expect(tour.count == 5 && tour[0] == tour[4])
        #expect(tour[0].x == 20 && tour[1].y == 20 && tour[2].x == 59 && tour[3].y == 59)
        let term = ContourTerm(extremes: ex, box: hard.box, features: features, settings: settings, dijkstra: GridDijkstra())
        let region = try #require(term.region)
        #expect(Mask(width: 80, height: 80, bits: region).iou(gt) > 0.9)
        #expect(ContourTerm.region(
            extremes: Array(ex.prefix(3)), box: hard.box, features: features, settings: settings, dijkstra: GridDijkstra()) == nil)
        // Its prior: inside +insidePrior·k, outside -outsidePrior·k, hard pixels untouched.
        var prior = [Float](repeating: 7, count: 80 * 80)
        term.setPrior(&prior, hard: hard.labels, scale: 0.5, settings: settings)
        let pin = Float(settings.insidePrior) * 0.5, pout = -Float(settings.outsidePrior) * 0.5
        for i in prior.indices {
            #expect(prior[i] == (hard.labels[i] != .free ? 7 : region[i] != 0 ? pin : pout), "pixel \(i)")
        }
        #expect(prior[40 * 80 + 40] == pin && prior[0] == 7)
    }

    @Test("click priors: strongest at the click, fading to 0 at the radius, weaker across an edge; memoised")
    func clickPriors() throws {
        let (image, _) = squareScene()
        let features = CropFeatures(image: image, settings: settings)
        let priors = ClickPriors(settings: settings, features: features, dijkstra: GridDijkstra())
        var prior = [Float](repeating: 0, count: 80 * 80)
        var memo: [Int: ClickPriors.Distances] = [:]
        let click = Click(x: 50.5, y: 40.5, kind: .positive)
        let region = priors.add(clicks: [click], to: &prior, memo: &memo)
        let w = 80, c = 40 * w + 50
        #expect(prior[c] == Float(settings.clickPrior))
        #expect(prior[c - 5] > 0 && prior[c - 5] < prior[c])
        // The same Euclidean distance (15 px): inside the square, and across its edge at x = 60.
        #expect(prior[c - 15] > prior[c + 15] && prior[c + 15] >= 0)
        // Beyond the radius (60 px) nothing.
        #expect(prior[79 * w + 0] == 0)
        #expect(region[c] == 1 && region[79 * w + 0] == 0 && memo.keys.sorted() == [c])
        let d = try #require(memo[c])
        #expect(d.window.contains(x: 50, y: 40) && d.distances.allSatisfy { $0 >= 0 })
        // A negative click pulls the other way; extreme points add nothing.
        var negative = [Float](repeating: 0, count: 80 * 80)
        let nregion = priors.add(clicks: [Click(x: 50.5, y: 40.5, kind: .negative)], to: &negative, memo: &memo)
        #expect(negative[c] == -Float(settings.clickPrior) && nregion[c] == -1 && memo.count == 1)
        var none = [Float](repeating: 0, count: 80 * 80)
        _ = priors.add(clicks: [Click(x: 50.5, y: 40.5, kind: .extreme)], to: &none, memo: &memo)
        #expect(none.allSatisfy { $0 == 0 })
    }

    @Test("box problem: edges to fixed pixels fold into the window's terminal capacities with their sign")
    func boxProblem() {
        let (image, _) = squareScene()
        let features = CropFeatures(image: image, settings: settings)
        let window = PixelBox(x0: 10, y0: 12, x1: 30, y1: 25)
        for value: UInt8 in [0, 1] {
            let fixed = [UInt8](repeating: value, count: 80 * 80)
            let problem = BoxProblem(window: window, fixed: fixed, features: features)
            let bw = window.width
            for y in 0..<window.height {
                for x in 0..<bw {
                    let i = (y + window.y0) * 80 + (x + window.x0)
                    var want: Int32 = 0
                    for (d, o) in GridMaxFlow.directions.enumerated() where !window.contains(x: x + window.x0 + o.dx, y: y + window.y0 + o.dy) {
                        want += features.pairwise[i * 8 + d]
                    }
                    #expect(problem.outward[y * bw + x] == Float(value == 1 ? want : -want))
                    for (d, o) in GridMaxFlow.directions.enumerated() where window.contains(x: x + window.x0 + o.dx, y: y + window.y0 + o.dy) {
                        #expect(problem.edges[(y * bw + x) * 8 + d] == features.pairwise[i * 8 + d])
                    }
                }
            }
        }
        // Hard labels take the fixed ±2²⁶ capacities.
        let ex = extremes(squareScene().1)
        let hard = HardConstraints(clicks: ex, width: 80, height: 80, settings: settings)
        let problem = BoxProblem(window: hard.box, fixed: [UInt8](repeating: 0, count: 80 * 80), features: features)
        var assignments = [UInt8](repeating: 0, count: 80 * 80)
        let labels = (0..<(80 * 80)).map { UInt8(hard.box.contains(x: $0 % 80, y: $0 / 80) ? 1 : 0) }
        let models = ColorModels.fit(to: labels, features: features, settings: settings, assignments: &assignments)
        let terminal = problem.terminalCapacities(
            models: models, prior: [Float](repeating: 0, count: 80 * 80), hard: hard.labels, flowScale: settings.flowScale)
        let s = hard.objectSeeds[0]
        let j = (s / 80 - hard.box.y0) * hard.box.width + (s % 80 - hard.box.x0)
        #expect(terminal[j] == 1 << 26)
        #expect(terminal.allSatisfy { abs($0) <= 1 << 24 || abs($0) == 1 << 26 })
    }

    /// The engine's former flood fill: the object pixels 8-connected to a seed on the object.
    static func floodFromSeeds(_ labels: [UInt8], width w: Int, height h: Int, seeds: [Int]) -> [UInt8] {
        var keep = [UInt8](repeating: 0, count: w * h)
        var stack: [Int] = []
        for s in seeds where labels[s] != 0 && keep[s] == 0 { keep[s] = 1; stack.append(s) }
        while let i = stack.popLast() {
            let x = i % w, y = i / w
            for ny in max(0, y - 1)...min(h - 1, y + 1) {
                for nx in max(0, x - 1)...min(w - 1, x + 1) where labels[ny * w + nx] != 0 && keep[ny * w + nx] == 0 {
                    keep[ny * w + nx] = 1; stack.append(ny * w + nx)
                }
            }
        }
        return keep
    }

    @Test("keeping seeded parts gives the flood fill's bytes on random masks")
    func keepingSeededMatchesFlood() {
        var rng = SplitMix64(seed: 31)
        for (w, h) in [(1, 1), (7, 3), (20, 20), (33, 17), (64, 40)] {
            for density in [2, 4, 6] {
                let labels = (0..<(w * h)).map { _ in UInt8(rng.int(0...9) < density ? 1 : 0) }
                let seeds = (0..<3).map { _ in rng.int(0...(w * h - 1)) }
                let got = PostProcess.keepingSeeded(labels, width: w, height: h, seeds: seeds)
                #expect(got == Self.floodFromSeeds(labels, width: w, height: h, seeds: seeds), "\(w)x\(h) density \(density)")
            }
        }
    }

    @Test("post-processing: drops unseeded islands, fills small holes, keeps large holes and holes on hard background")
    func postProcess() {
        let w = 40, h = 30
        let clicks = [
            Click(x: 5.5, y: 15.5, kind: .extreme), Click(x: 20.5, y: 3.5, kind: .extreme),
            Click(x: 34.5, y: 15.5, kind: .extreme), Click(x: 20.5, y: 26.5, kind: .extreme),
            Click(x: 28.5, y: 16.5, kind: .negative),
        ]
        var s = settings
        s.clickRadius = 0
        let hard = HardConstraints(clicks: clicks, width: w, height: h, settings: s)
        var labels = [UInt8](repeating: 0, count: w * h)
        // The object: a band y 5..<25, x 5..<35, with holes: 2×2 at (10, 10) (filled), 8×8 at
        // (18, 12) (kept: larger than 30 px), 3×3 around the negative click at (28, 16) (kept).
        for y in 5..<25 { for x in 5..<35 { labels[y * w + x] = 1 } }
        for y in 10..<12 { for x in 10..<12 { labels[y * w + x] = 0 } }
        for y in 12..<20 { for x in 18..<26 { labels[y * w + x] = 0 } }
        for y in 15..<18 { for x in 27..<30 { labels[y * w + x] = 0 } }
        // An island not connected to any seed.
        labels[1 * w + 1] = 1
        PostProcess.apply(&labels, width: w, height: h, hard: hard, maxHoleArea: 30)
        #expect(labels[1 * w + 1] == 0)
        #expect(labels[10 * w + 10] == 1 && labels[11 * w + 11] == 1)
        #expect(labels[15 * w + 20] == 0)
        #expect(labels[16 * w + 28] == 0)
        #expect(labels[7 * w + 7] == 1)
        var none = labels
        none[10 * w + 10] = 0
        PostProcess.apply(&none, width: w, height: h, hard: hard, maxHoleArea: 0)
        #expect(none[10 * w + 10] == 0)
    }

    @Test("probability map: thresholding at 128 gives the labels back, saturating away from the cut")
    func probabilityMap() {
        let w = 60, h = 50
        var labels = [UInt8](repeating: 0, count: w * h)
        for y in 10..<40 { for x in 15..<45 { labels[y * w + x] = 1 } }
        let map = ProbabilityMap.map(labels: labels, width: w, height: h, ramp: 2)
        #expect(Mask(thresholding: map).bits == labels)
        #expect(map.pixels[25 * w + 30] == 255 && map.pixels[0] == 0)
        #expect(map.pixels[25 * w + 15] >= 128 && map.pixels[25 * w + 15] < map.pixels[25 * w + 20])
        let empty = ProbabilityMap.map(labels: [UInt8](repeating: 0, count: w * h), width: w, height: h, ramp: 2)
        #expect(empty.pixels.allSatisfy { $0 == 0 })
    }
}
