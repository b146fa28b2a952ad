import FewClickCore

/// Shared pieces of the baseline models: the extreme points' pixels and click disks.
enum BaselineDrawing {
    /// The pixels (clipped to the image) of the `.extreme` clicks.
    ///
    /// - Throws: `SegmentationError` when there is no extreme point at all.
    static func extremePixels(_ input: SegmentationInput, model: String) throws -> [(x: Int, y: Int)] {
        let points = input.extremePoints
        guard !points.isEmpty else {
            throw SegmentationError("\(model) needs the extreme points (clicks of kind 2); none were given")
        }
        let w = input.image.width, h = input.image.height
        return points.map { click in
            let (px, py) = click.point.pixel
            return (min(max(px, 0), w - 1), min(max(py, 0), h - 1))
        }
    }

    /// Sets every pixel within `radius` pixels (centre to centre) of the click's pixel to `value`.
    /// Clicks outside the image affect only the part of their disk inside it.
    static func stampDisk(_ click: Click, radius: Int, value: UInt8, into map: inout GrayImage) {
        let (cx, cy) = click.point.pixel
        let r = max(0, radius)
        let r2 = r * r
        let y0 = max(0, cy - r), y1 = min(map.height - 1, cy + r)
        let x0 = max(0, cx - r), x1 = min(map.width - 1, cx + r)
        guard y0 <= y1, x0 <= x1 else { return }
        for y in y0...y1 {
            let dy = y - cy
            for x in x0...x1 {
                let dx = x - cx
                if dx * dx + dy * dy <= r2 { map[x, y] = value }
            }
        }
    }

    /// Applies corrective clicks: negative disks cleared first, then positive disks set, so a
    /// positive click wins where the two overlap.
    static func applyCorrections(_ clicks: [Click], radius: Int, to map: inout GrayImage) {
        for c in clicks where c.kind == .negative { stampDisk(c, radius: radius, value: 0, into: &map) }
        for c in clicks where c.kind == .positive { stampDisk(c, radius: radius, value: 255, into: &map) }
    }
}
