import FewClickCore
import ImageCodec
import Testing

@Suite("EXIF orientation")
struct OrientationTests {
    typealias RGB = (UInt8, UInt8, UInt8)
    static let (R, G, B, W) = (TestImages.red, TestImages.green, TestImages.blue, TestImages.white)

    /// Expected displayed corners (top-left, top-right, bottom-left, bottom-right) for each EXIF
    /// orientation of the quadrant image (red TL, green TR, blue BL, white BR as stored),
    /// worked out from the EXIF definition of each value.
    static let expectedCorners: [Int: [RGB]] = [
        1: [R, G, B, W],
        2: [G, R, W, B],  // mirrored left-right
        3: [W, B, G, R],  // rotated 180°
        4: [B, W, R, G],  // mirrored top-bottom
        5: [R, B, G, W],  // transposed
        6: [B, R, W, G],  // rotated 90° clockwise for display
        7: [W, G, B, R],  // transversed
        8: [G, W, R, B],  // rotated 90° counter-clockwise for display
    ]

    static func corners(_ image: RGBImage) -> [RGB] {
        let (w, h) = (image.width, image.height)
        return [image[2, 2], image[w - 3, 2], image[2, h - 3], image[w - 3, h - 3]]
    }

    static func close(_ a: RGB, _ b: RGB, tolerance: Int) -> Bool {
        abs(Int(a.0) - Int(b.0)) <= tolerance && abs(Int(a.1) - Int(b.1)) <= tolerance && abs(Int(a.2) - Int(b.2)) <= tolerance
    }

    @Test("JPEG APP1 EXIF orientation is applied, both byte orders", arguments: 1...8, [false, true])
    func jpeg(orientation: Int, bigEndian: Bool) throws {
        let stored = try ImageFile.encodeJPEG(TestImages.quadrants(width: 64, height: 32), quality: 95)
        let data = Bytes.jpegWithOrientation(stored, orientation, bigEndian: bigEndian)
        let swapped = orientation >= 5
        let info = try ImageFile.info(data)
        #expect(info.orientation == orientation)
        #expect(info.width == (swapped ? 32 : 64) && info.height == (swapped ? 64 : 32))
        let image = try ImageFile.decodeRGB(data)
        #expect(image.width == info.width && image.height == info.height)
        let got = Self.corners(image)
        let want = try #require(Self.expectedCorners[orientation])
        for (g, w) in zip(got, want) { #expect(Self.close(g, w, tolerance: 12), "orientation \(orientation): \(got)") }
        let gray = try ImageFile.decodeGray(data)
        #expect(gray.width == info.width && gray.height == info.height)
    }

    @Test("PNG eXIf orientation is applied exactly", arguments: [3, 6, 8])
    func png(orientation: Int) throws {
        let source = TestImages.quadrants(width: 10, height: 6)
        let data = Bytes.pngWithOrientation(try ImageFile.encodePNG(source), orientation)
        let image = try ImageFile.decodeRGB(data)
        #expect(try ImageFile.info(data).orientation == orientation)
        let want = try #require(Self.expectedCorners[orientation])
        let got = [image[0, 0], image[image.width - 1, 0], image[0, image.height - 1], image[image.width - 1, image.height - 1]]
        for (g, w) in zip(got, want) { #expect(Self.close(g, w, tolerance: 0)) }
        // Orientation 6: displayed pixel (dx, dy) is stored pixel (dy, H-1-dx).
        if orientation == 6 {
            #expect(image.width == 6 && image.height == 10)
            for dy in 0..<10 { for dx in 0..<6 { #expect(Self.close(image[dx, dy], source[dy, 5 - dx], tolerance: 0)) } }
        }
    }

    @Test("out-of-range and malformed orientation tags mean 'as stored'")
    func malformed() throws {
        let stored = try ImageFile.encodeJPEG(TestImages.quadrants(width: 64, height: 32))
        for value in [0, 9, 0xFFFF] {
            let data = Bytes.jpegWithOrientation(stored, value, bigEndian: false)
            #expect(try ImageFile.info(data).orientation == 1)
            #expect(try ImageFile.decodeRGB(data).width == 64)
        }
        // A segment that claims to run past the end of the file is ignored, not followed.
        var broken = Bytes.jpegWithOrientation(stored, 6, bigEndian: true)
        broken[4] = 0xFF
        broken[5] = 0xF0
        _ = RobustnessTests.exercise(broken)
    }
}
