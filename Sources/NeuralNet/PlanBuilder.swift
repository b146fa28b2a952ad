import CDNNL

/// Turns the graph, at one input size, into oneDNN primitives:
/// - convolutions let oneDNN choose every layout (`format_tag_any`: on AVX2 it picks blocked
///   nChw8c activations and matching blocked weights), and the other ops follow their inputs'
///   layouts, so data is reordered only where a consumer wants another layout (usually only the
///   final output back to NCHW);
/// - activations are fused into the convolution or addition before them (eltwise post-ops), and a
///   convolution whose only consumer is an addition computes the addition too (binary post-op:
///   the residual connections of MBConv blocks cost no separate pass);
/// - every primitive uses a user scratchpad, so all per-call memory lives in the workspace.
struct PlanBuilder {
    let graph: NetworkGraph
    let shapes: [ValueShape]
    let weights: WeightStore
    let engine: dnnl_engine_t

    private(set) var steps: [ExecutionPlan.Step] = []
    private(set) var bufferDescs: [MemoryDesc] = []
    let inputDesc: MemoryDesc
    let outputDesc: MemoryDesc

    /// Every value's operand and layout once produced.
    private var operands: [ExecutionPlan.Operand?]
    private var descs: [MemoryDesc?]
    /// Copies of values in other layouts, made by reorders.
    private var converted: [Int: [(MemoryDesc, ExecutionPlan.Operand)]] = [:]

    init(graph: NetworkGraph, shapes: [ValueShape], weights: WeightStore) throws(NeuralNetError) {
        self.graph = graph
        self.shapes = shapes
        self.weights = weights
        engine = try CPUEngine.shared()
        inputDesc = try desc4(shapes[0], dnnl_nchw)
        outputDesc = try desc4(shapes[graph.output], dnnl_nchw)
        operands = Array(repeating: nil, count: shapes.count)
        descs = Array(repeating: nil, count: shapes.count)
        operands[0] = .input
        descs[0] = inputDesc
    }

    mutating func build() throws(NeuralNetError) {
        // Who reads each value (the graph output counts as one more reader).
        var readers = [[Int]](repeating: [], count: shapes.count)
        for (n, op) in graph.operations.enumerated() {
            for v in Set(op.inputs) { readers[v].append(n) }
        }
        readers[graph.output].append(-1)

        var fusedAdds = Set<Int>()
        for (n, op) in graph.operations.enumerated() where !fusedAdds.contains(n) {
            let out = n + 1
            let name = graph.names[out]
            switch op {
            case .convolution(let conv):
                // A residual addition folds into the convolution when it is the conv's only reader
                // and its other operand already exists when the conv runs.
                var residual: Residual?
                if conv.activation == .none, readers[out].count == 1, let j = readers[out].first, j >= 0,
                    case .add(let a, let b, let act) = graph.operations[j], a != b
                {
                    let other = a == out ? b : a
                    // In place only if nothing else reads `other` from the conv on (the conv overwrites it).
                    let inPlace = other != conv.input && readers[other].allSatisfy { $0 >= 0 && ($0 < n || $0 == j) }
                    if other <= n { residual = Residual(node: j, other: other, activation: act, inPlace: inPlace) }
                }
                if try convolution(node: n, conv, residual: residual), let residual {
                    fusedAdds.insert(residual.node)
                    operands[residual.node + 1] = operands[out]
                    descs[residual.node + 1] = descs[out]
                }
            case .add(let a, let b, let activation):
                let attr = try Attributes()
                try attr.append(activation)
                var srcA = descs[a]!
                let opB = try operand(b, as: srcA)
                var srcB = srcA, dst = srcA
                let pd = try create(name) { fc_add_pd(&$0, &srcA, &srcB, &dst, attr.handle, engine) }
                try emit(pd, name, out: out, dst: dst, args: [(DNNL_ARG_SRC_0, operands[a]!), (DNNL_ARG_SRC_1, opB)])
            case .concat(let values):
                let attr = try Attributes()
                var srcs = values.map { descs[$0]! }
                let count = Int32(srcs.count)
                let pd = try create(name) { dnnl_concat_primitive_desc_create(&$0, nil, count, 1, &srcs, attr.handle, engine) }
                let dst = try query(pd, dnnl_query_dst_md)
                let args = values.enumerated().map { (Int32(DNNL_ARG_MULTIPLE_SRC) + Int32($0.offset), operands[$0.element]!) }
                try emit(pd, name, out: out, dst: dst, args: args)
            case .resize(let input, _):
                let attr = try Attributes()
                var src = descs[input]!
                var dst = try desc4(shapes[out], dnnl_format_tag_any)
                let pd = try create(name) { fc_resample_pd(&$0, &src, &dst, attr.handle, engine) }
                try emit(pd, name, out: out, dst: try query(pd, dnnl_query_dst_md), args: [(DNNL_ARG_SRC, operands[input]!)])
            case .pool(let p):
                let attr = try Attributes()
                var src = descs[p.input]!
                var dst = try desc4(shapes[out], dnnl_format_tag_any)
                let pd = try create(name) {
                    fc_pool_pd(
                        &$0, p.max ? 1 : 0, &src, &dst, Int64(p.kernel.h), Int64(p.kernel.w), Int64(p.stride.h),
                        Int64(p.stride.w), Int64(p.padding.t), Int64(p.padding.l), Int64(p.padding.b),
                        Int64(p.padding.r), attr.handle, engine)
                }
                try emit(pd, name, out: out, dst: try query(pd, dnnl_query_dst_md), args: [(DNNL_ARG_SRC, operands[p.input]!)])
            }
        }
        // The output, back to plain NCHW in the caller's buffer.
        let result = graph.output
        try reorder(from: operands[result]!, descs[result]!, to: .output, outputDesc, name: "output")
    }

