import FewClickCore
import Foundation

/// A naive fp32 reference of the graph ops (PyTorch semantics), for checking the oneDNN plans on
/// hand-built graphs without PyTorch.
struct ReferenceTensor {
    var c: Int, h: Int, w: Int
    var v: [Float]
    subscript(c: Int, y: Int, x: Int) -> Float { v[(c * h + y) * w + x] }
}

enum Reference {
    static func activate(_ x: Float, _ activation: String) -> Float {
        switch activation {
        case "relu": max(0, x)
        case "relu6": min(6, max(0, x))
        case "sigmoid": 1 / (1 + exp(-x))
        default: x
        }
    }

    static func conv(
        _ x: ReferenceTensor, weight: [Float], bias: [Float]?, outC: Int, kh: Int, kw: Int, stride: [Int],
        padding: [Int], dilation: [Int], groups: Int, activation: String
    ) -> ReferenceTensor {
        let oh = (x.h + padding[0] + padding[2] - dilation[0] * (kh - 1) - 1) / stride[0] + 1
        let ow = (x.w + padding[1] + padding[3] - dilation[1] * (kw - 1) - 1) / stride[1] + 1
        let icg = x.c / groups, ocg = outC / groups
        var out = [Float](repeating: 0, count: outC * oh * ow)
        for o in 0..<outC {
            let g = o / ocg
            for y in 0..<oh {
                for xx in 0..<ow {
                    var s = bias?[o] ?? 0
                    for i in 0..<icg {
                        for ky in 0..<kh {
                            let iy = y * stride[0] - padding[0] + ky * dilation[0]
                            if iy < 0 || iy >= x.h { continue }
                            for kx in 0..<kw {
                                let ix = xx * stride[1] - padding[1] + kx * dilation[1]
                                if ix < 0 || ix >= x.w { continue }
                                s += weight[((o * icg + i) * kh + ky) * kw + kx] * x[g * icg + i, iy, ix]
                            }
                        }
                    }
                    out[(o * oh + y) * ow + xx] = activate(s, activation)
                }
            }
        }
        return ReferenceTensor(c: outC, h: oh, w: ow, v: out)
    }

    static func add(_ a: ReferenceTensor, _ b: ReferenceTensor, activation: String) -> ReferenceTensor {
        ReferenceTensor(c: a.c, h: a.h, w: a.w, v: zip(a.v, b.v).map { activate($0 + $1, activation) })
    }

    static func concat(_ xs: [ReferenceTensor]) -> ReferenceTensor {
        ReferenceTensor(c: xs.reduce(0) { $0 + $1.c }, h: xs[0].h, w: xs[0].w, v: xs.flatMap(\.v))
    }

