import Foundation
import Observability

/// Dedicated threads that run model code, so CPU-bound segmentation never occupies Swift's
/// cooperative thread pool (which also runs the HTTP server).
///
/// Admission is bounded: at most `workerCount` jobs run and at most `queueLimit` wait; a job beyond
/// that is refused at once with `ModelWorkerPool.Refusal.full` (the endpoint answers 503), so overload
/// shows up as fast errors instead of unbounded latency and memory.
final class ModelWorkerPool: @unchecked Sendable {
    /// Why a job was not run.
    enum Refusal: Error, Equatable {
        /// Every thread is busy and the queue is full.
        case full
        /// The pool is shutting down.
        case stopped
    }

    let workerCount: Int
    let queueLimit: Int

    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var running = 0
    private var accepting = true
    private var started = false

    /// Told the number of waiting jobs whenever it changes (under the lock: keep it cheap).
    private let queueDepthChanged: @Sendable (Int) -> Void

    init(
        workerCount: Int, queueLimit: Int,
        queueDepthChanged: @escaping @Sendable (Int) -> Void = { EndpointMetrics.setQueueDepth($0) }
    ) {
        self.workerCount = max(1, workerCount)
        self.queueLimit = max(0, queueLimit)
        self.queueDepthChanged = queueDepthChanged
    }

    /// Starts the threads (idempotent).
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        for i in 0..<workerCount {
            let thread = Thread { [self] in self.workerLoop() }
            thread.name = "model-worker-\(i)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Stops accepting jobs; queued and running jobs still complete, then the threads exit.
    func shutdown() {
        condition.lock()
        accepting = false
        condition.broadcast()
        condition.unlock()
    }

    /// Jobs running or waiting.
    var load: (running: Int, queued: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (running, jobs.count - head)
    }

    /// Runs `work` on a model thread and returns its result.
    ///
    /// - Throws: `Refusal.full` / `Refusal.stopped` without running `work`, or whatever `work` throws.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard accepting else {
                continuation.resume(throwing: Refusal.stopped)
                return
            }
            guard running + (jobs.count - head) < workerCount + queueLimit else {
                continuation.resume(throwing: Refusal.full)
                return
            }
            jobs.append {
                continuation.resume(with: Result { try work() })
            }
            queueDepthChanged(jobs.count - head)
            condition.signal()
        }
    }

    private func workerLoop() {
        while true {
            condition.lock()
            while head == jobs.count, accepting { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            running += 1
            queueDepthChanged(jobs.count - head)
            condition.unlock()
            job()
            condition.lock()
            running -= 1
            condition.unlock()
        }
    }
}
