import FewClickCore

/// The image file formats fewclick reads and writes.
public enum ImageFormat: String, Sendable {
    /// JPEG (JFIF/EXIF), read and written with libjpeg-turbo.
    case jpeg
    /// PNG, read and written with libspng.
    case png
}

/// What an image file's header says, read without decoding pixels.
public struct ImageInfo: Sendable, Equatable {
    /// The file format, sniffed from the leading bytes.
    public var format: ImageFormat
    /// Width in pixels, as displayed: after the EXIF orientation is applied (see ``ImageFile``).
    public var width: Int
    /// Height in pixels, as displayed: after the EXIF orientation is applied.
    public var height: Int
    /// The EXIF orientation tag (1...8; 1 when the file has none or an invalid one).
    /// Orientations 5...8 swap the stored width and height.
    public var orientation: Int

    /// Creates an info value.
    public init(format: ImageFormat, width: Int, height: Int, orientation: Int = 1) {
        self.format = format
        self.width = width
        self.height = height
        self.orientation = orientation
    }
}

/// JPEG and PNG decoding and encoding on libjpeg-turbo and libspng, with size limits.
///
/// ## Formats
/// - Decoding sniffs the format from the first bytes: JPEG (`FF D8 FF`) or PNG (the 8-byte PNG
///   signature). Anything else (GIF, WebP, BMP, HEIC, empty data) is ``ImageCodecError/Code/unsupportedFormat``.
/// - PNG of any colour type and bit depth decodes to RGB8 (16-bit samples are reduced to 8 bits,
///   palettes expanded, alpha dropped without compositing, gamma not applied). JPEG decodes from
///   grayscale, YCbCr/RGB and CMYK/YCCK (Adobe-inverted CMYK, as browsers assume).
/// - ``decodeGray(_:maxPixels:)`` gives 8-bit luma: gray PNGs exactly as stored, colour images as
///   BT.601 luma, `(299 R + 587 G + 114 B) / 1000` rounded (the same luma JPEG's YCbCr uses).
///   This is how mask files (0/255 gray PNGs) are read.
/// - Encoding writes 8-bit gray or RGB PNG (lossless) and baseline RGB JPEG with 4:2:0 chroma.
///
/// ## Limits and errors
/// The header is read first; images with more than `maxPixels` pixels (default 40 megapixels) or a
/// side over ``maxSide`` are refused with ``ImageCodecError/Code/tooLarge`` *before* pixel memory is
/// allocated. Zero dimensions, truncated or corrupt data give ``ImageCodecError/Code/corrupt``.
/// Nothing is ever printed on stderr. JPEG warnings count as corruption (a truncated JPEG only
/// produces a warning in libjpeg), except "extraneous bytes before marker", which browsers and
/// every other decoder ignore and which occurs in real photo collections (COCO among them).
/// Progressive JPEGs are limited to 500 scans (libjpeg-turbo's `TJFLAG_LIMITSCANS`).
///
/// ## Orientation
/// Decoding applies the EXIF orientation (tag 0x0112 in a JPEG's APP1 `Exif` segment or a PNG's
/// `eXIf` chunk), and ``info(_:)`` reports the oriented size. Browsers do the same by default
/// (CSS `image-orientation: from-image`, the default since 2020 in Chrome, Firefox and Safari), so
/// `naturalWidth`/`naturalHeight` and the click coordinates a labeling UI sends refer to the
/// oriented image; decoding it the same way keeps those coordinates and the returned masks
/// consistent with what the labeler sees. Masks and encoded output carry no orientation tag.
/// Datasets annotated on stored pixels while their files carry an orientation tag (a known
/// quirk of some COCO images) must strip the tag; none of the dev set's images carries one.
public enum ImageFile {
    /// The default pixel limit for decoding: 40 megapixels (120 MB of RGB8).
    public static let defaultMaxPixels = 40_000_000

    /// The longest side accepted, in pixels (JPEG's own limit is 65,500).
    public static let maxSide = 65_535

