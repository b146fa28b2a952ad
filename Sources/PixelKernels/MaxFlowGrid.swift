/// Exact maximum flow / minimum cut on an 8-connected pixel grid (Boykov–Kolmogorov).
///
/// The graph has one node per pixel of a `width × height` grid, an edge from each pixel to each of
/// its 8 neighbours (capacity per direction, not necessarily symmetric), and an edge from the source
/// and to the sink for each pixel. The solver is the augmenting-path algorithm of Boykov and
/// Kolmogorov ("An experimental comparison of min-cut/max-flow algorithms for energy minimization
/// in vision", PAMI 2004), with the timestamp/distance heuristic of Kolmogorov's `maxflow` v3 for
/// adoption, specialised to the grid: nodes live in flat arrays with a one-pixel padding ring (so a
/// neighbour is `index + offset` with no bounds test), capacities are `Int32` (exact arithmetic,
/// so the answer is deterministic and exactly minimal), and no memory is allocated per node or per
/// augmentation. Buffers are kept between `solve` calls of the same size.
///
/// Neighbour directions are numbered 0…7 in row-major order of the offsets
/// (-1,-1), (0,-1), (1,-1), (-1,0), (1,0), (-1,1), (0,1), (1,1) (dx, dy), so the reverse of
/// direction `d` is `7 - d`.
///
/// Not thread-safe: use one instance per thread.
public final class GridMaxFlow {
    /// Grid width in pixels.
    public private(set) var width: Int = 0
    /// Grid height in pixels.
    public private(set) var height: Int = 0

    /// The (dx, dy) offset of each neighbour direction 0…7; the reverse of direction `d` is `7 - d`.
    public static let directions: [(dx: Int, dy: Int)] = [
        (-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1),
    ]

    // Padded layout: node (x, y) of the grid is at (y + 1) * pw + (x + 1).
    private var pw = 0
    private var ph = 0
    private var offsets: [Int] = Array(repeating: 0, count: 8)
    /// Residual capacity of the edge from node i in direction d, at i * 8 + d.
    private var cap: [Int32] = []
    /// Residual terminal capacity: > 0 from the source, < 0 to the sink.
    private var tr: [Int32] = []
    /// Tree membership and parent link in one byte: the low 4 bits are 0…7 (direction to the
    /// parent), `terminal` or `orphan`, and `sinkBit` is set for the sink tree; `free` (in no tree)
    /// is a value of its own. One load answers both "which tree" and "which parent".
    private var link: [UInt8] = []
    /// Timestamp and distance-to-terminal of the distance heuristic, side by side (one cache line).
    private var mark: [Mark] = []
    private var inQueue: [UInt8] = []
    private var queue: [Int32] = []

    struct Mark {
        var ts: Int32
        var dist: Int32
    }

    private static let terminal: UInt8 = 8
    private static let orphan: UInt8 = 9
    private static let free: UInt8 = 0x0A
    private static let sinkBit: UInt8 = 0x10
    private static let parentMask: UInt8 = 0x0F

    /// Creates an empty solver; buffers are sized on the first `solve`.
    public init() {}

