import FewClickCore
import Foundation
import PixelKernels

/// The boundary contour from the extreme points: the region enclosed by the cheapest edge-following
/// paths between consecutive extreme points, a soft prior of the object inside and the background
/// outside. Traced once per box and kept in the session's memo.
struct ContourTerm: Sendable {
    /// The extreme points and the box it was traced for.
    var extremes: [Click]
    var box: PixelBox
    /// 1 inside the contour; nil when no contour could be traced.
    var region: [UInt8]?

    /// A term for these extremes and box without a region (the contour is turned off).
    init(extremes: [Click], box: PixelBox) {
        self.extremes = extremes
        self.box = box
        region = nil
    }

    /// Traces the contour of `extremes` within `box` on the crop's edge map.
    init(extremes: [Click], box: PixelBox, features: CropFeatures, settings: GraphCutSettings, dijkstra: GridDijkstra) {
        self.init(extremes: extremes, box: box)
        region = Self.region(extremes: extremes, box: box, features: features, settings: settings, dijkstra: dijkstra)
    }

    /// The region enclosed by the cheapest edge-following paths between consecutive extreme points
    /// (1 inside, including the paths), or nil when there are not 4 usable extreme points.
    static func region(
        extremes: [Click], box: PixelBox, features: CropFeatures, settings: GraphCutSettings, dijkstra: GridDijkstra
    ) -> [UInt8]? {
        let w = features.width, h = features.height, n = w * h
        guard extremes.count >= 4, box.width >= 3, box.height >= 3 else { return nil }
        let order = tour(extremes, box: box)
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
        let inside = enclosed(by: onPath, box: box, width: w, height: h)
        // A degenerate contour (a thin sliver) is no better than the box.
        if inside.count < box.area / 20 { return nil }
        return inside.region
    }

    /// The extreme points clamped into the box in tour order: leftmost, topmost, rightmost,
    /// bottommost, and the leftmost again (ties by index order, so the roles are deterministic).
    static func tour(_ extremes: [Click], box: PixelBox) -> [(x: Int, y: Int)] {
        let pts = extremes.map { p -> (x: Int, y: Int) in
            let (x, y) = p.point.pixel
            return (min(max(x, box.x0), box.x1 - 1), min(max(y, box.y0), box.y1 - 1))
        }
        func pick(_ better: ((x: Int, y: Int), (x: Int, y: Int)) -> Bool) -> (x: Int, y: Int) {
            var best = pts[0]
            for p in pts.dropFirst() where better(p, best) { best = p }
            return best
        }
        let left = pick { $0.x < $1.x }, top = pick { $0.y < $1.y }
        let right = pick { $0.x > $1.x }, bottom = pick { $0.y > $1.y }
        return [left, top, right, bottom, left]
    }

    /// The box pixels not reached by a 4-connected flood from the box border through pixels off
    /// the path (1 inside, the path included), and how many there are.
    static func enclosed(by onPath: [UInt8], box: PixelBox, width w: Int, height h: Int) -> (region: [UInt8], count: Int) {
        let n = w * h
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
        return (inside, count)
    }

    /// Adds the contour's prior to the free pixels of `prior` (replacing what is there, as the
    /// first term): `insidePrior · scale` inside the region, `-outsidePrior · scale` outside.
    func setPrior(_ prior: inout [Float], hard: [HardLabel], scale k: Float, settings: GraphCutSettings) {
        guard let region else { return }
        let pin = Float(settings.insidePrior) * k, pout = Float(settings.outsidePrior) * k
        for i in 0..<prior.count where hard[i] == .free { prior[i] = region[i] != 0 ? pin : -pout }
    }
}
