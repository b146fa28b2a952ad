/// A binary mask, row-major, one byte a pixel: 0 = background, 1 = object.
///
/// Encodings live in extensions: COCO RLE (`Mask+RLE.swift`), polygons (`Mask+Polygons.swift`),
/// and 0/255 gray images for PNG (`grayImage`).
public struct Mask: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` bytes, each 0 or 1; pixel (x, y) is at `y * width + x`.
    public var bits: [UInt8]

    /// Creates a mask from 0/1 bytes. Any non-zero byte is stored as 1.
    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(width >= 0 && height >= 0 && bits.count == width * height, "mask buffer size mismatch")
        self.width = width
        self.height = height
        self.bits = bits.contains(where: { $0 > 1 }) ? bits.map { $0 == 0 ? 0 : 1 } : bits
    }

    /// An empty (all background) mask.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        self.bits = [UInt8](repeating: 0, count: width * height)
    }

    /// A mask of the pixels of `gray` at or above `threshold` (default 128: probability ≥ 0.5).
    public init(thresholding gray: GrayImage, at threshold: UInt8 = 128) {
        self.width = gray.width
        self.height = gray.height
        self.bits = gray.pixels.map { $0 >= threshold ? 1 : 0 }
    }

    /// Whether pixel (x, y) is object.
    @inlinable public subscript(x: Int, y: Int) -> Bool {
        get { bits[y * width + x] != 0 }
        set { bits[y * width + x] = newValue ? 1 : 0 }
    }

    /// Number of object pixels.
    public var area: Int {
        var n = 0
        for b in bits { n &+= Int(b) }
        return n
    }

    /// The tightest box around the object pixels, or nil for an empty mask.
    public var boundingBox: PixelBox? {
        var x0 = width, y0 = height, x1 = -1, y1 = -1
        for y in 0..<height {
            let row = y * width
            for x in 0..<width where bits[row + x] != 0 {
                if x < x0 { x0 = x }
                if x > x1 { x1 = x }
                if y < y0 { y0 = y }
                y1 = y
            }
        }
        return x1 < 0 ? nil : PixelBox(x0: x0, y0: y0, x1: x1 + 1, y1: y1 + 1)
    }

    /// The mask as an 8-bit 0/255 image (Ground Truth's semantic-segmentation PNG convention).
    public var grayImage: GrayImage {
        GrayImage(width: width, height: height, pixels: bits.map { $0 == 0 ? 0 : 255 })
    }

    /// Intersection over union with `other` (same size required). Two empty masks have IoU 1.
    /// Pixels where `ignore` is set count for neither.
    public func iou(_ other: Mask, ignoring ignore: Mask? = nil) -> Double {
        precondition(width == other.width && height == other.height, "IoU of masks of different sizes")
        var inter = 0, union = 0
        if let ignore {
            precondition(ignore.width == width && ignore.height == height, "ignore mask size mismatch")
            for i in 0..<bits.count where ignore.bits[i] == 0 {
                let a = bits[i], b = other.bits[i]
                inter &+= Int(a & b); union &+= Int(a | b)
            }
        } else {
            for i in 0..<bits.count {
                let a = bits[i], b = other.bits[i]
                inter &+= Int(a & b); union &+= Int(a | b)
            }
        }
        return union == 0 ? 1 : Double(inter) / Double(union)
    }
}
