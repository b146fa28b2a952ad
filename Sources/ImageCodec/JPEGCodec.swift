import CTurboJPEG
import FewClickCore

/// JPEG through libjpeg-turbo's TurboJPEG 2.x API (`tjDecompressHeader3`, `tjDecompress2`,
/// `tjCompress2`). TurboJPEG formats library messages into its own buffer instead of printing
/// them, so nothing reaches stderr.
enum JPEGCodec {
    static func header(_ data: [UInt8]) throws(ImageCodecError) -> StoredHeader {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        let (w, h, _) = try readHeader(handle, data)
        return StoredHeader(format: .jpeg, width: w, height: h, orientation: EXIF.jpegOrientation(data))
    }

    /// Decodes to `channels` (1 = luma, 3 = RGB) interleaved 8-bit samples, stored orientation.
    static func decode(_ data: [UInt8], channels: Int, maxPixels: Int) throws(ImageCodecError) -> DecodedImage {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        let (w, h, colorspace) = try readHeader(handle, data)
        try ImageFile.checkSize(width: w, height: h, maxPixels: maxPixels)

        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let pixelFormat: TJPF
        let samplesPerPixel: Int
        if isCMYK {
            pixelFormat = TJPF_CMYK; samplesPerPixel = 4
        } else {
            pixelFormat = channels == 1 ? TJPF_GRAY : TJPF_RGB; samplesPerPixel = channels
        }
        var pixels = [UInt8](repeating: 0, count: w * h * samplesPerPixel)
        let status = data.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    handle, src.baseAddress, UInt(src.count), dst.baseAddress, Int32(w), 0, Int32(h),
                    Int32(pixelFormat.rawValue), TJFLAG_LIMITSCANS)
            }
        }
        if status != 0, !onlyHarmlessWarning(handle) {
            throw ImageCodecError(.corrupt, "JPEG: \(String(cString: tjGetErrorStr2(handle)))")
        }
        if isCMYK { pixels = fromInvertedCMYK(pixels, channels: channels) }
        return DecodedImage(width: w, height: h, channels: channels, pixels: pixels, orientation: EXIF.jpegOrientation(data))
    }

    static func encode(_ image: RGBImage, quality: Int) throws(ImageCodecError) -> [UInt8] {
        guard image.width > 0, image.height > 0, image.width <= 65_500, image.height <= 65_500 else {
            throw ImageCodecError(.encodeFailed, "cannot encode a \(image.width)×\(image.height) JPEG")
        }
        guard (1...100).contains(quality) else {
            throw ImageCodecError(.encodeFailed, "JPEG quality \(quality) is outside 1...100")
        }
        guard let handle = tjInitCompress() else {
            throw ImageCodecError(.encodeFailed, "tjInitCompress failed")
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { if let output { tjFree(output) } }
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                &output, &size, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
        }
        guard status == 0, let output else {
            throw ImageCodecError(.encodeFailed, "JPEG: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    // MARK: - Helpers

    private static func decompressor() throws(ImageCodecError) -> tjhandle {
        guard let handle = tjInitDecompress() else {
            throw ImageCodecError(.corrupt, "tjInitDecompress failed")
        }
        return handle
    }

    /// Width, height and JPEG colourspace (`TJCS`) from the header.
    private static func readHeader(_ handle: tjhandle, _ data: [UInt8]) throws(ImageCodecError) -> (Int, Int, Int32) {
        var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = data.withUnsafeBufferPointer { src in
            tjDecompressHeader3(handle, src.baseAddress, UInt(src.count), &w, &h, &subsampling, &colorspace)
        }
        guard status == 0 || onlyHarmlessWarning(handle) else {
            throw ImageCodecError(.corrupt, "JPEG header: \(String(cString: tjGetErrorStr2(handle)))")
        }
        guard w > 0, h > 0 else { throw ImageCodecError(.corrupt, "JPEG header: invalid dimensions \(w)×\(h)") }
        return (Int(w), Int(h), colorspace)
    }

    /// Whether the failure just reported by `handle` is a warning about stray bytes between
    /// segments. A warning means libjpeg went on to the end but met something wrong on the way;
    /// a truncated file is only a warning ("Premature end of JPEG file"), so warnings count as
    /// corruption, except this one, which browsers and other decoders ignore.
    private static func onlyHarmlessWarning(_ handle: tjhandle) -> Bool {
        tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
            && String(cString: tjGetErrorStr2(handle)).contains("extraneous bytes before marker")
    }

    /// CMYK as Adobe writes it (inverted: 255 = no ink), the convention browsers assume, to RGB or
    /// luma: R = C·K/255 and so on.
    private static func fromInvertedCMYK(_ cmyk: [UInt8], channels: Int) -> [UInt8] {
        let count = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: count * channels)
        for i in 0..<count {
            let k = Int(cmyk[i * 4 + 3])
            let r = (Int(cmyk[i * 4]) * k + 127) / 255
            let g = (Int(cmyk[i * 4 + 1]) * k + 127) / 255
            let b = (Int(cmyk[i * 4 + 2]) * k + 127) / 255
            if channels == 1 {
                out[i] = Luma.bt601(r, g, b)
            } else {
                out[i * 3] = UInt8(r); out[i * 3 + 1] = UInt8(g); out[i * 3 + 2] = UInt8(b)
            }
        }
        return out
    }
}

/// Colour to gray.
enum Luma {
    /// BT.601 luma of 8-bit RGB, rounded: `(299 R + 587 G + 114 B + 500) / 1000`.
    @inline(__always) static func bt601(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        UInt8((299 * r + 587 * g + 114 * b + 500) / 1000)
    }

    /// Luma of interleaved RGB8.
    static func fromRGB(_ rgb: [UInt8]) -> [UInt8] {
        let count = rgb.count / 3
        var out = [UInt8](repeating: 0, count: count)
        rgb.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<count {
                    d[i] = bt601(Int(s[i * 3]), Int(s[i * 3 + 1]), Int(s[i * 3 + 2]))
                }
            }
        }
        return out
    }
}