    /// Sniffs the format of `data` from its leading bytes; `nil` for anything but JPEG and PNG.
    public static func format(of data: [UInt8]) -> ImageFormat? {
        if data.count >= 3, data[0] == 0xFF, data[1] == 0xD8, data[2] == 0xFF { return .jpeg }
        if data.count >= 8, Array(data[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }

    /// Reads the format, displayed size and orientation from the header, without decoding pixels.
    ///
    /// - Throws: ``ImageCodecError`` `.unsupportedFormat` (not JPEG/PNG), `.corrupt` (unreadable
    ///   header, zero dimensions). Size limits are not applied here: callers compare the size
    ///   themselves, and decoding applies `maxPixels`.
    public static func info(_ data: [UInt8]) throws(ImageCodecError) -> ImageInfo {
        let header: StoredHeader
        switch try sniff(data) {
        case .jpeg: header = try JPEGCodec.header(data)
        case .png: header = try PNGCodec.header(data)
        }
        let oriented = Orientation(exif: header.orientation)
        let (w, h) = oriented.swapsAxes ? (header.height, header.width) : (header.width, header.height)
        return ImageInfo(format: header.format, width: w, height: h, orientation: oriented.rawValue)
    }

    /// Decodes a JPEG or PNG (sniffed) to 8-bit RGB, with the EXIF orientation applied.
    ///
    /// - Parameter maxPixels: the largest `width × height` accepted.
    /// - Throws: ``ImageCodecError`` `.unsupportedFormat`, `.tooLarge` (refused from the header,
    ///   before allocating), `.corrupt`.
    public static func decodeRGB(_ data: [UInt8], maxPixels: Int = defaultMaxPixels) throws(ImageCodecError) -> RGBImage {
        let decoded: DecodedImage
        switch try sniff(data) {
        case .jpeg: decoded = try JPEGCodec.decode(data, channels: 3, maxPixels: maxPixels)
        case .png: decoded = try PNGCodec.decode(data, channels: 3, maxPixels: maxPixels)
        }
        let oriented = decoded.oriented()
        return RGBImage(width: oriented.width, height: oriented.height, pixels: oriented.pixels)
    }

    /// Decodes a JPEG or PNG (sniffed) to 8-bit luma, with the EXIF orientation applied. Gray
    /// files keep their stored values exactly; colour is converted with BT.601 luma.
    ///
    /// - Parameter maxPixels: the largest `width × height` accepted.
    /// - Throws: ``ImageCodecError`` `.unsupportedFormat`, `.tooLarge`, `.corrupt`.
    public static func decodeGray(_ data: [UInt8], maxPixels: Int = defaultMaxPixels) throws(ImageCodecError) -> GrayImage {
        let decoded: DecodedImage
        switch try sniff(data) {
        case .jpeg: decoded = try JPEGCodec.decode(data, channels: 1, maxPixels: maxPixels)
        case .png: decoded = try PNGCodec.decode(data, channels: 1, maxPixels: maxPixels)
        }
        let oriented = decoded.oriented()
        return GrayImage(width: oriented.width, height: oriented.height, pixels: oriented.pixels)
    }

    /// Encodes an 8-bit grayscale PNG (the mask convention is 0/255). Lossless.
    ///
    /// - Throws: ``ImageCodecError`` `.encodeFailed` for an empty image or a library failure.
    public static func encodePNG(_ image: GrayImage) throws(ImageCodecError) -> [UInt8] {
        try PNGCodec.encode(image.pixels, width: image.width, height: image.height, channels: 1)
    }

    /// Encodes an 8-bit RGB PNG. Lossless.
    ///
    /// - Throws: ``ImageCodecError`` `.encodeFailed` for an empty image or a library failure.
    public static func encodePNG(_ image: RGBImage) throws(ImageCodecError) -> [UInt8] {
        try PNGCodec.encode(image.pixels, width: image.width, height: image.height, channels: 3)
    }

    /// Encodes a baseline RGB JPEG with 4:2:0 chroma subsampling.
    ///
    /// - Parameter quality: libjpeg quality, 1 (smallest) to 100 (best).
    /// - Throws: ``ImageCodecError`` `.encodeFailed` for an empty image, a side over ``maxSide``
    ///   or 65,500, a quality outside 1...100, or a library failure.
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 90) throws(ImageCodecError) -> [UInt8] {
        try JPEGCodec.encode(image, quality: quality)
    }

    // MARK: - Shared helpers

    static func sniff(_ data: [UInt8]) throws(ImageCodecError) -> ImageFormat {
        guard let format = format(of: data) else {
            throw ImageCodecError(.unsupportedFormat, "not a JPEG or PNG (\(describeSignature(data)))")
        }
        return format
    }

    /// Refuses impossible or oversized dimensions read from a header.
    static func checkSize(width: Int, height: Int, maxPixels: Int) throws(ImageCodecError) {
        guard width > 0, height > 0 else {
            throw ImageCodecError(.corrupt, "invalid dimensions \(width)×\(height)")
        }
        guard width <= maxSide, height <= maxSide else {
            throw ImageCodecError(.tooLarge, "\(width)×\(height) has a side over \(maxSide) pixels")
        }
        guard width * height <= maxPixels else {
            throw ImageCodecError(.tooLarge, "\(width)×\(height) is \(width * height) pixels, more than the limit of \(maxPixels)")
        }
    }

    private static func describeSignature(_ data: [UInt8]) -> String {
        if data.isEmpty { return "empty data" }
        if data.starts(with: Array("GIF8".utf8)) { return "GIF" }
        if data.count >= 12, data.starts(with: Array("RIFF".utf8)), Array(data[8..<12]) == Array("WEBP".utf8) { return "WebP" }
        if data.starts(with: Array("BM".utf8)) { return "BMP" }
        let hex = data.prefix(8).map { byte in
            let s = String(byte, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }
        return "leading bytes " + hex.joined(separator: " ")
    }
}

/// The header facts both codecs report, in stored (not oriented) pixels.
struct StoredHeader {
    var format: ImageFormat
    var width: Int
    var height: Int
    /// Raw EXIF orientation value, or 1.
    var orientation: Int
}

/// Decoded pixels in stored orientation, 1 or 3 channels, plus the EXIF orientation to apply.
struct DecodedImage {
    var width: Int
    var height: Int
    var channels: Int
    var pixels: [UInt8]
    var orientation: Int

    /// The image as displayed.
    func oriented() -> DecodedImage {
        let o = Orientation(exif: orientation)
        if o == .identity { return self }
        let (w, h) = o.swapsAxes ? (height, width) : (width, height)
        let out = Orientation.apply(o, pixels, width: width, height: height, channels: channels)
        return DecodedImage(width: w, height: h, channels: channels, pixels: out, orientation: 1)
    }
}