    /// F.interpolate(mode="bilinear", align_corners=False).
    static func resize(_ x: ReferenceTensor, h oh: Int, w ow: Int) -> ReferenceTensor {
        func coords(_ d: Int, _ out: Int, _ inp: Int) -> (Int, Int, Float) {
            let src = max(0, (Float(d) + 0.5) * Float(inp) / Float(out) - 0.5)
            let i0 = min(Int(src), inp - 1)
            let i1 = min(i0 + 1, inp - 1)
            return (i0, i1, src - Float(i0))
        }
        var out = [Float](repeating: 0, count: x.c * oh * ow)
        for c in 0..<x.c {
            for y in 0..<oh {
                let (y0, y1, fy) = coords(y, oh, x.h)
                for xx in 0..<ow {
                    let (x0, x1, fx) = coords(xx, ow, x.w)
                    let top = x[c, y0, x0] * (1 - fx) + x[c, y0, x1] * fx
                    let bottom = x[c, y1, x0] * (1 - fx) + x[c, y1, x1] * fx
                    out[(c * oh + y) * ow + xx] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return ReferenceTensor(c: x.c, h: oh, w: ow, v: out)
    }

    static func pool(_ x: ReferenceTensor, max isMax: Bool, kernel: [Int], stride: [Int], padding: [Int]) -> ReferenceTensor {
        let oh = (x.h + padding[0] + padding[2] - kernel[0]) / stride[0] + 1
        let ow = (x.w + padding[1] + padding[3] - kernel[1]) / stride[1] + 1
        var out = [Float](repeating: 0, count: x.c * oh * ow)
        for c in 0..<x.c {
            for y in 0..<oh {
                for xx in 0..<ow {
                    var s: Float = isMax ? -.infinity : 0
                    var n = 0
                    for ky in 0..<kernel[0] {
                        let iy = y * stride[0] - padding[0] + ky
                        if iy < 0 || iy >= x.h { continue }
                        for kx in 0..<kernel[1] {
                            let ix = xx * stride[1] - padding[1] + kx
                            if ix < 0 || ix >= x.w { continue }
                            s = isMax ? max(s, x[c, iy, ix]) : s + x[c, iy, ix]
                            n += 1
                        }
                    }
                    out[(c * oh + y) * ow + xx] = isMax ? s : s / Float(n)
                }
            }
        }
        return ReferenceTensor(c: x.c, h: oh, w: ow, v: out)
    }
}

extension Reference {
    /// Runs a GRAPH_FORMAT.md node list (as JSON objects) on `input`.
    static func run(
        nodes: [[String: Any]], tensors: [String: (shape: [Int], values: [Float])], input: ReferenceTensor,
        inputName: String = "input", output: String
    ) -> ReferenceTensor {
        var values = [inputName: input]
        for node in nodes {
            let op = node["op"] as! String
            let result: ReferenceTensor
            switch op {
            case "conv2d":
                let w = tensors[node["weight"] as! String]!
                result = conv(
                    values[node["input"] as! String]!, weight: w.values,
                    bias: (node["bias"] as? String).map { tensors[$0]!.values }, outC: w.shape[0], kh: w.shape[2],
                    kw: w.shape[3], stride: node["stride"] as? [Int] ?? [1, 1],
                    padding: node["padding"] as? [Int] ?? [0, 0, 0, 0], dilation: node["dilation"] as? [Int] ?? [1, 1],
                    groups: node["groups"] as? Int ?? 1, activation: node["activation"] as? String ?? "none")
            case "add":
                let names = node["inputs"] as! [String]
                result = add(values[names[0]]!, values[names[1]]!, activation: node["activation"] as? String ?? "none")
            case "concat":
                result = concat((node["inputs"] as! [String]).map { values[$0]! })
            case "resize":
                let like = values[node["size_of"] as! String]!
                result = resize(values[node["input"] as! String]!, h: like.h, w: like.w)
            default:
                let kernel = node["kernel"] as! [Int]
                result = pool(
                    values[node["input"] as! String]!, max: op == "max_pool", kernel: kernel,
                    stride: node["stride"] as? [Int] ?? kernel, padding: node["padding"] as? [Int] ?? [0, 0, 0, 0])
            }
            values[node["output"] as! String] = result
        }
        return values[output]!
    }
}

/// A small network of the clicknet family using every op and option of the format: asymmetric
/// padding, stride 2, depthwise groups, dilation, every activation, a residual add, avg and max
/// pooling, bilinear up- and down-sizing and a concat skip.
struct MiniNetwork {
    var writer = SafeTensorsWriter()
    var nodes: [[String: Any]] = []
    var tensors: [String: (shape: [Int], values: [Float])] = [:]
    let channels = 7

    init(seed: UInt64 = 1, dtype: String = "F32") {
        var rng = SplitMix64(seed: seed)
        func conv(
            _ name: String, _ input: String, _ o: Int, _ i: Int, _ k: Int, groups: Int = 1, stride: Int = 1,
            padding: [Int], dilation: Int = 1, activation: String, bias: Bool = true
        ) {
            let shape = [o, i / groups, k, k]
            let scale = 1 / Float(i / groups * k * k).squareRoot()
            var w = rng.floats(shape.reduce(1, *), scale * 1.5)
            var b = rng.floats(o, 0.2)
            if dtype == "F16" {
                w = w.map { Float(Float16($0)) }
                b = b.map { Float(Float16($0)) }
            }
            writer.add("\(name).weight", shape, w, dtype: dtype)
            tensors["\(name).weight"] = (shape, w)
            var node: [String: Any] = [
                "op": "conv2d", "input": input, "output": name, "weight": "\(name).weight", "stride": [stride, stride],
                "padding": padding, "dilation": [dilation, dilation], "groups": groups, "activation": activation,
            ]
            if bias {
                writer.add("\(name).bias", [o], b, dtype: dtype)
                tensors["\(name).bias"] = ([o], b)
                node["bias"] = "\(name).bias"
            }
            nodes.append(node)
        }
        conv("stem", "input", 16, 7, 3, stride: 2, padding: [0, 0, 1, 1], activation: "relu6")
        conv("dw", "stem", 16, 16, 3, groups: 16, padding: [1, 1, 1, 1], activation: "relu6")
        conv("project", "dw", 16, 16, 1, padding: [0, 0, 0, 0], activation: "none", bias: false)
        nodes.append(["op": "add", "inputs": ["project", "stem"], "output": "block", "activation": "none"])
        conv("down", "block", 24, 16, 3, stride: 2, padding: [1, 1, 1, 1], activation: "relu")
        conv("dilated", "down", 24, 24, 3, padding: [2, 2, 2, 2], dilation: 2, activation: "relu")
        nodes.append(["op": "add", "inputs": ["dilated", "down"], "output": "res", "activation": "relu"])
        nodes.append(["op": "avg_pool", "input": "res", "output": "avg", "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1, 1, 1]])
        nodes.append(["op": "max_pool", "input": "res", "output": "max", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0, 0, 0]])
        nodes.append(["op": "resize", "input": "avg", "output": "avg_up", "size_of": "block"])
        nodes.append(["op": "resize", "input": "max", "output": "max_up", "size_of": "block"])
        nodes.append(["op": "concat", "inputs": ["block", "avg_up", "max_up"], "output": "cat"])
        conv("head", "cat", 8, 64, 3, padding: [1, 1, 1, 1], activation: "sigmoid")
        nodes.append(["op": "resize", "input": "head", "output": "up", "size_of": "input"])
        nodes.append(["op": "resize", "input": "up", "output": "shrunk", "size_of": "down"])
        nodes.append(["op": "resize", "input": "shrunk", "output": "up2", "size_of": "input"])
        nodes.append(["op": "concat", "inputs": ["up", "up2", "input"], "output": "cat2"])
        conv("logits", "cat2", 1, 23, 1, padding: [0, 0, 0, 0], activation: "none")
        writer.metadata = [
            "fewclick.format": "fewclick-graph-v1", "fewclick.model": "mini", "fewclick.version": "0",
            "fewclick.graph": graphJSON(channels: channels, output: "logits", nodes: nodes),
        ]
    }

    func file() -> Data { writer.file() }

    func reference(_ input: [Float], height: Int, width: Int) -> ReferenceTensor {
        Reference.run(
            nodes: nodes, tensors: tensors, input: ReferenceTensor(c: channels, h: height, w: width, v: input),
            output: "logits")
    }
}
