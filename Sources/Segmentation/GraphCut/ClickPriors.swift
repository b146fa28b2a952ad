import FewClickCore
import PixelKernels

/// The corrective clicks' soft priors: each pixel within `clickPriorRadius` geodesic pixels of a
/// corrective click leans towards that click's label, the more the closer it is.
struct ClickPriors {
    let settings: GraphCutSettings
    let features: CropFeatures
    let dijkstra: GridDijkstra

    /// Geodesic distances from one corrective click pixel within `window` (row-major over the
    /// window; `.infinity` beyond `clickPriorRadius`).
    struct Distances: Sendable {
        var window: PixelBox
        var distances: [Float]
    }

    /// The geodesic distances around the click at pixel (cx, cy), cut off at `clickPriorRadius`.
    ///
    /// Every step costs at least 1 (`1 + clickEdgeWeight · edge`, edge ≥ 0), so a pixel within the
    /// cut-off is within that many pixels of the click in both x and y, and so is every pixel on its
    /// shortest path: the search runs on that window alone and gives the distances of a search over
    /// the whole crop.
    func distances(cx: Int, cy: Int) -> Distances {
        let w = features.width, h = features.height
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
        return Distances(window: win, distances: dist)
    }

    /// Adds the corrective clicks' geodesic soft priors to `prior` (positive = object): each pixel
    /// within `clickPriorRadius` geodesic pixels of a click takes the prior of its nearest click,
    /// `±clickPrior · (1 - d / radius)`.
    ///
    /// - Parameter memo: distances of clicks already searched on this crop, keyed by pixel index;
    ///   receives the new ones.
    /// - Returns: per pixel, +1 / -1 where the nearest click is positive / negative and closer than
    ///   `clickRegionFraction · radius` (the region the click vouches for), else 0.
    func add(clicks: [Click], to prior: inout [Float], memo: inout [Int: Distances]) -> [Int8] {
        let w = features.width, h = features.height, n = w * h
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
            let d: Distances
            if let known = memo[key] {
                d = known
            } else {
                d = distances(cx: cx, cy: cy)
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
}
