/// A mask in COCO's compressed run-length encoding, exactly as pycocotools' `mask.encode` writes it
/// (and `mask.decode` reads it).
///
/// The runs are taken in column-major (Fortran) order: down the first column, then down the second,
/// and so on. They alternate background / object and always start with a (possibly empty) background
/// run. `counts` holds the run lengths as COCO's text form: each run length, from the fourth on,
/// minus the run length two before it, written as a little-endian base-32 variable-length signed
/// integer with 5 data bits and 1 continuation bit per character, offset by 48 (`'0'`).
///
/// The Codable form is the COCO JSON object `{"size": [h, w], "counts": "..."}`. Decoding also
/// accepts COCO's uncompressed form `{"size": [h, w], "counts": [n0, n1, ...]}` and compresses it.
public struct COCORLE: Sendable, Codable, Equatable, Hashable {
    /// `[height, width]` in pixels (COCO's order).
    public var size: [Int]
    /// The run lengths in COCO's compressed text form.
    public var counts: String

    /// Wraps a size and a compressed counts string as given; nothing is validated until decoding
    /// (`Mask(cocoRLE:)`).
    public init(size: [Int], counts: String) {
        self.size = size
        self.counts = counts
    }

    /// Builds the compressed form from uncompressed run lengths (COCO's `{"size", "counts": [Int]}`).
    ///
    /// - Parameters:
    ///   - height: mask height in pixels.
    ///   - width: mask width in pixels.
    ///   - runLengths: alternating background/object run lengths in column-major order, starting with
    ///     background (0 when the first pixel is object).
    /// - Throws: `RLEError` `.invalidSize` for a negative size, `.malformedCounts` for a negative run,
    ///   `.countsMismatch` when the runs do not add up to `height * width`.
    public init(height: Int, width: Int, runLengths: [Int]) throws(RLEError) {
        try RLECoding.checkRuns(runLengths, height: height, width: width)
        self.size = [height, width]
        self.counts = RLECoding.compress(runLengths)
    }

    /// Mask height in pixels, or nil when `size` is not a pair.
    public var height: Int? { size.count == 2 ? size[0] : nil }
    /// Mask width in pixels, or nil when `size` is not a pair.
    public var width: Int? { size.count == 2 ? size[1] : nil }

    /// The uncompressed run lengths (column-major, alternating background/object, background first).
    ///
    /// - Throws: `RLEError` `.malformedCounts` when the string is not valid COCO RLE text.
    ///   The size is not checked here.
    public func runLengths() throws(RLEError) -> [Int] {
        try RLECoding.decompress(counts)
    }

    private enum CodingKeys: String, CodingKey {
        case size, counts
    }

    /// Decodes `{"size": [h, w], "counts": "..."}` or `{"size": [h, w], "counts": [Int]}`.
    /// The uncompressed form is validated (non-negative runs adding up to h·w) and compressed;
    /// the compressed form is validated only when decoded into a `Mask`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let size = try container.decode([Int].self, forKey: .size)
        if let text = try? container.decode(String.self, forKey: .counts) {
            self.init(size: size, counts: text)
            return
        }
        let runs = try container.decode([Int].self, forKey: .counts)
        guard size.count == 2 else {
            throw DecodingError.dataCorruptedError(
                forKey: .size, in: container, debugDescription: "size must be [height, width]")
        }
        do {
            try self.init(height: size[0], width: size[1], runLengths: runs)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .counts, in: container, debugDescription: error.description)
        }
    }

    /// Encodes the compressed form `{"size": [h, w], "counts": "..."}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(size, forKey: .size)
        try container.encode(counts, forKey: .counts)
    }
}

/// Why an RLE could not be decoded. RLE text comes from clients, so every malformed input ends here,
/// never in a crash.
///
/// A struct whose ``Code`` wraps a private enum (as `InferenceProtocolError`), so a new kind breaks
/// no caller: compare codes with `==`, or `switch` over ``code`` with a `default`.
public struct RLEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure. New kinds may be added: compare with `==` or switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable { case invalidSize, tooLarge, malformedCounts, countsMismatch }
        private let kind: Kind

        /// `size` is not `[height, width]` with non-negative values.
        public static let invalidSize = Code(kind: .invalidSize)
        /// `height * width` is above the caller's pixel limit.
        public static let tooLarge = Code(kind: .tooLarge)
        /// The counts string has a character outside COCO's alphabet (`'0'`…`'o'`), ends in the middle
        /// of a number, or yields a negative or over-long run.
        public static let malformedCounts = Code(kind: .malformedCounts)
        /// The runs do not add up to `height * width`.
        public static let countsMismatch = Code(kind: .countsMismatch)

        /// The kind's name, e.g. `malformedCounts`.
        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation, safe to return to clients.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `message`.
    public var description: String { message }
}

