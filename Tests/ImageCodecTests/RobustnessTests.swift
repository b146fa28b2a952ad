import FewClickCore
import ImageCodec
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Robustness against bad data")
struct RobustnessTests {
    static let jpeg: [UInt8] = try! ImageFile.encodeJPEG(TestImages.gradient(width: 48, height: 40), quality: 85)
    static let png: [UInt8] = try! ImageFile.encodePNG(TestImages.noiseRGB(width: 24, height: 20, seed: 3))
    static let grayPNG: [UInt8] = try! ImageFile.encodePNG(TestImages.noiseGray(width: 33, height: 7, seed: 4))

    /// Decodes with every entry point; returns the error codes seen (nil where decoding succeeded).
    @discardableResult
    static func exercise(_ data: [UInt8]) -> [ImageCodecError.Code?] {
        var codes: [ImageCodecError.Code?] = []
        do { _ = try ImageFile.info(data); codes.append(nil) } catch { codes.append(error.code) }
        do { _ = try ImageFile.decodeRGB(data); codes.append(nil) } catch { codes.append(error.code) }
        do { _ = try ImageFile.decodeGray(data); codes.append(nil) } catch { codes.append(error.code) }
        return codes
    }

    @Test("a JPEG truncated anywhere in its scan data is corrupt")
    func truncatedJPEG() {
        let jpeg = Self.jpeg
        // Everything before the last 2 bytes (EOI) cut off somewhere: header cuts fail to parse,
        // scan-data cuts make libjpeg warn "premature end", which must not pass as an image.
        for length in stride(from: 0, to: jpeg.count - 2, by: 7) {
            let codes = Self.exercise(Array(jpeg[0..<length]))
            #expect(codes[1] != nil && codes[2] != nil, "prefix of \(length) bytes decoded")
            #expect(codes[1] != .tooLarge)
        }
    }

    @Test("a PNG truncated anywhere is refused")
    func truncatedPNG() {
        for source in [Self.png, Self.grayPNG] {
            // The file ends with the IDAT's CRC (4 bytes) and IEND (12 bytes). Once the zlib
            // stream is complete every pixel is there (and Adler-32 checked), so libspng, like
            // browsers, accepts a file cut after it; any cut inside the image data must fail.
            for length in stride(from: 0, to: source.count - 16, by: 3) {
                let codes = Self.exercise(Array(source[0..<length]))
                #expect(codes[1] != nil && codes[2] != nil, "prefix of \(length) bytes decoded")
            }
        }
    }

    @Test("seeded random mutations throw typed errors or decode, never crash")
    func mutations() {
        var rng = SplitMix64(seed: 0xF00D)
        var outcomes = [String: Int]()
        for round in 0..<600 {
            let source = [Self.jpeg, Self.png, Self.grayPNG][round % 3]
            var data = source
            let edits = Int.random(in: 1...8, using: &rng)
            for _ in 0..<edits {
                guard !data.isEmpty else { break }
                let at = Int.random(in: 0..<data.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: data[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                case 1: data[at] = UInt8.random(in: 0...255, using: &rng)
                case 2: data.remove(at: at)
                case 3: data.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                default: data.removeSubrange(at..<min(data.count, at + Int.random(in: 1...64, using: &rng)))
                }
            }
            for code in Self.exercise(data) { outcomes[code.map { "\($0)" } ?? "decoded", default: 0] += 1 }
        }
        // Both outcomes occur: some mutations are survivable, most are caught.
        #expect(outcomes["corrupt", default: 0] > 0)
        #expect(outcomes["decoded", default: 0] > 0)
    }

    @Test("random bytes behind valid signatures are refused")
    func randomBytes() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<300 {
            let prefix: [UInt8] = round % 2 == 0 ? [0xFF, 0xD8, 0xFF] : Array(Self.png[0..<8])
            let tail = (0..<Int.random(in: 0...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let codes = Self.exercise(prefix + tail)
            #expect(codes[1] != nil)
        }
    }

    @Test("bad data produces no library output on stderr")
    func quietOnStderr() throws {
        let jpeg = Self.jpeg
        let captured = try captureStandardError {
            Self.exercise(Array(jpeg[0..<(jpeg.count / 2)]))
            Self.exercise(Array(jpeg[0..<(jpeg.count - 2)]))
            var corrupted = jpeg
            for i in stride(from: jpeg.count / 2, to: jpeg.count - 2, by: 9) { corrupted[i] = 0xFF }
            Self.exercise(corrupted)
            Self.exercise(Array(Self.png[0..<(Self.png.count / 2)]))
            var badCRC = Self.png
            badCRC[40] ^= 0x55
            Self.exercise(badCRC)
        }
        // Other tests may print through the test runner meanwhile; look for the libraries' words.
        for phrase in ["Corrupt JPEG data", "Premature end", "Invalid JPEG", "Bogus", "marker", "libpng", "spng", "huffman", "Huffman"] {
            #expect(!captured.contains(phrase), "stderr: \(captured)")
        }
    }

    @Test("stray bytes before a marker are tolerated, as browsers do")
    func extraneousBytes() throws {
        // libjpeg warns "Corrupt JPEG data: 2 extraneous bytes before marker 0xdb" for junk
        // between two header segments (here after the 18-byte APP0 that follows SOI).
        var jpeg = Self.jpeg
        #expect(jpeg[2] == 0xFF && jpeg[3] == 0xE0 && jpeg[20] == 0xFF)
        jpeg.insert(contentsOf: [0x00, 0x12], at: 20)
        #expect(try ImageFile.info(jpeg).width == 48)
        #expect(try ImageFile.decodeRGB(jpeg) == (try ImageFile.decodeRGB(Self.jpeg)))
        #expect(try ImageFile.decodeGray(jpeg) == (try ImageFile.decodeGray(Self.jpeg)))
        // The same junk inside the scan data is real corruption.
        var scan = Self.jpeg
        for i in stride(from: scan.count / 2, to: scan.count / 2 + 40, by: 4) { scan[i] = 0xFF; scan[i + 1] = 0xD3 }
        #expect { try ImageFile.decodeRGB(scan) } throws: { ($0 as? ImageCodecError)?.code == .corrupt }
    }
}

/// Runs `body` with file descriptor 2 redirected to a temporary file and returns what was written.
func captureStandardError(_ body: () -> Void) throws -> String {
    var template = Array("/tmp/imagecodec-stderr-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    try #require(fd >= 0)
    let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { close(fd); unlink(path) }
    fflush(nil)
    let saved = dup(2)
    dup2(fd, 2)
    body()
    fflush(nil)
    dup2(saved, 2)
    close(saved)
    lseek(fd, 0, SEEK_SET)
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
