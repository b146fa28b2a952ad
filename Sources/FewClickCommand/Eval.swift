import ArgumentParser
import Evaluation
import Foundation
import Segmentation

extension EvaluationProtocol: ExpressibleByArgument {}

/// `fewclick eval`: accuracy and latency of a model (in-process) or a deployed gateway, by the
/// simulated-labeler protocol of README "Evaluation and load tests".
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure accuracy (mIoU after k clicks, NoC, NoF) and per-call latency on a dataset.",
        discussion: """
            A dataset is a folder with instances.csv (columns instance,image,mask[,ignore], paths relative \
            to the folder; masks 0/255 PNG). In-process (--model) the model runs behind the proxy's own crop \
            and paste-back code; with --gateway every call is a real POST /v1/segment. Clicks are placed at \
            pixel centres (x + 0.5, y + 0.5).
            """)

    @Option(name: .long, help: ArgumentHelp("Dataset folder (repeat for several).", valueName: "dir"))
    var dataset: [String]

    @Option(help: "Model to run in-process (\(ModelCatalog.names.joined(separator: ", "))). Default: \(ModelCatalog.defaultModelName).")
    var model: String?

    @Option(help: ArgumentHelp(
        "graphcut / clicknet-graphcut settings to evaluate instead of the model's defaults: a JSON object with any subset of the fields documented in the README (the `settings` of the endpoint's fewclick.json).",
        valueName: "file"))
    var settings: String?

    @Option(help: ArgumentHelp(
        "clicknet weights for clicknet / clicknet-graphcut (default: $FEWCLICK_CLICKNET_WEIGHTS, else Models/clicknet/clicknet.safetensors).",
        valueName: "file"))
    var weights: String?

    @Option(help: ArgumentHelp("Side S of clicknet's square input (multiple of 32, 96…512; default: the trained size).", valueName: "px"))
    var clicknetSize: Int?

    @Option(help: ArgumentHelp("Evaluate a deployed gateway instead: its base URL.", valueName: "url"))
    var gateway: String?

    @Option(help: ArgumentHelp("Bearer token for --gateway (default: $FEWCLICK_TOKEN).", valueName: "jwt"))
    var token: String?

    @Option(name: .customLong("protocol"), help: "extreme: 4 extreme points then corrective clicks; clicks: click-only.")
    var proto: EvaluationProtocol = .extreme

    @Option(help: "Corrective clicks per object (clicks in all for --protocol clicks); all of them run.")
    var maxClicks: Int = 20

    @Option(help: "Extreme-point perturbation in pixels.")
    var pert: Int = 0

    @Option(help: "Seed for the extreme-point picks.")
    var seed: UInt64 = 0

    @Option(help: "Evaluate only the first N objects.")
    var limit: Int?

    @Option(help: "Objects evaluated in parallel (default: CPU count). Results do not depend on it.")
    var jobs: Int?

    @Option(help: ArgumentHelp("Write the figures and per-object IoU curves as JSON.", valueName: "file"))
    var json: String?

    @Flag(help: "Simulate a labeler who follows the next-click hint (\"suggest\": true) whenever it lies in the true error with the right sign, else clicks by the standard rule.")
    var followHints = false

    func validate() throws {
        guard !dataset.isEmpty else { throw ValidationError("give at least one --dataset") }
        guard maxClicks >= 1 && maxClicks <= 1000 else { throw ValidationError("--max-clicks must be 1…1000") }
        guard pert >= 0 else { throw ValidationError("--pert must be >= 0") }
        if let limit, limit < 1 { throw ValidationError("--limit must be >= 1") }
        if let jobs, jobs < 1 || jobs > 1024 { throw ValidationError("--jobs must be 1…1024") }
        if gateway != nil {
            guard model == nil else { throw ValidationError("--model and --gateway exclude each other") }
            guard proto == .extreme else {
                throw ValidationError("--gateway supports --protocol extreme only (the API needs 4 extreme points)")
            }
            guard resolvedToken != nil else { throw ValidationError("--gateway needs --token or $FEWCLICK_TOKEN") }
        } else {
            let name = model ?? ModelCatalog.defaultModelName
            guard ModelCatalog.contains(name) else {
                throw ValidationError("unknown model '\(name)'; known: \(ModelCatalog.names.joined(separator: ", "))")
            }
            if weights != nil || clicknetSize != nil {
                guard ModelCatalog.needsWeights(name) else {
                    throw ValidationError("--weights and --clicknet-size apply to clicknet and clicknet-graphcut only")
                }
            }
        }
        if settings != nil {
            guard gateway == nil, ModelCatalog.takesGraphCutSettings(model ?? ModelCatalog.defaultModelName) else {
                throw ValidationError("--settings applies to the in-process graphcut and clicknet-graphcut models only")
            }
            _ = try graphCutSettings()
        }
    }

    /// A fresh instance of the in-process model.
    func makeModel(settings: GraphCutSettings?) throws -> any SegmentationModel {
        let name = model ?? ModelCatalog.defaultModelName
        let made: (any SegmentationModel)?
        do {
            made = try ModelCatalog.make(
                name, weights: weights.map { URL(fileURLWithPath: $0) }, clicknetSize: clicknetSize,
                graphCutSettings: settings)
        } catch {
            throw ValidationError("cannot load \(name): \(error)")
        }
        guard let made else { throw ValidationError("unknown model '\(name)'") }
        return made
    }

    /// The settings from `--settings`, or nil without it.
    func graphCutSettings() throws -> GraphCutSettings? {
        guard let settings else { return nil }
        guard let data = FileManager.default.contents(atPath: settings) else {
            throw ValidationError("--settings: cannot read \(settings)")
        }
        do {
            return try GraphCutSettings.overriding(
                json: data, base: ModelCatalog.baseGraphCutSettings(for: model ?? ModelCatalog.defaultModelName))
        } catch {
            throw ValidationError("--settings \(settings): \(error.message)")
        }
    }

    var resolvedToken: String? { token ?? ProcessInfo.processInfo.environment["FEWCLICK_TOKEN"] }

    func run() async throws {
        let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let options = EvaluationOptions(
            proto: proto, maxClicks: maxClicks, perturbation: pert, seed: seed, limit: limit, jobs: jobs,
            followHints: followHints)
        var client: GatewayClient?
        defer { client?.shutdown() }
        var reports: [EvaluationReport] = []
        let settings = try graphCutSettings()
        for path in dataset {
            let data = try EvaluationDataset(contentsOf: URL(fileURLWithPath: path))
            let segmenter: any InteractiveSegmenter
            if let gateway {
                let c = client ?? GatewayClient(baseURL: gateway, token: resolvedToken ?? "", maxConcurrentRequests: max(jobs, 1))
                client = c
                segmenter = GatewaySegmenter(client: c)
            } else {
                // A fresh model per dataset: no state carries over between runs.
                segmenter = InProcessSegmenter(model: try makeModel(settings: settings))
            }
            let progress = ProgressLine(prefix: "eval \(data.name):")
            let report = try await Evaluator.run(
                dataset: data, segmenter: segmenter, options: options, decodeImages: gateway == nil,
                progress: { done, total in progress.update(done: done, total: total) })
            progress.finish()
            print(report.markdown)
            reports.append(report)
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(EvaluationRun(reports: reports)).write(to: URL(fileURLWithPath: json))
        }
    }
}
