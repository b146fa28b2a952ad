import Foundation

/// The activation fused after a convolution or an addition.
enum Activation: String, Sendable {
    case none, relu, relu6, sigmoid
}

/// One convolution, weights widened to Float in PyTorch's layout `[O, I/groups, kh, kw]`.
struct Convolution: Sendable {
    var input: Int
    var outputChannels: Int
    var inputChannels: Int
    var kernel: (h: Int, w: Int)
    var stride: (h: Int, w: Int)
    /// top, left, bottom, right (pixels).
    var padding: (t: Int, l: Int, b: Int, r: Int)
    var dilation: (h: Int, w: Int)
    var groups: Int
    var activation: Activation
    var weight: [Float]
    var bias: [Float]?
}

/// A pooling window.
struct Pooling: Sendable {
    var input: Int
    var max: Bool
    var kernel: (h: Int, w: Int)
    var stride: (h: Int, w: Int)
    var padding: (t: Int, l: Int, b: Int, r: Int)
}

/// One node of the validated graph; value 0 is the network input, node i writes value i + 1.
enum Operation: Sendable {
    case convolution(Convolution)
    case add(Int, Int, Activation)
    case concat([Int])
    case resize(input: Int, sizeOf: Int)
    case pool(Pooling)

    /// The values this node reads.
    var inputs: [Int] {
        switch self {
        case .convolution(let c): [c.input]
        case .add(let a, let b, _): [a, b]
        case .concat(let values): values
        case .resize(let input, let sizeOf): [input, sizeOf]
        case .pool(let p): [p.input]
        }
    }
}

/// A value's shape for one input size (N = 1).
struct ValueShape: Hashable, Sendable {
    var channels: Int
    var height: Int
    var width: Int
}

/// The layer graph of GRAPH_FORMAT.md (`fewclick-graph-v1`), checked against the file's tensors:
/// every name resolves, every weight has the shape its layer needs, channel counts agree.
struct NetworkGraph: Sendable {
    var inputChannels: Int
    var operations: [Operation]
    /// Channels of every value (index 0 = input).
    var channels: [Int]
    /// Names of every value (index 0 = input), for messages.
    var names: [String]
    var output: Int

    /// The JSON shape of `fewclick.graph`.
    private struct Spec: Decodable {
        struct Input: Decodable {
            var name: String
            var channels: Int
        }
        struct Node: Decodable {
            var op: String
            var input: String?
            var inputs: [String]?
            var output: String
            var weight: String?
            var bias: String?
            var stride: [Int]?
            var padding: [Int]?
            var dilation: [Int]?
            var groups: Int?
            var activation: String?
            var size_of: String?
            var kernel: [Int]?
        }
        var input: Input
        var output: String
        var nodes: [Node]
    }

    /// The largest stride, padding, dilation, pooling window, group count or input channel count
    /// accepted (keeps every size computation far from overflow whatever the file says).
    static let maximumParameter = 1 << 16
    /// The largest input height or width accepted, pixels.
    static let maximumInputSize = 1 << 14

    /// The most Floats one value may hold (4 GiB), so that no file or input size makes a call
    /// allocate without bound.
    static let maximumValueElements = 1 << 30

    /// The metadata key holding the graph JSON.
    static let metadataKey = "fewclick.graph"