    /// Computes the maximum flow and a minimum cut.
    ///
    /// - Parameters:
    ///   - width: grid width in pixels (≥ 0).
    ///   - height: grid height in pixels (≥ 0).
    ///   - terminal: `width * height` signed terminal capacities, row-major: a value `t > 0` is an
    ///     edge of capacity `t` from the source to the pixel, `t < 0` an edge of capacity `-t` from the
    ///     pixel to the sink. (Any pair of source/sink capacities `s`, `k` reduces to `t = s - k` plus a
    ///     constant `min(s, k)` of flow, which the caller adds if it needs the flow value.)
    ///   - edges: `width * height * 8` non-negative capacities: `edges[i * 8 + d]` is the capacity
    ///     of the edge from pixel `i` to its neighbour in direction `d`; entries pointing outside the
    ///     grid are ignored.
    ///   - labels: receives `width * height` bytes: 1 for pixels on the source side of a minimum cut
    ///     (those reachable from the source in the residual graph), 0 for the sink side.
    /// - Returns: the value of the maximum flow (sum of capacities of the minimum cut, excluding any
    ///   constant the caller folded out of the terminal capacities).
    @discardableResult
    public func solve(
        width: Int, height: Int,
        terminal: UnsafeBufferPointer<Int32>,
        edges: UnsafeBufferPointer<Int32>,
        labels: UnsafeMutableBufferPointer<UInt8>
    ) -> Int64 {
        precondition(width >= 0 && height >= 0)
        let n = width * height
        precondition(terminal.count >= n && edges.count >= n * 8 && labels.count >= n, "max-flow buffer too small")
        if n == 0 { return 0 }
        prepare(width: width, height: height)
        loadGraph(terminal: terminal, edges: edges)
        let flow = run()
        extractLabels(labels)
        return flow
    }

    /// Re-solves after the terminal capacities changed, reusing the flow already found (Kohli and
    /// Torr, "Dynamic graph cuts", 2007): the residual graph of the last `solve` or `resolve` is kept,
    /// each pixel's residual terminal capacity moves by its change (a reparameterisation: the energy
    /// shifts by a constant), and the search continues from there. Much faster than a fresh `solve`
    /// when few capacities change, as between colour-model iterations.
    ///
    /// The labels are exactly those a fresh `solve` of the new problem gives: the source side
    /// reachable in the residual graph of a maximum flow is the same for every maximum flow.
    ///
    /// - Parameters:
    ///   - terminalChange: `width * height` values, row-major, in the units of `solve`'s `terminal`:
    ///     new terminal capacity minus the previous one.
    ///   - labels: receives the labels as in `solve`.
    /// - Precondition: `solve` ran before on a grid of the same size, and the edge capacities are
    ///   unchanged.
    public func resolve(terminalChange: UnsafeBufferPointer<Int32>, labels: UnsafeMutableBufferPointer<UInt8>) {
        let width = self.width, height = self.height, pw = self.pw
        let n = width * height
        precondition(terminalChange.count >= n && labels.count >= n, "max-flow buffer too small")
        if n == 0 { return }
        tr.withUnsafeMutableBufferPointer { tr in
            for y in 0..<height {
                let src = y * width, dst = (y + 1) * pw + 1
                for x in 0..<width { tr[dst + x] &+= terminalChange[src + x] }
            }
        }
        _ = run()
        extractLabels(labels)
    }

    // MARK: - Setup

    private func prepare(width: Int, height: Int) {
        let pw = width + 2, ph = height + 2
        let pn = pw * ph
        self.width = width
        self.height = height
        self.pw = pw
        self.ph = ph
        for d in 0..<8 {
            let o = GridMaxFlow.directions[d]
            offsets[d] = o.dy * pw + o.dx
        }
        if cap.count < pn * 8 {
            cap = [Int32](repeating: 0, count: pn * 8)
        }
        if tr.count < pn {
            tr = [Int32](repeating: 0, count: pn)
            link = [UInt8](repeating: 0, count: pn)
            mark = [Mark](repeating: Mark(ts: 0, dist: 0), count: pn)
            inQueue = [UInt8](repeating: 0, count: pn)
            queue = [Int32](repeating: 0, count: pn)
        }
    }

