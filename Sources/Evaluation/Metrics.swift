import Histogram

/// Which simulated-labeler protocol a run follows (README "Evaluation and load tests").
public enum EvaluationProtocol: String, Sendable, Codable, CaseIterable {
    /// Four extreme points from the ground truth, then corrective clicks. IoU curve index k = after
    /// k corrective clicks (0: extreme points only); NoC counts corrective clicks.
    case extreme
    /// The standard click-only protocol: the first click at the object pixel farthest from its
    /// boundary, then the same corrective rule. IoU curve index k = after k clicks in all (index 0 is
    /// the empty mask before any click); NoC counts all clicks, as the literature does.
    case clicks

    /// The first curve index at which a click count is meaningful (0 for `extreme`, 1 for `clicks`).
    public var firstCountedIndex: Int { self == .extreme ? 0 : 1 }
}

/// Accuracy metrics over IoU curves. IoUs are fractions in 0…1; reported mIoU is in percent.
public enum CurveMetrics {
    /// Number of clicks needed to reach `threshold` IoU: the first curve index `k >=
    /// proto.firstCountedIndex` with `curve[k] >= threshold`, or `maxClicks` when never reached.
    public static func clicksToReach(
        _ threshold: Double, curve: [Double], maxClicks: Int, protocol proto: EvaluationProtocol
    ) -> Int {
        let start = proto.firstCountedIndex
        guard start < curve.count else { return maxClicks }
        for k in start..<min(curve.count, maxClicks + 1) where curve[k] >= threshold { return k }
        return maxClicks
    }

    /// True when the curve never reaches `threshold` within `maxClicks` (counts toward NoF).
    public static func fails(
        _ threshold: Double, curve: [Double], maxClicks: Int, protocol proto: EvaluationProtocol
    ) -> Bool {
        let start = proto.firstCountedIndex
        guard start < curve.count else { return true }
        return !curve[start..<min(curve.count, maxClicks + 1)].contains { $0 >= threshold }
    }

    /// Mean IoU in percent at curve index `k` over all curves (each curve must be longer than `k`).
    public static func meanIoU(at k: Int, curves: [[Double]]) -> Double {
        guard !curves.isEmpty else { return 0 }
        var sum = 0.0
        for c in curves { sum += c[k] }
        return 100 * sum / Double(curves.count)
    }

    /// The curve indices reported as mIoU@k: 0…5, 10, 20 (from 1 for the click-only protocol),
    /// those not above `maxClicks`.
    public static func reportedIndices(maxClicks: Int, protocol proto: EvaluationProtocol) -> [Int] {
        [0, 1, 2, 3, 4, 5, 10, 20].filter { $0 >= proto.firstCountedIndex && $0 <= maxClicks }
    }
}

/// Latency percentiles of a set of calls, in milliseconds.
public struct LatencySummary: Sendable, Codable, Equatable {
    /// Number of calls.
    public var count: Int
    /// Median, ms.
    public var p50: Double
    /// 90th percentile, ms.
    public var p90: Double
    /// 99th percentile, ms.
    public var p99: Double
    /// Largest, ms.
    public var max: Double
    /// Mean, ms.
    public var mean: Double

    /// Summarises latencies given in microseconds, through an HdrHistogram with 3 significant
    /// digits (values up to one hour; larger ones are clamped to one hour).
    public init(microseconds values: [UInt64]) {
        var h = LatencyHistogram()
        for v in values { h.record(microseconds: v) }
        self = h.summary
    }

    /// Creates a summary from its figures (ms).
    public init(count: Int, p50: Double, p90: Double, p99: Double, max: Double, mean: Double) {
        self.count = count; self.p50 = p50; self.p90 = p90; self.p99 = p99; self.max = max; self.mean = mean
    }
}

/// An HdrHistogram of latencies recorded in microseconds (1 µs … 1 h, 3 significant digits).
public struct LatencyHistogram: Sendable {
    /// Largest value tracked, µs (one hour).
    public static let highest: UInt64 = 3_600_000_000
    /// The underlying histogram, values in µs.
    public private(set) var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: LatencyHistogram.highest, numberOfSignificantValueDigits: .three)

    /// An empty histogram.
    public init() {}

    /// Records one latency in microseconds (clamped to 1 µs … 1 h).
    public mutating func record(microseconds: UInt64) {
        _ = histogram.record(Swift.min(Swift.max(microseconds, 1), Self.highest))
    }

    /// Records one latency given as a `Duration`.
    public mutating func record(_ duration: Duration) {
        record(microseconds: Self.microseconds(duration))
    }

    /// Adds every value of `other`.
    public mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    /// Number of recorded values.
    public var count: Int { Int(histogram.totalCount) }

    /// Percentiles in milliseconds (all 0 when empty).
    public var summary: LatencySummary {
        guard histogram.totalCount > 0 else { return LatencySummary(count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0) }
        func ms(_ v: UInt64) -> Double { Double(v) / 1000 }
        return LatencySummary(
            count: Int(histogram.totalCount),
            p50: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)), max: ms(histogram.max), mean: histogram.mean / 1000)
    }

    /// A duration in whole microseconds (negative durations give 0).
    public static func microseconds(_ d: Duration) -> UInt64 {
        let (s, atto) = d.components
        if s < 0 { return 0 }
        return UInt64(s) * 1_000_000 + UInt64(atto / 1_000_000_000_000)
    }
}
