import Dispatch
import FewClickAPI
import FewClickCore
import Foundation

/// One object a simulated labeler works on during a load test: the image file bytes to upload and
/// the ground truth that drives its clicks.
public struct BenchObject: Sendable {
    /// The dataset's instance id.
    public var id: String
    /// The original image file bytes.
    public var imageBytes: [UInt8]
    /// The object's mask.
    public var groundTruth: Mask
    /// Pixels left out of click placement.
    public var ignore: Mask?

    /// Creates an object.
    public init(id: String, imageBytes: [UInt8], groundTruth: Mask, ignore: Mask? = nil) {
        self.id = id; self.imageBytes = imageBytes; self.groundTruth = groundTruth; self.ignore = ignore
    }
}

/// The click script of one simulated labeler on one object (the session state machine): the four
/// extreme points (as `fewclick eval` picks them), then after each mask the next corrective click by
/// the evaluation rule, until `correctiveClicks` were made or nothing is left to correct.
public struct LabelerScript: Sendable {
    /// Where the labeler is.
    public enum State: Sendable, Equatable {
        /// The next request is the first one (extreme points, image bytes).
        case firstMask
        /// The next request carries corrective click number `n` (1-based).
        case corrective(Int)
        /// No more requests.
        case done
    }

    let simulator: ClickSimulator
    /// Corrective clicks to make after the first mask.
    public let correctiveClicks: Int
    /// Every click so far, extreme points first: what the next request sends.
    public private(set) var clicks: [Click]
    /// The current state.
    public private(set) var state: State = .firstMask

    /// A script for `object`; nil when its mask is empty. Extreme points are drawn from `seed` and the
    /// object id, exactly as `fewclick eval` draws them.
    public init?(object: BenchObject, correctiveClicks: Int, seed: UInt64, perturbation: Int = 0) {
        simulator = ClickSimulator(groundTruth: object.groundTruth, ignore: object.ignore)
        var rng = SplitMix64(seed: seed, instance: object.id)
        guard let extreme = simulator.extremePoints(perturbation: perturbation, rng: &rng) else { return nil }
        clicks = extreme
        self.correctiveClicks = max(0, correctiveClicks)
    }

    /// Takes in the mask the last request returned and moves on: appends the next corrective click
    /// and returns true when another request is due; returns false (state `.done`) when all clicks
    /// were made or the mask leaves nothing to correct.
    public mutating func advance(after mask: Mask) -> Bool {
        let made: Int
        switch state {
        case .done: return false
        case .firstMask: made = 0
        case .corrective(let n): made = n
        }
        guard made < correctiveClicks, let click = simulator.nextClick(prediction: mask, clicked: clicks) else {
            state = .done
            return false
        }
        clicks.append(click)
        state = .corrective(made + 1)
        return true
    }
}

/// When an open-loop load test starts its sessions: evenly spaced, so requests go out at about the
/// target rate whatever the server does (latency is then measured from these instants, which
/// corrects for coordinated omission).
public struct OpenLoopSchedule: Sendable, Equatable {
    /// Sessions started per second.
    public let sessionsPerSecond: Double

    /// A schedule issuing `requestsPerSecond` requests per second in sessions of
    /// `requestsPerSession` requests each (the first mask plus the corrective clicks).
    public init(requestsPerSecond: Double, requestsPerSession: Int) {
        precondition(requestsPerSecond > 0 && requestsPerSession > 0, "rate and session size must be positive")
        sessionsPerSecond = requestsPerSecond / Double(requestsPerSession)
    }

    /// Start of session `index` (0-based), relative to the test's start.
    public func start(ofSession index: Int) -> Duration {
        .nanoseconds(Int64((Double(index) / sessionsPerSecond * 1e9).rounded()))
    }

    /// Sessions due within the first `duration` (those whose start is < `duration`).
    public func sessions(within duration: Duration) -> Int {
        let seconds = duration.seconds
        return Int((seconds * sessionsPerSecond).rounded(.up))
    }
}

/// Settings of a load test.
public struct LoadTestOptions: Sendable {
    /// How load is offered.
    public enum Mode: Sendable, Equatable {
        /// `concurrency` labelers, each starting its next request as soon as the last one answered.
        case closedLoop(concurrency: Int)
        /// Sessions started on a fixed schedule for `requestsPerSecond`, at most `maxInFlight` at once
        /// (a session waiting for a slot is already late: its wait counts in its latency).
        case openLoop(requestsPerSecond: Double, maxInFlight: Int)
    }
    /// Closed or open loop.
    public var mode: Mode
    /// Stop starting sessions (and requests) after this long; nil: no time bound.
    public var duration: Duration?
    /// Stop after this many sessions; nil: no count bound. At least one bound must be set.
    public var sessions: Int?
    /// Corrective clicks per session.
    public var correctiveClicks: Int
    /// Seed of the extreme-point picks.
    public var seed: UInt64

