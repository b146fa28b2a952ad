import FewClickCore
import PixelKernels
import Testing

/// FewClickCore's seeded generator, so every test graph and image is reproducible.
extension SplitMix64 {
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

/// Edmonds–Karp on a dense capacity matrix: the reference the grid solver is checked against.
func referenceMaxFlow(capacity: [[Int64]], source: Int, sink: Int) -> Int64 {
    let n = capacity.count
    var residual = capacity
    var flow: Int64 = 0
    while true {
        var prev = [Int](repeating: -1, count: n)
        prev[source] = source
        var queue = [source]
        var head = 0
        while head < queue.count && prev[sink] < 0 {
            let u = queue[head]
            head += 1
            for v in 0..<n where prev[v] < 0 && residual[u][v] > 0 {
                prev[v] = u
                queue.append(v)
            }
        }
        if prev[sink] < 0 { return flow }
        var bottleneck = Int64.max
        var v = sink
        while v != source { bottleneck = min(bottleneck, residual[prev[v]][v]); v = prev[v] }
        v = sink
        while v != source {
            residual[prev[v]][v] -= bottleneck
            residual[v][prev[v]] += bottleneck
            v = prev[v]
        }
        flow += bottleneck
    }
}

struct GridProblem {
    var width: Int
    var height: Int
    var terminal: [Int32]
    var edges: [Int32]

    static func random(width: Int, height: Int, rng: inout SplitMix64, maxEdge: Int, maxTerminal: Int) -> GridProblem {
        let n = width * height
        var terminal = [Int32](repeating: 0, count: n)
        var edges = [Int32](repeating: 0, count: n * 8)
        for i in 0..<n {
            terminal[i] = Int32(rng.int(-maxTerminal...maxTerminal))
            for d in 0..<8 { edges[i * 8 + d] = Int32(rng.int(0...maxEdge)) }
        }
        return GridProblem(width: width, height: height, terminal: terminal, edges: edges)
    }

    /// Dense matrix form: nodes 0..<n are pixels, n the source, n + 1 the sink.
    var matrix: [[Int64]] {
        let n = width * height
        var m = [[Int64]](repeating: [Int64](repeating: 0, count: n + 2), count: n + 2)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                if terminal[i] > 0 { m[n][i] += Int64(terminal[i]) }
                if terminal[i] < 0 { m[i][n + 1] += Int64(-terminal[i]) }
                for (d, o) in GridMaxFlow.directions.enumerated() {
                    let nx = x + o.dx, ny = y + o.dy
                    guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                    m[i][ny * width + nx] += Int64(edges[i * 8 + d])
                }
            }
        }
        return m
    }

    /// Capacity of the cut that puts pixels with label 1 on the source side.
    func cutValue(labels: [UInt8]) -> Int64 {
        let m = matrix
        let n = width * height
        func side(_ v: Int) -> Bool { v == n ? true : (v == n + 1 ? false : labels[v] != 0) }
        var total: Int64 = 0
        for u in 0..<(n + 2) where side(u) {
            for v in 0..<(n + 2) where !side(v) { total += m[u][v] }
        }
        return total
    }

    func solve(with solver: GridMaxFlow) -> (flow: Int64, labels: [UInt8]) {
        var labels = [UInt8](repeating: 0, count: width * height)
        let flow = terminal.withUnsafeBufferPointer { t in
            edges.withUnsafeBufferPointer { e in
                labels.withUnsafeMutableBufferPointer { l in
                    solver.solve(width: width, height: height, terminal: t, edges: e, labels: l)
                }
            }
        }
        return (flow, labels)
    }
}

@Suite("Grid max-flow")
struct MaxFlowTests {
    @Test("equals Edmonds–Karp on random small grids, and its cut is minimal")
    func matchesReference() {
        var rng = SplitMix64(seed: 42)
        let solver = GridMaxFlow()
        for trial in 0..<300 {
            let w = rng.int(1...7), h = rng.int(1...7)
            let problem = GridProblem.random(
                width: w, height: h, rng: &rng, maxEdge: trial % 3 == 0 ? 3 : 20, maxTerminal: trial % 2 == 0 ? 5 : 40)
            let expected = referenceMaxFlow(capacity: problem.matrix, source: w * h, sink: w * h + 1)
            let (flow, labels) = problem.solve(with: solver)
            #expect(flow == expected, "trial \(trial) \(w)x\(h)")
            #expect(problem.cutValue(labels: labels) == expected, "trial \(trial): cut is not minimal")
        }
    }