    /// A residual addition `conv + other` (then `activation`) that may fold into the convolution;
    /// `inPlace` when nothing reads `other` after the convolution but the addition (and it is not
    /// the graph's output), so the convolution may accumulate into `other`'s buffer.
    struct Residual {
        var node: Int
        var other: Int
        var activation: Activation
        var inPlace: Bool
    }

    /// Adds one convolution, with `residual` folded in when oneDNN runs the fused form with the
    /// same kernel as the plain one; returns whether it folded it.
    ///
    /// The fused forms, in order of preference: a `sum` post-op accumulating into the residual's
    /// own buffer (when the addition is its last reader: no extra memory, no extra pass), or a
    /// binary post-op reading it. On oneDNN 2.6 the binary form sends a 1×1 convolution from its
    /// brgemm kernel to a slower GEMM one with plain layouts, hence the comparison.
    private mutating func convolution(node n: Int, _ conv: Convolution, residual: Residual?) throws(NeuralNetError) -> Bool {
        let plain = try convolutionDesc(n, conv, fused: nil)
        guard let residual else {
            try emitConvolution(n, conv, plain, fused: nil)
            return false
        }
        let kernel = String(cString: fc_impl_name(plain))
        if residual.inPlace, case .buffer = operands[residual.other]!, residual.other != graph.output,
            let fused = try? convolutionDesc(n, conv, fused: residual),
            String(cString: fc_impl_name(fused)) == kernel
        {
            dnnl_primitive_desc_destroy(plain)
            try emitConvolution(n, conv, fused, fused: residual)
            return true
        }
        var binary = residual
        binary.inPlace = false
        if let fused = try? convolutionDesc(n, conv, fused: binary), String(cString: fc_impl_name(fused)) == kernel {
            dnnl_primitive_desc_destroy(plain)
            try emitConvolution(n, conv, fused, fused: binary)
            return true
        }
        try emitConvolution(n, conv, plain, fused: nil)
        return false
    }

    /// The convolution's primitive descriptor: every layout `any`, except the destination of an
    /// in-place residual, which is the residual's layout.
    private func convolutionDesc(_ n: Int, _ conv: Convolution, fused residual: Residual?) throws(NeuralNetError)
        -> dnnl_primitive_desc_t
    {
        let out = n + 1
        let name = graph.names[out]
        let attr = try Attributes()
        try attr.append(conv.activation)
        if let residual {
            if residual.inPlace { try attr.appendSum() } else { try attr.appendAdd(descs[residual.other]!) }
            try attr.append(residual.activation)
        }
        var src = try desc4(shapes[conv.input], dnnl_format_tag_any)
        var dst = try desc4(shapes[out], dnnl_format_tag_any)
        if let residual, residual.inPlace { dst = descs[residual.other]! }
        var wei = MemoryDesc()
        try check(
            fc_md_weights(
                &wei, Int64(conv.groups), Int64(conv.outputChannels), Int64(conv.inputChannels / conv.groups),
                Int64(conv.kernel.h), Int64(conv.kernel.w), 0), "\(name): weights descriptor")
        var bias = MemoryDesc()
        if let b = conv.bias { try check(fc_md_1d(&bias, Int64(b.count)), "\(name): bias descriptor") }
        let hasBias = conv.bias != nil
        let engine = engine
        return try create(name) { pd in
            withUnsafePointer(to: &bias) { biasPointer in
                fc_conv_pd(
                    &pd, &src, &wei, hasBias ? biasPointer : nil, &dst, Int64(conv.stride.h), Int64(conv.stride.w),
                    Int64(conv.dilation.h), Int64(conv.dilation.w), Int64(conv.padding.t), Int64(conv.padding.l),
                    Int64(conv.padding.b), Int64(conv.padding.r), attr.handle, engine)
            }
        }
    }

