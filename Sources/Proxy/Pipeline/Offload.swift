import Dispatch

/// Runs CPU-bound steps (image decoding, cropping, mask encodings) on a dedicated dispatch queue,
/// so they never occupy Swift's cooperative thread pool, which serves every request's I/O.
enum Offload {
    private static let queue = DispatchQueue(
        label: "fewclick.proxy.cpu", qos: .userInitiated, attributes: .concurrent)

    /// `body` on the CPU queue; its result or error returned to the caller.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(ProxyError) -> T) async throws(ProxyError) -> T {
        let result: Result<T, ProxyError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result(catching: body)) }
        }
        return try result.get()
    }
}