    init(weights: SafeTensors) throws(NeuralNetError) {
        if let format = weights.metadata["fewclick.format"], format != "fewclick-graph-v1" {
            throw .invalidGraph("fewclick.format is \(format), this runtime reads fewclick-graph-v1")
        }
        guard let json = weights.metadata[Self.metadataKey] else {
            throw .invalidGraph("the file's __metadata__ has no \(Self.metadataKey)")
        }
        let spec: Spec
        do {
            spec = try JSONDecoder().decode(Spec.self, from: Data(json.utf8))
        } catch {
            throw .invalidGraph("\(Self.metadataKey) is not a valid graph: \(error)")
        }
        guard spec.input.channels > 0, spec.input.channels <= Self.maximumParameter else {
            throw .invalidGraph("input channels \(spec.input.channels)")
        }
        var index: [String: Int] = [spec.input.name: 0]
        var channels = [spec.input.channels]
        var names = [spec.input.name]
        var operations: [Operation] = []

        for (n, node) in spec.nodes.enumerated() {
            let at = "node \(n) (\(node.op) → \(node.output))"
            func value(_ name: String?) throws(NeuralNetError) -> Int {
                guard let name else { throw .invalidGraph("\(at): missing input") }
                guard let v = index[name] else { throw .invalidGraph("\(at): unknown value \(name)") }
                return v
            }
            func pair(_ field: [Int]?, _ label: String, default d: Int, minimum: Int) throws(NeuralNetError) -> (Int, Int) {
                guard let field else { return (d, d) }
                guard field.count == 2, field.allSatisfy({ $0 >= minimum && $0 <= Self.maximumParameter }) else {
                    throw .invalidGraph("\(at): \(label) must be 2 integers in \(minimum)...\(Self.maximumParameter), got \(field)")
                }
                return (field[0], field[1])
            }
            func padding(_ field: [Int]?) throws(NeuralNetError) -> (t: Int, l: Int, b: Int, r: Int) {
                guard let field else { return (0, 0, 0, 0) }
                guard field.count == 4, field.allSatisfy({ $0 >= 0 && $0 <= Self.maximumParameter }) else {
                    throw .invalidGraph("\(at): padding must be [top, left, bottom, right] in 0...\(Self.maximumParameter), got \(field)")
                }
                return (field[0], field[1], field[2], field[3])
            }
            func activation(_ name: String?) throws(NeuralNetError) -> Activation {
                guard let name else { return .none }
                guard let a = Activation(rawValue: name) else { throw .invalidGraph("\(at): unknown activation \(name)") }
                return a
            }

            let operation: Operation
            let outChannels: Int
            switch node.op {
            case "conv2d":
                let input = try value(node.input)
                guard let weightName = node.weight else { throw .invalidGraph("\(at): no weight") }
                let info = try weights.info(weightName)
                let groups = node.groups ?? 1
                let inC = channels[input]
                guard groups >= 1, groups <= Self.maximumParameter, inC % groups == 0 else {
                    throw .invalidGraph("\(at): groups \(groups) does not divide \(inC) input channels")
                }
                guard info.shape.count == 4, info.shape[0] > 0, info.shape[0] % groups == 0,
                    info.shape[1] == inC / groups, info.shape[2] > 0, info.shape[3] > 0
                else {
                    throw .wrongShape(
                        "\(at): weight \(weightName) is \(info.shape), expected [O (multiple of \(groups)), \(inC / groups), kh, kw]")
                }
                var bias: [Float]?
                if let biasName = node.bias {
                    let b = try weights.info(biasName)
                    guard b.shape == [info.shape[0]] else {
                        throw .wrongShape("\(at): bias \(biasName) is \(b.shape), expected [\(info.shape[0])]")
                    }
                    bias = try weights.floats(biasName)
                }
                let stride = try pair(node.stride, "stride", default: 1, minimum: 1)
                let dilation = try pair(node.dilation, "dilation", default: 1, minimum: 1)
                operation = .convolution(
                    Convolution(
                        input: input, outputChannels: info.shape[0], inputChannels: inC,
                        kernel: (info.shape[2], info.shape[3]), stride: stride, padding: try padding(node.padding),
                        dilation: dilation, groups: groups, activation: try activation(node.activation),
                        weight: try weights.floats(weightName), bias: bias))
                outChannels = info.shape[0]
            case "add":
                guard let inputs = node.inputs, inputs.count == 2 else { throw .invalidGraph("\(at): needs inputs [a, b]") }
                let a = try value(inputs[0]), b = try value(inputs[1])
                guard channels[a] == channels[b] else {
                    throw .wrongShape("\(at): \(inputs[0]) has \(channels[a]) channels, \(inputs[1]) \(channels[b])")
                }
                operation = .add(a, b, try activation(node.activation))
                outChannels = channels[a]
            case "concat":
                guard let inputs = node.inputs, !inputs.isEmpty else { throw .invalidGraph("\(at): needs inputs") }
                var values: [Int] = []
                for name in inputs { values.append(try value(name)) }
                operation = .concat(values)
                outChannels = values.reduce(0) { $0 + channels[$1] }
                guard outChannels <= 1 << 24 else { throw .invalidGraph("\(at): \(outChannels) channels") }
            case "resize":
                let input = try value(node.input)
                operation = .resize(input: input, sizeOf: try value(node.size_of))
                outChannels = channels[input]
            case "avg_pool", "max_pool":
                let input = try value(node.input)
                guard let kernel = node.kernel else { throw .invalidGraph("\(at): no kernel") }
                let k = try pair(kernel, "kernel", default: 1, minimum: 1)
                let stride = try pair(node.stride ?? kernel, "stride", default: 1, minimum: 1)
                operation = .pool(
                    Pooling(input: input, max: node.op == "max_pool", kernel: k, stride: stride, padding: try padding(node.padding)))
                outChannels = channels[input]
            default:
                throw .invalidGraph("\(at): unknown op \(node.op)")
            }
            guard index[node.output] == nil else { throw .invalidGraph("\(at): value \(node.output) is written twice") }
            index[node.output] = channels.count
            channels.append(outChannels)
            names.append(node.output)
            operations.append(operation)
        }
        guard let output = index[spec.output] else { throw .invalidGraph("output \(spec.output) is not a value of the graph") }
        self.inputChannels = spec.input.channels
        self.operations = operations
        self.channels = channels
        self.names = names
        self.output = output
    }

