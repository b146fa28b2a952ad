import FewClickCore
import Foundation
@testable import NeuralNet

/// Where the parity fixtures live (read by path, as the other suites read theirs).
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
/// The repository root (for the released weights under Models/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Writes safetensors files for the tests: tensors in the order given, F32 or F16.
struct SafeTensorsWriter {
    struct Tensor {
        var name: String
        var shape: [Int]
        var values: [Float]
        var dtype: String = "F32"
    }
    var tensors: [Tensor] = []
    var metadata: [String: String] = [:]

    mutating func add(_ name: String, _ shape: [Int], _ values: [Float], dtype: String = "F32") {
        tensors.append(Tensor(name: name, shape: shape, values: values, dtype: dtype))
    }

    /// The header JSON and the data section separately (so tests can corrupt either).
    func parts() -> (header: [String: Any], data: [UInt8]) {
        var header: [String: Any] = [:]
        var data: [UInt8] = []
        for t in tensors {
            let begin = data.count
            for v in t.values {
                if t.dtype == "F16" {
                    let bits = Float16(v).bitPattern
                    data += [UInt8(bits & 0xff), UInt8(bits >> 8)]
                } else {
                    let bits = v.bitPattern
                    data += (0..<4).map { UInt8((bits >> (8 * $0)) & 0xff) }
                }
            }
            header[t.name] = ["dtype": t.dtype, "shape": t.shape, "data_offsets": [begin, data.count]] as [String: Any]
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        return (header, data)
    }

    static func file(header: [String: Any], data: [UInt8]) -> Data {
        let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return file(headerBytes: [UInt8](json), data: data)
    }

    static func file(headerBytes: [UInt8], data: [UInt8]) -> Data {
        var out = Data()
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        out.append(contentsOf: data)
        return out
    }

    func file() -> Data {
        let (header, data) = parts()
        return Self.file(header: header, data: data)
    }
}

/// FewClickCore's seeded generator, for weights and inputs.
extension SplitMix64 {
    /// Uniform in [-scale, scale).
    mutating func float(_ scale: Float = 1) -> Float { (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    mutating func floats(_ n: Int, _ scale: Float = 1) -> [Float] { (0..<n).map { _ in float(scale) } }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// A graph node as GRAPH_FORMAT.md writes it.
func graphJSON(input: String = "input", channels: Int, output: String, nodes: [[String: Any]]) -> String {
    let graph: [String: Any] = ["input": ["name": input, "channels": channels], "output": output, "nodes": nodes]
    return String(decoding: try! JSONSerialization.data(withJSONObject: graph, options: [.sortedKeys]), as: UTF8.self)
}