    /// Creates options.
    public init(mode: Mode, duration: Duration?, sessions: Int?, correctiveClicks: Int = 5, seed: UInt64 = 0) {
        precondition(duration != nil || sessions != nil, "a load test needs a time or a session bound")
        self.mode = mode; self.duration = duration; self.sessions = sessions
        self.correctiveClicks = correctiveClicks; self.seed = seed
    }
}

extension LoadTestOptions {
    /// Parses a test length: "60s", "1.5s", "500ms", "2m", "1h", or a bare number of seconds.
    /// Returns nil for anything else, and for lengths that are not positive or exceed one day.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var factor = 1.0
        for (suffix, f) in units where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            factor = f
            break
        }
        guard let value = Double(number), value > 0, value * factor <= 86_400 else { return nil }
        return .milliseconds(Int64((value * factor * 1000).rounded()))
    }
}

/// The figures of a load test.
public struct LoadTestReport: Sendable, Codable {
    /// "closed" or "open".
    public var mode: String
    /// Labelers (closed loop) or the in-flight cap (open loop).
    public var concurrency: Int
    /// Target request rate (open loop), requests/s.
    public var targetRate: Double?
    /// The URL tested.
    public var endpoint: String
    /// Test length, seconds.
    public var elapsedSeconds: Double
    /// Sessions started.
    public var sessionsStarted: Int
    /// Sessions that made all their requests.
    public var sessionsCompleted: Int
    /// Successful requests.
    public var requests: Int
    /// Successful requests per second.
    public var throughput: Double
    /// Failed requests by "status code" (or transport error name for no response).
    public var errors: [String: Int]
    /// Image re-uploads after 404 `image_not_found`.
    public var resends: Int
    /// Latency of first-mask requests (image bytes + extreme points), ms.
    public var firstMask: LatencySummary
    /// Latency of corrective-click requests (image id + clicks), ms.
    public var clicks: LatencySummary

