import CurlHTTP
import Dispatch
import FewClickCore
import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What `fewclick up` runs for one service.
struct ChildSpec: Sendable {
    /// `endpoint`, `proxy` or `gateway`.
    var name: String
    var executable: URL
    var arguments: [String]
    var environment: [String: String]
    /// Answers 200 once the service is ready.
    var healthURL: String
    /// The service that must be healthy before this one starts the first time.
    var dependency: String?
}

/// How soon a dead child is started again: `initialDelay` doubling per restart up to `maxDelay`;
/// back to `initialDelay` once the child stayed up `resetAfter`.
struct RestartPolicy: Sendable {
    var initialDelay: Duration
    var maxDelay: Duration
    var resetAfter: Duration

    /// The wait before restart number `attempt` (0-based).
    func delay(attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 0..<min(attempt, 30) where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }
}

/// What the services of one `fewclick up` share: which children were healthy once (so the next
/// can start), whether the stack is stopping (no restarts then), and the first fatal failure.
final class StackState: Sendable {
    private struct State {
        var ready: Set<String> = []
        var waiters: [(name: String, id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiter = 0
        var stopping = false
        var failure: String?
    }
    private let state = Mutex(State())

    /// Marks `name` as healthy (once) and wakes those waiting for it.
    func markReady(_ name: String) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.ready.insert(name)
            let matching = state.waiters.filter { $0.name == name }.map(\.continuation)
            state.waiters.removeAll { $0.name == name }
            return matching
        }
        for continuation in woken { continuation.resume() }
    }

