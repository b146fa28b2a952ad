/// An 8-bit RGB image, row-major, interleaved (`r, g, b` per pixel, no padding between rows).
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes: pixel (x, y) starts at `(y * width + x) * 3`.
    public var pixels: [UInt8]

    /// Creates an image from interleaved RGB bytes. `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "RGB buffer size mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image of one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: px.count, by: 3) {
            px[i] = fill.0; px[i + 1] = fill.1; px[i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: px)
    }

    /// Number of pixels.
    @inlinable public var pixelCount: Int { width * height }

    /// The colour of pixel (x, y).
    @inlinable public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.0; pixels[i + 1] = newValue.1; pixels[i + 2] = newValue.2
        }
    }
}

/// An 8-bit single-channel image, row-major. Used for probability maps (0–255 = probability × 255)
/// and anything else that is one byte a pixel.
public struct GrayImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` bytes: pixel (x, y) is at `y * width + x`.
    public var pixels: [UInt8]

    /// Creates a gray image. `pixels.count` must be `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height, "gray buffer size mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates a gray image of one value.
    public init(width: Int, height: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
    }

    /// The value at pixel (x, y).
    @inlinable public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}
