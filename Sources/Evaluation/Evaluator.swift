import FewClickCore
import Foundation
import Synchronization

/// Settings of one evaluation run.
public struct EvaluationOptions: Sendable {
    /// Extreme points + corrective clicks, or the click-only protocol.
    public var proto: EvaluationProtocol
    /// Corrective clicks per object (all of them always run); for the click-only protocol, clicks in all.
    public var maxClicks: Int
    /// Extreme-point perturbation in pixels (0: exactly on the extreme row/column).
    public var perturbation: Int
    /// Seed of the extreme-point picks; results depend only on it and the instance ids.
    public var seed: UInt64
    /// Evaluate only the first `limit` instances of the dataset (nil: all).
    public var limit: Int?
    /// Worker threads (objects evaluated in parallel); results do not depend on it.
    public var jobs: Int
    /// The hint-following labeler: every call asks for the next-click hint, and the labeler places
    /// the hint whenever it agrees with the true error (`ClickSimulator.agrees`), else the standard click.
    public var followHints: Bool

    /// Creates options; defaults follow README "Evaluation and load tests" (extreme, 20 clicks, pert 0, seed 0, all CPUs, no hints).
    public init(
        proto: EvaluationProtocol = .extreme, maxClicks: Int = 20, perturbation: Int = 0, seed: UInt64 = 0,
        limit: Int? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount, followHints: Bool = false
    ) {
        self.proto = proto; self.maxClicks = maxClicks; self.perturbation = perturbation
        self.seed = seed; self.limit = limit; self.jobs = jobs; self.followHints = followHints
    }
}

/// A click as recorded in reports: pixel coordinates (pixel centres) and kind.
public struct ClickRecord: Sendable, Codable, Equatable {
    /// Horizontal coordinate, pixels.
    public var x: Double
    /// Vertical coordinate, pixels.
    public var y: Double
    /// `extreme`, `positive` or `negative`.
    public var kind: String

    /// Records `click`.
    public init(_ click: Click) {
        x = click.x; y = click.y
        switch click.kind {
        case .extreme: kind = "extreme"
        case .positive: kind = "positive"
        case .negative: kind = "negative"
        }
    }
}

/// What happened to one object.
public struct InstanceResult: Sendable, Codable, Equatable {
    /// The instance id.
    public var instance: String
    /// IoU (0…1) at each curve index 0…maxClicks (see `EvaluationProtocol`).
    public var iou: [Double]
    /// Every click made, in order (extreme points first).
    public var clicks: [ClickRecord]
    /// The curve index after which no error pixel was left to click (later IoUs repeat the last
    /// one, without model calls); nil when every click ran.
    public var exhaustedAt: Int?
    /// Latency of the first mask, µs.
    public var firstLatencyMicros: UInt64
    /// Latencies of the corrective calls, µs, in order.
    public var correctiveLatencyMicros: [UInt64]
    /// With `EvaluationOptions.followHints`: how many corrective clicks were the model's hint
    /// (the others were standard clicks); nil otherwise.
    public var hintsFollowed: Int?

    /// Creates a result.
    public init(
        instance: String, iou: [Double], clicks: [ClickRecord], exhaustedAt: Int?,
        firstLatencyMicros: UInt64, correctiveLatencyMicros: [UInt64], hintsFollowed: Int? = nil
    ) {
        self.instance = instance; self.iou = iou; self.clicks = clicks; self.exhaustedAt = exhaustedAt
        self.firstLatencyMicros = firstLatencyMicros; self.correctiveLatencyMicros = correctiveLatencyMicros
        self.hintsFollowed = hintsFollowed
    }
}