extension Mask {
    /// The default cap on `height * width` when decoding RLE from untrusted input (40 megapixels,
    /// the same as the image decoder's default).
    public static let defaultMaxRLEPixels = 40_000_000

    /// This mask in COCO compressed RLE, byte for byte what pycocotools' `mask.encode` returns for
    /// the same mask (as a Fortran-ordered uint8 array).
    public func cocoRLE() -> COCORLE {
        COCORLE(size: [height, width], counts: RLECoding.compress(columnMajorRuns()))
    }

    /// The uncompressed COCO run lengths of this mask: column-major, alternating background/object,
    /// starting with background (a leading 0 when pixel (0, 0) is object). An empty-area mask
    /// (`width * height == 0`) gives `[0]`, as pycocotools does.
    public func columnMajorRuns() -> [Int] {
        let w = width, h = height
        var runs: [Int] = []
        runs.reserveCapacity(64)
        guard w > 0, h > 0 else { return [0] }
        // Transpose once (cache-friendly tiles), then scan linearly, 8 pixels at a time inside runs.
        var columns = [UInt8](repeating: 0, count: w * h)
        bits.withUnsafeBufferPointer { src in
            columns.withUnsafeMutableBufferPointer { dst in
                RLECoding.transpose(src.baseAddress!, rows: h, columns: w, into: dst.baseAddress!)
            }
        }
        columns.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            let n = w * h
            var i = 0
            var current: UInt8 = 0
            var runStart = 0
            while i < n {
                // Extend the current run: whole words of `current` first, then byte by byte.
                let word: UInt64 = current == 0 ? 0 : 0x0101_0101_0101_0101
                while i + 8 <= n && UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) == word { i += 8 }
                while i < n && (p[i] != 0) == (current != 0) { i += 1 }
                // Only the first run can be empty (pixel (0, 0) is object), as in COCO.
                runs.append(i - runStart)
                runStart = i
                current ^= 1
            }
        }
        return runs
    }

    /// Decodes a COCO RLE (compressed counts string).
    ///
    /// - Parameters:
    ///   - cocoRLE: the encoded mask.
    ///   - maxPixels: refuse masks with more pixels than this (the size comes from clients).
    /// - Throws: `RLEError`: `.invalidSize` when `size` is not two non-negative integers, `.tooLarge`
    ///   above `maxPixels`, `.malformedCounts` for text that is not COCO RLE, `.countsMismatch` when
    ///   the runs do not cover exactly `height * width` pixels.
    public init(cocoRLE: COCORLE, maxPixels: Int = Mask.defaultMaxRLEPixels) throws(RLEError) {
        guard cocoRLE.size.count == 2 else {
            throw RLEError(.invalidSize, "size must be [height, width], got \(cocoRLE.size.count) values")
        }
        let h = cocoRLE.size[0], w = cocoRLE.size[1]
        let total = try RLECoding.validatedPixelCount(height: h, width: w, maxPixels: maxPixels)
        // The runs are decoded and checked before the mask is allocated.
        let runs = try RLECoding.decompress(cocoRLE.counts, limit: total)
        try self.init(height: h, width: w, columnMajorRuns: runs)
    }

    /// Builds a mask from uncompressed COCO run lengths (column-major, background first).
    ///
    /// - Throws: `RLEError`: `.invalidSize` for a negative size, `.malformedCounts` for a negative
    ///   run, `.countsMismatch` when the runs do not add up to `height * width`.
    public init(height: Int, width: Int, columnMajorRuns runs: [Int]) throws(RLEError) {
        let total = try RLECoding.checkRuns(runs, height: height, width: width)
        var bits = [UInt8](repeating: 0, count: total)
        if height > 0 && width > 0 {
            // Paint the runs in column-major order, then transpose into rows.
            var columns = [UInt8](repeating: 0, count: total)
            columns.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                var index = 0
                var value = false
                for run in runs {
                    if value && run > 0 { (base + index).update(repeating: 1, count: run) }
                    index += run
                    value.toggle()
                }
            }
            columns.withUnsafeBufferPointer { src in
                bits.withUnsafeMutableBufferPointer { dst in
                    RLECoding.transpose(src.baseAddress!, rows: width, columns: height, into: dst.baseAddress!)
                }
            }
        }
        self.init(width: width, height: height, bits: bits)
    }
}

