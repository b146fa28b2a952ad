/// The project's HTTP client, on libcurl.
///
/// - A pool of worker threads, at most `maxConcurrentRequests`, each owning one libcurl easy
///   handle that it reuses from request to request, so connections stay open (HTTP keep-alive)
///   and are reused. An idle worker that last talked to the same origin is preferred.
/// - `curl_easy_perform` blocks, so it runs on those dedicated threads, never on Swift's
///   cooperative pool; the calling task waits on a continuation. Requests beyond
///   `maxConcurrentRequests` wait in first-in-first-out order.
/// - Every request sets a connect timeout and a total timeout, disables signals
///   (`CURLOPT_NOSIGNAL`), caps the response size, follows no redirects, allows only `http` and
///   `https`, and sends an empty `Expect:` header (libcurl would otherwise send
///   `Expect: 100-continue` for bodies over 1 MiB and wait a second for an answer that servers
///   such as Hummingbird never send).
/// - Cancelling the calling task removes a queued request at once, and aborts a running one at
///   libcurl's next progress callback (within about a second, usually sooner); it then throws
///   ``CurlError/Code/transport`` with the message "cancelled".
public final class CurlClient: Sendable {
    private let pool: WorkerPool

    /// Creates a client.
    ///
    /// - Parameter maxConcurrentRequests: the most requests in flight at once (and the most
    ///   worker threads and open connection sets); at least 1.
    public init(maxConcurrentRequests: Int = 32) {
        curlGlobalInit()
        pool = WorkerPool(maxWorkers: max(1, maxConcurrentRequests))
    }

    deinit {
        pool.shutdown()
    }

    /// Sends `request` and returns the response, whatever its status (see ``CurlResponse/checked()``).
    ///
    /// - Throws: ``CurlError``: `.connectionRefused`, `.couldNotResolve`, `.timedOut`,
    ///   `.responseTooLarge`, `.invalidRequest`, or `.transport` (including cancellation and use
    ///   after ``shutdown()``).
    public func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
        let job = Job(request: request)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                pool.submit(job, continuation: continuation)
            }
        } onCancel: {
            pool.cancel(job)
        }
        return try result.get()
    }

    /// Stops the client: queued requests fail with ``CurlError/Code/transport``, running ones
    /// finish, then the worker threads exit and their handles and connections are closed. Later
    /// calls to ``execute(_:)`` fail at once. Safe to call more than once; also done on deinit.
    public func shutdown() {
        pool.shutdown()
    }
}
