import FewClickCore
import Foundation
import Testing

/// One mask and what pycocotools wrote for it (see Fixtures/make_rle_vectors.py).
struct RLEVector: Decodable {
    var name: String
    var height: Int
    var width: Int
    var bits: String
    var size: [Int]
    var counts: String
    var runs: [Int]
    var area: Int

    var mask: Mask {
        Mask(width: width, height: height, bits: bits.utf8.map { $0 == UInt8(ascii: "1") ? 1 : 0 })
    }
}

private struct RLEVectorFile: Decodable {
    var generator: String
    var cases: [RLEVector]
}

private func loadVectors() throws -> [RLEVector] {
    let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent("rle_vectors.json"))
    return try JSONDecoder().decode(RLEVectorFile.self, from: data).cases
}

@Suite("COCO RLE")
struct RLETests {
    @Test("encoding matches pycocotools byte for byte")
    func encodeMatchesPycocotools() throws {
        let vectors = try loadVectors()
        #expect(vectors.count >= 20)
        for v in vectors {
            let rle = v.mask.cocoRLE()
            #expect(rle.size == v.size, "\(v.name)")
            #expect(rle.counts == v.counts, "\(v.name)")
            #expect(v.mask.columnMajorRuns() == v.runs, "\(v.name)")
            #expect(v.mask.area == v.area, "\(v.name)")
        }
    }

    @Test("decoding pycocotools strings gives the original masks")
    func decodePycocotools() throws {
        for v in try loadVectors() {
            let mask = try Mask(cocoRLE: COCORLE(size: v.size, counts: v.counts))
            #expect(mask == v.mask, "\(v.name)")
        }
    }

    @Test("uncompressed counts decode through Codable to the pycocotools string")
    func uncompressedForm() throws {
        for v in try loadVectors() {
            let json = try JSONEncoder().encode(["size": v.size, "counts": v.runs])
            let rle = try JSONDecoder().decode(COCORLE.self, from: json)
            #expect(rle.counts == v.counts, "\(v.name)")
            #expect(try rle.runLengths() == v.runs, "\(v.name)")
        }
    }

    @Test("Codable round trip keeps the compressed form")
    func codableRoundTrip() throws {
        let rle = COCORLE(size: [3, 4], counts: "1231")
        let json = try JSONEncoder().encode(rle)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"counts\":\"1231\""))
        #expect(try JSONDecoder().decode(COCORLE.self, from: json) == rle)
    }

    @Test("random masks round trip", arguments: [(1, 1), (1, 13), (13, 1), (7, 5), (64, 48), (131, 97)])
    func randomRoundTrip(width: Int, height: Int) throws {
        var rng = SplitMix64(seed: UInt64(width * 1000 + height))
        for p in [0.0, 0.02, 0.3, 0.5, 0.97, 1.0] {
            for _ in 0..<5 {
                let mask = TestMasks.noise(width: width, height: height, p: p, rng: &rng)
                let rle = mask.cocoRLE()
                #expect(rle.size == [height, width])
                #expect(try Mask(cocoRLE: rle) == mask)
                #expect(try Mask(height: height, width: width, columnMajorRuns: mask.columnMajorRuns()) == mask)
            }
        }
        let blobs = TestMasks.blobs(width: width, height: height, count: 4, rng: &rng)
        #expect(try Mask(cocoRLE: blobs.cocoRLE()) == blobs)
    }

    @Test("zero-sized masks encode as pycocotools does")
    func zeroSized() throws {
        let rle = Mask(width: 0, height: 0).cocoRLE()
        #expect(rle == COCORLE(size: [0, 0], counts: "0"))
        #expect(try Mask(cocoRLE: rle) == Mask(width: 0, height: 0))
        #expect(try Mask(cocoRLE: COCORLE(size: [0, 5], counts: "")).width == 5)
    }

    @Test(
        "malformed input is a typed error",
        arguments: [
            (COCORLE(size: [2, 2], counts: "4 "), RLEError.Code.malformedCounts),  // byte outside the alphabet
            (COCORLE(size: [2, 2], counts: "p"), .malformedCounts),  // one past the alphabet
            (COCORLE(size: [2, 2], counts: "é"), .malformedCounts),  // non-ASCII
            (COCORLE(size: [2, 2], counts: "`"), .malformedCounts),  // ends inside a number
            (COCORLE(size: [2, 2], counts: "o"), .malformedCounts),  // ends inside a number
            (COCORLE(size: [2, 2], counts: "@"), .malformedCounts),  // decodes to -16
            (COCORLE(size: [2, 2], counts: "```````````````0"), .malformedCounts),  // over-long number
            (COCORLE(size: [2, 2], counts: "3"), .countsMismatch),  // 3 of 4 pixels
            (COCORLE(size: [2, 2], counts: "5"), .countsMismatch),  // 5 of 4 pixels
            (COCORLE(size: [2, 2], counts: "113"), .countsMismatch),  // 1 + 1 + 3 of 4 pixels
            (COCORLE(size: [2, 2], counts: "111O"), .countsMismatch),  // 4th run 1 - 1 = 0: 3 of 4 pixels
            (COCORLE(size: [2, 2], counts: "13O"), .malformedCounts),  // third run (not delta-coded) is -1
            (COCORLE(size: [2], counts: "4"), .invalidSize),
            (COCORLE(size: [2, 2, 1], counts: "4"), .invalidSize),
            (COCORLE(size: [-2, -2], counts: "4"), .invalidSize),
            (COCORLE(size: [100_000, 100_000], counts: "4"), .tooLarge),
            (COCORLE(size: [Int.max, 3], counts: "4"), .tooLarge),
        ])
    func malformed(rle: COCORLE, expected: RLEError.Code) {
        #expect {
            _ = try Mask(cocoRLE: rle)
        } throws: { error in
            (error as? RLEError)?.code == expected
        }
    }

    @Test("the pixel limit is the caller's")
    func pixelLimit() throws {
        let rle = Mask(width: 10, height: 10).cocoRLE()
        #expect(throws: RLEError.self) { try Mask(cocoRLE: rle, maxPixels: 99) }
        #expect(try Mask(cocoRLE: rle, maxPixels: 100).area == 0)
    }

    @Test("uncompressed runs are validated")
    func uncompressedValidation() {
        #expect(throws: RLEError.self) { try COCORLE(height: 2, width: 2, runLengths: [1, -1, 4]) }
        #expect(throws: RLEError.self) { try COCORLE(height: 2, width: 2, runLengths: [1, 2]) }
        #expect(throws: RLEError.self) { try Mask(height: 2, width: 2, columnMajorRuns: [5]) }
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(COCORLE.self, from: Data(#"{"size":[2,2],"counts":[1,2]}"#.utf8))
        }
    }

    @Test("column-major order: a row of the image is strided in the runs")
    func columnMajor() throws {
        // 2 rows × 3 columns, top row object: column-major 1,0,1,0,1,0 → runs [0,1,1,1,1,1,1].
        let mask = TestMasks.ascii(["###", "..."])
        #expect(mask.columnMajorRuns() == [0, 1, 1, 1, 1, 1, 1])
    }
}