/// COCO's counts text: the run-length string codec of pycocotools' `maskApi.c`
/// (`rleToString` / `rleFrString`).
enum RLECoding {
    /// Checks a `[h, w]` size and returns `h * w`.
    static func validatedPixelCount(height: Int, width: Int, maxPixels: Int) throws(RLEError) -> Int {
        guard height >= 0, width >= 0 else {
            throw RLEError(.invalidSize, "size [\(height), \(width)] has a negative value")
        }
        let (total, overflow) = height.multipliedReportingOverflow(by: width)
        guard !overflow, total <= maxPixels else {
            throw RLEError(.tooLarge, "size [\(height), \(width)] is above the limit of \(maxPixels) pixels")
        }
        return total
    }

    /// Checks that `runs` are non-negative and cover exactly `height * width` pixels; returns that count.
    @discardableResult
    static func checkRuns(_ runs: [Int], height: Int, width: Int) throws(RLEError) -> Int {
        let total = try validatedPixelCount(height: height, width: width, maxPixels: Int.max)
        var sum = 0
        for run in runs {
            guard run >= 0 else { throw RLEError(.malformedCounts, "run length \(run) is negative") }
            sum += run
            // Stop early: the sum can then never overflow.
            guard sum <= total else { break }
        }
        guard sum == total else {
            throw RLEError(.countsMismatch, "runs cover \(sum) pixels, size \(height)x\(width) has \(total)")
        }
        return total
    }

    /// Transposes a `rows × columns` row-major byte matrix into `dst` (`columns × rows`, row-major),
    /// in square tiles so both sides stay in cache.
    static func transpose(_ src: UnsafePointer<UInt8>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<UInt8>) {
        let tile = 32
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + tile)
            var c0 = 0
            while c0 < columns {
                let c1 = min(columns, c0 + tile)
                for r in r0..<r1 {
                    let s = src + r * columns
                    for c in c0..<c1 { dst[c * rows + r] = s[c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }

    /// `rleToString`: run lengths → counts text. From the fourth run on (index > 2, pycocotools'
    /// exact rule), the run two before is subtracted first.
    static func compress(_ runs: [Int]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(runs.count * 2)
        for i in runs.indices {
            var x = runs[i]
            if i > 2 { x -= runs[i - 2] }
            var more = true
            while more {
                var c = UInt8(truncatingIfNeeded: x & 0x1f)
                x >>= 5  // arithmetic shift, as the C code on a signed long
                more = (c & 0x10) != 0 ? x != -1 : x != 0
                if more { c |= 0x20 }
                out.append(c &+ 48)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `rleFrString`: counts text → run lengths, with the checks the C code leaves out.
    ///
    /// - Parameter limit: the largest run (and running total) accepted; decoding stops with
    ///   `.countsMismatch` as soon as the runs exceed it, so hostile input cannot make it allocate
    ///   much more than the text's length.
    static func decompress(_ text: String, limit: Int = Int(UInt32.max)) throws(RLEError) -> [Int] {
        var runs: [Int] = []
        var text = text
        let result = text.withUTF8 { decompress($0, limit: limit, into: &runs) }
        try result.get()
        return runs
    }

    private static func decompress(
        _ s: UnsafeBufferPointer<UInt8>, limit: Int, into runs: inout [Int]
    ) -> Result<Void, RLEError> {
        runs.reserveCapacity(min(s.count, 1 << 20))
        var p = 0
        var total = 0
        while p < s.count {
            var x = 0
            var k = 0
            var more = true
            while more {
                guard p < s.count else {
                    return .failure(RLEError(.malformedCounts, "counts end in the middle of a number"))
                }
                let byte = s[p]
                guard byte >= 48, byte < 48 + 64 else {
                    return .failure(RLEError(.malformedCounts, "counts contain a byte outside COCO's alphabet at offset \(p)"))
                }
                // 13 characters hold 65 bits; no valid run needs more than 7 (32-bit counts + sign).
                guard k < 12 else {
                    return .failure(RLEError(.malformedCounts, "counts hold an over-long number at offset \(p)"))
                }
                let c = Int(byte - 48)
                x |= (c & 0x1f) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
            }
            let m = runs.count
            if m > 2 { x += runs[m - 2] }
            guard x >= 0 else {
                return .failure(RLEError(.malformedCounts, "counts decode to a negative run (\(x))"))
            }
            guard x <= limit, total + x <= limit else {
                return .failure(RLEError(.countsMismatch, "runs cover more than the \(limit) pixels of the mask"))
            }
            total += x
            runs.append(x)
        }
        return .success(())
    }
}
