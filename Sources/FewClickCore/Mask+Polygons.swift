/// One connected part of a mask as polygons: its outer boundary and the boundaries of its holes.
///
/// Coordinates are in pixels on pixel *corners*: pixel (x, y) is the unit square from (x, y) to
/// (x + 1, y + 1), so its centre is (x + 0.5, y + 0.5). Rings are closed implicitly (the last vertex
/// joins the first; the first is not repeated). Outer rings run clockwise as seen on screen (y down),
/// which is a positive signed area in image coordinates; holes run the other way. A ring may touch
/// itself at a vertex (where pixels of the part meet only diagonally), never cross itself, before
/// simplification.
///
/// Filling `outer` minus `holes` (even-odd rule, a pixel is inside when its centre is) gives back the
/// part's pixels exactly; see `Mask(rasterizing:width:height:)`.
public struct MaskPolygon: Sendable, Codable, Equatable, Hashable {
    /// The outer boundary.
    public var outer: [Point]
    /// The boundaries of the holes, each a ring.
    public var holes: [[Point]]

    /// Creates a polygon from its rings.
    public init(outer: [Point], holes: [[Point]] = []) {
        self.outer = outer
        self.holes = holes
    }

    /// The rings as flat coordinate lists, outer ring first then each hole:
    /// `[[x0, y0, x1, y1, …], …]` (COCO's polygon layout, one list per ring).
    public var flatRings: [[Double]] {
        ([outer] + holes).map { ring in
            var flat: [Double] = []
            flat.reserveCapacity(ring.count * 2)
            for p in ring {
                flat.append(p.x)
                flat.append(p.y)
            }
            return flat
        }
    }

    /// Creates a polygon from flat rings (`flatRings`' layout: the outer ring first, then the holes).
    /// Returns nil when there is no ring or a ring has an odd number of values.
    public init?(flatRings: [[Double]]) {
        guard !flatRings.isEmpty else { return nil }
        var rings: [[Point]] = []
        for flat in flatRings {
            guard flat.count % 2 == 0 else { return nil }
            rings.append(stride(from: 0, to: flat.count, by: 2).map { Point(x: flat[$0], y: flat[$0 + 1]) })
        }
        self.init(outer: rings[0], holes: Array(rings.dropFirst()))
    }

    /// Signed area of a ring in square pixels (shoelace formula in image coordinates): positive for
    /// rings running clockwise on screen, as outer rings do here.
    public static func signedArea(_ ring: [Point]) -> Double {
        guard ring.count >= 3 else { return 0 }
        var sum = 0.0
        var prev = ring[ring.count - 1]
        for p in ring {
            sum += prev.x * p.y - p.x * prev.y
            prev = p
        }
        return sum / 2
    }

    /// Number of vertices over all rings.
    public var vertexCount: Int { holes.reduce(outer.count) { $0 + $1.count } }
}

extension Mask {
    /// The boundary of every connected part as polygons with holes, in the row-major order of each
    /// part's first pixel.
    ///
    /// Boundaries are traced along pixel edges, so vertices lie on pixel corners (integer
    /// coordinates). With `connectivity: .eight` (the default, as OpenCV's contours) pixels touching
    /// only at a corner belong to one part, whose outer ring passes through that corner twice; holes
    /// are then the 4-connected background regions enclosed by the part. With `.four` such pixels
    /// are separate parts (and holes are 8-connected). An object inside a hole of another is a part
    /// of its own.
    ///
    /// - Parameters:
    ///   - tolerance: Douglas–Peucker tolerance in pixels. 0 keeps every corner of the pixel boundary
    ///     (only points in the middle of straight runs are left out), which rasterises back to the
    ///     mask exactly. Larger values drop vertices closer than this to the simplified outline;
    ///     a ring that would shrink below 3 vertices is kept unsimplified so small parts never vanish.
    ///   - connectivity: how pixels join into parts.
    public func polygons(tolerance: Double = 0, connectivity: Connectivity = .eight) -> [MaskPolygon] {
        let parts = connectedComponents(connectivity)
        guard parts.count > 0 else { return [] }
        var polygons = [MaskPolygon](repeating: MaskPolygon(outer: []), count: parts.count)
        BoundaryTracer.traceRings(mask: self, labels: parts.labels, connectivity: connectivity) { label, corners in
            var ring = [Point]()
            ring.reserveCapacity(corners.count / 2)
            for i in stride(from: 0, to: corners.count, by: 2) {
                ring.append(Point(x: Double(corners[i]), y: Double(corners[i + 1])))
            }
            if tolerance > 0 { ring = PolylineSimplifier.simplifyRing(ring, tolerance: tolerance) }
            let index = Int(label) - 1
            // The first ring met for a part is its outer ring: its top-left pixel's top edge is the
            // first edge of the part in the raster scan, and that edge faces the unbounded outside.
            if polygons[index].outer.isEmpty {
                polygons[index].outer = ring
            } else {
                polygons[index].holes.append(ring)
            }
        }
        return polygons
    }

