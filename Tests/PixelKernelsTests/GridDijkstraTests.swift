import FewClickCore
import PixelKernels
import Testing

/// Bellman–Ford style relaxation to a fixed point: the reference for `GridDijkstra`.
func referenceGeodesic(
    width: Int, height: Int, cost: [Float], seeds: [Int], allowed: [UInt8]?
) -> [Float] {
    let n = width * height
    var dist = [Float](repeating: .infinity, count: n)
    for s in seeds { dist[s] = 0 }
    var changed = true
    var rounds = 0
    while changed && rounds <= n {
        changed = false
        rounds += 1
        for v in 0..<n where dist[v] != 0 || !seeds.contains(v) {
            if let allowed, allowed[v] == 0 { continue }
            let vx = v % width, vy = v / width
            for dy in -1...1 {
                for dx in -1...1 where dx != 0 || dy != 0 {
                    let ux = vx + dx, uy = vy + dy
                    guard ux >= 0, ux < width, uy >= 0, uy < height else { continue }
                    let u = uy * width + ux
                    guard dist[u].isFinite else { continue }
                    let step = (cost[u] + cost[v]) * 0.5 * (dx != 0 && dy != 0 ? 1.41421356 : 1)
                    if dist[u] + step < dist[v] { dist[v] = dist[u] + step; changed = true }
                }
            }
        }
    }
    return dist
}

@Suite("Grid geodesic distances")
struct GeodesicTests {
    static func problem(_ rng: inout SplitMix64, width: Int, height: Int) -> (cost: [Float], allowed: [UInt8], seeds: [Int]) {
        let n = width * height
        let cost = (0..<n).map { _ in Float(rng.int(1...400)) / 100 }
        // About a fifth of the pixels are walls.
        let allowed = (0..<n).map { _ in UInt8(rng.int(0...4) == 0 ? 0 : 1) }
        let seeds = (0..<rng.int(1...3)).map { _ in rng.int(0...(n - 1)) }
        return (cost, allowed, seeds)
    }

    func run(
        _ solver: GridDijkstra, width: Int, height: Int, cost: [Float], seeds: [Int], allowed: [UInt8]?,
        maxDistance: Float = .infinity, target: Int? = nil
    ) -> (dist: [Float], pred: [Int32]) {
        let n = width * height
        var dist = [Float](repeating: -1, count: n)
        var pred = [Int32](repeating: -7, count: n)
        cost.withUnsafeBufferPointer { c in
            dist.withUnsafeMutableBufferPointer { d in
                pred.withUnsafeMutableBufferPointer { p in
                    if let allowed {
                        allowed.withUnsafeBufferPointer { a in
                            solver.run(width: width, height: height, cost: c, seeds: seeds, allowed: a,
                                       maxDistance: maxDistance, target: target, distances: d, predecessors: p)
                        }
                    } else {
                        solver.run(width: width, height: height, cost: c, seeds: seeds,
                                   maxDistance: maxDistance, target: target, distances: d, predecessors: p)
                    }
                }
            }
        }
        return (dist, pred)
    }

    @Test("distances equal a relaxation to the fixed point; predecessors form shortest paths to a seed")
    func matchesReference() {
        var rng = SplitMix64(seed: 7)
        let solver = GridDijkstra()
        for trial in 0..<40 {
            let w = rng.int(1...17), h = rng.int(1...13)
            let p = Self.problem(&rng, width: w, height: h)
            let useAllowed = trial % 2 == 0
            let expected = referenceGeodesic(width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: useAllowed ? p.allowed : nil)
            let (dist, pred) = run(solver, width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: useAllowed ? p.allowed : nil)
            for v in 0..<(w * h) {
                if expected[v].isFinite {
                    #expect(abs(dist[v] - expected[v]) <= 1e-4 * max(1, expected[v]), "trial \(trial) pixel \(v)")
                } else {
                    #expect(dist[v] == .infinity, "trial \(trial) pixel \(v) should be unreachable")
                }
                if p.seeds.contains(v) {
                    #expect(dist[v] == 0 && pred[v] == -1)
                } else if dist[v].isFinite {
                    // The predecessor is an 8-neighbour one step shorter.
                    let u = Int(pred[v])
                    #expect(u >= 0 && u < w * h)
                    guard u >= 0 && u < w * h else { continue }
                    let dx = abs(u % w - v % w), dy = abs(u / w - v / w)
                    #expect(max(dx, dy) == 1)
                    let step = (p.cost[u] + p.cost[v]) * 0.5 * (dx != 0 && dy != 0 ? 1.41421356 : 1)
                    #expect(abs(dist[u] + step - dist[v]) <= 1e-4 * max(1, dist[v]))
                } else {
                    #expect(pred[v] == -1)
                }
            }
        }
    }

    @Test("maxDistance leaves farther pixels unreached; a target stops the search with its exact distance")
    func boundsAndTarget() {
        var rng = SplitMix64(seed: 11)
        let solver = GridDijkstra()
        for trial in 0..<20 {
            let w = rng.int(5...30), h = rng.int(5...30)
            let p = Self.problem(&rng, width: w, height: h)
            let full = run(solver, width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: nil).dist
            let finite = full.filter(\.isFinite).sorted()
            let limit = finite[finite.count / 2]
            let bounded = run(solver, width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: nil, maxDistance: limit).dist
            for v in 0..<(w * h) {
                if full[v] <= limit { #expect(bounded[v] == full[v], "trial \(trial)") } else { #expect(bounded[v] == .infinity) }
            }
            let target = rng.int(0...(w * h - 1))
            let (dist, pred) = run(solver, width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: nil, target: target)
            #expect(dist[target] == full[target], "trial \(trial)")
            // The path back from the target reaches a seed.
            var k = target, steps = 0
            while pred[k] >= 0 && steps <= w * h { k = Int(pred[k]); steps += 1 }
            #expect(p.seeds.contains(k))
        }
    }

    @Test("reuses its buffers across grid sizes, and an empty grid is a no-op")
    func reuseAcrossSizes() {
        var rng = SplitMix64(seed: 3)
        let solver = GridDijkstra()
        for (w, h) in [(40, 30), (3, 2), (1, 1), (0, 5), (25, 25)] {
            guard w * h > 0 else {
                run(solver, width: w, height: h, cost: [], seeds: [], allowed: nil).dist.forEach { _ in Issue.record("no pixels") }
                continue
            }
            let p = Self.problem(&rng, width: w, height: h)
            let expected = referenceGeodesic(width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: nil)
            let dist = run(solver, width: w, height: h, cost: p.cost, seeds: p.seeds, allowed: nil).dist
            for v in 0..<(w * h) { #expect(abs(dist[v] - expected[v]) <= 1e-4 * max(1, expected[v])) }
        }
    }
}
