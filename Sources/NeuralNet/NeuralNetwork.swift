import CDNNL
import Foundation
import Synchronization

/// A forward pass's result: `channels` × `height` × `width` Floats, row-major (NCHW, N = 1).
public struct NetworkOutput: Sendable {
    /// The values, channel planes one after another, each row-major.
    public var values: [Float]
    /// Number of channel planes.
    public var channels: Int
    /// Rows per plane (pixels).
    public var height: Int
    /// Columns per plane (pixels).
    public var width: Int
}

/// A convolutional network read from a safetensors file whose `__metadata__` carries its layer
/// graph (`fewclick-graph-v1`, infra/training/GRAPH_FORMAT.md), run on the CPU with oneDNN.
///
/// Threading: `forward` is synchronous and safe to call from several threads at once. Each call
/// runs on its calling thread alone (oneDNN's OpenMP team is set to `threadsPerCall`, 1 by
/// default, for that thread), so N worker threads use N cores, never more. The primitives of an
/// input size are created on the first call of that size (tens of ms: oneDNN JIT-compiles its
/// kernels) and reused; each concurrent call takes its own workspace (activation arena +
/// scratchpad) from a per-size pool, so the calls share only read-only state. Call `prepare` at
/// start-up to pay the creation cost before the first request. Plans are kept for the network's
/// lifetime, one per distinct input size: serve a fixed size (the model's `fewclick.input_size`),
/// not arbitrary ones.
public final class NeuralNetwork: Sendable {
    /// The file's `__metadata__` (model name, version, preprocessing: see GRAPH_FORMAT.md).
    public let metadata: [String: String]
    /// Channel planes the input must have.
    public var inputChannels: Int { graph.inputChannels }
    /// OpenMP threads each call uses.
    public let threadsPerCall: Int

    private let graph: NetworkGraph
    /// Weights in oneDNN's layouts; also the lock that serialises plan creation.
    private let weightStore: Mutex<WeightStore>
    private let plans = Mutex<[Size: ExecutionPlan]>([:])

    private struct Size: Hashable {
        var height: Int
        var width: Int
    }

    /// Loads a weights file.
    /// - Parameter threadsPerCall: OpenMP threads per forward pass (1 = each call on its own
    ///   thread only; more only where one call at a time runs).
    /// - Throws: `NeuralNetError` for a bad file (see `SafeTensors.init(data:)`), a missing or
    ///   invalid graph, missing tensors or tensors of the wrong shape.
    public convenience init(contentsOf url: URL, threadsPerCall: Int = 1) throws(NeuralNetError) {
        try self.init(weights: try SafeTensors(contentsOf: url), threadsPerCall: threadsPerCall)
    }

    /// Loads a weights file held in memory; errors as `init(contentsOf:)`.
    public convenience init(data: Data, threadsPerCall: Int = 1) throws(NeuralNetError) {
        try self.init(weights: try SafeTensors(data: data), threadsPerCall: threadsPerCall)
    }

    /// Builds the network from a parsed file; errors as `init(contentsOf:)`.
    public init(weights: SafeTensors, threadsPerCall: Int = 1) throws(NeuralNetError) {
        metadata = weights.metadata
        graph = try NetworkGraph(weights: weights)
        self.threadsPerCall = max(1, threadsPerCall)
        weightStore = Mutex(WeightStore())
        _ = try CPUEngine.shared()
    }

    /// The output's shape for an input of `height` × `width` pixels.
    /// - Throws: `NeuralNetError.invalidInput` or `.wrongShape` when the graph cannot run at that size.
    public func outputShape(height: Int, width: Int) throws(NeuralNetError) -> (channels: Int, height: Int, width: Int) {
        let shape = try graph.shapes(height: height, width: width)[graph.output]
        return (shape.channels, shape.height, shape.width)
    }

    /// Creates the primitives for inputs of `height` × `width` now (otherwise the first call of
    /// that size does); errors as `forward`.
    public func prepare(height: Int, width: Int) throws(NeuralNetError) {
        _ = try plan(height: height, width: width)
    }

    /// Bytes one call of that size uses beyond the shared weights: its activation arena and
    /// scratchpad (plus the returned output array).
    public func memoryPerCall(height: Int, width: Int) throws(NeuralNetError) -> Int {
        let plan = try plan(height: height, width: width)
        let out = plan.outputShape
        return plan.arenaBytes + plan.scratchpadBytes + out.channels * out.height * out.width * 4
    }

    /// Bytes of weights held in oneDNN's layouts (all sizes prepared so far).
    public var weightBytes: Int { weightStore.withLock { $0.byteCount } }

    /// Runs the network on one input: `inputChannels` planes of `height` × `width` Floats (NCHW,
    /// N = 1), on the calling thread.
    /// - Throws: `NeuralNetError.invalidInput` (wrong element count, a side outside 1…16384,
    ///   size too small for the graph), `.wrongShape` (the graph's operands disagree at this size), `.runtime` (oneDNN).
    public func forward(_ input: UnsafeBufferPointer<Float>, height: Int, width: Int) throws(NeuralNetError)
        -> NetworkOutput
    {
        let limit = NetworkGraph.maximumInputSize
        guard height > 0, width > 0, height <= limit, width <= limit else {
            throw .invalidInput("input size \(height)×\(width) (1...\(limit) pixels a side)")
        }
        guard input.count == inputChannels * height * width, let base = input.baseAddress else {
            throw .invalidInput("\(input.count) values for a \(inputChannels)×\(height)×\(width) input")
        }
        let plan = try plan(height: height, width: width)
        let out = plan.outputShape
        let count = out.channels * out.height * out.width
        var failure: NeuralNetError?
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(NeuralNetError) {
                try plan.run(input: UnsafeRawPointer(base), output: UnsafeMutableRawPointer(buffer.baseAddress!))
                initialized = count
            } catch {
                buffer.initialize(repeating: 0)
                initialized = count
                failure = error
            }
        }
        if let failure { throw failure }
        return NetworkOutput(values: values, channels: out.channels, height: out.height, width: out.width)
    }

    /// `forward` over an array; errors as the buffer form.
    public func forward(_ input: [Float], height: Int, width: Int) throws(NeuralNetError) -> NetworkOutput {
        try input.withUnsafeBufferPointer { (buffer) throws(NeuralNetError) in try forward(buffer, height: height, width: width) }
    }

    /// Which oneDNN implementation runs each layer at that size ("jit:avx2", "brg:avx2", ...), for
    /// benchmarks and diagnostics.
    public func implementations(height: Int, width: Int) throws(NeuralNetError) -> [(layer: String, implementation: String)] {
        try plan(height: height, width: width).steps.map { ($0.name, $0.implementation) }
    }

    private func plan(height: Int, width: Int) throws(NeuralNetError) -> ExecutionPlan {
        fc_set_threads(Int32(threadsPerCall))
        let size = Size(height: height, width: width)
        if let plan = plans.withLock({ $0[size] }) { return plan }
        // Plan creation holds the weight store's lock: one at a time, and a size requested by two
        // threads at once is built once.
        return try weightStore.withLock { (store) throws(NeuralNetError) -> ExecutionPlan in
            if let plan = plans.withLock({ $0[size] }) { return plan }
            let plan = try ExecutionPlan(graph: graph, height: height, width: width, weights: store)
            plans.withLock { $0[size] = plan }
            return plan
        }
    }
}
