import CSPNG

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// PNG through libspng. Every context gets explicit limits: image sides up to
/// ``ImageFile/maxSide`` (larger headers are refused as `.tooLarge` before decoding) and bounded
/// ancillary chunk sizes, so a hostile file cannot make libspng allocate unbounded memory.
enum PNGCodec {
    /// Largest single ancillary chunk accepted (text, ICC profile, EXIF...).
    static let maxChunkBytes = 8 << 20
    /// Largest total of cached ancillary chunks.
    static let maxChunkCacheBytes = 32 << 20

    static func header(_ data: [UInt8]) throws(ImageCodecError) -> StoredHeader {
        let result: Result<StoredHeader, ImageCodecError> = data.withUnsafeBytes { buffer in
            do throws(ImageCodecError) {
                let ctx = try decoder(buffer)
                defer { spng_ctx_free(ctx) }
                let ihdr = try readHeader(ctx)
                // The eXIf chunk, when present, precedes IDAT; reading it parses chunks up to the image data only.
                return .success(StoredHeader(format: .png, width: Int(ihdr.width), height: Int(ihdr.height), orientation: orientation(ctx)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Decodes to `channels` (1 = luma, 3 = RGB) interleaved 8-bit samples, stored orientation.
    static func decode(_ data: [UInt8], channels: Int, maxPixels: Int) throws(ImageCodecError) -> DecodedImage {
        let result: Result<DecodedImage, ImageCodecError> = data.withUnsafeBytes { buffer in
            do throws(ImageCodecError) {
                let ctx = try decoder(buffer)
                defer { spng_ctx_free(ctx) }
                let ihdr = try readHeader(ctx)
                let (w, h) = (Int(ihdr.width), Int(ihdr.height))
                try ImageFile.checkSize(width: w, height: h, maxPixels: maxPixels)

                // 8-bit gray is read as is; everything else goes through RGB8, which expands
                // palettes, scales 1/2/4/16-bit samples and drops alpha.
                let grayAsStored = channels == 1 && ihdr.color_type == UInt8(SPNG_COLOR_TYPE_GRAYSCALE.rawValue) && ihdr.bit_depth == 8
                let format = grayAsStored ? SPNG_FMT_G8 : SPNG_FMT_RGB8
                var size = 0
                try check(spng_decoded_image_size(ctx, Int32(format.rawValue), &size), "PNG")
                guard size == w * h * (grayAsStored ? 1 : 3) else {
                    throw ImageCodecError(.corrupt, "PNG: unexpected decoded size \(size) for \(w)×\(h)")
                }
                var pixels = [UInt8](repeating: 0, count: size)
                let status = pixels.withUnsafeMutableBytes { out in
                    spng_decode_image(ctx, out.baseAddress, out.count, Int32(format.rawValue), 0)
                }
                try check(status, "PNG")
                if channels == 1 && !grayAsStored { pixels = Luma.fromRGB(pixels) }
                return .success(DecodedImage(width: w, height: h, channels: channels, pixels: pixels, orientation: orientation(ctx)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Encodes 8-bit gray (`channels` 1, tuned for 0/255 masks) or RGB (`channels` 3), non-interlaced.
    static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws(ImageCodecError) -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageCodecError(.encodeFailed, "cannot encode a \(width)×\(height) PNG")
        }
        guard let ctx = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else {
            throw ImageCodecError(.encodeFailed, "spng_ctx_new failed")
        }
        defer { spng_ctx_free(ctx) }
        do throws(ImageCodecError) {
            try check(spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1), "PNG encode")
            // Measured on the dev set's masks and photos (release build): libspng's defaults
            // (adaptive filtering, zlib level 6) took 14 ms a 640×480 mask and 230 ms a photo.
            // Masks are long runs of 0 and 255: no filter plus zlib's run-length strategy is
            // ~6× faster and 20% smaller. RGB: the "up" filter at level 3 is ~3× faster, 5% larger.
            if channels == 1 {
                try check(spng_set_option(ctx, SPNG_FILTER_CHOICE, Int32(SPNG_FILTER_CHOICE_NONE.rawValue)), "PNG encode")
                try check(spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, 6), "PNG encode")
                try check(spng_set_option(ctx, SPNG_IMG_COMPRESSION_STRATEGY, 3 /* Z_RLE */), "PNG encode")
            } else {
                try check(spng_set_option(ctx, SPNG_FILTER_CHOICE, Int32(SPNG_FILTER_CHOICE_UP.rawValue)), "PNG encode")
                try check(spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, 3), "PNG encode")
            }
            var ihdr = spng_ihdr()
            ihdr.width = UInt32(width)
            ihdr.height = UInt32(height)
            ihdr.bit_depth = 8
            ihdr.color_type = UInt8(channels == 1 ? SPNG_COLOR_TYPE_GRAYSCALE.rawValue : SPNG_COLOR_TYPE_TRUECOLOR.rawValue)
            try check(spng_set_ihdr(ctx, &ihdr), "PNG encode")
            let status = pixels.withUnsafeBytes { src in
                spng_encode_image(ctx, src.baseAddress, src.count, Int32(SPNG_FMT_PNG.rawValue), Int32(SPNG_ENCODE_FINALIZE.rawValue))
            }
            try check(status, "PNG encode")
        } catch {
            throw ImageCodecError(.encodeFailed, error.message)
        }
        var length = 0
        var error: Int32 = 0
        guard let buffer = spng_get_png_buffer(ctx, &length, &error), error == 0 else {
            throw ImageCodecError(.encodeFailed, "PNG encode: \(String(cString: spng_strerror(error)))")
        }
        defer { free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    // MARK: - Helpers

    /// A decoder context over `buffer` (which must outlive it), with limits set.
    private static func decoder(_ buffer: UnsafeRawBufferPointer) throws(ImageCodecError) -> OpaquePointer {
        guard let ctx = spng_ctx_new(0) else { throw ImageCodecError(.corrupt, "spng_ctx_new failed") }
        do throws(ImageCodecError) {
            try check(spng_set_image_limits(ctx, UInt32(ImageFile.maxSide), UInt32(ImageFile.maxSide)), "PNG")
            try check(spng_set_chunk_limits(ctx, maxChunkBytes, maxChunkCacheBytes), "PNG")
            try check(spng_set_png_buffer(ctx, buffer.baseAddress, buffer.count), "PNG")
        } catch {
            spng_ctx_free(ctx)
            throw error
        }
        return ctx
    }

    private static func readHeader(_ ctx: OpaquePointer) throws(ImageCodecError) -> spng_ihdr {
        var ihdr = spng_ihdr()
        try check(spng_get_ihdr(ctx, &ihdr), "PNG header")
        return ihdr
    }

    /// The orientation in the `eXIf` chunk, or 1.
    private static func orientation(_ ctx: OpaquePointer) -> Int {
        var exif = spng_exif()
        guard spng_get_exif(ctx, &exif) == 0, let data = exif.data, exif.length > 0 else { return 1 }
        let bytes = UnsafeRawBufferPointer(start: data, count: exif.length)
        return EXIF.tiffOrientation(Array(bytes)[...])
    }

    /// Maps a libspng status to an error: the user size limits are `.tooLarge`, the rest `.corrupt`.
    private static func check(_ status: Int32, _ context: String) throws(ImageCodecError) {
        guard status != 0 else { return }
        let message = "\(context): \(String(cString: spng_strerror(status)))"
        if status == Int32(SPNG_EUSER_WIDTH.rawValue) || status == Int32(SPNG_EUSER_HEIGHT.rawValue) {
            throw ImageCodecError(.tooLarge, message + " (a side over \(ImageFile.maxSide) pixels)")
        }
        if status == Int32(SPNG_ECHUNK_LIMITS.rawValue) {
            throw ImageCodecError(.tooLarge, message)
        }
        throw ImageCodecError(.corrupt, message)
    }
}
