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
    /// The search's buffers, sized for the largest padded grid solved so far.
    private let buffers = Buffers()

    /// Timestamp and distance-to-terminal of the distance heuristic, side by side (one cache line).
    struct Mark {
        var ts: Int32
        var dist: Int32
    }

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
        let tr = buffers.tr
        for y in 0..<height {
            let src = y * width, dst = (y + 1) * pw + 1
            for x in 0..<width { tr[dst + x] &+= terminalChange[src + x] }
        }
        _ = run()
        extractLabels(labels)
    }

    // MARK: - Setup

    private func prepare(width: Int, height: Int) {
        let pw = width + 2, ph = height + 2
        self.width = width
        self.height = height
        self.pw = pw
        self.ph = ph
        for d in 0..<8 {
            let o = GridMaxFlow.directions[d]
            buffers.offsets[d] = o.dy * pw + o.dx
        }
        buffers.reserve(nodes: pw * ph)
    }

    private func loadGraph(terminal: UnsafeBufferPointer<Int32>, edges: UnsafeBufferPointer<Int32>) {
        let width = self.width, height = self.height, pw = self.pw
        let pn = pw * ph
        let cap = buffers.cap, tr = buffers.tr
        // Clear the padded region (borders must read as zero capacity, and stale values from an
        // earlier, larger problem must not leak in).
        cap.update(repeating: 0, count: pn * 8)
        tr.update(repeating: 0, count: pn)
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
    }

    // MARK: - Boykov–Kolmogorov

    private func run() -> Int64 {
        var search = Search(buffers, nodes: pw * ph)
        return search.run()
    }

    private func extractLabels(_ labels: UnsafeMutableBufferPointer<UInt8>) {
        let width = self.width, height = self.height, pw = self.pw
        let link = buffers.link
        for y in 0..<height {
            let src = (y + 1) * pw + 1
            let dst = y * width
            for x in 0..<width {
                let l = link[src + x]
                labels[dst + x] = (l != Link.free && l & Link.sinkBit == 0) ? 1 : 0
            }
        }
    }
}

// MARK: - Buffers

extension GridMaxFlow {
    /// Tree membership and parent link in one byte: the low 4 bits are 0…7 (direction to the
    /// parent), `terminal` or `orphan`, and `sinkBit` is set for the sink tree; `free` (in no tree)
    /// is a value of its own. One load answers both "which tree" and "which parent".
    enum Link {
        static let terminal: UInt8 = 8
        static let orphan: UInt8 = 9
        static let free: UInt8 = 0x0A
        static let sinkBit: UInt8 = 0x10
        static let parentMask: UInt8 = 0x0F
    }

    /// The solver's flat buffers over the padded grid, grown (never shrunk) to the largest grid
    /// solved; owned by one solver and freed with it.
    final class Buffers {
        /// Node capacity of the buffers below.
        private(set) var nodes = 0
        /// The index offset of each neighbour direction 0…7 on the padded grid.
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        /// Residual capacity of the edge from node i in direction d, at i * 8 + d.
        private(set) var cap = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        /// Residual terminal capacity: > 0 from the source, < 0 to the sink.
        private(set) var tr = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        /// Each node's `Link` byte.
        private(set) var link = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        private(set) var mark = UnsafeMutablePointer<Mark>.allocate(capacity: 1)
        /// 1 while a node is in the active queue.
        private(set) var inQueue = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        /// Slots of the active queue and of the orphan queue (each node at most once in each).
        private(set) var queue = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        private(set) var orphans = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

        init() { offsets.initialize(repeating: 0, count: 8) }

        deinit {
            offsets.deallocate()
            release()
        }

        /// Makes room for `count` nodes (contents are set by each solve before they are read).
        func reserve(nodes count: Int) {
            guard count > nodes else { return }
            release()
            cap = .allocate(capacity: count * 8)
            cap.initialize(repeating: 0, count: count * 8)
            tr = Self.zeroed(count)
            link = Self.zeroed(count)
            mark = .allocate(capacity: count)
            mark.initialize(repeating: Mark(ts: 0, dist: 0), count: count)
            inQueue = Self.zeroed(count)
            queue = Self.zeroed(count)
            orphans = Self.zeroed(count)
            nodes = count
        }

