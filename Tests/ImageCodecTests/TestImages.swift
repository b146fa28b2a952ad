import FewClickCore

enum TestImages {
    /// Uniformly random RGB pixels.
    static func noiseRGB(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var rng = SplitMix64(seed: seed)
        return RGBImage(width: width, height: height, pixels: (0..<width * height * 3).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// Uniformly random gray pixels.
    static func noiseGray(width: Int, height: Int, seed: UInt64) -> GrayImage {
        var rng = SplitMix64(seed: seed)
        return GrayImage(width: width, height: height, pixels: (0..<width * height).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// A smooth colour gradient, which JPEG reproduces closely.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let r = x * 255 / max(width - 1, 1)
                let g = y * 255 / max(height - 1, 1)
                let b = (x + y) * 127 / max(width + height - 2, 1)
                image[x, y] = (UInt8(r), UInt8(g), UInt8(b))
            }
        }
        return image
    }

    /// Four flat quadrants: red top-left, green top-right, blue bottom-left, white bottom-right.
    static let red: (UInt8, UInt8, UInt8) = (255, 0, 0)
    static let green: (UInt8, UInt8, UInt8) = (0, 255, 0)
    static let blue: (UInt8, UInt8, UInt8) = (0, 0, 255)
    static let white: (UInt8, UInt8, UInt8) = (255, 255, 255)

    static func quadrants(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let left = x < width / 2, top = y < height / 2
                image[x, y] = top ? (left ? red : green) : (left ? blue : white)
            }
        }
        return image
    }

    /// BT.601 luma as ImageCodec documents it.
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let weighted: Int = 299 * Int(r) + 587 * Int(g) + 114 * Int(b)
        return UInt8((weighted + 500) / 1000)
    }
}

/// Building blocks for hand-made files.
enum Bytes {
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }

    /// CRC-32 (ISO-HDLC), as PNG chunks use.
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// One PNG chunk: length, type, data, CRC over type and data.
    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A TIFF block holding only IFD0 with one Orientation (0x0112) entry.
    static func tiffOrientation(_ value: Int, bigEndian: Bool) -> [UInt8] {
        if bigEndian {
            return Array("MM".utf8) + be16(42) + be32(8) + be16(1) + be16(0x0112) + be16(3) + be32(1) + be16(value) + be16(0) + be32(0)
        }
        return Array("II".utf8) + le16(42) + le32(8) + le16(1) + le16(0x0112) + le16(3) + le32(1) + le16(value) + le16(0) + le32(0)
    }

    /// Inserts an APP1 `Exif` segment carrying `orientation` right after a JPEG's SOI marker.
    static func jpegWithOrientation(_ jpeg: [UInt8], _ orientation: Int, bigEndian: Bool) -> [UInt8] {
        let payload = Array("Exif".utf8) + [0, 0] + tiffOrientation(orientation, bigEndian: bigEndian)
        let segment: [UInt8] = [0xFF, 0xE1] + be16(payload.count + 2) + payload
        return Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
    }

    /// Inserts an `eXIf` chunk carrying `orientation` after a PNG's IHDR chunk.
    static func pngWithOrientation(_ png: [UInt8], _ orientation: Int) -> [UInt8] {
        let afterIHDR = 8 + 8 + 13 + 4
        return Array(png[0..<afterIHDR]) + pngChunk("eXIf", tiffOrientation(orientation, bigEndian: true)) + Array(png[afterIHDR...])
    }

    /// A PNG whose IHDR claims `width`×`height` (8-bit RGB), followed by a tiny IDAT and IEND.
    static func pngHeader(width: Int, height: Int) -> [UInt8] {
        let ihdr = be32(width) + be32(height) + [8, 2, 0, 0, 0]
        // zlib stream of nothing useful: the decoder must refuse the size before reading it.
        let idat: [UInt8] = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        return pngSignature + pngChunk("IHDR", ihdr) + pngChunk("IDAT", idat) + pngChunk("IEND", [])
    }

    /// Rewrites the frame size in a JPEG's SOF0/SOF1/SOF2 segment.
    static func jpegWithFrameSize(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8]? {
        var out = jpeg
        var i = 2
        while i + 9 < out.count {
            guard out[i] == 0xFF else { return nil }
            let marker = out[i + 1]
            let length = Int(out[i + 2]) << 8 | Int(out[i + 3])
            if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {
                out.replaceSubrange((i + 5)..<(i + 7), with: be16(height))
                out.replaceSubrange((i + 7)..<(i + 9), with: be16(width))
                return out
            }
            i += 2 + length
        }
        return nil
    }
}
