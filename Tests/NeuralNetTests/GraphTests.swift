import FewClickCore
import Foundation
import Testing

@testable import NeuralNet

@Suite("Graph validation")
struct GraphTests {
    /// A one-conv file whose graph nodes the test replaces.
    func file(nodes: [[String: Any]], output: String = "y", metadata: [String: String]? = nil) -> Data {
        var w = SafeTensorsWriter()
        w.add("w", [4, 3, 3, 3], [Float](repeating: 0.1, count: 108))
        w.add("b", [4], [0, 0, 0, 0])
        w.add("w1", [4, 4, 1, 1], [Float](repeating: 0.1, count: 16))
        w.metadata = metadata ?? ["fewclick.graph": graphJSON(channels: 3, output: output, nodes: nodes)]
        return w.file()
    }

    let conv: [String: Any] = [
        "op": "conv2d", "input": "input", "output": "y", "weight": "w", "bias": "b", "stride": [1, 1],
        "padding": [1, 1, 1, 1], "dilation": [1, 1], "groups": 1, "activation": "relu",
    ]

    func with(_ node: [String: Any], _ changes: [String: Any]) -> [String: Any] {
        node.merging(changes) { $1 }
    }

    func expectError(
        _ kind: NeuralNetError, _ data: Data, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try NeuralNetwork(data: data)
            Issue.record("accepted a bad graph", sourceLocation: sourceLocation)
        } catch {
            #expect(error.isSameKind(as: kind), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a valid one-layer graph loads and runs")
    func valid() throws {
        let network = try NeuralNetwork(data: file(nodes: [conv]))
        #expect(network.inputChannels == 3)
        let out = try network.forward([Float](repeating: 1, count: 3 * 5 * 6), height: 5, width: 6)
        #expect((out.channels, out.height, out.width) == (4, 5, 6))
        // Centre pixels see 27 ones × 0.1.
        #expect(abs(out.values[2 * 6 + 2] - 2.7) < 1e-5)
    }

    @Test("refuses a missing or malformed graph")
    func malformed() {
        expectError(.invalidGraph(""), file(nodes: [], metadata: [:]))
        expectError(.invalidGraph(""), file(nodes: [], metadata: ["fewclick.graph": "{"]))
        expectError(.invalidGraph(""), file(nodes: [], metadata: ["fewclick.graph": "{\"input\": 1}"]))
        expectError(
            .invalidGraph(""),
            file(nodes: [], metadata: ["fewclick.format": "v9", "fewclick.graph": graphJSON(channels: 3, output: "input", nodes: [])]))
    }

    @Test("refuses unknown ops, values, activations, duplicate outputs and a missing output")
    func names() {
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["op": "conv3d"])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["input": "nope"])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["activation": "gelu"])]))
        expectError(.invalidGraph(""), file(nodes: [conv, conv]))
        expectError(.invalidGraph(""), file(nodes: [conv], output: "z"))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["stride": [0, 1]])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["padding": [1, 1]])]))
        expectError(.invalidGraph(""), file(nodes: [conv, ["op": "add", "inputs": ["y"], "output": "z"]], output: "z"))
        expectError(.invalidGraph(""), file(nodes: [conv, ["op": "resize", "input": "y", "output": "z", "size_of": "q"]], output: "z"))
    }

    @Test("refuses missing tensors and tensors of the wrong shape")
    func tensors() {
        expectError(.missingTensor(""), file(nodes: [with(conv, ["weight": "nope"])]))
        expectError(.missingTensor(""), file(nodes: [with(conv, ["bias": "nope"])]))
        expectError(.wrongShape(""), file(nodes: [with(conv, ["weight": "w1"])]))
        expectError(.wrongShape(""), file(nodes: [with(conv, ["bias": "w"])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["groups": 2])]))
        let second = with(conv, ["input": "y", "output": "z", "weight": "w"])
        expectError(.wrongShape(""), file(nodes: [conv, second], output: "z"))
        expectError(.wrongShape(""), file(nodes: [conv, ["op": "add", "inputs": ["y", "input"], "output": "z"]], output: "z"))
    }

    @Test("refuses parameters and sizes outside the limits")
    func limits() throws {
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["padding": [1, 1, 1, 1 << 20]])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["stride": [1, Int.max]])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["dilation": [-1, 1]])]))
        expectError(.invalidGraph(""), file(nodes: [with(conv, ["groups": 0])]))
        var w = SafeTensorsWriter()
        w.metadata = ["fewclick.graph": graphJSON(channels: 1 << 40, output: "input", nodes: [])]
        expectError(.invalidGraph(""), w.file())
        // Legal but enormous: padding 60 000 on every side would need 4 × 120 000² Floats.
        let network = try NeuralNetwork(data: file(nodes: [with(conv, ["padding": [60_000, 60_000, 60_000, 60_000]])]))
        #expect(throws: NeuralNetError.self) { try network.forward([Float](repeating: 0, count: 27), height: 3, width: 3) }
        let plain = try NeuralNetwork(data: file(nodes: [conv]))
        #expect(throws: NeuralNetError.self) { try plain.forward([Float](repeating: 0, count: 3 * 20000), height: 1, width: 20000) }
    }

    @Test("never crashes on graphs with perturbed fields")
    func fuzzGraph() throws {
        let mini = MiniNetwork()
        var rng = SplitMix64(seed: 77)
        let values: [Any] = [-1, 0, 1, 2, 3, 5, 16, 1 << 20, "x", [1], [0, 0], [2, 2], [1, 1, 1, 1], [3, 0, 0, 3], "relu", "stem", "input"]
        let fields = ["input", "inputs", "output", "weight", "bias", "stride", "padding", "dilation", "groups", "activation", "size_of", "kernel", "op"]
        var loaded = 0
        for _ in 0..<300 {
            var nodes = mini.nodes
            for _ in 0..<(1 + Int(rng.next() % 2)) {
                let n = Int(rng.next() % UInt64(nodes.count))
                nodes[n][fields[Int(rng.next() % UInt64(fields.count))]] = values[Int(rng.next() % UInt64(values.count))]
            }
            var writer = mini.writer
            writer.metadata["fewclick.graph"] = graphJSON(channels: 7, output: "logits", nodes: nodes)
            guard let network = try? NeuralNetwork(data: writer.file()) else { continue }
            loaded += 1
            _ = try? network.forward([Float](repeating: 0.25, count: 7 * 20 * 20), height: 20, width: 20)
        }
        #expect(loaded > 0)
    }

    @Test("refuses inputs of the wrong size and sizes the graph cannot run at")
    func inputs() throws {
        let network = try NeuralNetwork(data: file(nodes: [with(conv, ["padding": [0, 0, 0, 0]])]))
        #expect(throws: NeuralNetError.self) { try network.forward([1, 2, 3], height: 5, width: 5) }
        #expect(throws: NeuralNetError.self) { try network.forward([Float](repeating: 0, count: 3 * 2 * 2), height: 2, width: 2) }
        #expect(throws: NeuralNetError.self) { try network.forward([], height: 0, width: 0) }
        let pooled = try NeuralNetwork(
            data: file(
                nodes: [
                    conv, ["op": "max_pool", "input": "y", "output": "p", "kernel": [2, 2], "stride": [2, 2]],
                    ["op": "add", "inputs": ["p", "y"], "output": "z"],
                ], output: "z"))
        do {
            _ = try pooled.forward([Float](repeating: 0, count: 3 * 8 * 8), height: 8, width: 8)
            Issue.record("added 4×4 to 8×8")
        } catch {
            #expect(error.isSameKind(as: .wrongShape("")))
        }
    }
}
