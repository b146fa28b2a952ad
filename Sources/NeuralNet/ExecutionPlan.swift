import CDNNL
import Synchronization

/// Convolution weights in the layouts oneDNN asked for, shared by every input size's plan (a layout
/// chosen for one size is usually chosen again for the next, so the bytes exist once).
final class WeightStore {
    private struct Entry {
        var desc: MemoryDesc
        var memory: dnnl_memory_t
        var bytes: UnsafeMutableRawPointer
    }
    private var weights: [Int: [Entry]] = [:]
    private var biases: [Int: Entry] = [:]
    /// Total bytes held (weights in every layout plus biases).
    private(set) var byteCount = 0

    deinit {
        for entry in weights.values.joined() + Array(biases.values) {
            dnnl_memory_destroy(entry.memory)
            entry.bytes.deallocate()
        }
    }

    /// Node `node`'s weights in layout `desc`, reordered from PyTorch's layout on first use.
    func weights(node: Int, _ conv: Convolution, as desc: MemoryDesc) throws(NeuralNetError) -> dnnl_memory_t {
        if let entry = weights[node]?.first(where: { equal($0.desc, desc) }) { return entry.memory }
        var plain = MemoryDesc()
        try check(
            fc_md_weights(
                &plain, Int64(conv.groups), Int64(conv.outputChannels), Int64(conv.inputChannels / conv.groups),
                Int64(conv.kernel.h), Int64(conv.kernel.w), 1), "weights descriptor")
        let size = byteSize(desc)
        let bytes = allocate(size)
        let memory = try makeMemory(desc, bytes)
        if equal(plain, desc) {
            conv.weight.withUnsafeBytes { bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        } else {
            let source = allocate(conv.weight.count * 4)
            defer { source.deallocate() }
            conv.weight.withUnsafeBytes { source.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let from = try makeMemory(plain, source)
            defer { dnnl_memory_destroy(from) }
            try reorder(from: from, plain, to: memory, desc)
        }
        weights[node, default: []].append(Entry(desc: desc, memory: memory, bytes: bytes))
        byteCount += size
        return memory
    }

    /// Node `node`'s bias (plain, one Float per output channel).
    func bias(node: Int, _ values: [Float]) throws(NeuralNetError) -> dnnl_memory_t {
        if let entry = biases[node] { return entry.memory }
        var desc = MemoryDesc()
        try check(fc_md_1d(&desc, Int64(values.count)), "bias descriptor")
        let bytes = allocate(values.count * 4)
        values.withUnsafeBytes { bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let memory = try makeMemory(desc, bytes)
        biases[node] = Entry(desc: desc, memory: memory, bytes: bytes)
        byteCount += values.count * 4
        return memory
    }

    /// One reorder, run now on a temporary stream (weights only, at plan creation).
    private func reorder(from: dnnl_memory_t, _ fromDesc: MemoryDesc, to: dnnl_memory_t, _ toDesc: MemoryDesc)
        throws(NeuralNetError)
    {
        let engine = try CPUEngine.shared()
        var pd: dnnl_primitive_desc_t?
        var src = fromDesc, dst = toDesc
        try check(dnnl_reorder_primitive_desc_create(&pd, &src, engine, &dst, engine, nil), "weights reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, pd), "weights reorder primitive")
        defer { dnnl_primitive_destroy(primitive) }
        let stream = try makeStream()
        defer { dnnl_stream_destroy(stream) }
        var args = [
            dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to),
        ]
        try check(dnnl_primitive_execute(primitive, stream, Int32(args.count), &args), "weights reorder")
        try check(dnnl_stream_wait(stream), "weights reorder")
    }
}

/// The primitives of one input size, created once and run by every call of that size, plus a pool
/// of workspaces (activation arena, scratchpad, memory objects, stream): a call takes one, runs,
/// and gives it back, so concurrent calls never share mutable state and the pool grows only to the
/// number of calls ever in flight at once.
final class ExecutionPlan: @unchecked Sendable {
    /// What a primitive argument is bound to.
    enum Operand {
        /// An activation buffer at a fixed arena offset.
        case buffer(Int)
        /// Read-only weights or bias (owned by the `WeightStore`).
        case constant(dnnl_memory_t)
        /// The caller's input (plain NCHW), bound per call.
        case input
        /// The caller's output (plain NCHW), bound per call.
        case output
    }

    struct Step {
        var primitive: dnnl_primitive_t
        var args: [(Int32, Operand)]
        /// The scratchpad this primitive needs, when it needs one.
        var scratchpad: MemoryDesc?
        var name: String
        var implementation: String
    }

    let steps: [Step]
    let bufferDescs: [MemoryDesc]
    let bufferOffsets: [Int]
    let inputDesc: MemoryDesc
    let outputDesc: MemoryDesc
    /// Output channels, height, width.
    let outputShape: ValueShape
    /// Bytes of the activation arena of one workspace.
    let arenaBytes: Int
    /// Bytes of the largest scratchpad (one per workspace, shared by its steps).
    let scratchpadBytes: Int

    private let workspaces = Mutex<[Workspace]>([])

    init(graph: NetworkGraph, height: Int, width: Int, weights: WeightStore) throws(NeuralNetError) {
        let shapes = try graph.shapes(height: height, width: width)
        var builder = try PlanBuilder(graph: graph, shapes: shapes, weights: weights)
        try builder.build()
        steps = builder.steps
        bufferDescs = builder.bufferDescs
        inputDesc = builder.inputDesc
        outputDesc = builder.outputDesc
        outputShape = shapes[graph.output]
        (bufferOffsets, arenaBytes) = Self.assignOffsets(steps: builder.steps, descs: builder.bufferDescs)
        scratchpadBytes = builder.steps.compactMap { $0.scratchpad.map(byteSize) }.max() ?? 0
    }

    deinit {
        for step in steps { dnnl_primitive_destroy(step.primitive) }
    }

    /// Arena offsets: buffers whose lifetimes (first to last step using them) do not overlap share
    /// bytes (greedy best fit in order of first use).
    private static func assignOffsets(steps: [Step], descs: [MemoryDesc]) -> ([Int], Int) {
        var first = [Int](repeating: Int.max, count: descs.count)
        var last = [Int](repeating: -1, count: descs.count)
        for (s, step) in steps.enumerated() {
            for case (_, .buffer(let b)) in step.args {
                first[b] = min(first[b], s)
                last[b] = max(last[b], s)
            }
        }
        func rounded(_ n: Int) -> Int { (n + 63) / 64 * 64 }
        var slotSize: [Int] = [], slotFreeAfter: [Int] = []
        var slotOf = [Int](repeating: 0, count: descs.count)
        for b in descs.indices.sorted(by: { (first[$0], $0) < (first[$1], $1) }) where last[b] >= 0 {
            let need = rounded(byteSize(descs[b]))
            let free = slotSize.indices.filter { slotFreeAfter[$0] < first[b] }
            let fitting = free.filter { slotSize[$0] >= need }.min { slotSize[$0] < slotSize[$1] }
            let slot: Int
            if let fitting {
                slot = fitting
            } else if let largest = free.max(by: { slotSize[$0] < slotSize[$1] }) {
                slot = largest
                slotSize[slot] = need
            } else {
                slot = slotSize.count
                slotSize.append(need)
                slotFreeAfter.append(-1)
            }
            slotFreeAfter[slot] = last[b]
            slotOf[b] = slot
        }
        var slotOffset: [Int] = [], total = 0
        for size in slotSize {
            slotOffset.append(total)
            total += size
        }
        return (descs.indices.map { last[$0] >= 0 ? slotOffset[slotOf[$0]] : 0 }, total)
    }

    /// Runs the plan: `input` holds C×H×W Floats (NCHW, N = 1); `output` receives the output's
    /// C×H×W Floats.
    func run(input: UnsafeRawPointer, output: UnsafeMutableRawPointer) throws(NeuralNetError) {
        let pooled = workspaces.withLock { $0.popLast() }
        let workspace: Workspace
        if let pooled { workspace = pooled } else { workspace = try Workspace(plan: self) }
        defer { workspaces.withLock { $0.append(workspace) } }
        try workspace.run(input: input, output: output)
    }

    /// Number of workspaces created so far (the most calls of this size in flight at once).
    var workspaceCount: Int { workspaces.withLock { $0.count } }
}

/// One call's mutable state for a plan; used by one thread at a time.
final class Workspace: @unchecked Sendable {
    private let arena: UnsafeMutableRawPointer
    private let scratchpad: UnsafeMutableRawPointer
    private let stream: dnnl_stream_t
    private var memories: [dnnl_memory_t] = []
    private let inputMemory: dnnl_memory_t
    private let outputMemory: dnnl_memory_t
    private var primitives: [dnnl_primitive_t] = []
    /// Every step's arguments, flattened; `ranges[i]` is step i's slice.
    private var args: [dnnl_exec_arg_t] = []
    private var ranges: [Range<Int>] = []

    init(plan: ExecutionPlan) throws(NeuralNetError) {
        arena = allocate(plan.arenaBytes)
        scratchpad = allocate(plan.scratchpadBytes)
        stream = try makeStream()
        inputMemory = try makeMemory(plan.inputDesc, nil)
        outputMemory = try makeMemory(plan.outputDesc, nil)
        var buffers: [dnnl_memory_t] = []
        for (desc, offset) in zip(plan.bufferDescs, plan.bufferOffsets) {
            let memory = try makeMemory(desc, arena + offset)
            buffers.append(memory)
            memories.append(memory)
        }
        for step in plan.steps {
            let start = args.count
            for (kind, operand) in step.args {
                let memory: dnnl_memory_t
                switch operand {
                case .buffer(let b): memory = buffers[b]
                case .constant(let m): memory = m
                case .input: memory = inputMemory
                case .output: memory = outputMemory
                }
                args.append(dnnl_exec_arg_t(arg: kind, memory: memory))
            }
            if let scratch = step.scratchpad {
                let memory = try makeMemory(scratch, scratchpad)
                memories.append(memory)
                args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory))
            }
            primitives.append(step.primitive)
            ranges.append(start..<args.count)
        }
    }

    deinit {
        for memory in memories { dnnl_memory_destroy(memory) }
        dnnl_memory_destroy(inputMemory)
        dnnl_memory_destroy(outputMemory)
        dnnl_stream_destroy(stream)
        arena.deallocate()
        scratchpad.deallocate()
    }

    func run(input: UnsafeRawPointer, output: UnsafeMutableRawPointer) throws(NeuralNetError) {
        try check(dnnl_memory_set_data_handle_v2(inputMemory, UnsafeMutableRawPointer(mutating: input), stream), "binding the input")
        try check(dnnl_memory_set_data_handle_v2(outputMemory, output, stream), "binding the output")
        let count = primitives.count
        try args.withUnsafeMutableBufferPointer { (all) throws(NeuralNetError) in
            for i in 0..<count {
                let range = ranges[i]
                try check(
                    dnnl_primitive_execute(primitives[i], stream, Int32(range.count), all.baseAddress! + range.lowerBound),
                    "executing step \(i)")
            }
        }
        try check(dnnl_stream_wait(stream), "waiting for the stream")
    }
}
