/// Shortest paths on an 8-connected pixel grid with per-pixel costs (Dijkstra with a binary heap).
///
/// The length of a step between 8-neighbours `p` and `q` is `(cost[p] + cost[q]) / 2 × |pq|`
/// (|pq| = 1 or √2 pixels). Used for geodesic distances from clicks and for the cheapest paths along
/// image edges between consecutive extreme points. Deterministic: ties in the heap are broken by
/// pixel index. Buffers are reused between runs; not thread-safe (one instance per thread).
public final class GridDijkstra {
    private var heapKey: [Float] = []
    private var heapNode: [Int32] = []
    private var done: [UInt8] = []

    /// Creates a solver; buffers grow on demand.
    public init() {}

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
        precondition(cost.count >= n && distances.count >= n)
        if done.count < n { done = [UInt8](repeating: 0, count: n) }
        for i in 0..<n { distances[i] = .infinity }
        if let predecessors { for i in 0..<n { predecessors[i] = -1 } }
        heapKey.removeAll(keepingCapacity: true)
        heapNode.removeAll(keepingCapacity: true)
        let diag: Float = 1.41421356
        done.withUnsafeMutableBufferPointer { done in
            for i in 0..<n { done[i] = 0 }
            for s in seeds where s >= 0 && s < n && distances[s] != 0 {
                distances[s] = 0
                push(0, Int32(s))
            }
            while !heapKey.isEmpty {
                let (d, node) = pop()
                let u = Int(node)
                if done[u] != 0 || d > distances[u] { continue }
                done[u] = 1
                if u == target { break }
                let ux = u % width, uy = u / width
                let cu = cost[u]
                for dy in -1...1 {
                    let vy = uy + dy
                    if vy < 0 || vy >= height { continue }
                    for dx in -1...1 {
                        if dx == 0 && dy == 0 { continue }
                        let vx = ux + dx
                        if vx < 0 || vx >= width { continue }
                        let v = vy * width + vx
                        if done[v] != 0 { continue }
                        if let allowed, allowed[v] == 0 { continue }
                        let step = (cu + cost[v]) * 0.5 * (dx != 0 && dy != 0 ? diag : 1)
                        let nd = d + step
                        if nd < distances[v] && nd <= maxDistance {
                            distances[v] = nd
                            predecessors?[v] = Int32(truncatingIfNeeded: u)
                            push(nd, Int32(truncatingIfNeeded: v))
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        heapKey[a] < heapKey[b] || (heapKey[a] == heapKey[b] && heapNode[a] < heapNode[b])
    }

    private func push(_ key: Float, _ node: Int32) {
        heapKey.append(key)
        heapNode.append(node)
        var i = heapKey.count - 1
        while i > 0 {
            let p = (i - 1) >> 1
            if less(i, p) {
                heapKey.swapAt(i, p); heapNode.swapAt(i, p); i = p
            } else { break }
        }
    }

    private func pop() -> (Float, Int32) {
        let top = (heapKey[0], heapNode[0])
        let last = heapKey.count - 1
        heapKey.swapAt(0, last); heapNode.swapAt(0, last)
        heapKey.removeLast(); heapNode.removeLast()
        var i = 0
        let n = heapKey.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && less(l, m) { m = l }
            if r < n && less(r, m) { m = r }
            if m == i { break }
            heapKey.swapAt(i, m); heapNode.swapAt(i, m); i = m
        }
        return top
    }
}
