import FewClickCore
import ImageCodec
import Testing

@Suite("Headers and limits")
struct HeaderAndLimitTests {
    @Test("info reads format and size of PNG and JPEG")
    func info() throws {
        let image = TestImages.gradient(width: 97, height: 41)
        #expect(try ImageFile.info(ImageFile.encodePNG(image)) == ImageInfo(format: .png, width: 97, height: 41))
        #expect(try ImageFile.info(ImageFile.encodeJPEG(image)) == ImageInfo(format: .jpeg, width: 97, height: 41))
    }

    @Test("a PNG header claiming 100000×100000 is refused as too large")
    func hugePNG() throws {
        let png = Bytes.pngHeader(width: 100_000, height: 100_000)
        #expect { try ImageFile.decodeRGB(png) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
        #expect { try ImageFile.decodeGray(png) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
    }

    @Test("a PNG header over maxPixels is refused before decoding its (bogus) data")
    func manyPixelsPNG() throws {
        // 60000×60000 is within the side limit but 3.6 gigapixels; the IDAT is garbage, so
        // only a check made before decoding can report "too large" rather than "corrupt".
        let png = Bytes.pngHeader(width: 60_000, height: 60_000)
        #expect { try ImageFile.decodeRGB(png) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
        let info = try ImageFile.info(png)
        #expect(info.width == 60_000 && info.height == 60_000)
    }

    @Test("a JPEG header claiming 60000×60000 is refused as too large")
    func hugeJPEG() throws {
        let jpeg = try ImageFile.encodeJPEG(TestImages.gradient(width: 16, height: 16))
        let huge = try #require(Bytes.jpegWithFrameSize(jpeg, width: 60_000, height: 60_000))
        #expect(try ImageFile.info(huge) == ImageInfo(format: .jpeg, width: 60_000, height: 60_000))
        #expect { try ImageFile.decodeRGB(huge) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
        #expect { try ImageFile.decodeGray(huge) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
    }

    @Test("maxPixels is honoured exactly")
    func maxPixels() throws {
        let png = try ImageFile.encodePNG(TestImages.noiseGray(width: 100, height: 50, seed: 1))
        #expect(try ImageFile.decodeGray(png, maxPixels: 5000).width == 100)
        #expect { try ImageFile.decodeGray(png, maxPixels: 4999) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
        let jpeg = try ImageFile.encodeJPEG(TestImages.gradient(width: 100, height: 50))
        #expect(try ImageFile.decodeRGB(jpeg, maxPixels: 5000).width == 100)
        #expect { try ImageFile.decodeRGB(jpeg, maxPixels: 4999) } throws: { ($0 as? ImageCodecError)?.code == .tooLarge }
    }

    @Test("zero dimensions are corrupt")
    func zeroDimensions() throws {
        #expect { try ImageFile.decodeRGB(Bytes.pngHeader(width: 0, height: 10)) } throws: { ($0 as? ImageCodecError)?.code == .corrupt }
        let jpeg = try ImageFile.encodeJPEG(TestImages.gradient(width: 16, height: 16))
        let zero = try #require(Bytes.jpegWithFrameSize(jpeg, width: 16, height: 0))
        #expect { try ImageFile.decodeRGB(zero) } throws: { ($0 as? ImageCodecError)?.code == .corrupt }
    }

    @Test("GIF, WebP, BMP and empty data are unsupported formats")
    func unsupported() {
        let samples: [[UInt8]] = [
            Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0],
            Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8),
            Array("BM".utf8) + [UInt8](repeating: 0, count: 40),
            [],
            [0xFF, 0xD8],
        ]
        for data in samples {
            #expect { try ImageFile.decodeRGB(data) } throws: { ($0 as? ImageCodecError)?.code == .unsupportedFormat }
            #expect { try ImageFile.info(data) } throws: { ($0 as? ImageCodecError)?.code == .unsupportedFormat }
        }
    }

    @Test("YCCK (CMYK) JPEGs decode as Adobe-inverted CMYK")
    func cmyk() throws {
        // libjpeg-turbo writes CMYK input as a YCCK JPEG with an Adobe marker.
        let cmyk = CMYKEncoder.solid(width: 16, height: 16, c: 200, m: 100, y: 50, k: 255)
        let rgb = try ImageFile.decodeRGB(cmyk)
        let (r, g, b) = rgb[8, 8]
        #expect(abs(Int(r) - 200) <= 4 && abs(Int(g) - 100) <= 4 && abs(Int(b) - 50) <= 4, "\(r) \(g) \(b)")
        let half = CMYKEncoder.solid(width: 16, height: 16, c: 200, m: 100, y: 50, k: 128)
        let (r2, _, _) = try ImageFile.decodeRGB(half)[4, 4]
        #expect(abs(Int(r2) - 100) <= 4)
        let gray = try ImageFile.decodeGray(cmyk)
        #expect(abs(Int(gray[8, 8]) - Int(TestImages.luma(200, 100, 50))) <= 4)
    }
}