        private static func zeroed<T: FixedWidthInteger>(_ count: Int) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            return p
        }

        private func release() {
            cap.deallocate()
            tr.deallocate()
            link.deallocate()
            mark.deallocate()
            inQueue.deallocate()
            queue.deallocate()
            orphans.deallocate()
        }
    }

    /// A first-in first-out ring of node indices with room for every node once.
    struct NodeRing {
        let slots: UnsafeMutablePointer<Int32>
        let capacity: Int
        private var head = 0
        private(set) var count = 0

        init(slots: UnsafeMutablePointer<Int32>, capacity: Int) {
            self.slots = slots
            self.capacity = capacity
        }

        @inline(__always) mutating func push(_ i: Int) {
            var t = head &+ count
            if t >= capacity { t &-= capacity }
            slots[t] = Int32(truncatingIfNeeded: i)
            count &+= 1
        }

        @inline(__always) mutating func pop() -> Int? {
            guard count > 0 else { return nil }
            let i = Int(slots[head])
            head &+= 1
            if head == capacity { head = 0 }
            count &-= 1
            return i
        }
    }

    /// An edge from a node of the source tree to a node of the sink tree: a source-to-sink path.
    struct Bridge {
        /// The source-tree node, the sink-tree node, and the direction from `a` to `b`.
        var a: Int, b: Int, direction: Int
    }
}

// MARK: - Search

extension GridMaxFlow {
    /// One Boykov–Kolmogorov search over the solver's buffers: grow the two trees from the active
    /// nodes until they meet, augment along the path found, re-attach the orphans it leaves, repeat
    /// until no active node is left. Every step is `@inline(__always)`: the loop compiles to the one
    /// function it was written as, over pointers held in registers.
    struct Search {
        let cap: UnsafeMutablePointer<Int32>
        let tr: UnsafeMutablePointer<Int32>
        let link: UnsafeMutablePointer<UInt8>
        let mark: UnsafeMutablePointer<Mark>
        let inQueue: UnsafeMutablePointer<UInt8>
        /// Neighbour offsets in a small buffer: `off(d)` is one load (a `switch` over a tuple
        /// compiles to an indirect jump, which the branch predictor cannot follow).
        let offsets: UnsafeMutablePointer<Int>
        let nodes: Int
        /// Active nodes; each is in it at most once (`inQueue` flag).
        var active: NodeRing
        /// Orphans waiting for adoption. A node is listed at most once at a time (it is listed when
        /// its parent link becomes `orphan`, and leaves the list before it can become an orphan
        /// again), so `nodes` slots always suffice.
        var orphans: NodeRing
        var time: Int32 = 0
        var flow: Int64 = 0

        init(_ buffers: Buffers, nodes: Int) {
            cap = buffers.cap
            tr = buffers.tr
            link = buffers.link
            mark = buffers.mark
            inQueue = buffers.inQueue
            offsets = buffers.offsets
            self.nodes = nodes
            active = NodeRing(slots: buffers.queue, capacity: nodes)
            orphans = NodeRing(slots: buffers.orphans, capacity: nodes)
        }

        @inline(__always) func off(_ d: Int) -> Int { offsets[d] }

        /// Runs the search to the end; returns the flow it pushed.
        mutating func run() -> Int64 {
            saturateTwoEdgePaths()
            plantTrees()
            var current = -1
            while let i = nextActive(current) {
                let bridge = link[i] & Link.sinkBit == 0 ? grow(from: i, tree: 0) : grow(from: i, tree: Link.sinkBit)
                time &+= 1
                guard let bridge else {
                    current = -1
                    continue
                }
                current = i
                augment(bridge)
                adoptOrphans()
            }
            return flow
        }

        // MARK: Start

