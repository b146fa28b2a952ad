/// EXIF orientation (tag 0x0112): how stored pixels map to the displayed image.
///
/// Values and meanings follow the EXIF 2.32 / TIFF 6.0 definition ("the 0th row is the visual
/// top/bottom/left/right and the 0th column is the visual left/right/top/bottom").
enum Orientation: Int {
    /// 1: displayed as stored.
    case identity = 1
    /// 2: mirrored left-right.
    case mirrorHorizontal = 2
    /// 3: rotated 180°.
    case rotate180 = 3
    /// 4: mirrored top-bottom.
    case mirrorVertical = 4
    /// 5: transposed (mirrored along the main diagonal).
    case transpose = 5
    /// 6: stored rotated 90° counter-clockwise; displayed rotated 90° clockwise.
    case rotate90 = 6
    /// 7: transversed (mirrored along the anti-diagonal).
    case transverse = 7
    /// 8: displayed rotated 90° counter-clockwise.
    case rotate270 = 8

    /// The orientation for a raw tag value; anything outside 1...8 means "as stored".
    init(exif value: Int) {
        self = Orientation(rawValue: value) ?? .identity
    }

    /// Whether displayed width is the stored height.
    var swapsAxes: Bool { rawValue >= 5 }

    /// Reorders pixels from stored to displayed orientation.
    ///
    /// For a displayed pixel (dx, dy) the stored pixel (sx, sy) is, with stored size W×H:
    /// 2: (W-1-dx, dy); 3: (W-1-dx, H-1-dy); 4: (dx, H-1-dy); 5: (dy, dx); 6: (dy, H-1-dx);
    /// 7: (W-1-dy, H-1-dx); 8: (W-1-dy, dx).
    static func apply(_ o: Orientation, _ src: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        let (dw, dh) = o.swapsAxes ? (height, width) : (width, height)
        var out = [UInt8](repeating: 0, count: src.count)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for dy in 0..<dh {
                    for dx in 0..<dw {
                        let sx: Int
                        let sy: Int
                        switch o {
                        case .identity: (sx, sy) = (dx, dy)
                        case .mirrorHorizontal: (sx, sy) = (width - 1 - dx, dy)
                        case .rotate180: (sx, sy) = (width - 1 - dx, height - 1 - dy)
                        case .mirrorVertical: (sx, sy) = (dx, height - 1 - dy)
                        case .transpose: (sx, sy) = (dy, dx)
                        case .rotate90: (sx, sy) = (dy, height - 1 - dx)
                        case .transverse: (sx, sy) = (width - 1 - dy, height - 1 - dx)
                        case .rotate270: (sx, sy) = (width - 1 - dy, dx)
                        }
                        let si = (sy * width + sx) * channels
                        let di = (dy * dw + dx) * channels
                        for c in 0..<channels { d[di + c] = s[si + c] }
                    }
                }
            }
        }
        return out
    }
}

/// A bounded reader of the orientation tag in EXIF metadata.
enum EXIF {
    /// The orientation value in a JPEG's APP1 `Exif` segment, or 1.
    ///
    /// Walks the marker segments after SOI up to the first SOS (start of scan), reading only
    /// segment headers, so the cost is bounded by the number of segments before the image data.
    static func jpegOrientation(_ data: [UInt8]) -> Int {
        var i = 2  // after SOI
        var segments = 0
        while i + 4 <= data.count, segments < 256 {
            segments += 1
            guard data[i] == 0xFF else { return 1 }
            let marker = data[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xDA || marker == 0xD9 { return 1 }  // SOS / EOI: no more metadata
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
            let length = Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length >= 2, i + 2 + length <= data.count else { return 1 }
            if marker == 0xE1, length >= 8 {
                let start = i + 4
                if Array(data[start..<start + 6]) == [0x45, 0x78, 0x69, 0x66, 0x00, 0x00] {  // "Exif\0\0"
                    return tiffOrientation(data[(start + 6)..<(i + 2 + length)])
                }
            }
            i += 2 + length
        }
        return 1
    }

    /// The orientation tag in IFD0 of a TIFF-structured EXIF block (what follows `Exif\0\0` in
    /// JPEG, and the whole payload of PNG's `eXIf` chunk), or 1 when absent or malformed.
    static func tiffOrientation(_ tiff: ArraySlice<UInt8>) -> Int {
        let t = Array(tiff)
        guard t.count >= 8 else { return 1 }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true  // "II"
        case (0x4D, 0x4D): little = false  // "MM"
        default: return 1
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return 1 }
        for entry in 0..<min(count, 512) {
            let e = ifd + 2 + entry * 12
            guard let tag = u16(e) else { return 1 }
            guard tag == 0x0112 else { continue }
            // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
            guard u16(e + 2) == 3, u32(e + 4) == 1, let value = u16(e + 8) else { return 1 }
            return (1...8).contains(value) ? value : 1
        }
        return 1
    }
}
