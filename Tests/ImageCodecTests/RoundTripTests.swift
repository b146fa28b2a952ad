import FewClickCore
import ImageCodec
import Testing

@Suite("Round trips")
struct RoundTripTests {
    @Test("gray PNG round trip is exact", arguments: [(1, 1), (7, 3), (64, 48), (333, 17)])
    func grayPNG(size: (Int, Int)) throws {
        let image = TestImages.noiseGray(width: size.0, height: size.1, seed: UInt64(size.0 * 1000 + size.1))
        let png = try ImageFile.encodePNG(image)
        #expect(ImageFile.format(of: png) == .png)
        #expect(try ImageFile.decodeGray(png) == image)
    }

    @Test("0/255 mask PNG round trip is exact and small")
    func maskPNG() throws {
        var mask = GrayImage(width: 640, height: 480)
        for y in 100..<300 { for x in 200..<450 { mask[x, y] = 255 } }
        let png = try ImageFile.encodePNG(mask)
        #expect(try ImageFile.decodeGray(png) == mask)
        #expect(png.count < 10_000)
    }

    @Test("RGB PNG round trip is exact", arguments: [(1, 1), (5, 9), (128, 64)])
    func rgbPNG(size: (Int, Int)) throws {
        let image = TestImages.noiseRGB(width: size.0, height: size.1, seed: UInt64(size.0 * 7 + size.1))
        let png = try ImageFile.encodePNG(image)
        #expect(try ImageFile.decodeRGB(png) == image)
    }

    @Test("RGB PNG decodes to gray as BT.601 luma")
    func rgbPNGAsGray() throws {
        let image = TestImages.noiseRGB(width: 31, height: 29, seed: 5)
        let gray = try ImageFile.decodeGray(try ImageFile.encodePNG(image))
        #expect(gray.width == 31 && gray.height == 29)
        for y in 0..<29 {
            for x in 0..<31 {
                let (r, g, b) = image[x, y]
                #expect(gray[x, y] == TestImages.luma(r, g, b))
            }
        }
    }

    @Test("gray PNG decodes to RGB with equal channels")
    func grayPNGAsRGB() throws {
        let image = TestImages.noiseGray(width: 20, height: 10, seed: 9)
        let rgb = try ImageFile.decodeRGB(try ImageFile.encodePNG(image))
        for y in 0..<10 { for x in 0..<20 { #expect(rgb[x, y] == (image[x, y], image[x, y], image[x, y])) } }
    }

    @Test("JPEG round trip is close", arguments: [90, 100])
    func jpeg(quality: Int) throws {
        let image = TestImages.gradient(width: 160, height: 120)
        let jpeg = try ImageFile.encodeJPEG(image, quality: quality)
        #expect(ImageFile.format(of: jpeg) == .jpeg)
        let decoded = try ImageFile.decodeRGB(jpeg)
        #expect(decoded.width == 160 && decoded.height == 120)
        let totalError = zip(decoded.pixels, image.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        let meanError = Double(totalError) / Double(image.pixels.count)
        #expect(meanError < 2.5, "mean absolute error \(meanError)")
        let maxError = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(maxError < 40)
    }

    @Test("JPEG decodes to gray close to the luma of its RGB decode")
    func jpegAsGray() throws {
        let jpeg = try ImageFile.encodeJPEG(TestImages.gradient(width: 64, height: 64), quality: 95)
        let rgb = try ImageFile.decodeRGB(jpeg)
        let gray = try ImageFile.decodeGray(jpeg)
        for y in 0..<64 {
            for x in 0..<64 {
                let (r, g, b) = rgb[x, y]
                #expect(abs(Int(gray[x, y]) - Int(TestImages.luma(r, g, b))) <= 3)
            }
        }
    }

    @Test("JPEG encoding refuses bad quality and empty images")
    func jpegEncodeErrors() {
        let image = TestImages.gradient(width: 8, height: 8)
        #expect { try ImageFile.encodeJPEG(image, quality: 0) } throws: { ($0 as? ImageCodecError)?.code == .encodeFailed }
        #expect { try ImageFile.encodeJPEG(image, quality: 101) } throws: { ($0 as? ImageCodecError)?.code == .encodeFailed }
        #expect { try ImageFile.encodeJPEG(RGBImage(width: 0, height: 0)) } throws: { ($0 as? ImageCodecError)?.code == .encodeFailed }
        #expect { try ImageFile.encodePNG(GrayImage(width: 0, height: 5)) } throws: { ($0 as? ImageCodecError)?.code == .encodeFailed }
    }
}
