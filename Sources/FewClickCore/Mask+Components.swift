/// Which pixels count as neighbours when splitting a mask into connected parts.
public enum Connectivity: Int, Sendable, Codable, CaseIterable {
    /// Pixels sharing an edge (left, right, up, down).
    case four = 4
    /// Pixels sharing an edge or a corner (the 4 above plus the diagonals).
    case eight = 8
}

/// The connected parts of a mask: a label per pixel, 0 for background and 1…`count` for the parts,
/// numbered in the row-major order of each part's first pixel.
public struct ComponentLabels: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// The connectivity the parts were found with.
    public let connectivity: Connectivity
    /// Number of parts.
    public let count: Int
    /// `width * height` labels, row-major: pixel (x, y) is at `y * width + x`.
    public let labels: [Int32]

    /// Creates labels from parts already computed (used by `Mask.connectedComponents`).
    init(width: Int, height: Int, connectivity: Connectivity, count: Int, labels: [Int32]) {
        self.width = width
        self.height = height
        self.connectivity = connectivity
        self.count = count
        self.labels = labels
    }

    /// The label of pixel (x, y): 0 for background, 1…`count` for a part.
    @inlinable public subscript(x: Int, y: Int) -> Int { Int(labels[y * width + x]) }

    /// Pixel count of each part: element `i` is the area of label `i + 1`.
    public func areas() -> [Int] {
        var areas = [Int](repeating: 0, count: count)
        for l in labels where l != 0 { areas[Int(l) - 1] += 1 }
        return areas
    }

    /// Tight bounding box of each part: element `i` is the box of label `i + 1`.
    public func boundingBoxes() -> [PixelBox] {
        var boxes = [PixelBox](repeating: PixelBox(x0: Int.max, y0: Int.max, x1: Int.min, y1: Int.min), count: count)
        for y in 0..<height {
            let row = y * width
            for x in 0..<width {
                let l = Int(labels[row + x])
                if l == 0 { continue }
                boxes[l - 1].x0 = min(boxes[l - 1].x0, x)
                boxes[l - 1].x1 = max(boxes[l - 1].x1, x + 1)
                boxes[l - 1].y0 = min(boxes[l - 1].y0, y)
                boxes[l - 1].y1 = y + 1
            }
        }
        return boxes
    }

    /// A mask of the parts whose labels are in `selected` (labels outside 1…`count` are ignored).
    public func mask<S: Sequence>(of selected: S) -> Mask where S.Element == Int {
        var keep = [Bool](repeating: false, count: count + 1)
        for l in selected where l >= 1 && l <= count { keep[l] = true }
        return Mask(width: width, height: height, bits: labels.map { keep[Int($0)] ? 1 : 0 })
    }

    /// A mask of the part with label `label`.
    public func mask(of label: Int) -> Mask { mask(of: CollectionOfOne(label)) }
}

extension Mask {
    /// Labels the connected parts of the object pixels (two-pass union-find, linear time).
    ///
    /// - Parameter connectivity: which neighbours join pixels into one part (default `.eight`).
    public func connectedComponents(_ connectivity: Connectivity = .eight) -> ComponentLabels {
        let w = width, h = height
        var labels = [Int32](repeating: 0, count: w * h)
        guard w > 0, h > 0 else {
            return ComponentLabels(width: w, height: h, connectivity: connectivity, count: 0, labels: labels)
        }
        // Run-based labelling: find the runs of object pixels row by row, join each run to the runs
        // it touches in the row above (union-find over run labels), then paint the final labels.
        let runs = ObjectRuns(self)
        // Runs in rows y-1 and y touch when they overlap, or (8-connectivity) meet at a corner.
        let reach = connectivity == .eight ? 1 : 0
        let runCount = runs.start.count
        var parent = [Int32](repeating: 0, count: runCount + 1)
        var runLabel = [Int32](repeating: 0, count: runCount)
        var count: Int32 = 0
        parent.withUnsafeMutableBufferPointer { parentBuffer in
            let parent = parentBuffer.baseAddress!
            var next: Int32 = 1

            @inline(__always) func find(_ label: Int32) -> Int32 {
                var root = label
                while parent[Int(root)] != root { root = parent[Int(root)] }
                var l = label
                while parent[Int(l)] != root {
                    let up = parent[Int(l)]
                    parent[Int(l)] = root
                    l = up
                }
                return root
            }

            // Each run gets a provisional label; a set's root is its smallest label.
            for y in 0..<h {
                var above = y > 0 ? Int(runs.rowStart[y - 1]) : 0
                let aboveEnd = y > 0 ? Int(runs.rowStart[y]) : 0
                for r in Int(runs.rowStart[y])..<Int(runs.rowStart[y + 1]) {
                    let s = Int(runs.start[r]), e = Int(runs.end[r])
                    // Skip runs above that end before this one can touch them.
                    while above < aboveEnd && Int(runs.end[above]) + reach <= s { above += 1 }
                    var label: Int32 = 0
                    var k = above
                    while k < aboveEnd && Int(runs.start[k]) < e + reach {
                        let other = find(runLabel[k])
                        if label == 0 {
                            label = other
                        } else if other != label {
                            if other < label {
                                parent[Int(label)] = other
                                label = other
                            } else {
                                parent[Int(other)] = label
                            }
                        }
                        k += 1
                    }
                    if label == 0 {
                        label = next
                        parent[Int(label)] = label
                        next += 1
                    }
                    runLabel[r] = label
                }
            }

            // Final labels: roots in increasing provisional order, which is the row-major order of
            // each part's first pixel (a part's first run always opens a new label). Union by the
            // smaller root and path compression keep parent[l] <= l, so when l is reached
            // parent[parent[l]] already holds the final label of l's set.
            for l in 1..<Int(next) {
                let p = parent[l]
                if p == Int32(l) {
                    count += 1
                    parent[l] = count
                } else {
                    parent[l] = parent[Int(p)]
                }
            }
        }
        labels.withUnsafeMutableBufferPointer { labels in
            for y in 0..<h {
                let row = labels.baseAddress! + y * w
                for r in Int(runs.rowStart[y])..<Int(runs.rowStart[y + 1]) {
                    let s = Int(runs.start[r]), e = Int(runs.end[r])
                    (row + s).update(repeating: parent[Int(runLabel[r])], count: e - s)
                }
            }
        }
        return ComponentLabels(width: w, height: h, connectivity: connectivity, count: Int(count), labels: labels)
    }

