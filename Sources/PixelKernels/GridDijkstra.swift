/// Shortest paths on an 8-connected pixel grid with per-pixel costs (Dijkstra with an indexed
/// binary heap).
///
/// The length of a step between 8-neighbours `p` and `q` is `(cost[p] + cost[q]) / 2 × |pq|`
/// (|pq| = 1 or √2 pixels). Used for geodesic distances from clicks and for the cheapest paths along
/// image edges between consecutive extreme points. Deterministic: pixels are settled in the order of
/// (distance, pixel index). The heap holds each open pixel once (decrease-key through a position
/// index), in flat buffers that are reused between runs; not thread-safe (one instance per thread).
public final class GridDijkstra {
    /// Heap entries: distance and pixel, at heap positions 0..<count.
    private var heapKey: UnsafeMutablePointer<Float>
    private var heapNode: UnsafeMutablePointer<Int32>
    /// Per pixel: its heap position, -1 when not in the heap, -2 once settled.
    private var position: UnsafeMutablePointer<Int32>
    private var capacity = 0

    /// Creates a solver; buffers grow on demand.
    public init() {
        heapKey = .allocate(capacity: 1)
        heapNode = .allocate(capacity: 1)
        position = .allocate(capacity: 1)
    }

    deinit {
        heapKey.deallocate()
        heapNode.deallocate()
        position.deallocate()
    }

    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        heapKey.deallocate()
        heapNode.deallocate()
        position.deallocate()
        heapKey = .allocate(capacity: n)
        heapNode = .allocate(capacity: n)
        position = .allocate(capacity: n)
        capacity = n
    }

    /// Computes distances from a set of seed pixels.
    ///
    /// - Parameters:
    ///   - width: grid width in pixels.
    ///   - height: grid height in pixels.
    ///   - cost: `width * height` non-negative per-pixel costs.
    ///   - seeds: row-major indices of the pixels at distance 0.
    ///   - allowed: optional `width * height` bytes; pixels with 0 are never entered (seeds always are).
    ///   - maxDistance: pixels farther than this are left at `.infinity` (bounds the work).
    ///   - target: when given, the search stops as soon as this pixel is settled.
    ///   - distances: receives the distance of every pixel (`.infinity` when not reached).
    ///   - predecessors: when given, receives each reached pixel's predecessor index (-1 for seeds and
    ///     unreached pixels), for path extraction.
    public func run(
        width: Int, height: Int, cost: UnsafeBufferPointer<Float>, seeds: [Int],
        allowed: UnsafeBufferPointer<UInt8>? = nil, maxDistance: Float = .infinity, target: Int? = nil,
        distances: UnsafeMutableBufferPointer<Float>, predecessors: UnsafeMutableBufferPointer<Int32>? = nil
    ) {
        let n = width * height
        precondition(width >= 0 && height >= 0 && cost.count >= n && distances.count >= n)
        precondition(allowed.map { $0.count >= n } ?? true && predecessors.map { $0.count >= n } ?? true)
        if n == 0 { return }
        reserve(n)
        let key = heapKey, node = heapNode, pos = position
        for i in 0..<n { distances[i] = .infinity; pos[i] = -1 }
        if let predecessors { for i in 0..<n { predecessors[i] = -1 } }
        var count = 0

        @inline(__always) func less(_ ka: Float, _ na: Int32, _ kb: Float, _ nb: Int32) -> Bool {
            ka < kb || (ka == kb && na < nb)
        }
        // Moves the entry (k, v) up from heap position i and stores it.
        @inline(__always) func siftUp(_ start: Int, _ k: Float, _ v: Int32) {
            var i = start
            while i > 0 {
                let p = (i &- 1) >> 1
                let pk = key[p], pv = node[p]
                if !less(k, v, pk, pv) { break }
                key[i] = pk; node[i] = pv; pos[Int(pv)] = Int32(truncatingIfNeeded: i)
                i = p
            }
            key[i] = k; node[i] = v; pos[Int(v)] = Int32(truncatingIfNeeded: i)
        }

        for s in seeds where s >= 0 && s < n && pos[s] == -1 {
            distances[s] = 0
            siftUp(count, 0, Int32(truncatingIfNeeded: s))
            count += 1
        }
        let diag: Float = 1.41421356
        let targetIndex = target ?? -1
        while count > 0 {
            // Pop the minimum.
            let u = Int(node[0])
            let d = key[0]
            pos[u] = -2
            count -= 1
            if count > 0 {
                let lk = key[count], lv = node[count]
                var i = 0
                while true {
                    let l = 2 &* i &+ 1
                    if l >= count { break }
                    var m = l
                    let r = l &+ 1
                    if r < count && less(key[r], node[r], key[l], node[l]) { m = r }
                    if !less(key[m], node[m], lk, lv) { break }
                    key[i] = key[m]; node[i] = node[m]; pos[Int(node[i])] = Int32(truncatingIfNeeded: i)
                    i = m
                }
                key[i] = lk; node[i] = lv; pos[Int(lv)] = Int32(truncatingIfNeeded: i)
            }
            if u == targetIndex { break }
            let ux = u % width, uy = u / width
            let cu = cost[u]
            for dy in -1...1 {
                let vy = uy &+ dy
                if vy < 0 || vy >= height { continue }
                for dx in -1...1 {
                    if dx == 0 && dy == 0 { continue }
                    let vx = ux &+ dx
                    if vx < 0 || vx >= width { continue }
                    let v = vy &* width &+ vx
                    let pv = pos[v]
                    if pv == -2 { continue }
                    if let allowed, allowed[v] == 0 { continue }
                    let step = (cu + cost[v]) * 0.5 * (dx != 0 && dy != 0 ? diag : 1)
                    let nd = d + step
                    if nd < distances[v] && nd <= maxDistance {
                        distances[v] = nd
                        predecessors?[v] = Int32(truncatingIfNeeded: u)
                        if pv >= 0 {
                            siftUp(Int(pv), nd, Int32(truncatingIfNeeded: v))
                        } else {
                            siftUp(count, nd, Int32(truncatingIfNeeded: v))
                            count += 1
                        }
                    }
                }
            }
        }
    }
}