    private func loadGraph(terminal: UnsafeBufferPointer<Int32>, edges: UnsafeBufferPointer<Int32>) {
        let width = self.width, height = self.height, pw = self.pw, ph = self.ph
        let pn = pw * ph
        cap.withUnsafeMutableBufferPointer { cap in
            tr.withUnsafeMutableBufferPointer { tr in
                // Clear the padded region (borders must read as zero capacity, and stale values from
                // an earlier, larger problem must not leak in).
                for i in 0..<(pn * 8) { cap[i] = 0 }
                for i in 0..<pn { tr[i] = 0 }
                for y in 0..<height {
                    let src = y * width
                    let dst = (y + 1) * pw + 1
                    for x in 0..<width {
                        tr[dst + x] = terminal[src + x]
                    }
                    for x in 0..<width {
                        let s = (src + x) * 8, d = (dst + x) * 8
                        for k in 0..<8 { cap[d + k] = max(0, edges[s + k]) }
                    }
                    // Edges that would leave the grid stay at zero capacity.
                    if y == 0 {
                        for x in 0..<width { let d = (dst + x) * 8; cap[d] = 0; cap[d + 1] = 0; cap[d + 2] = 0 }
                    }
                    if y == height - 1 {
                        for x in 0..<width { let d = (dst + x) * 8; cap[d + 5] = 0; cap[d + 6] = 0; cap[d + 7] = 0 }
                    }
                    let l = dst * 8, r = (dst + width - 1) * 8
                    cap[l] = 0; cap[l + 3] = 0; cap[l + 5] = 0
                    cap[r + 2] = 0; cap[r + 4] = 0; cap[r + 7] = 0
                }
                _ = ph
            }
        }
    }

    // MARK: - Boykov–Kolmogorov