    /// Only the parts that contain at least one of `pixels` (pixels outside the mask or on background
    /// are ignored). Used to drop islands not connected to any foreground seed.
    ///
    /// - Parameters:
    ///   - pixels: seed pixels as (column, row).
    ///   - connectivity: which neighbours join pixels into one part (default `.eight`).
    public func keepingComponents(
        containing pixels: [(x: Int, y: Int)], connectivity: Connectivity = .eight
    ) -> Mask {
        let parts = connectedComponents(connectivity)
        var selected: [Int] = []
        for p in pixels where p.x >= 0 && p.x < width && p.y >= 0 && p.y < height {
            let l = parts[p.x, p.y]
            if l != 0 { selected.append(l) }
        }
        return parts.mask(of: selected)
    }

    /// The largest part (ties: the first in row-major order); an empty mask stays empty.
    public func largestComponent(connectivity: Connectivity = .eight) -> Mask {
        let parts = connectedComponents(connectivity)
        let areas = parts.areas()
        guard let best = areas.indices.max(by: { areas[$0] < areas[$1] || (areas[$0] == areas[$1] && $0 > $1) }) else {
            return self
        }
        return parts.mask(of: best + 1)
    }

    /// The pixels of this mask inside `box`, as a mask of the box's size (the box is clipped to the
    /// mask first; an empty intersection gives a 0×0 mask).
    public func cropped(to box: PixelBox) -> Mask {
        let b = box.clipped(width: width, height: height)
        guard !b.isEmpty else { return Mask(width: 0, height: 0) }
        var out = Mask(width: b.width, height: b.height)
        bits.withUnsafeBufferPointer { src in
            out.bits.withUnsafeMutableBufferPointer { dst in
                for y in b.y0..<b.y1 {
                    (dst.baseAddress! + (y - b.y0) * b.width).update(from: src.baseAddress! + y * width + b.x0, count: b.width)
                }
            }
        }
        return out
    }

    /// This mask placed into a frame of `width × height` pixels with its top-left corner at
    /// (`x`, `y`); the rest is background. Pixels falling outside the frame are dropped.
    public func placed(atX x: Int, y: Int, inWidth width: Int, height: Int) -> Mask {
        var out = Mask(width: max(0, width), height: max(0, height))
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + self.width), y1 = min(height, y + self.height)
        guard x0 < x1, y0 < y1 else { return out }
        bits.withUnsafeBufferPointer { src in
            out.bits.withUnsafeMutableBufferPointer { dst in
                for yy in y0..<y1 {
                    (dst.baseAddress! + yy * width + x0)
                        .update(from: src.baseAddress! + (yy - y) * self.width + (x0 - x), count: x1 - x0)
                }
            }
        }
        return out
    }
}

/// The runs of object pixels of a mask, row by row: run `r` covers columns `start[r]..<end[r]` of its
/// row, and the runs of row `y` are `rowStart[y]..<rowStart[y + 1]`.
struct ObjectRuns {
    var start: [Int32] = []
    var end: [Int32] = []
    var rowStart: [Int32] = [0]

    init() {}

    init(_ mask: Mask) {
        let w = mask.width, h = mask.height
        rowStart.reserveCapacity(h + 1)
        mask.bits.withUnsafeBufferPointer { buffer in
            guard let bits = buffer.baseAddress else { return }
            for y in 0..<h {
                let row = bits + y * w
                var x = 0
                while x < w {
                    // Skip background eight bytes at a time.
                    while x + 8 <= w && UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self) == 0 { x += 8 }
                    while x < w && row[x] == 0 { x += 1 }
                    if x == w { break }
                    let s = x
                    // Skip object pixels (stored as 1) eight at a time.
                    while x + 8 <= w && UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self) == 0x0101_0101_0101_0101 {
                        x += 8
                    }
                    while x < w && row[x] != 0 { x += 1 }
                    start.append(Int32(s))
                    end.append(Int32(x))
                }
                rowStart.append(Int32(start.count))
            }
        }
    }
}