    /// Rasterises polygons with holes: a pixel is object when its centre (x + 0.5, y + 0.5) is
    /// inside at least one polygon, "inside" meaning the even-odd rule over that polygon's outer ring
    /// and holes. Coordinates follow `MaskPolygon`'s pixel-corner convention, so
    /// `Mask(rasterizing: m.polygons(tolerance: 0), width: m.width, height: m.height) == m`.
    ///
    /// Non-finite coordinates drop the edge they belong to; anything outside the frame is clipped.
    ///
    /// - Parameters:
    ///   - polygons: the parts (overlapping parts are united).
    ///   - width: mask width in pixels.
    ///   - height: mask height in pixels.
    public init(rasterizing polygons: [MaskPolygon], width: Int, height: Int) {
        var mask = Mask(width: width, height: height)
        guard width > 0, height > 0 else {
            self = mask
            return
        }
        var scratch = PolygonRasterizer.Scratch(height: height)
        mask.bits.withUnsafeMutableBufferPointer { bits in
            for polygon in polygons {
                PolygonRasterizer.fill(polygon, into: bits.baseAddress!, width: width, height: height, scratch: &scratch)
            }
        }
        self = mask
    }
}

/// Traces pixel-edge boundaries of a labelled mask.
enum BoundaryTracer {
    // Directions: 0 east (+x), 1 south (+y), 2 west (-x), 3 north (-y).
    // A vertex (vx, vy) touches four pixels: A = (vx-1, vy-1), B = (vx, vy-1), C = (vx-1, vy),
    // D = (vx, vy); its code is A<<3 | B<<2 | C<<1 | D. Rings keep the object on their right
    // (screen view, y down), so outgoing edges are: east if D && !B, south if C && !D,
    // west if A && !C, north if B && !A.

    /// `table[code * 4 + incoming]` = outgoing direction, or 255 where no boundary passes.
    static func turnTable(_ connectivity: Connectivity) -> [UInt8] {
        var table = [UInt8](repeating: 255, count: 64)
        for code in 0..<16 {
            let a = code & 8 != 0, b = code & 4 != 0, c = code & 2 != 0, d = code & 1 != 0
            var outs: [UInt8] = []
            if d && !b { outs.append(0) }
            if c && !d { outs.append(1) }
            if a && !c { outs.append(2) }
            if b && !a { outs.append(3) }
            for incoming in 0..<4 {
                if outs.count == 1 {
                    table[code * 4 + incoming] = outs[0]
                } else if outs.count == 2 {
                    // Saddle: two diagonal object pixels. Turning left joins them (8-connectivity),
                    // turning right keeps them apart (4-connectivity).
                    let left = UInt8((incoming + 3) % 4), right = UInt8((incoming + 1) % 4)
                    table[code * 4 + incoming] = connectivity == .eight ? left : right
                }
            }
        }
        return table
    }