    private func run() -> Int64 {
        let pn = pw * ph
        // Neighbour offsets in a small buffer: `off(d)` is one load (a `switch` over a tuple
        // compiles to an indirect jump, which the branch predictor cannot follow).
        let offsetBuffer = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { offsetBuffer.deallocate() }
        for d in 0..<8 { offsetBuffer[d] = offsets[d] }
        @inline(__always) func off(_ d: Int) -> Int { offsetBuffer[d] }
        var flow: Int64 = 0
        let free = GridMaxFlow.free, terminalLink = GridMaxFlow.terminal, orphanLink = GridMaxFlow.orphan
        let sinkBit = GridMaxFlow.sinkBit, parentMask = GridMaxFlow.parentMask

        return cap.withUnsafeMutableBufferPointer { cap in
            tr.withUnsafeMutableBufferPointer { tr in
            link.withUnsafeMutableBufferPointer { link in
            mark.withUnsafeMutableBufferPointer { mark in
            inQueue.withUnsafeMutableBufferPointer { inQueue in
            queue.withUnsafeMutableBufferPointer { queue in
                // Circular FIFO of active nodes; each node is in it at most once (inQueue flag).
                let qcap = pn
                var qhead = 0, qcount = 0
                @inline(__always) func push(_ i: Int) {
                    if inQueue[i] == 0 {
                        inQueue[i] = 1
                        var t = qhead + qcount
                        if t >= qcap { t -= qcap }
                        queue[t] = Int32(truncatingIfNeeded: i)
                        qcount += 1
                    }
                }

                // Saturate the two-edge paths source → i → j → sink first: a cheap pass that finds
                // most of the flow of a vision problem (strong opposite terminals side by side), so
                // the trees have far less to search. Plain augmentations: the result stays exact.
                for i in 0..<pn where tr[i] > 0 {
                    for d in 0..<8 {
                        let c = cap[i &* 8 &+ d]
                        if c <= 0 { continue }
                        let j = i &+ off(d)
                        let tj = tr[j]
                        if tj >= 0 { continue }
                        let f = min(tr[i], min(-tj, c))
                        tr[i] -= f
                        tr[j] = tj + f
                        cap[i &* 8 &+ d] = c - f
                        cap[j &* 8 &+ (7 - d)] += f
                        flow += Int64(f)
                        if tr[i] == 0 { break }
                    }
                }

                for i in 0..<pn {
                    mark[i] = Mark(ts: 0, dist: 1)
                    inQueue[i] = 0
                    let t = tr[i]
                    if t > 0 {
                        link[i] = terminalLink; push(i)
                    } else if t < 0 {
                        link[i] = terminalLink | sinkBit; push(i)
                    } else {
                        link[i] = free
                    }
                }

                var time: Int32 = 0
                var current = -1
                // Orphans waiting for adoption, first in first out. A node is listed at most once
                // at a time (it is listed when its parent link becomes `orphan`, and leaves the list
                // before it can become an orphan again), so `pn` slots always suffice.
                let orphanBuffer = UnsafeMutablePointer<Int32>.allocate(capacity: pn)
                defer { orphanBuffer.deallocate() }
                var ohead = 0, ocount = 0
                @inline(__always) func addOrphan(_ k: Int) {
                    link[k] = (link[k] & sinkBit) | orphanLink
                    var t = ohead &+ ocount
                    if t >= pn { t &-= pn }
                    orphanBuffer[t] = Int32(truncatingIfNeeded: k)
                    ocount &+= 1
                }

                while true {
                    // Pick an active node: keep the current one while it is still in a tree.
                    var i = current
                    if i >= 0 && link[i] == free { i = -1 }
                    if i < 0 {
                        while qcount > 0 {
                            let c = Int(queue[qhead])
                            qhead += 1
                            if qhead == qcap { qhead = 0 }
                            qcount -= 1
                            inQueue[c] = 0
                            if link[c] != free { i = c; break }
                        }
                        if i < 0 { break }
                    }

                    // Growth: find an edge (a in source tree) -> (b in sink tree).
                    var a = -1, b = -1, dirAB = 0
                    let mi = mark[i]
                    if link[i] & sinkBit == 0 {
                        for d in 0..<8 where cap[i &* 8 &+ d] > 0 {
                            let j = i &+ off(d)
                            let lj = link[j]
                            if lj == free {
                                link[j] = UInt8(7 - d); mark[j] = Mark(ts: mi.ts, dist: mi.dist &+ 1)
                                push(j)
                            } else if lj & sinkBit != 0 {
                                a = i; b = j; dirAB = d; break
                            } else {
                                let mj = mark[j]
                                if mj.ts <= mi.ts && mj.dist > mi.dist {
                                    link[j] = UInt8(7 - d); mark[j] = Mark(ts: mi.ts, dist: mi.dist &+ 1)
                                }
                            }
                        }
                    } else {
                        for d in 0..<8 {
                            let j = i &+ off(d)
                            if cap[j &* 8 &+ (7 - d)] <= 0 { continue }
                            let lj = link[j]
                            if lj == free {
                                link[j] = UInt8(7 - d) | sinkBit; mark[j] = Mark(ts: mi.ts, dist: mi.dist &+ 1)
                                push(j)
                            } else if lj & sinkBit == 0 {
                                a = j; b = i; dirAB = 7 - d; break
                            } else {
                                let mj = mark[j]
                                if mj.ts <= mi.ts && mj.dist > mi.dist {
                                    link[j] = UInt8(7 - d) | sinkBit; mark[j] = Mark(ts: mi.ts, dist: mi.dist &+ 1)
                                }
                            }
                        }
                    }

                    time &+= 1
                    if a < 0 {
                        current = -1
                        continue
                    }
                    current = i

                    // Augment along source-path(a) + (a->b) + sink-path(b).
                    var bottleneck = cap[a &* 8 &+ dirAB]
                    var k = a
                    while true {
                        let p = link[k] & parentMask
                        if p == terminalLink { bottleneck = min(bottleneck, tr[k]); break }
                        let pd = Int(p)
                        let q = k &+ off(pd)
                        bottleneck = min(bottleneck, cap[q &* 8 &+ (7 - pd)])
                        k = q
                    }
                    k = b
                    while true {
                        let p = link[k] & parentMask
                        if p == terminalLink { bottleneck = min(bottleneck, -tr[k]); break }
                        let pd = Int(p)
                        bottleneck = min(bottleneck, cap[k &* 8 &+ pd])
                        k = k &+ off(pd)
                    }

                    cap[a &* 8 &+ dirAB] -= bottleneck
                    cap[b &* 8 &+ (7 - dirAB)] += bottleneck
                    k = a
                    while true {
                        let p = link[k] & parentMask
                        if p == terminalLink {
                            tr[k] -= bottleneck
                            if tr[k] == 0 { addOrphan(k) }
                            break
                        }
                        let pd = Int(p)
                        let q = k &+ off(pd)
                        cap[q &* 8 &+ (7 - pd)] -= bottleneck
                        cap[k &* 8 &+ pd] += bottleneck
                        if cap[q &* 8 &+ (7 - pd)] == 0 { addOrphan(k) }
                        k = q
                    }
                    k = b
                    while true {
                        let p = link[k] & parentMask
                        if p == terminalLink {
                            tr[k] += bottleneck
                            if tr[k] == 0 { addOrphan(k) }
                            break
                        }
                        let pd = Int(p)
                        let q = k &+ off(pd)
                        cap[k &* 8 &+ pd] -= bottleneck
                        cap[q &* 8 &+ (7 - pd)] += bottleneck
                        if cap[k &* 8 &+ pd] == 0 { addOrphan(k) }
                        k = q
                    }
                    flow += Int64(bottleneck)

                    // Adoption.
                    while ocount > 0 {
                        let o = Int(orphanBuffer[ohead])
                        ohead &+= 1
                        if ohead == pn { ohead = 0 }
                        ocount &-= 1
                        let tree = link[o] & sinkBit
                        var bestDir = -1
                        var bestDist = Int32.max
                        for d in 0..<8 {
                            let j = o &+ off(d)
                            let lj = link[j]
                            if lj == free || lj & sinkBit != tree { continue }
                            // Residual edge parent -> o (source tree) or o -> parent (sink tree).
                            let c = tree == 0 ? cap[j &* 8 &+ (7 - d)] : cap[o &* 8 &+ d]
                            if c <= 0 { continue }
                            // Is j rooted at a terminal? Walk up, counting the distance.
                            var x = j
                            var steps: Int32 = 0
                            var valid = true
                            while true {
                                let mx = mark[x]
                                if mx.ts == time { steps &+= mx.dist; break }
                                let px = link[x] & parentMask
                                steps &+= 1
                                if px == terminalLink { mark[x] = Mark(ts: time, dist: 1); break }
                                if px == orphanLink || link[x] == free { valid = false; break }
                                x = x &+ off(Int(px))
                            }
                            if !valid { continue }
                            if steps < bestDist { bestDist = steps; bestDir = d }
                            // Mark the path with distances so later walks stop early.
                            x = j
                            var s = steps
                            while mark[x].ts != time {
                                mark[x] = Mark(ts: time, dist: s); s &-= 1
                                x = x &+ off(Int(link[x] & parentMask))
                            }
                        }
                        if bestDir >= 0 {
                            link[o] = UInt8(bestDir) | tree; mark[o] = Mark(ts: time, dist: bestDist &+ 1)
                        } else {
                            // No valid parent: o becomes free; its children become orphans and
                            // neighbours that could grow into it become active.
                            for d in 0..<8 {
                                let j = o &+ off(d)
                                let lj = link[j]
                                if lj == free || lj & sinkBit != tree { continue }
                                let c = tree == 0 ? cap[j &* 8 &+ (7 - d)] : cap[o &* 8 &+ d]
                                if c > 0 { push(j) }
                                let pj = lj & parentMask
                                if pj < terminalLink && Int(pj) == 7 - d { addOrphan(j) }
                            }
                            link[o] = free
                        }
                    }
                }
                return flow
            }
            }
            }
            }
            }
        }
    }

    private func extractLabels(_ labels: UnsafeMutableBufferPointer<UInt8>) {
        let width = self.width, height = self.height, pw = self.pw
        link.withUnsafeBufferPointer { link in
            for y in 0..<height {
                let src = (y + 1) * pw + 1
                let dst = y * width
                for x in 0..<width {
                    let l = link[src + x]
                    labels[dst + x] = (l != GridMaxFlow.free && l & GridMaxFlow.sinkBit == 0) ? 1 : 0
                }
            }
        }
    }
}
