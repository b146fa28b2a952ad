/// A point in pixel coordinates: origin at the top-left corner of the image, `x` to the right,
/// `y` down. The centre of pixel (i, j) is (i + 0.5, j + 0.5) only where a caller says so; the
/// wire format and the models treat a click at (x, y) as a click on pixel (⌊x⌋, ⌊y⌋).
public struct Point: Hashable, Sendable, Codable {
    /// Horizontal coordinate in pixels.
    public var x: Double
    /// Vertical coordinate in pixels.
    public var y: Double

    /// Creates a point from pixel coordinates.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// The pixel this point falls on: (⌊x⌋, ⌊y⌋).
    @inlinable public var pixel: (x: Int, y: Int) { (Int(x.rounded(.down)), Int(y.rounded(.down))) }
}

/// What a click says about the pixel it lands on.
///
/// The raw values are the `kind` column of the `clicks` tensor in the inference protocol.
public enum ClickKind: Int, Sendable, Codable, CaseIterable {
    /// "This is background."
    case negative = 0
    /// "This is the object."
    case positive = 1
    /// One of the four extreme points of the object (leftmost, rightmost, topmost, bottommost):
    /// on the object, and on its boundary.
    case extreme = 2
}

/// A labeler's click, in pixel coordinates of the image it was made on.
public struct Click: Hashable, Sendable, Codable {
    /// Horizontal coordinate in pixels.
    public var x: Double
    /// Vertical coordinate in pixels.
    public var y: Double
    /// What the click says.
    public var kind: ClickKind

    /// Creates a click.
    public init(x: Double, y: Double, kind: ClickKind) {
        self.x = x
        self.y = y
        self.kind = kind
    }

    /// The click's position.
    @inlinable public var point: Point { Point(x: x, y: y) }
}

/// An axis-aligned box of whole pixels, half-open: it covers columns `x0..<x1` and rows `y0..<y1`.
public struct PixelBox: Hashable, Sendable, Codable {
    /// First column inside the box.
    public var x0: Int
    /// First row inside the box.
    public var y0: Int
    /// One past the last column inside the box.
    public var x1: Int
    /// One past the last row inside the box.
    public var y1: Int

    /// Creates a box from its half-open bounds.
    public init(x0: Int, y0: Int, x1: Int, y1: Int) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    /// Width in pixels (0 for an empty box).
    @inlinable public var width: Int { max(0, x1 - x0) }
    /// Height in pixels (0 for an empty box).
    @inlinable public var height: Int { max(0, y1 - y0) }
    /// Number of pixels covered.
    @inlinable public var area: Int { width * height }
    /// True when the box covers no pixel.
    @inlinable public var isEmpty: Bool { width == 0 || height == 0 }

    /// True when pixel (x, y) is inside the box.
    @inlinable public func contains(x: Int, y: Int) -> Bool { x >= x0 && x < x1 && y >= y0 && y < y1 }

    /// The smallest box holding the pixels of all `points` (each point counts as the pixel it falls on).
    /// Returns nil for no points.
    public static func bounding<S: Sequence>(_ points: S) -> PixelBox? where S.Element == Point {
        var box: PixelBox?
        for p in points {
            let (px, py) = p.pixel
            if var b = box {
                b.x0 = min(b.x0, px); b.y0 = min(b.y0, py)
                b.x1 = max(b.x1, px + 1); b.y1 = max(b.y1, py + 1)
                box = b
            } else {
                box = PixelBox(x0: px, y0: py, x1: px + 1, y1: py + 1)
            }
        }
        return box
    }

    /// This box grown by `dx` columns left and right and `dy` rows up and down.
    public func expanded(dx: Int, dy: Int) -> PixelBox {
        PixelBox(x0: x0 - dx, y0: y0 - dy, x1: x1 + dx, y1: y1 + dy)
    }

    /// This box clipped to an image of the given size.
    public func clipped(width: Int, height: Int) -> PixelBox {
        intersection(PixelBox(x0: 0, y0: 0, x1: width, y1: height))
    }

    /// The pixels in both boxes (bounds may cross, i.e. `isEmpty`, when the boxes are disjoint).
    public func intersection(_ other: PixelBox) -> PixelBox {
        PixelBox(x0: max(x0, other.x0), y0: max(y0, other.y0), x1: min(x1, other.x1), y1: min(y1, other.y1))
    }

    /// The square of half-side `radius` pixels centred on pixel (x, y): `2 · radius + 1` pixels a side.
    public static func around(x: Int, y: Int, radius: Int) -> PixelBox {
        PixelBox(x0: x - radius, y0: y - radius, x1: x + radius + 1, y1: y + radius + 1)
    }
}