/// Runs the evaluation protocol (README "Evaluation and load tests") over a dataset.
public enum Evaluator {
    /// Evaluates every instance (or the first `options.limit`) of `dataset` with `segmenter`.
    ///
    /// Objects run in parallel on `options.jobs` dedicated threads (never on Swift's cooperative
    /// pool: model calls and gateway waits block). Results are identical for any job count.
    ///
    /// - Parameter progress: called (from worker threads) with (done, total) after each object.
    /// - Throws: `InstanceFailure` wrapping the first `DatasetError`, `SegmentationError` or
    ///   `GatewayClientError`; the run stops.
    public static func run(
        dataset: EvaluationDataset, segmenter: any InteractiveSegmenter, options: EvaluationOptions,
        decodeImages: Bool = true, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> EvaluationReport {
        precondition(options.maxClicks >= 1, "maxClicks must be at least 1")
        let instances = Array(dataset.instances.prefix(options.limit ?? Int.max))
        let cache = ImageCache(dataset: dataset, instances: instances, decode: decodeImages)
        let results = Locked<[InstanceResult?]>(Array(repeating: nil, count: instances.count))
        let firstError = Locked<ErrorBox?>(nil)
        let next = Counter()
        let done = Counter()
        let clock = ContinuousClock()
        let start = clock.now
        await WorkerThreads.run(count: max(1, min(options.jobs, instances.count))) {
            while firstError.withLock({ $0 == nil }) {
                let i = next.fetchAdd(1)
                if i >= instances.count { return }
                do {
                    let r = try evaluate(instances[i], dataset: dataset, cache: cache, segmenter: segmenter, options: options)
                    results.withLock { $0[i] = r }
                } catch {
                    let failure = InstanceFailure(instance: instances[i].id, underlying: error)
                    firstError.withLock { if $0 == nil { $0 = ErrorBox(error: failure) } }
                    return
                }
                let n = done.fetchAdd(1) + 1
                progress?(n, instances.count)
            }
        }
        if let box = firstError.withLock({ $0 }) { throw box.error }
        let all = results.withLock { $0.map { $0! } }
        return EvaluationReport(
            dataset: dataset.name, label: segmenter.label, options: options, instances: all,
            wallSeconds: Double(LatencyHistogram.microseconds(clock.now - start)) / 1e6)
    }

    /// Runs the protocol on one object. Blocking; called on a worker thread.
    static func evaluate(
        _ instance: EvaluationInstance, dataset: EvaluationDataset, cache: ImageCache,
        segmenter: any InteractiveSegmenter, options: EvaluationOptions
    ) throws -> InstanceResult {
        let gt = try dataset.loadMask(instance.mask)
        let ignore = try instance.ignore.map { path throws(DatasetError) in try dataset.loadMask(path) }
        if let ignore, ignore.width != gt.width || ignore.height != gt.height {
            throw DatasetError("instance \(instance.id): ignore mask is \(ignore.width)×\(ignore.height), mask is \(gt.width)×\(gt.height)")
        }
        let image = try cache.image(instance.image)
        defer { cache.release(instance.image) }
        if let rgb = image.rgb, rgb.width != gt.width || rgb.height != gt.height {
            throw DatasetError("instance \(instance.id): image is \(rgb.width)×\(rgb.height), mask is \(gt.width)×\(gt.height)")
        }
        let simulator = ClickSimulator(groundTruth: gt, ignore: ignore)
        let session = segmenter.makeSession(
            key: "eval/\(options.seed)/\(instance.id)", image: image, width: gt.width, height: gt.height,
            suggest: options.followHints)

        func predict(_ clicks: [Click]) throws -> Prediction {
            let p = try session.predict(clicks: clicks)
            guard p.mask.width == gt.width, p.mask.height == gt.height else {
                throw DatasetError("instance \(instance.id): got a \(p.mask.width)×\(p.mask.height) mask for a \(gt.width)×\(gt.height) image")
            }
            return p
        }

        var clicks: [Click] = []
        var curve: [Double] = []
        var latencies: [UInt64] = []
        var prediction: Mask
        var hint: Click?
        var hintsFollowed = 0
        switch options.proto {
        case .extreme:
            var rng = SplitMix64(seed: options.seed, instance: instance.id)
            guard let extreme = simulator.extremePoints(perturbation: options.perturbation, rng: &rng) else {
                throw DatasetError("instance \(instance.id): the mask \(instance.mask) is empty")
            }
            clicks = extreme
            let p = try predict(clicks)
            latencies.append(LatencyHistogram.microseconds(p.latency))
            prediction = p.mask
            hint = p.suggestion
        case .clicks:
            prediction = Mask(width: gt.width, height: gt.height)
        }
        curve.append(prediction.iou(gt, ignoring: ignore))
        var exhaustedAt: Int?
        for _ in 1...options.maxClicks {
            guard exhaustedAt == nil, let standard = simulator.nextClick(prediction: prediction, clicked: clicks) else {
                if exhaustedAt == nil { exhaustedAt = curve.count - 1 }
                curve.append(curve[curve.count - 1])
                continue
            }
            var click = standard
            if let hint, simulator.agrees(hint: hint, prediction: prediction, clicked: clicks) {
                click = hint
                hintsFollowed += 1
            }
            clicks.append(click)
            let p = try predict(clicks)
            latencies.append(LatencyHistogram.microseconds(p.latency))
            prediction = p.mask
            hint = p.suggestion
            curve.append(prediction.iou(gt, ignoring: ignore))
        }
        if options.proto == .clicks && latencies.isEmpty {
            throw DatasetError("instance \(instance.id): the mask \(instance.mask) is empty")
        }
        return InstanceResult(
            instance: instance.id, iou: curve, clicks: clicks.map(ClickRecord.init), exhaustedAt: exhaustedAt,
            firstLatencyMicros: latencies[0], correctiveLatencyMicros: Array(latencies.dropFirst()),
            hintsFollowed: options.followHints ? hintsFollowed : nil)
    }
}

/// Why an evaluation run stopped: the object it was on and the error (`DatasetError`,
/// `SegmentationError` from the model, `GatewayClientError` from the gateway).
public struct InstanceFailure: Error, CustomStringConvertible {
    /// The instance id.
    public var instance: String
    /// What went wrong.
    public var underlying: any Error

    /// "instance X: <error>".
    public var description: String { "instance \(instance): \(underlying)" }
}

/// An error crossing threads (errors thrown by models are `Sendable` by protocol).
struct ErrorBox: Sendable { var error: any Error }

/// Runs a body on dedicated OS threads (not Swift's cooperative pool) and waits without blocking.
enum WorkerThreads {
    static func run(count: Int, body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let remaining = Counter(count)
            // The continuation is resumed exactly once, by the last thread to finish.
            let resume = Locked<CheckedContinuation<Void, Never>?>(continuation)
            for n in 0..<count {
                let thread = Thread {
                    body()
                    if remaining.fetchAdd(-1) == 1 {
                        resume.withLock { $0.take() }?.resume()
                    }
                }
                thread.name = "fewclick-worker-\(n)"
                thread.stackSize = 16 << 20
                thread.start()
            }
        }
    }
}
