import Foundation

/// mIoU at one curve index.
public struct MeanIoU: Sendable, Codable, Equatable {
    /// Curve index: corrective clicks (extreme protocol) or clicks in all (click-only protocol).
    public var clicks: Int
    /// Mean IoU in percent.
    public var percent: Double
}

/// The figures of one evaluation run, as printed and as written by `--json`.
public struct EvaluationReport: Sendable, Codable {
    /// Dataset name (its folder name).
    public var dataset: String
    /// What was evaluated: "model version" or the gateway URL.
    public var label: String
    /// `extreme` or `clicks`.
    public var proto: EvaluationProtocol
    /// Clicks run per object.
    public var maxClicks: Int
    /// Extreme-point perturbation, pixels.
    public var perturbation: Int
    /// RNG seed.
    public var seed: UInt64
    /// Worker threads used (results do not depend on it; timings do).
    public var jobs: Int
    /// Number of objects.
    public var count: Int
    /// mIoU at the reported indices (0…5, 10, 20).
    public var meanIoU: [MeanIoU]
    /// Mean clicks to 85% IoU (`maxClicks` when never reached).
    public var noc85: Double
    /// Mean clicks to 90% IoU (`maxClicks` when never reached).
    public var noc90: Double
    /// Objects that never reach 85% IoU.
    public var nof85: Int
    /// Objects that never reach 90% IoU.
    public var nof90: Int
    /// Latency of the first mask (extreme points; first click in the click-only protocol), ms.
    public var firstMaskLatency: LatencySummary
    /// Latency of corrective calls, ms.
    public var correctiveLatency: LatencySummary
    /// Wall-clock time of the run, seconds.
    public var wallSeconds: Double
    /// Per-object IoU curves and clicks.
    public var instances: [InstanceResult]
    /// With the hint-following labeler (`--follow-hints`): corrective clicks that were the model's
    /// hint, and corrective clicks in all; nil otherwise.
    public var hintsFollowed: Int?
    /// Corrective clicks made (with `hintsFollowed`), the denominator of the hint share.
    public var correctiveClicks: Int?

    enum CodingKeys: String, CodingKey {
        case dataset, label, proto = "protocol", maxClicks, perturbation, seed, jobs, count, meanIoU,
             noc85, noc90, nof85, nof90, firstMaskLatency, correctiveLatency, wallSeconds, instances,
             hintsFollowed, correctiveClicks
    }

    /// Computes the figures from per-object results.
    public init(dataset: String, label: String, options: EvaluationOptions, instances: [InstanceResult], wallSeconds: Double) {
        self.dataset = dataset
        self.label = label
        proto = options.proto
        maxClicks = options.maxClicks
        perturbation = options.perturbation
        seed = options.seed
        jobs = options.jobs
        count = instances.count
        self.instances = instances
        self.wallSeconds = wallSeconds
        let curves = instances.map(\.iou)
        meanIoU = CurveMetrics.reportedIndices(maxClicks: maxClicks, protocol: proto).map {
            MeanIoU(clicks: $0, percent: CurveMetrics.meanIoU(at: $0, curves: curves))
        }
        func noc(_ t: Double) -> Double {
            guard !curves.isEmpty else { return 0 }
            let total = curves.reduce(0) { $0 + CurveMetrics.clicksToReach(t, curve: $1, maxClicks: options.maxClicks, protocol: options.proto) }
            return Double(total) / Double(curves.count)
        }
        func nof(_ t: Double) -> Int {
            curves.filter { CurveMetrics.fails(t, curve: $0, maxClicks: options.maxClicks, protocol: options.proto) }.count
        }
        noc85 = noc(0.85); noc90 = noc(0.90)
        nof85 = nof(0.85); nof90 = nof(0.90)
        if options.followHints {
            hintsFollowed = instances.reduce(0) { $0 + ($1.hintsFollowed ?? 0) }
            correctiveClicks = instances.reduce(0) { $0 + $1.clicks.filter { $0.kind != "extreme" }.count }
        }
        firstMaskLatency = LatencySummary(microseconds: instances.map(\.firstLatencyMicros))
        correctiveLatency = LatencySummary(microseconds: instances.flatMap(\.correctiveLatencyMicros))
    }

    /// The figures as a markdown table, one row per figure.
    public var markdown: String {
        let unit = proto == .extreme ? "corrective clicks" : "clicks"
        var lines = [
            "### \(dataset) — \(label)",
            "",
            "protocol \(proto.rawValue), \(count) objects, \(maxClicks) \(unit) each, pert \(perturbation), seed \(seed); "
                + "\(String(format: "%.1f", wallSeconds)) s on \(jobs) job(s)",
            "",
            "| figure | value |",
            "|---|---|",
        ]
        for m in meanIoU { lines.append("| mIoU@\(m.clicks) | \(String(format: "%.1f", m.percent)) |") }
        lines.append("| NoC@85 (\(unit)) | \(String(format: "%.2f", noc85)) |")
        lines.append("| NoC@90 (\(unit)) | \(String(format: "%.2f", noc90)) |")
        lines.append("| NoF@90 | \(nof90) |")
        func latency(_ name: String, _ s: LatencySummary) {
            lines.append("| \(name) latency p50 / p90 / p99 (ms, n=\(s.count)) | "
                + "\(Self.ms(s.p50)) / \(Self.ms(s.p90)) / \(Self.ms(s.p99)) |")
        }
        latency("first mask", firstMaskLatency)
        latency("corrective", correctiveLatency)
        if let hintsFollowed, let correctiveClicks {
            let share = correctiveClicks > 0 ? 100 * Double(hintsFollowed) / Double(correctiveClicks) : 0
            lines.append("| hints followed (of corrective clicks) | \(hintsFollowed) of \(correctiveClicks) (\(String(format: "%.1f", share)) %) |")
        }
        lines.append("")
        // The same figures as one row of README's dev-set accuracy table ("Results on the dev set").
        let header = meanIoU.map { "mIoU@\($0.clicks)" } + ["NoC@85", "NoC@90", "NoF@90"]
        let values = meanIoU.map { String(format: "%.1f", $0.percent) }
            + [String(format: "%.2f", noc85), String(format: "%.2f", noc90), "\(nof90)"]
        lines.append("| method | " + header.joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "---|", count: header.count))
        lines.append("| \(label) | " + values.joined(separator: " | ") + " |")
        return lines.joined(separator: "\n") + "\n"
    }

    static func ms(_ v: Double) -> String { String(format: v < 10 ? "%.2f" : "%.1f", v) }
}

/// What `fewclick eval --json` writes: one report per dataset.
public struct EvaluationRun: Sendable, Codable {
    /// The reports, in the order the datasets were given.
    public var reports: [EvaluationReport]
    /// Creates the file's content.
    public init(reports: [EvaluationReport]) { self.reports = reports }
}
