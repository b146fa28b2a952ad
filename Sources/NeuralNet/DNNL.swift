import CDNNL

/// Thin Swift helpers over oneDNN's C API (the descriptors themselves are built in CDNNL's shim).

/// Throws `NeuralNetError.runtime` unless `status` is `dnnl_success`.
@inline(__always)
func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(NeuralNetError) {
    guard status == dnnl_success else { throw .runtime("\(what()) failed (dnnl_status \(status.rawValue))") }
}

/// The process-wide CPU engine (oneDNN engines are thread-safe and cheap to share).
final class CPUEngine: @unchecked Sendable {
    let handle: dnnl_engine_t

    private init?() {
        var engine: dnnl_engine_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
        handle = engine
    }

    private static let instance = CPUEngine()

    static func shared() throws(NeuralNetError) -> dnnl_engine_t {
        guard let instance else { throw .runtime("cannot create the oneDNN CPU engine") }
        return instance.handle
    }
}

/// A memory descriptor (a plain C struct, copied by value).
typealias MemoryDesc = dnnl_memory_desc_t

func desc4(_ shape: ValueShape, _ tag: dnnl_format_tag_t) throws(NeuralNetError) -> MemoryDesc {
    var md = MemoryDesc()
    try check(fc_md_4d(&md, 1, Int64(shape.channels), Int64(shape.height), Int64(shape.width), tag), "memory descriptor")
    return md
}

func equal(_ a: MemoryDesc, _ b: MemoryDesc) -> Bool {
    var a = a, b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
}

func byteSize(_ md: MemoryDesc) -> Int {
    var md = md
    return dnnl_memory_desc_get_size(&md)
}

/// A queried descriptor of a primitive descriptor (src, weights, dst, scratchpad ...).
func query(_ pd: dnnl_primitive_desc_t, _ what: dnnl_query_t, _ index: Int32 = 0) throws(NeuralNetError) -> MemoryDesc {
    var md = MemoryDesc()
    try check(fc_query_md(pd, what, index, &md), "querying a memory descriptor")
    return md
}

/// Owned primitive attributes: user-managed scratchpad (so each workspace brings its own) and
/// post-ops.
final class Attributes {
    let handle: dnnl_primitive_attr_t
    private var postOps: dnnl_post_ops_t?

    init() throws(NeuralNetError) {
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "creating attributes")
        handle = attr!
        try check(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user), "scratchpad mode")
    }

    deinit {
        if let postOps { dnnl_post_ops_destroy(postOps) }
        dnnl_primitive_attr_destroy(handle)
    }

    private func ops() throws(NeuralNetError) -> dnnl_post_ops_t {
        if let postOps { return postOps }
        var created: dnnl_post_ops_t?
        try check(dnnl_post_ops_create(&created), "creating post-ops")
        postOps = created
        return created!
    }

    /// Appends `activation` as an eltwise post-op (nothing for `.none`).
    func append(_ activation: Activation) throws(NeuralNetError) {
        let (alg, alpha, beta): (dnnl_alg_kind_t, Float, Float)
        switch activation {
        case .none: return
        case .relu: (alg, alpha, beta) = (dnnl_eltwise_relu, 0, 0)
        case .relu6: (alg, alpha, beta) = (dnnl_eltwise_clip, 0, 6)
        case .sigmoid: (alg, alpha, beta) = (dnnl_eltwise_logistic, 0, 0)
        }
        try check(dnnl_post_ops_append_eltwise(try ops(), 1, alg, alpha, beta), "eltwise post-op")
        try check(dnnl_primitive_attr_set_post_ops(handle, postOps), "setting post-ops")
    }

    /// Appends a sum post-op: the destination's previous contents are added to the result.
    func appendSum() throws(NeuralNetError) {
        try check(dnnl_post_ops_append_sum(try ops(), 1), "sum post-op")
        try check(dnnl_primitive_attr_set_post_ops(handle, postOps), "setting post-ops")
    }

    /// Appends a binary addition with a second operand of layout `src1` (post-op index `count`).
    func appendAdd(_ src1: MemoryDesc) throws(NeuralNetError) {
        var md = src1
        try check(dnnl_post_ops_append_binary(try ops(), dnnl_binary_add, &md), "binary post-op")
        try check(dnnl_primitive_attr_set_post_ops(handle, postOps), "setting post-ops")
    }
}

/// A CPU stream (in-order; one per workspace).
func makeStream() throws(NeuralNetError) -> dnnl_stream_t {
    var stream: dnnl_stream_t?
    try check(dnnl_stream_create(&stream, try CPUEngine.shared(), dnnl_stream_default_flags.rawValue), "creating a stream")
    return stream!
}

/// A memory object over caller-owned bytes.
func makeMemory(_ md: MemoryDesc, _ handle: UnsafeMutableRawPointer?) throws(NeuralNetError) -> dnnl_memory_t {
    var md = md
    var memory: dnnl_memory_t?
    try check(dnnl_memory_create(&memory, &md, try CPUEngine.shared(), handle), "creating a memory object")
    return memory!
}

/// 64-byte aligned raw bytes (at least 64, so that empty buffers still have an address).
func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer.allocate(byteCount: max(64, bytes), alignment: 64)
}