    @Test("sparse terminals and zero edges: long augmenting paths and disconnected parts")
    func sparseGraphs() {
        var rng = SplitMix64(seed: 7)
        let solver = GridMaxFlow()
        for trial in 0..<100 {
            let w = rng.int(2...9), h = rng.int(2...9)
            var problem = GridProblem.random(width: w, height: h, rng: &rng, maxEdge: 9, maxTerminal: 30)
            for i in 0..<(w * h) where rng.int(0...9) < 8 { problem.terminal[i] = 0 }
            for i in 0..<(w * h * 8) where rng.int(0...3) == 0 { problem.edges[i] = 0 }
            let expected = referenceMaxFlow(capacity: problem.matrix, source: w * h, sink: w * h + 1)
            let (flow, labels) = problem.solve(with: solver)
            #expect(flow == expected, "trial \(trial)")
            #expect(problem.cutValue(labels: labels) == expected, "trial \(trial): cut is not minimal")
        }
    }

    @Test("reuses buffers across sizes: a large solve then a small one gives the reference answer")
    func reuseAcrossSizes() {
        var rng = SplitMix64(seed: 99)
        let solver = GridMaxFlow()
        let big = GridProblem.random(width: 40, height: 30, rng: &rng, maxEdge: 50, maxTerminal: 60)
        let first = big.solve(with: solver)
        #expect(big.cutValue(labels: first.labels) == first.flow)
        let small = GridProblem.random(width: 5, height: 4, rng: &rng, maxEdge: 10, maxTerminal: 10)
        let expected = referenceMaxFlow(capacity: small.matrix, source: 20, sink: 21)
        #expect(small.solve(with: solver).flow == expected)
        // Same input twice: same answer, same labels.
        let again = big.solve(with: solver)
        #expect(again.flow == first.flow && again.labels == first.labels)
    }

    @Test("two-region image: the cut follows the weak edge")
    func cutsAlongWeakEdge() {
        // Left half pulled to the source, right half to the sink, strong edges inside each half and
        // weak ones across the middle column boundary.
        let w = 20, h = 10
        var terminal = [Int32](repeating: 0, count: w * h)
        var edges = [Int32](repeating: 100, count: w * h * 8)
        for y in 0..<h {
            terminal[y * w] = 1000
            terminal[y * w + w - 1] = -1000
            for x in 0..<w {
                for (d, o) in GridMaxFlow.directions.enumerated() {
                    let nx = x + o.dx
                    if (x < 10) != (nx < 10) { edges[(y * w + x) * 8 + d] = 1 }
                }
            }
        }
        let problem = GridProblem(width: w, height: h, terminal: terminal, edges: edges)
        let (flow, labels) = problem.solve(with: GridMaxFlow())
        for y in 0..<h {
            for x in 0..<w { #expect(labels[y * w + x] == (x < 10 ? 1 : 0)) }
        }
        #expect(flow == problem.cutValue(labels: labels))
    }
}

@Suite("Grid max-flow, warm re-solve")
struct MaxFlowResolveTests {
    @Test("resolve after terminal changes gives the labels of a fresh solve and a minimum cut")
    func resolveMatchesFreshSolve() {
        var rng = SplitMix64(seed: 2024)
        let warm = GridMaxFlow(), fresh = GridMaxFlow()
        for trial in 0..<150 {
            let w = rng.int(1...8), h = rng.int(1...8)
            var problem = GridProblem.random(width: w, height: h, rng: &rng, maxEdge: 15, maxTerminal: 30)
            _ = problem.solve(with: warm)
            // Change some terminal capacities, as colour-model refits do, several times in a row.
            for round in 0..<3 {
                var change = [Int32](repeating: 0, count: w * h)
                for i in 0..<(w * h) where rng.int(0...2) == 0 {
                    change[i] = Int32(rng.int(-25...25))
                    problem.terminal[i] += change[i]
                }
                var labels = [UInt8](repeating: 0, count: w * h)
                change.withUnsafeBufferPointer { c in
                    labels.withUnsafeMutableBufferPointer { l in warm.resolve(terminalChange: c, labels: l) }
                }
                let expected = referenceMaxFlow(capacity: problem.matrix, source: w * h, sink: w * h + 1)
                let (_, freshLabels) = problem.solve(with: fresh)
                #expect(labels == freshLabels, "trial \(trial) round \(round)")
                #expect(problem.cutValue(labels: labels) == expected, "trial \(trial) round \(round): cut is not minimal")
            }
        }
    }
}