    /// Waits until `name` was healthy once; throws `CancellationError` when the task is cancelled.
    func waitReady(_ name: String) async throws {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if state.ready.contains(name) { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append((name, id, continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// Set once shutdown begins: dead children are not restarted any more.
    var stopping: Bool { state.withLock { $0.stopping } }
    func markStopping() { state.withLock { $0.stopping = true } }

    /// The first fatal failure, reported as `fewclick up`'s error.
    var failure: String? { state.withLock { $0.failure } }
    func fail(_ message: String) { state.withLock { state in if state.failure == nil { state.failure = message } } }
}

/// Delivers a process's exit status to async waiters (set from `Process.terminationHandler`).
final class ExitSignal: Sendable {
    private struct State {
        var status: Int32?
        var description: String?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }
    private let state = Mutex(State())

    /// Records the exit (`description`: "exited with status 0", "was killed by signal 9").
    func finish(_ status: Int32, description: String? = nil) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.status = status
            state.description = description
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    var isFinished: Bool { state.withLock { $0.status != nil } }

    /// How it ended, once it has.
    var description: String { state.withLock { $0.description ?? ($0.status == nil ? "is running" : "exited") } }

    /// Waits for the exit (not cancellable: a started child is always waited for).
    func status() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

/// One started child process.
final class ChildProcess: Sendable {
    let name: String
    let pid: Int32
    let exit = ExitSignal()

    /// Starts `spec`'s executable; its output goes to ours.
    init(_ spec: ChildSpec) throws {
        let process = Process()
        process.executableURL = spec.executable
        process.arguments = spec.arguments
        process.environment = spec.environment
        let exit = self.exit
        process.terminationHandler = { finished in
            let text =
                finished.terminationReason == .uncaughtSignal
                ? "was killed by signal \(finished.terminationStatus)" : "exited with status \(finished.terminationStatus)"
            exit.finish(finished.terminationStatus, description: text)
        }
        try process.run()
        name = spec.name
        pid = process.processIdentifier
    }

    /// "exited with status N" / "was killed by signal N", once it has ended.
    var exitDescription: String { exit.description }

    /// SIGTERM now, SIGKILL if it is still running after `grace`.
    func stop(grace: Duration) {
        guard !exit.isFinished else { return }
        kill(pid, SIGTERM)
        let (seconds, attoseconds) = grace.components
        let deadline = DispatchTime.now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        let exit = self.exit, pid = self.pid, name = self.name
        DispatchQueue.global().asyncAfter(deadline: deadline) {
            guard !exit.isFinished else { return }
            printErr("fewclick up: \(name) did not stop within \(grace) of SIGTERM, killing pid \(pid)")
            kill(pid, SIGKILL)
        }
    }
}

/// One child of `fewclick up` as a service: waits for its dependency, starts the process, waits
/// until it is healthy, then supervises it — restarting it with back-off when it dies, and on
/// graceful shutdown (or cancellation) stopping it with SIGTERM, then SIGKILL after the grace period.
struct ChildService: Service, CustomStringConvertible {
    let spec: ChildSpec
    let stack: StackState
    let client: CurlClient
    let policy: RestartPolicy
    let gracePeriod: Duration
    let readyTimeout: Duration

    var description: String { spec.name }

    func run() async throws {
        if let dependency = spec.dependency {
            do {
                try await cancelWhenGracefulShutdown { try await stack.waitReady(dependency) }
            } catch {
                return  // stopping before this service started
            }
        }
        let clock = ContinuousClock()
        var attempt = 0
        var healthy = false
        while !stack.stopping {
            let child: ChildProcess
            do {
                child = try ChildProcess(spec)
            } catch {
                stack.fail("cannot start \(spec.executable.path): \(error)")
                throw UpError("cannot start \(spec.name)")
            }
            printErr("fewclick up: started \(spec.name) (pid \(child.pid))")
            let started = clock.now
            if !healthy {
                let outcome = await waitHealthy(child)
                switch outcome {
                case .healthy:
                    healthy = true
                    stack.markReady(spec.name)
                    printErr("fewclick up: \(spec.name) is ready (\(spec.healthURL))")
                case .exited:
                    stack.fail("\(spec.name) \(child.exitDescription) while starting")
                    throw UpError("\(spec.name) failed to start")
                case .timedOut:
                    child.stop(grace: gracePeriod)
                    _ = await child.exit.status()
                    stack.fail("\(spec.name) did not become healthy within \(readyTimeout) (\(spec.healthURL))")
                    throw UpError("\(spec.name) failed to start")
                case .stopping:
                    child.stop(grace: gracePeriod)
                    _ = await child.exit.status()
                    return
                }
            }

            // Supervise: until the child dies, or shutdown stops it.
            _ = await withTaskCancellationOrGracefulShutdownHandler {
                await child.exit.status()
            } onCancelOrGracefulShutdown: {
                child.stop(grace: gracePeriod)
            }
            if Task.isShuttingDownGracefully || Task.isCancelled || stack.stopping {
                printErr("fewclick up: stopped \(spec.name) (\(child.exitDescription))")
                return
            }
            let uptime = clock.now - started
            if uptime >= policy.resetAfter { attempt = 0 }
            let delay = policy.delay(attempt: attempt)
            attempt += 1
            printErr(
                "fewclick up: \(spec.name) (pid \(child.pid)) \(child.exitDescription) after "
                    + "\(Self.seconds(uptime)) s; restart #\(attempt) in \(Self.seconds(delay)) s")
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            } catch {
                return
            }
        }
    }

    private enum Health { case healthy, exited, timedOut, stopping }

    /// Polls the health URL every 100 ms until 200, the child's exit, `readyTimeout`, or shutdown.
    private func waitHealthy(_ child: ChildProcess) async -> Health {
        let client = self.client, url = spec.healthURL, timeout = readyTimeout
        do {
            return try await cancelWhenGracefulShutdown { () async throws -> Health in
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    if child.exit.isFinished { return .exited }
                    let request = CurlRequest(
                        method: "GET", url: url, connectTimeout: .milliseconds(500), timeout: .seconds(2),
                        maxResponseBytes: 1 << 16)
                    if let response = try? await client.execute(request), response.status == 200 { return .healthy }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return .timedOut
            }
        } catch {
            return .stopping
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.seconds)
    }
}

/// Prints the banner once the gateway is healthy, then waits for shutdown; as the last service of
/// the group it is the first to hear of a graceful shutdown, and marks the stack as stopping so no
/// child is restarted while the others drain.
struct BannerService: Service, CustomStringConvertible {
    let stack: StackState
    let announce: @Sendable () async throws -> Void

    var description: String { "banner" }

    func run() async throws {
        defer { stack.markStopping() }
        do {
            try await cancelWhenGracefulShutdown { try await stack.waitReady("gateway") }
        } catch {
            return
        }
        try await announce()
        try? await gracefulShutdown()
    }
}