    /// Every value's shape for an input of `height` × `width`.
    /// - Throws: `NeuralNetError.invalidInput` when a layer's output would be empty, `.wrongShape`
    ///   when an addition's or concatenation's operands differ in height or width.
    func shapes(height: Int, width: Int) throws(NeuralNetError) -> [ValueShape] {
        guard height > 0, width > 0, height <= Self.maximumInputSize, width <= Self.maximumInputSize else {
            throw .invalidInput("input size \(height)×\(width) (1...\(Self.maximumInputSize) pixels a side)")
        }
        var shapes = [ValueShape(channels: inputChannels, height: height, width: width)]
        func window(_ size: Int, _ pad: Int, _ kernel: Int, _ dilation: Int, _ stride: Int) -> Int {
            let span = size + pad - dilation * (kernel - 1) - 1
            return span < 0 ? 0 : span / stride + 1
        }
        for (n, operation) in operations.enumerated() {
            let name = names[n + 1]
            var shape: ValueShape
            switch operation {
            case .convolution(let c):
                let s = shapes[c.input]
                shape = ValueShape(
                    channels: c.outputChannels,
                    height: window(s.height, c.padding.t + c.padding.b, c.kernel.h, c.dilation.h, c.stride.h),
                    width: window(s.width, c.padding.l + c.padding.r, c.kernel.w, c.dilation.w, c.stride.w))
            case .pool(let p):
                let s = shapes[p.input]
                shape = ValueShape(
                    channels: s.channels,
                    height: window(s.height, p.padding.t + p.padding.b, p.kernel.h, 1, p.stride.h),
                    width: window(s.width, p.padding.l + p.padding.r, p.kernel.w, 1, p.stride.w))
            case .add(let a, let b, _):
                guard shapes[a] == shapes[b] else {
                    throw .wrongShape("\(name): adding \(names[a]) \(shapes[a]) and \(names[b]) \(shapes[b])")
                }
                shape = shapes[a]
            case .concat(let values):
                let first = shapes[values[0]]
                for v in values where shapes[v].height != first.height || shapes[v].width != first.width {
                    throw .wrongShape("\(name): concatenating \(names[values[0]]) \(first) and \(names[v]) \(shapes[v])")
                }
                shape = ValueShape(channels: channels[n + 1], height: first.height, width: first.width)
            case .resize(let input, let sizeOf):
                shape = ValueShape(channels: shapes[input].channels, height: shapes[sizeOf].height, width: shapes[sizeOf].width)
            }
            guard shape.height > 0, shape.width > 0 else {
                throw .invalidInput("input \(height)×\(width) is too small: \(name) would be \(shape.height)×\(shape.width)")
            }
            // Every factor is bounded (channels by the file or 2^24, sides by the parameter limits),
            // so the product cannot overflow.
            guard shape.channels * shape.height * shape.width <= Self.maximumValueElements else {
                throw .invalidInput("input \(height)×\(width): \(name) would be \(shape.channels)×\(shape.height)×\(shape.width)")
            }
            shapes.append(shape)
        }
        return shapes
    }
}
