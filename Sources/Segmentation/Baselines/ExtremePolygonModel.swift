import FewClickCore

/// Baseline `extreme-polygon`: the filled polygon through the extreme points taken in angular order
/// around their centroid (a quadrilateral for the usual four points), minus a disk around every
/// negative click, plus a disk around every positive click.
///
/// Like `box` it ignores the image's pixels; it is the tighter of the two geometric baselines
/// (it cuts the box's corners, which are background for most objects). A pixel is inside when its
/// centre is inside the polygon; the polygon's edges and the extreme pixels themselves are always
/// included, so two or three collinear points still give a line. Output is 0/255, the crop's size.
public struct ExtremePolygonModel: SegmentationModel {
    /// `extreme-polygon`.
    public let name = "extreme-polygon"
    /// Version reported with every answer.
    public let version = "1"
    /// Radius in pixels of the disk a corrective click sets or clears. Default 5.
    public let clickRadius: Int

    /// Creates the model.
    ///
    /// - Parameter clickRadius: disk radius in pixels for corrective clicks (negative values act as 0).
    public init(clickRadius: Int = 5) {
        self.clickRadius = max(0, clickRadius)
    }

    /// The extreme-point polygon with the corrective disks applied.
    ///
    /// - Throws: `SegmentationError` when the input has no extreme point.
    public func segment(_ input: SegmentationInput) throws -> GrayImage {
        let pixels = try BaselineDrawing.extremePixels(input, model: name)
        var map = GrayImage(width: input.image.width, height: input.image.height, fill: 0)
        // Vertices at pixel centres, in angular order around the centroid.
        let vertices = pixels.map { (x: Double($0.x) + 0.5, y: Double($0.y) + 0.5) }
        let cx = vertices.map(\.x).reduce(0, +) / Double(vertices.count)
        let cy = vertices.map(\.y).reduce(0, +) / Double(vertices.count)
        let ordered = vertices.sorted { a, b in
            let ta = Self.pseudoAngle(a.x - cx, a.y - cy), tb = Self.pseudoAngle(b.x - cx, b.y - cy)
            return ta != tb ? ta < tb : (a.x, a.y) < (b.x, b.y)
        }
        Self.fillPolygon(ordered, into: &map)
        for i in ordered.indices {
            Self.drawLine(from: ordered[i], to: ordered[(i + 1) % ordered.count], into: &map)
        }
        BaselineDrawing.applyCorrections(input.clicks, radius: clickRadius, to: &map)
        return map
    }

    /// A value in [-2, 2] that increases with the angle of (dx, dy) as `atan2(dy, dx)` does (no
    /// trigonometry needed to sort by angle).
    static func pseudoAngle(_ dx: Double, _ dy: Double) -> Double {
        let sum = abs(dx) + abs(dy)
        guard sum > 0 else { return 0 }
        let p = dx / sum
        return dy < 0 ? p - 1 : 1 - p
    }

    /// Even-odd scanline fill, sampling each row at pixel centres.
    static func fillPolygon(_ polygon: [(x: Double, y: Double)], into map: inout GrayImage) {
        guard polygon.count >= 3 else { return }
        for row in 0..<map.height {
            let y = Double(row) + 0.5
            var crossings: [Double] = []
            for i in polygon.indices {
                let a = polygon[i], b = polygon[(i + 1) % polygon.count]
                // Half-open in y so a vertex on the scanline is counted once.
                if (a.y <= y && b.y > y) || (b.y <= y && a.y > y) {
                    crossings.append(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                // Pixel centres x + 0.5 in [left, right].
                let first = max(0, Int((crossings[k] - 0.5).rounded(.up)))
                let last = min(map.width - 1, Int((crossings[k + 1] - 0.5).rounded(.down)))
                if first <= last {
                    for x in first...last { map[x, row] = 255 }
                }
                k += 2
            }
        }
    }

    /// Marks the pixels along a segment between two pixel centres (DDA, one sample per pixel step).
    static func drawLine(from a: (x: Double, y: Double), to b: (x: Double, y: Double), into map: inout GrayImage) {
        let steps = max(1, Int(max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up)))
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            let x = Int((a.x + (b.x - a.x) * t).rounded(.down))
            let y = Int((a.y + (b.y - a.y) * t).rounded(.down))
            if x >= 0, y >= 0, x < map.width, y < map.height { map[x, y] = 255 }
        }
    }
}
