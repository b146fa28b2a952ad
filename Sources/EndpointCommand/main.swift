import ArgumentParser
import CommandSupport
import Endpoint
import Foundation
import Hummingbird
import Logging
import Observability
import Segmentation
import ServerLimits

/// `endpoint`: the inference server executable (SageMaker container entry point).
@main
struct EndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract: "fewclick inference server: SageMaker container contract + KServe V2 HTTP API.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}

/// `endpoint serve`: what SageMaker runs (`docker run <image> serve`).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load the model(s) and serve /ping, /invocations and /v2 until SIGTERM or SIGINT.")

    @Option(help: "Address to bind.")
    var host = "0.0.0.0"

    @Option(help: "Port (0 = any free port). Default: $SAGEMAKER_BIND_TO_PORT, else 8080.")
    var port: Int?

    @Option(
        name: .customLong("model"),
        help: ArgumentHelp(
            "Model to serve; repeat to serve several (the first answers /invocations). "
                + "Default: $FEWCLICK_MODEL (comma-separated), else \(ModelCatalog.defaultModelName). "
                + "Known: \(ModelCatalog.names.joined(separator: ", ")).",
            valueName: "name"))
    var models: [String] = []

    @Option(help: "Largest request body in bytes (413 beyond).")
    var maxBodyBytes = EndpointConfiguration.sagemakerMaxBodyBytes

    @Option(help: "Largest image in pixels, height × width (400 beyond).")
    var maxImagePixels = 4096 * 4096

    @Option(help: "Most click rows per request (400 beyond).")
    var maxClicks = 1024

    @Option(help: "Model threads. Default: the CPU count.")
    var workers: Int?

    @Option(help: "Requests that may wait for a model thread (503 beyond).")
    var queueLimit = 64

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Default: $LOG_LEVEL, else info.")
    var logLevel: String?

    @OptionGroup(title: "Limits and timeouts") var limits: ServerLimitOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = try self.port ?? environment["SAGEMAKER_BIND_TO_PORT"].map { value in
            guard let p = Int(value), (0...65535).contains(p) else {
                throw ValidationError("SAGEMAKER_BIND_TO_PORT '\(value)' is not a port number")
            }
            return p
        } ?? 8080
        let names =
            !models.isEmpty
            ? models
            : environment["FEWCLICK_MODEL"].map { $0.split(separator: ",").map { String($0).trimmed } }
                ?? [ModelCatalog.defaultModelName]
        // SageMaker's model directory (ModelDataUrl → /opt/ml/model/fewclick.json) applies when
        // neither --model nor $FEWCLICK_MODEL names a model; see infra/README.md.
        let modelDirectory =
            models.isEmpty && environment["FEWCLICK_MODEL"] == nil
            ? try ModelDirectory.load(directory: ModelDirectory.path(environment: environment)) : nil
        let loaders = try modelDirectory.map { [try $0.makeLoader()] } ?? names.map { name in
            guard let loader = ModelLoader.catalog(name) else {
                throw ValidationError(
                    "unknown model '\(name)'; known models: \(ModelCatalog.names.joined(separator: ", "))")
            }
            return loader
        }
        let level = try bootstrapLogging(level: logLevel, environment: environment)
        FewClickMetrics.bootstrapProcess()
        var logger = Logger(label: "endpoint")
        logger.logLevel = level

        var configuration = EndpointConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, maxImagePixels: maxImagePixels, maxClicks: maxClicks,
            workerThreads: workers ?? EndpointConfiguration.cpuCount, queueLimit: queueLimit)
        configuration.limits = try limits.limits(environment: environment)
        let app = try buildApplication(configuration: configuration, models: loaders, logger: logger) { host, port in
            printListeningLine("endpoint", host: host, port: port)
        }
        try await app.runService()
    }
}

extension String {
    fileprivate var trimmed: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