    /// Human-readable summary as a markdown table.
    public var markdown: String {
        var lines = [
            "### load test: \(endpoint)",
            "",
            "\(mode) loop, " + (targetRate.map { String(format: "target %.1f req/s, ", $0) } ?? "")
                + "concurrency \(concurrency), \(String(format: "%.1f", elapsedSeconds)) s; sessions \(sessionsCompleted)/\(sessionsStarted) completed; "
                + "\(requests) requests ok (\(String(format: "%.1f", throughput)) req/s); \(resends) image re-uploads",
            "",
            "| requests | n | p50 ms | p90 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|",
        ]
        for (name, s) in [("first mask", firstMask), ("corrective click", clicks)] {
            lines.append("| \(name) | \(s.count) | \(EvaluationReport.ms(s.p50)) | \(EvaluationReport.ms(s.p90)) | \(EvaluationReport.ms(s.p99)) | \(EvaluationReport.ms(s.max)) |")
        }
        lines.append("")
        if errors.isEmpty {
            lines.append("errors: none")
        } else {
            lines.append("errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Live counters of a load test, shared by its sessions.
final class LoadTestStats: Sendable {
    struct State: Sendable {
        var first = LatencyHistogram()
        var clicks = LatencyHistogram()
        var errors: [String: Int] = [:]
        var started = 0
        var completed = 0
        var resends = 0
    }
    let state = Locked(State())

    func record(first: Bool, _ latency: Duration) {
        state.withLock { s in
            if first { s.first.record(latency) } else { s.clicks.record(latency) }
        }
    }
    func record(_ error: GatewayClientError) {
        let key = error.status.map { "\($0) \(error.code)" } ?? error.code.rawValue
        state.withLock { $0.errors[key, default: 0] += 1 }
    }
    func started() { state.withLock { $0.started += 1 } }
    func completed(resends: Int) { state.withLock { $0.completed += 1; $0.resends += resends } }
    func abandoned(resends: Int) { state.withLock { $0.resends += resends } }
    var okRequests: Int { state.withLock { $0.first.count + $0.clicks.count } }
    var errorCount: Int { state.withLock { $0.errors.values.reduce(0, +) } }
}

/// Closed- and open-loop load tests of a gateway's `POST /v1/segment` with simulated labelers.
public enum LoadTest {
    /// Reads the first `limit` objects of `dataset` (image bytes and masks) on a worker thread.
    ///
    /// - Throws: `DatasetError` for an unreadable file.
    public static func loadObjects(_ dataset: EvaluationDataset, limit: Int) async throws -> [BenchObject] {
        let instances = Array(dataset.instances.prefix(limit))
        let result = Locked<Result<[BenchObject], DatasetError>?>(nil)
        await WorkerThreads.run(count: 1) {
            do throws(DatasetError) {
                var images: [String: [UInt8]] = [:]
                var objects: [BenchObject] = []
                for i in instances {
                    let bytes: [UInt8]
                    if let cached = images[i.image] { bytes = cached } else { bytes = try FileBytes.read(dataset.url(i.image)) }
                    images[i.image] = bytes
                    let gt = try dataset.loadMask(i.mask)
                    let ignore = try i.ignore.map { p throws(DatasetError) in try dataset.loadMask(p) }
                    objects.append(BenchObject(id: i.id, imageBytes: bytes, groundTruth: gt, ignore: ignore))
                }
                result.withLock { $0 = .success(objects) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
        }
        return try result.withLock { $0! }.get()
    }

    /// Runs a load test until its time or session bound, then reports.
    ///
    /// Requests go only to `client.endpoint`. Sessions cycle through `objects`. A failed request ends
    /// its session (counted by status); the test goes on.
    ///
    /// - Parameter progress: a live status line, updated after each request (throttled).
    public static func run(
        client: GatewayClient, objects: [BenchObject], options: LoadTestOptions, progress: ProgressLine? = nil
    ) async -> LoadTestReport {
        precondition(!objects.isEmpty, "no objects to label")
        let stats = LoadTestStats()
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = options.duration.map { start + $0 }
        let sessionLimit = options.sessions ?? Int.max
        let counter = Counter()

        @Sendable func pastDeadline() -> Bool { deadline.map { clock.now >= $0 } ?? false }

        @Sendable func report(_ stats: LoadTestStats) {
            guard let progress else { return }
            let elapsed = progress.elapsedSeconds
            let ok = stats.okRequests
            progress.show(String(
                format: "bench: %.0f s, %d requests ok (%.1f/s), %d errors", elapsed, ok,
                elapsed > 0 ? Double(ok) / elapsed : 0, stats.errorCount))
        }

        @Sendable func runSession(_ index: Int, scheduledAt: ContinuousClock.Instant?) async {
            let object = objects[index % objects.count]
            stats.started()
            guard var script = LabelerScript(object: object, correctiveClicks: options.correctiveClicks, seed: options.seed) else {
                stats.record(GatewayClientError(status: nil, code: "empty_mask", message: "object \(object.id) has an empty mask"))
                return
            }
            let remote = GatewayObjectSession(client: client, imageBytes: object.imageBytes)
            var first = true
            while true {
                if !first && pastDeadline() { stats.abandoned(resends: remote.resends); return }
                let mask: Mask
                do {
                    let (m, latency, _) = try await remote.predict(clicks: script.clicks, since: first ? scheduledAt : nil)
                    stats.record(first: first, latency)
                    mask = m
                } catch {
                    stats.record(error)
                    stats.abandoned(resends: remote.resends)
                    report(stats)
                    return
                }
                report(stats)
                first = false
                // The click rule is CPU work (two distance transforms): off the cooperative pool.
                let current = script
                let (next, more) = await ClickWorkers.run { () -> (LabelerScript, Bool) in
                    var s = current
                    let more = s.advance(after: mask)
                    return (s, more)
                }
                script = next
                if !more { break }
            }
            stats.completed(resends: remote.resends)
        }

        let modeName: String, concurrency: Int, targetRate: Double?
        switch options.mode {
        case .closedLoop(let n):
            modeName = "closed"; concurrency = n; targetRate = nil
            await withDiscardingTaskGroup { group in
                for _ in 0..<max(1, n) {
                    group.addTask {
                        while !pastDeadline() {
                            let i = counter.fetchAdd(1)
                            if i >= sessionLimit { return }
                            await runSession(i, scheduledAt: nil)
                        }
                    }
                }
            }
        case .openLoop(let rate, let maxInFlight):
            modeName = "open"; concurrency = maxInFlight; targetRate = rate
            let schedule = OpenLoopSchedule(requestsPerSecond: rate, requestsPerSession: options.correctiveClicks + 1)
            var total = sessionLimit
            if let d = options.duration { total = min(total, schedule.sessions(within: d)) }
            await withTaskGroup(of: Void.self) { group in
                var inFlight = 0
                for i in 0..<total {
                    let due = start + schedule.start(ofSession: i)
                    try? await Task.sleep(until: due, clock: clock)
                    if inFlight >= maxInFlight {
                        await group.next()
                        inFlight -= 1
                    }
                    group.addTask { await runSession(i, scheduledAt: due) }
                    inFlight += 1
                }
            }
        }
        progress?.finish()
        let elapsed = clock.now - start
        let seconds = Double(LatencyHistogram.microseconds(elapsed)) / 1e6
        return stats.state.withLock { s in
            LoadTestReport(
                mode: modeName, concurrency: concurrency, targetRate: targetRate, endpoint: client.endpoint,
                elapsedSeconds: seconds, sessionsStarted: s.started, sessionsCompleted: s.completed,
                requests: s.first.count + s.clicks.count,
                throughput: seconds > 0 ? Double(s.first.count + s.clicks.count) / seconds : 0,
                errors: s.errors, resends: s.resends, firstMask: s.first.summary, clicks: s.clicks.summary)
        }
    }
}

/// A dispatch queue for the simulated labelers' CPU work, so it never occupies Swift's cooperative
/// threads (which must stay free to resume requests promptly and keep latencies honest).
enum ClickWorkers {
    static let queue = DispatchQueue(label: "fewclick.bench.clicks", attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