    /// Calls `body(label, corners)` once per boundary ring, where `corners` is the flat list
    /// `[x0, y0, x1, y1, …]` of the ring's corner vertices (direction changes only) and `label` the
    /// part the ring bounds. Rings come in the raster order of their first east-going edge, so each
    /// part's outer ring comes before its holes.
    static func traceRings(
        mask: Mask, labels: [Int32], connectivity: Connectivity, _ body: (Int32, [Int32]) -> Void
    ) {
        let w = mask.width, h = mask.height
        let pw = w + 2, ph = h + 2
        // Object bits (normalised to 0/1) with a 1-pixel background frame: the pixels around vertex
        // (vx, vy) are then A = padded[vy * pw + vx], B = A + 1, C = A + pw, D = A + pw + 1, with no
        // bounds checks.
        var padded = [UInt8](repeating: 0, count: pw * ph)
        // visited[v] marks the east-going edge leaving vertex v (padded vertex index).
        var visited = [UInt8](repeating: 0, count: pw * ph)
        let table = turnTable(connectivity)
        var corners: [Int32] = []

        mask.bits.withUnsafeBufferPointer { srcBuffer in
            padded.withUnsafeMutableBufferPointer { paddedBuffer in
                visited.withUnsafeMutableBufferPointer { visitedBuffer in
                    table.withUnsafeBufferPointer { tableBuffer in
                        guard let src = srcBuffer.baseAddress else { return }
                        let px = paddedBuffer.baseAddress!, visited = visitedBuffer.baseAddress!
                        let table = tableBuffer.baseAddress!
                        for y in 0..<h {
                            let s = src + y * w, d = px + (y + 1) * pw + 1
                            for x in 0..<w { d[x] = min(s[x], 1) }
                        }
                        // Vertex index steps and coordinate steps for east, south, west, north.
                        let step = (1, pw, -1, -pw)
                        @inline(__always) func move(_ dir: Int) -> (Int, Int32, Int32) {
                            switch dir {
                            case 0: return (step.0, 1, 0)
                            case 1: return (step.1, 0, 1)
                            case 2: return (step.2, -1, 0)
                            default: return (step.3, 0, -1)
                            }
                        }
                        let ones: UInt64 = 0x0101_0101_0101_0101
                        for y in 0..<h {
                            // Pixel (x, y) and the one above it, in the padded layout.
                            let row = px + (y + 1) * pw + 1, above = row - pw
                            var x = 0
                            while x < w {
                                // Skip 8 pixels at a time where none is object with background above.
                                if x + 8 <= w {
                                    let here = UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self)
                                    let up = UnsafeRawPointer(above + x).loadUnaligned(as: UInt64.self)
                                    if here & ~up & ones == 0 {
                                        x += 8
                                        continue
                                    }
                                }
                                let v = y * pw + x
                                defer { x += 1 }
                                // East edge leaving vertex (x, y): pixel (x, y) is object, the one above
                                // is not, and no ring has used the edge yet.
                                guard row[x] != 0, above[x] == 0, visited[v] == 0 else { continue }
                                corners.removeAll(keepingCapacity: true)
                                corners.append(Int32(x))
                                corners.append(Int32(y))
                                visited[v] = 1
                                var vertex = v
                                var vx = Int32(x), vy = Int32(y)
                                var dir = 0
                                while true {
                                    let (dv, dx, dy) = move(dir)
                                    vertex += dv
                                    vx += dx
                                    vy += dy
                                    let a = px + vertex
                                    let code = Int(a[0]) << 3 | Int(a[1]) << 2 | Int(a[pw]) << 1 | Int(a[pw + 1])
                                    let next = Int(table[code &* 4 &+ dir])
                                    if next == 0 {
                                        if visited[vertex] != 0 { break }  // back on the first edge
                                        visited[vertex] = 1
                                    }
                                    if next != dir {
                                        corners.append(vx)
                                        corners.append(vy)
                                        dir = next
                                    }
                                }
                                body(labels[y * w + x], corners)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Douglas–Peucker simplification of closed rings.
enum PolylineSimplifier {
    /// Simplifies a closed ring: vertices within `tolerance` pixels of the simplified outline are
    /// dropped. Returns the ring unchanged when the result would have fewer than 3 vertices.
    static func simplifyRing(_ ring: [Point], tolerance: Double) -> [Point] {
        let n = ring.count
        guard n > 3, tolerance > 0 else { return ring }
        // Anchor the ring at vertex 0 and the vertex farthest from it, then simplify both halves.
        var far = 0
        var farDistance = -1.0
        for i in 1..<n {
            let dx = ring[i].x - ring[0].x, dy = ring[i].y - ring[0].y
            let d = dx * dx + dy * dy
            if d > farDistance {
                farDistance = d
                far = i
            }
        }
        var keep = [Bool](repeating: false, count: n + 1)
        keep[0] = true
        keep[far] = true
        keep[n] = true
        let limit = tolerance * tolerance
        // Index n stands for vertex 0 again (closing the ring).
        func point(_ i: Int) -> Point { ring[i == n ? 0 : i] }
        var stack: [(Int, Int)] = [(0, far), (far, n)]
        while let segment = stack.popLast() {
            let (first, last) = segment
            guard last - first > 1 else { continue }
            let a = point(first), b = point(last)
            var best = -1
            var bestDistance = -1.0
            for i in (first + 1)..<last {
                let d = squaredDistance(point(i), toSegment: a, b)
                if d > bestDistance {
                    bestDistance = d
                    best = i
                }
            }
            if bestDistance > limit {
                keep[best] = true
                stack.append((first, best))
                stack.append((best, last))
            }
        }
        var out: [Point] = []
        for i in 0..<n where keep[i] { out.append(ring[i]) }
        return out.count >= 3 ? out : ring
    }

    /// Squared distance from `p` to the segment `a`–`b`.
    static func squaredDistance(_ p: Point, toSegment a: Point, _ b: Point) -> Double {
        let vx = b.x - a.x, vy = b.y - a.y
        let wx = p.x - a.x, wy = p.y - a.y
        let len2 = vx * vx + vy * vy
        var t = len2 > 0 ? (wx * vx + wy * vy) / len2 : 0
        t = min(1, max(0, t))
        let dx = wx - t * vx, dy = wy - t * vy
        return dx * dx + dy * dy
    }
}

/// Scanline fill of polygons with holes, sampling pixel centres.
enum PolygonRasterizer {
    /// Buffers reused across polygons.
    struct Scratch {
        var rowCounts: [Int32]
        var rowStarts: [Int32]
        var crossings: [Double]
        var rows: [Int32]
        var xs: [Double]

        init(height: Int) {
            rowCounts = [Int32](repeating: 0, count: height + 1)
            rowStarts = [Int32](repeating: 0, count: height + 1)
            crossings = []
            rows = []
            xs = []
        }
    }

    /// ORs the even-odd fill of `polygon` into `bits` (`width * height`, row-major, 0/1).
    static func fill(
        _ polygon: MaskPolygon, into bits: UnsafeMutablePointer<UInt8>, width: Int, height: Int,
        scratch: inout Scratch
    ) {
        scratch.rows.removeAll(keepingCapacity: true)
        scratch.xs.removeAll(keepingCapacity: true)
        let h = Double(height)
        var minRow = height, maxRow = -1
        // 1. Every crossing of an edge with a row's centre line y = r + 0.5, half-open in y so a
        //    vertex on the line counts once.
        func addRing(_ ring: [Point]) {
            guard ring.count >= 2 else { return }
            var prev = ring[ring.count - 1]
            for p in ring {
                defer { prev = p }
                guard p.x.isFinite, p.y.isFinite, prev.x.isFinite, prev.y.isFinite, p.y != prev.y else { continue }
                let (lo, hi) = p.y < prev.y ? (p, prev) : (prev, p)
                // Rows r with lo.y <= r + 0.5 < hi.y.
                let first = max(0, min(h, (lo.y - 0.5).rounded(.up)))
                let end = max(0, min(h, (hi.y - 0.5).rounded(.up)))
                guard first < end else { continue }
                let slope = (hi.x - lo.x) / (hi.y - lo.y)
                minRow = min(minRow, Int(first))
                maxRow = max(maxRow, Int(end) - 1)
                for r in Int(first)..<Int(end) {
                    scratch.rows.append(Int32(r))
                    scratch.xs.append(lo.x + (Double(r) + 0.5 - lo.y) * slope)
                }
            }
        }
        addRing(polygon.outer)
        for hole in polygon.holes { addRing(hole) }
        let n = scratch.rows.count
        guard n > 0 else { return }

        // 2. Bucket the crossings by row (counting sort over the rows the polygon spans), then sort
        //    each row's few crossings.
        let rowRange = minRow...maxRow
        for r in rowRange { scratch.rowCounts[r] = 0 }
        for r in scratch.rows { scratch.rowCounts[Int(r)] += 1 }
        var start: Int32 = 0
        for r in rowRange {
            scratch.rowStarts[r] = start
            start += scratch.rowCounts[r]
        }
        scratch.rowStarts[maxRow + 1] = start
        if scratch.crossings.count < n {
            scratch.crossings = [Double](repeating: 0, count: n)
        }
        for r in rowRange { scratch.rowCounts[r] = scratch.rowStarts[r] }
        for i in 0..<n {
            let r = Int(scratch.rows[i])
            scratch.crossings[Int(scratch.rowCounts[r])] = scratch.xs[i]
            scratch.rowCounts[r] += 1
        }

        // 3. Fill between pairs: pixel x is inside a span [xa, xb) when xa <= x + 0.5 < xb.
        let wd = Double(width)
        let rowStarts = scratch.rowStarts
        scratch.crossings.withUnsafeMutableBufferPointer { crossings in
            for r in rowRange {
                let s = Int(rowStarts[r]), e = Int(rowStarts[r + 1])
                guard e - s >= 2 else { continue }
                var slice = UnsafeMutableBufferPointer(rebasing: crossings[s..<e])
                slice.sort()
                let row = bits + r * width
                var i = 0
                while i + 1 < slice.count {
                    let x0 = Int(max(0, min(wd, (slice[i] - 0.5).rounded(.up))))
                    let x1 = Int(max(0, min(wd, (slice[i + 1] - 0.5).rounded(.up))))
                    if x0 < x1 { (row + x0).update(repeating: 1, count: x1 - x0) }
                    i += 2
                }
            }
        }
    }
}
