import FewClickCore
import Foundation
import Testing

@testable import NeuralNet

@Suite("SafeTensors reader")
struct SafeTensorsTests {
    static func sample() -> SafeTensorsWriter {
        var w = SafeTensorsWriter()
        w.add("a", [2, 3], [1, 2, 3, 4, 5, 6])
        w.add("h", [4], [0.5, -2, 65504, 1e-3], dtype: "F16")
        w.add("scalar", [], [7])
        w.add("empty", [0, 3], [])
        w.metadata = ["k": "v"]
        return w
    }

    func expectError(_ kind: NeuralNetError, _ data: Data, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SafeTensors(data: data)
            Issue.record("accepted a bad file", sourceLocation: sourceLocation)
        } catch {
            #expect(error.isSameKind(as: kind), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("reads F32 and F16 tensors, scalars, empty tensors and metadata")
    func reads() throws {
        let file = try SafeTensors(data: Self.sample().file())
        #expect(file.metadata == ["k": "v"])
        #expect(try file.floats("a") == [1, 2, 3, 4, 5, 6])
        #expect(try file.info("a").shape == [2, 3])
        #expect(try file.floats("h") == [0.5, -2, 65504, Float(Float16(1e-3))])
        #expect(try file.info("h").dtype == .f16)
        #expect(try file.floats("scalar") == [7])
        #expect(try file.floats("empty") == [])
        #expect(throws: NeuralNetError.self) { try file.floats("nope") }
    }

    @Test("reads a slice of a larger buffer (non-zero start index)")
    func slice() throws {
        let bytes = Data([9, 9, 9]) + Self.sample().file()
        let file = try SafeTensors(data: bytes.dropFirst(3))
        #expect(try file.floats("a") == [1, 2, 3, 4, 5, 6])
    }

    @Test("refuses truncated files and header lengths beyond the file")
    func truncated() {
        expectError(.truncated(""), Data([1, 2, 3]))
        var bytes = Self.sample().file()
        bytes[7] = 0x7f  // a header length near 2^63
        expectError(.truncated(""), bytes)
        expectError(.truncated(""), SafeTensorsWriter.file(headerBytes: [], data: []).dropLast(1))
        // Cutting into the data section leaves an offset out of range.
        expectError(.invalidOffsets(""), Self.sample().file().dropLast(2))
    }

    @Test("refuses headers that are not a JSON object of well-formed entries")
    func badHeader() {
        expectError(.invalidHeader(""), SafeTensorsWriter.file(headerBytes: Array("{\"a\": ".utf8), data: []))
        expectError(.invalidHeader(""), SafeTensorsWriter.file(headerBytes: Array("[1, 2]".utf8), data: []))
        expectError(.invalidHeader(""), SafeTensorsWriter.file(header: ["a": 3], data: []))
        expectError(.invalidHeader(""), SafeTensorsWriter.file(header: ["a": ["dtype": "F32", "data_offsets": [0, 4]]], data: [0, 0, 0, 0]))
        expectError(
            .invalidHeader(""),
            SafeTensorsWriter.file(header: ["a": ["dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]]], data: [0, 0, 0, 0]))
        expectError(
            .invalidHeader(""),
            SafeTensorsWriter.file(header: ["a": ["dtype": "F32", "shape": [-1], "data_offsets": [0, 4]]], data: [0, 0, 0, 0]))
        expectError(
            .invalidHeader(""),
            SafeTensorsWriter.file(header: ["a": ["dtype": "F32", "shape": [1], "data_offsets": [0]]], data: [0, 0, 0, 0]))
        expectError(.invalidHeader(""), SafeTensorsWriter.file(header: ["__metadata__": ["k": 1]], data: []))
        expectError(.invalidHeader(""), SafeTensorsWriter.file(header: ["__metadata__": "x"], data: []))
    }

    @Test("refuses dtypes other than F32 and F16")
    func dtypes() {
        for dtype in ["BF16", "F64", "I64", "U8", "BOOL", "f32"] {
            expectError(
                .unsupportedDType(""),
                SafeTensorsWriter.file(header: ["a": ["dtype": dtype, "shape": [1], "data_offsets": [0, 4]]], data: [0, 0, 0, 0]))
        }
    }

    @Test("refuses offsets out of range, overlapping, reversed or not matching shape × dtype")
    func offsets() throws {
        func file(_ entries: [String: [Int]], shape: [Int] = [1], bytes: Int = 8) -> Data {
            SafeTensorsWriter.file(
                header: entries.mapValues { ["dtype": "F32", "shape": shape, "data_offsets": $0] as [String: Any] },
                data: [UInt8](repeating: 0, count: bytes))
        }
        expectError(.invalidOffsets(""), file(["a": [4, 12]]))
        expectError(.invalidOffsets(""), file(["a": [-4, 0]]))
        expectError(.invalidOffsets(""), file(["a": [4, 0]]))
        expectError(.invalidOffsets(""), file(["a": [0, 4], "b": [2, 6]]))
        expectError(.invalidOffsets(""), file(["a": [0, 8]]))
        expectError(.invalidOffsets(""), file(["a": [0, 4]], shape: [1 << 62, 8]))
        _ = try SafeTensors(data: file(["a": [0, 4], "b": [4, 8]]))
    }

    @Test("never crashes on truncated or garbled copies of a valid file")
    func fuzz() throws {
        let good = MiniNetwork().file()
        var rng = SplitMix64(seed: 42)
        var variants: [Data] = []
        for cut in stride(from: 0, to: good.count, by: max(1, good.count / 300)) { variants.append(good.prefix(cut)) }
        for _ in 0..<400 {
            var bytes = good
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                // Mostly the header (lengths, JSON, offsets), sometimes anywhere.
                let limit = rng.next() % 4 == 0 ? bytes.count : min(bytes.count, 8 + 2000)
                bytes[Int(rng.next() % UInt64(limit))] = UInt8(truncatingIfNeeded: rng.next())
            }
            variants.append(bytes)
        }
        var accepted = 0
        for bytes in variants {
            guard let network = try? NeuralNetwork(data: bytes) else { continue }
            accepted += 1
            // A file that still parses must run or refuse with a typed error.
            let input = [Float](repeating: 0.5, count: network.inputChannels * 24 * 24)
            _ = try? network.forward(input, height: 24, width: 24)
        }
        #expect(accepted < variants.count)
    }
}
