import CCurl

/// Initializes libcurl once per process (Swift runs a global's initializer exactly once).
private let globalInitResult: CURLcode = ccurl_global_init()

/// Makes sure `curl_global_init` has run.
func curlGlobalInit() {
    precondition(globalInitResult == CURLE_OK, "curl_global_init failed")
}

/// One request on its way through the pool. Its mutable state is guarded by the pool's mutex,
/// except `cancelRequested`, which the worker's progress callback also reads without the lock.
final class Job: @unchecked Sendable {
    enum State { case new, queued, running, finished }

    let request: CurlRequest
    /// The origin (`scheme://host:port` part of the URL), to prefer a worker that has a
    /// connection open to it.
    let origin: Substring
    var state = State.new
    var continuation: CheckedContinuation<Result<CurlResponse, CurlError>, Never>?
    /// Set once the calling task is cancelled; read by the running transfer's progress callback.
    let cancelFlag = AtomicFlag()

    init(request: CurlRequest) {
        self.request = request
        self.origin = Job.origin(of: request.url)
    }

    static func origin(of url: String) -> Substring {
        let bytes = Array(url.utf8)
        var i = 0
        while i + 2 < bytes.count, !(bytes[i] == 58 && bytes[i + 1] == 47 && bytes[i + 2] == 47) { i += 1 }  // "://"
        guard i + 2 < bytes.count else { return url[...] }
        var end = i + 3
        while end < bytes.count, bytes[end] != 47, bytes[end] != 63, bytes[end] != 35 { end += 1 }  // '/', '?', '#'
        return Substring(url.utf8.prefix(end))
    }

    static let cancelled = CurlError(code: .transport, message: "cancelled")
}

/// A worker thread with its own easy handle (and so its own live connections).
final class Worker: @unchecked Sendable {
    /// The job handed to this idle worker; guarded by the pool mutex.
    var assigned: Job?
    /// Origin of the last request, guarded by the pool mutex.
    var lastOrigin: Substring = ""
    let wakeUp = PThreadCondition()
}

/// The fixed-size pool behind ``CurlClient``: up to `maxWorkers` threads, started on demand,
/// and a FIFO of requests waiting for one.
final class WorkerPool: @unchecked Sendable {
    private let maxWorkers: Int
    private let mutex = PThreadMutex()
    // Guarded by `mutex`:
    private var queue: [Job] = []
    private var queueHead = 0
    private var idle: [Worker] = []
    private var workerCount = 0
    private var isShutdown = false

    init(maxWorkers: Int) {
        self.maxWorkers = maxWorkers
    }

    /// Hands `job` to an idle worker, a new worker, or the queue.
    func submit(_ job: Job, continuation: CheckedContinuation<Result<CurlResponse, CurlError>, Never>) {
        enum Action { case none, fail(CurlError), spawn(Worker) }
        let action: Action = mutex.withLock {
            if isShutdown { return .fail(CurlError(code: .transport, message: "the HTTP client was shut down")) }
            if job.cancelFlag.isSet { return .fail(Job.cancelled) }
            job.continuation = continuation
            if let index = idle.lastIndex(where: { $0.lastOrigin == job.origin }) ?? idle.indices.last {
                let worker = idle.remove(at: index)
                job.state = .running
                worker.assigned = job
                worker.wakeUp.signal()
                return .none
            }
            if workerCount < maxWorkers {
                workerCount += 1
                let worker = Worker()
                job.state = .running
                worker.assigned = job
                return .spawn(worker)
            }
            job.state = .queued
            queue.append(job)
            return .none
        }
        switch action {
        case .none: break
        case .fail(let error): continuation.resume(returning: .failure(error))
        case .spawn(let worker): spawnThread { self.run(worker) }
        }
    }

    /// Cancels `job`: a queued job fails at once; a running one is flagged for its progress callback.
    func cancel(_ job: Job) {
        job.cancelFlag.set()
        let continuation: CheckedContinuation<Result<CurlResponse, CurlError>, Never>? = mutex.withLock {
            guard job.state == .queued, let index = queue[queueHead...].firstIndex(where: { $0 === job }) else { return nil }
            queue.remove(at: index)
            job.state = .finished
            defer { job.continuation = nil }
            return job.continuation
        }
        continuation?.resume(returning: .failure(Job.cancelled))
    }

    /// Fails queued jobs, wakes idle workers so they exit, and refuses new jobs.
    func shutdown() {
        let failed: [Job] = mutex.withLock {
            guard !isShutdown else { return [] }
            isShutdown = true
            let waiting = Array(queue[queueHead...])
            queue = []
            queueHead = 0
            for job in waiting { job.state = .finished }
            for worker in idle { worker.wakeUp.signal() }
            return waiting
        }
        for job in failed {
            job.continuation?.resume(returning: .failure(CurlError(code: .transport, message: "the HTTP client was shut down")))
            job.continuation = nil
        }
    }

    /// A worker thread's loop: run the assigned job, then queued jobs, then wait to be assigned one.
    private func run(_ worker: Worker) {
        let transfer = Transfer()
        var next: Job? = mutex.withLock { defer { worker.assigned = nil }; return worker.assigned }
        while let job = next {
            let result = transfer.perform(job.request, cancelFlag: job.cancelFlag)
            let (continuation, queued): (CheckedContinuation<Result<CurlResponse, CurlError>, Never>?, Job?) = mutex.withLock {
                job.state = .finished
                defer { job.continuation = nil }
                worker.lastOrigin = job.origin
                return (job.continuation, takeQueuedOrGoIdle(worker))
            }
            // The result is delivered only once this worker is back in the idle list (or has its
            // next job), so a caller that sends its next request at once finds this worker and
            // its open connection instead of starting another; and never while waiting idle.
            continuation?.resume(returning: result)
            next = queued ?? mutex.withLock { waitForAssignment(worker) }
        }
        transfer.close()
    }

    /// Called with the mutex held: the next queued job, or `nil` after putting `worker` in the
    /// idle list (unless the pool is shutting down).
    private func takeQueuedOrGoIdle(_ worker: Worker) -> Job? {
        if queueHead < queue.count {
            let job = queue[queueHead]
            queueHead += 1
            if queueHead > 64 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            job.state = .running
            return job
        }
        if !isShutdown { idle.append(worker) }
        return nil
    }

    /// Called with the mutex held, for an idle worker: waits until a job is assigned to it, or
    /// returns `nil` once the pool shuts down (the worker then exits).
    private func waitForAssignment(_ worker: Worker) -> Job? {
        while worker.assigned == nil && !isShutdown { worker.wakeUp.wait(mutex) }
        if let job = worker.assigned {
            worker.assigned = nil
            return job
        }
        idle.removeAll { $0 === worker }
        workerCount -= 1
        return nil
    }
}