        /// Saturates the two-edge paths source → i → j → sink first: a cheap pass that finds most of
        /// the flow of a vision problem (strong opposite terminals side by side), so the trees have
        /// far less to search. Plain augmentations: the result stays exact.
        @inline(__always) mutating func saturateTwoEdgePaths() {
            for i in 0..<nodes where tr[i] > 0 {
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
        }

        /// Roots every node with terminal capacity left in its tree, active; the rest are free.
        @inline(__always) mutating func plantTrees() {
            for i in 0..<nodes {
                mark[i] = Mark(ts: 0, dist: 1)
                inQueue[i] = 0
                let t = tr[i]
                if t > 0 {
                    link[i] = Link.terminal; activate(i)
                } else if t < 0 {
                    link[i] = Link.terminal | Link.sinkBit; activate(i)
                } else {
                    link[i] = Link.free
                }
            }
        }

        // MARK: Growth

        @inline(__always) mutating func activate(_ i: Int) {
            if inQueue[i] == 0 {
                inQueue[i] = 1
                active.push(i)
            }
        }

        /// The node to grow from: the current one while it is still in a tree, else the next active
        /// node in a tree; nil when none is left.
        @inline(__always) mutating func nextActive(_ current: Int) -> Int? {
            if current >= 0 && link[current] != Link.free { return current }
            while let c = active.pop() {
                inQueue[c] = 0
                if link[c] != Link.free { return c }
            }
            return nil
        }

        /// The residual capacity index of the edge from `parent` to `child` in `tree` (0 or
        /// `sinkBit`), where `parent` is `child`'s neighbour in direction `d`: parent → child in the
        /// source tree, child → parent in the sink tree.
        @inline(__always) func treeEdge(child: Int, parent: Int, direction d: Int, tree: UInt8) -> Int {
            tree == 0 ? parent &* 8 &+ (7 - d) : child &* 8 &+ d
        }

        /// Grows `tree` (0: source, `sinkBit`: sink) from node `i` over its residual edges: free
        /// neighbours join as children of `i`, neighbours of the tree that `i` brings closer to the
        /// terminal are re-parented; returns the first edge found into the other tree.
        @inline(__always) mutating func grow(from i: Int, tree: UInt8) -> Bridge? {
            let mi = mark[i]
            let child = Mark(ts: mi.ts, dist: mi.dist &+ 1)
            for d in 0..<8 {
                let j = i &+ off(d)
                // `i` is j's neighbour in direction 7 - d.
                if cap[treeEdge(child: j, parent: i, direction: 7 - d, tree: tree)] <= 0 { continue }
                let lj = link[j]
                if lj == Link.free {
                    link[j] = UInt8(7 - d) | tree; mark[j] = child
                    activate(j)
                } else if lj & Link.sinkBit != tree {
                    return tree == 0 ? Bridge(a: i, b: j, direction: d) : Bridge(a: j, b: i, direction: 7 - d)
                } else {
                    let mj = mark[j]
                    if mj.ts <= mi.ts && mj.dist > mi.dist {
                        link[j] = UInt8(7 - d) | tree; mark[j] = child
                    }
                }
            }
            return nil
        }

        // MARK: Augmentation

        /// The smallest residual capacity on the tree path from `start` to its terminal, and `limit`.
        @inline(__always) func pathBottleneck(from start: Int, tree: UInt8, limit: Int32) -> Int32 {
            var bottleneck = limit
            var k = start
            while true {
                let p = link[k] & Link.parentMask
                if p == Link.terminal { return min(bottleneck, tree == 0 ? tr[k] : -tr[k]) }
                let pd = Int(p)
                let q = k &+ off(pd)
                bottleneck = min(bottleneck, cap[treeEdge(child: k, parent: q, direction: pd, tree: tree)])
                k = q
            }
        }

        /// Pushes `amount` along the tree path from `start` to its terminal; nodes whose link to the
        /// parent saturates become orphans.
        @inline(__always) mutating func push(_ amount: Int32, from start: Int, tree: UInt8) {
            var k = start
            while true {
                let p = link[k] & Link.parentMask
                if p == Link.terminal {
                    if tree == 0 { tr[k] -= amount } else { tr[k] += amount }
                    if tr[k] == 0 { addOrphan(k) }
                    return
                }
                let pd = Int(p)
                let q = k &+ off(pd)
                let e = treeEdge(child: k, parent: q, direction: pd, tree: tree)
                let r = treeEdge(child: k, parent: q, direction: pd, tree: tree ^ Link.sinkBit)
                cap[e] -= amount
                cap[r] += amount
                if cap[e] == 0 { addOrphan(k) }
                k = q
            }
        }

        /// Augments along source path(a) + (a → b) + sink path(b) by its bottleneck.
        @inline(__always) mutating func augment(_ bridge: Bridge) {
            let (a, b, dir) = (bridge.a, bridge.b, bridge.direction)
            var bottleneck = pathBottleneck(from: a, tree: 0, limit: cap[a &* 8 &+ dir])
            bottleneck = pathBottleneck(from: b, tree: Link.sinkBit, limit: bottleneck)
            cap[a &* 8 &+ dir] -= bottleneck
            cap[b &* 8 &+ (7 - dir)] += bottleneck
            push(bottleneck, from: a, tree: 0)
            push(bottleneck, from: b, tree: Link.sinkBit)
            flow += Int64(bottleneck)
        }

        // MARK: Adoption

        @inline(__always) mutating func addOrphan(_ k: Int) {
            link[k] = (link[k] & Link.sinkBit) | Link.orphan
            orphans.push(k)
        }

        /// Finds each orphan a new parent in its tree, or frees it.
        @inline(__always) mutating func adoptOrphans() {
            while let o = orphans.pop() {
                let tree = link[o] & Link.sinkBit
                if let parent = closestParent(of: o, tree: tree) {
                    link[o] = UInt8(parent.direction) | tree; mark[o] = Mark(ts: time, dist: parent.distance &+ 1)
                } else {
                    release(o, tree: tree)
                }
            }
        }

        /// The neighbour of orphan `o` in `tree` with a residual edge to `o` that is rooted at a
        /// terminal, closest to it; nil when there is none.
        @inline(__always) mutating func closestParent(of o: Int, tree: UInt8) -> (direction: Int, distance: Int32)? {
            var bestDir = -1
            var bestDist = Int32.max
            for d in 0..<8 {
                let j = o &+ off(d)
                let lj = link[j]
                if lj == Link.free || lj & Link.sinkBit != tree { continue }
                // Residual edge parent -> o (source tree) or o -> parent (sink tree).
                if cap[treeEdge(child: o, parent: j, direction: d, tree: tree)] <= 0 { continue }
                guard let steps = distanceToTerminal(from: j) else { continue }
                if steps < bestDist { bestDist = steps; bestDir = d }
                markPath(from: j, distance: steps)
            }
            return bestDir >= 0 ? (bestDir, bestDist) : nil
        }

        /// Is `j` rooted at a terminal? Walks up to the terminal or to a node already measured at
        /// this time, counting the distance; nil when the walk meets an orphan or a free node.
        @inline(__always) mutating func distanceToTerminal(from j: Int) -> Int32? {
            var x = j
            var steps: Int32 = 0
            while true {
                let mx = mark[x]
                if mx.ts == time { return steps &+ mx.dist }
                let px = link[x] & Link.parentMask
                steps &+= 1
                if px == Link.terminal { mark[x] = Mark(ts: time, dist: 1); return steps }
                if px == Link.orphan || link[x] == Link.free { return nil }
                x = x &+ off(Int(px))
            }
        }

        /// Marks the path from `j` up with distances, so later walks stop early.
        @inline(__always) func markPath(from j: Int, distance: Int32) {
            var x = j
            var s = distance
            while mark[x].ts != time {
                mark[x] = Mark(ts: time, dist: s); s &-= 1
                x = x &+ off(Int(link[x] & Link.parentMask))
            }
        }

        /// No valid parent: `o` becomes free; its children become orphans and neighbours that could
        /// grow into it become active.
        @inline(__always) mutating func release(_ o: Int, tree: UInt8) {
            for d in 0..<8 {
                let j = o &+ off(d)
                let lj = link[j]
                if lj == Link.free || lj & Link.sinkBit != tree { continue }
                if cap[treeEdge(child: o, parent: j, direction: d, tree: tree)] > 0 { activate(j) }
                let pj = lj & Link.parentMask
                if pj < Link.terminal && Int(pj) == 7 - d { addOrphan(j) }
            }
            link[o] = Link.free
        }
    }
}
