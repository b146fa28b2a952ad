import ArgumentParser
import Evaluation
import Foundation

/// `fewclick bench`: load-tests a deployed gateway with simulated labelers.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load-test a gateway's POST /v1/segment with simulated labelers.",
        discussion: """
            Each session is one labeler on one object of the dataset: a first call with the image bytes and \
            the 4 extreme points, then --clicks corrective clicks by imageId (clicks from the evaluation's \
            simulator). Closed loop by default (--concurrency labelers, no think time); --open-loop RATE starts \
            sessions on a fixed schedule for RATE requests/s and measures latency from the scheduled time \
            (coordinated-omission corrected). Requests go only to the given URL.
            """)

    @Option(help: ArgumentHelp("The gateway's base URL.", valueName: "url"))
    var gateway: String

    @Option(help: ArgumentHelp("Bearer token (default: $FEWCLICK_TOKEN).", valueName: "jwt"))
    var token: String?

    @Option(help: ArgumentHelp("Dataset folder with instances.csv.", valueName: "dir"))
    var dataset: String

    @Option(help: "Objects of the dataset to cycle through (read into memory first).")
    var objects: Int = 64

    @Option(help: "Closed loop: simulated labelers. Open loop: most sessions in flight at once.")
    var concurrency: Int = 16

    @Option(help: ArgumentHelp("Test length: 60s, 500ms, 2m (default 60s unless --sessions is given).", valueName: "time"))
    var duration: String?

    @Option(help: "Stop after this many sessions.")
    var sessions: Int?

    @Option(help: "Corrective clicks per session.")
    var clicks: Int = 5

    @Option(help: ArgumentHelp("Open loop at this many requests per second.", valueName: "rate"))
    var openLoop: Double?

    @Option(help: "Seed for the extreme-point picks.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Write the figures as JSON.", valueName: "file"))
    var json: String?

    func validate() throws {
        guard token ?? ProcessInfo.processInfo.environment["FEWCLICK_TOKEN"] != nil else {
            throw ValidationError("give --token or set $FEWCLICK_TOKEN")
        }
        guard concurrency >= 1 && concurrency <= 10_000 else { throw ValidationError("--concurrency must be 1…10000") }
        guard clicks >= 0 && clicks <= 1000 else { throw ValidationError("--clicks must be 0…1000") }
        guard objects >= 1 else { throw ValidationError("--objects must be >= 1") }
        if let sessions, sessions < 1 { throw ValidationError("--sessions must be >= 1") }
        if let openLoop, !(openLoop > 0 && openLoop <= 1_000_000) { throw ValidationError("--open-loop must be > 0") }
        if let duration { _ = try Self.parseDuration(duration) }
    }

    /// A test length, or a validation error naming the bad text.
    static func parseDuration(_ text: String) throws -> Duration {
        guard let d = LoadTestOptions.parseDuration(text) else {
            throw ValidationError("bad duration '\(text)' (examples: 60s, 500ms, 2m)")
        }
        return d
    }

    func run() async throws {
        let data = try EvaluationDataset(contentsOf: URL(fileURLWithPath: dataset))
        let loaded = try await LoadTest.loadObjects(data, limit: objects)
        guard !loaded.isEmpty else { throw ValidationError("the dataset has no instances") }
        let bound: Duration? = try duration.map(Self.parseDuration) ?? (sessions == nil ? .seconds(60) : nil)
        let mode: LoadTestOptions.Mode = openLoop.map { .openLoop(requestsPerSecond: $0, maxInFlight: concurrency) }
            ?? .closedLoop(concurrency: concurrency)
        let options = LoadTestOptions(mode: mode, duration: bound, sessions: sessions, correctiveClicks: clicks, seed: seed)
        let token = self.token ?? ProcessInfo.processInfo.environment["FEWCLICK_TOKEN"] ?? ""
        let client = GatewayClient(baseURL: gateway, token: token, maxConcurrentRequests: concurrency)
        defer { client.shutdown() }
        let report = await LoadTest.run(client: client, objects: loaded, options: options, progress: ProgressLine(prefix: "bench"))
        print(report.markdown)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }
}
