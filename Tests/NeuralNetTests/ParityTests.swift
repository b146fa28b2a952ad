import Foundation
import Testing

@testable import NeuralNet

/// Parity with PyTorch on the committed fixtures (written by `python3 -m clicknet.fixtures`), and
/// on the released weights when they exist.
@Suite("PyTorch parity")
struct ParityTests {
    static let tiny = fixturesDirectory.appendingPathComponent("tiny.safetensors")
    static let tinyF16 = fixturesDirectory.appendingPathComponent("tiny-f16.safetensors")
    static let tinyIO = fixturesDirectory.appendingPathComponent("tiny-io.safetensors")
    static let released = repositoryRoot.appendingPathComponent("Models/clicknet/clicknet.safetensors")
    static let releasedIO = repositoryRoot.appendingPathComponent("Models/clicknet/clicknet-io.safetensors")

    static func exists(_ urls: URL...) -> Bool { urls.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }

    /// Every `input_<S>` of an io file with its reference output `<prefix>_<S>`: the largest
    /// absolute difference per size.
    static func compare(_ network: NeuralNetwork, io: SafeTensors, outputPrefix: String) throws -> [(Int, Float)] {
        var results: [(Int, Float)] = []
        for name in io.tensors.keys.sorted() where name.hasPrefix("input_") {
            let suffix = String(name.dropFirst("input_".count))
            guard io.tensors["\(outputPrefix)_\(suffix)"] != nil else { continue }
            let info = try io.info(name)
            try #require(info.shape.count == 4 && info.shape[0] == 1)
            let (h, w) = (info.shape[2], info.shape[3])
            let out = try network.forward(try io.floats(name), height: h, width: w)
            let expected = try io.floats("\(outputPrefix)_\(suffix)")
            try #require(out.values.count == expected.count)
            results.append((h, maxAbsDifference(out.values, expected)))
        }
        return results
    }

    @Test("tiny network (F32): max abs difference ≤ 1e-3 at every size", .enabled(if: exists(tiny, tinyIO)))
    func f32() throws {
        let results = try Self.compare(
            try NeuralNetwork(contentsOf: Self.tiny), io: try SafeTensors(contentsOf: Self.tinyIO), outputPrefix: "logits")
        #expect(results.count >= 3)
        for (size, diff) in results {
            print("parity tiny F32 S=\(size): max abs diff \(diff)")
            #expect(diff <= 1e-3, "S=\(size)")
        }
    }

    @Test("tiny network (F16 storage) against PyTorch on the F16-rounded weights", .enabled(if: exists(tinyF16, tinyIO)))
    func f16() throws {
        let io = try SafeTensors(contentsOf: Self.tinyIO)
        let hasF16 = io.tensors.keys.contains { $0.hasPrefix("logits_f16_") }
        let results = try Self.compare(
            try NeuralNetwork(contentsOf: Self.tinyF16), io: io, outputPrefix: hasF16 ? "logits_f16" : "logits")
        #expect(results.count >= 3)
        for (size, diff) in results {
            print("parity tiny F16 S=\(size): max abs diff \(diff) (against \(hasF16 ? "logits_f16" : "logits"))")
            // Without F16 references only the weight rounding separates the two: a looser bound.
            #expect(diff <= (hasF16 ? 1e-3 : 5e-2), "S=\(size)")
        }
    }

    @Test("released clicknet weights match their reference outputs", .enabled(if: exists(released, releasedIO)))
    func releasedParity() throws {
        let network = try NeuralNetwork(contentsOf: Self.released)
        let results = try Self.compare(network, io: try SafeTensors(contentsOf: Self.releasedIO), outputPrefix: "logits")
        #expect(!results.isEmpty)
        for (size, diff) in results {
            print("parity clicknet S=\(size): max abs diff \(diff)")
            #expect(diff <= 1e-3, "S=\(size)")
        }
    }

    @Test("released clicknet weights load and run at their input size", .enabled(if: exists(released)))
    func releasedLoads() throws {
        let network = try NeuralNetwork(contentsOf: Self.released)
        let size = Int(network.metadata["fewclick.input_size"] ?? "") ?? 256
        let out = try network.forward([Float](repeating: 0, count: network.inputChannels * size * size), height: size, width: size)
        #expect(out.height == size && out.width == size)
        #expect(out.values.allSatisfy { $0.isFinite })
    }
}