    private mutating func emitConvolution(_ n: Int, _ conv: Convolution, _ pd: dnnl_primitive_desc_t, fused residual: Residual?)
        throws(NeuralNetError)
    {
        let out = n + 1
        let name = graph.names[out]
        var args: [(Int32, ExecutionPlan.Operand)] = [
            (DNNL_ARG_SRC, try operand(conv.input, as: try query(pd, dnnl_query_src_md))),
            (DNNL_ARG_WEIGHTS, .constant(try weights.weights(node: n, conv, as: try query(pd, dnnl_query_weights_md)))),
        ]
        if let b = conv.bias { args.append((DNNL_ARG_BIAS, .constant(try weights.bias(node: n, b)))) }
        if let residual, residual.inPlace {
            // Accumulate into the residual's buffer: it becomes this convolution's output.
            let target = operands[residual.other]!
            operands[out] = target
            descs[out] = descs[residual.other]
            try append(pd, name, args: args + [(DNNL_ARG_DST, target)])
            return
        }
        if let residual { args.append((fc_arg_post_op_src1(0), operands[residual.other]!)) }
        try emit(pd, name, out: out, dst: try query(pd, dnnl_query_dst_md), args: args)
    }

    /// Creates a primitive descriptor through `make`, naming the layer in the error.
    private func create(_ name: String, _ make: (inout dnnl_primitive_desc_t?) -> dnnl_status_t)
        throws(NeuralNetError) -> dnnl_primitive_desc_t
    {
        var pd: dnnl_primitive_desc_t?
        try check(make(&pd), "\(name): creating the primitive descriptor")
        return pd!
    }

    /// Creates the primitive of `pd` (then destroys `pd`), writing value `out` in a new buffer of
    /// layout `dst`.
    private mutating func emit(
        _ pd: dnnl_primitive_desc_t, _ name: String, out: Int, dst: MemoryDesc, args: [(Int32, ExecutionPlan.Operand)]
    ) throws(NeuralNetError) {
        let buffer = ExecutionPlan.Operand.buffer(bufferDescs.count)
        bufferDescs.append(dst)
        operands[out] = buffer
        descs[out] = dst
        try append(pd, name, args: args + [(DNNL_ARG_DST, buffer)])
    }

    private mutating func append(_ pd: dnnl_primitive_desc_t, _ name: String, args: [(Int32, ExecutionPlan.Operand)])
        throws(NeuralNetError)
    {
        defer { dnnl_primitive_desc_destroy(pd) }
        let scratch = try query(pd, dnnl_query_scratchpad_md)
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, pd), "\(name): creating the primitive")
        steps.append(
            ExecutionPlan.Step(
                primitive: primitive!, args: args, scratchpad: byteSize(scratch) > 0 ? scratch : nil, name: name,
                implementation: String(cString: fc_impl_name(pd))))
    }

    /// Value `v` in layout `desc`: itself, or a reordered copy (made once per layout).
    private mutating func operand(_ v: Int, as desc: MemoryDesc) throws(NeuralNetError) -> ExecutionPlan.Operand {
        if equal(descs[v]!, desc) { return operands[v]! }
        if let copy = converted[v]?.first(where: { equal($0.0, desc) }) { return copy.1 }
        let buffer = ExecutionPlan.Operand.buffer(bufferDescs.count)
        bufferDescs.append(desc)
        try reorder(from: operands[v]!, descs[v]!, to: buffer, desc, name: "\(graph.names[v]) reorder")
        converted[v, default: []].append((desc, buffer))
        return buffer
    }

    private mutating func reorder(
        from: ExecutionPlan.Operand, _ fromDesc: MemoryDesc, to: ExecutionPlan.Operand, _ toDesc: MemoryDesc,
        name: String
    ) throws(NeuralNetError) {
        let attr = try Attributes()
        var src = fromDesc, dst = toDesc
        let engine = engine
        let pd = try create(name) { dnnl_reorder_primitive_desc_create(&$0, &src, engine, &dst, engine, attr.handle) }
        try append(pd, name, args: [(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)])
    }
}
