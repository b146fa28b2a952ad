import ArgumentParser
import CommandSupport
import CurlHTTP
import Foundation
import Hummingbird
import LambdaKit
import Logging
import Observability
import Proxy
import ServerLimits

/// `proxy`: the Lambda-style function between the gateway and the model endpoint.
///
/// With `AWS_LAMBDA_RUNTIME_API` set and no subcommand it is a `provided.al2023` `bootstrap`:
/// it runs the Runtime API loop. `proxy serve` runs the local Lambda Invoke API; `proxy invoke`
/// runs one event, like `sam local invoke -e`.
@main
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "fewclick proxy function: API Gateway events in, segmentation answers out.",
        discussion: """
            Without a subcommand and with AWS_LAMBDA_RUNTIME_API set, runs the Lambda Runtime API loop \
            (the bootstrap of a provided.al2023 function).

            Configuration comes from the environment: FEWCLICK_ENDPOINT_URL (default http://127.0.0.1:8080), \
            FEWCLICK_ENDPOINT_TIMEOUT_MS (25000), FEWCLICK_IMAGE_CACHE_BYTES (268435456), FEWCLICK_MAX_BODY_BYTES \
            (6291456), FEWCLICK_MAX_IMAGE_PIXELS (40000000), FEWCLICK_MAX_CLICKS (100), FEWCLICK_MAX_CROP_SIDE (\(ProxyConfiguration().cropSettings.maxSide)), \
            FEWCLICK_CROP_MARGIN (\(ProxyConfiguration().cropSettings.marginFraction)), FEWCLICK_CORS_ORIGIN (*), \
            FEWCLICK_IMAGE_URL_ALLOW (comma-separated URL prefixes; none: image.url is refused), FEWCLICK_IMAGE_URL_MAX_BYTES \
            (20971520), FEWCLICK_IMAGE_URL_TIMEOUT_MS (10000), FEWCLICK_MAX_CONCURRENT_DECODES (CPU count, at least 2), \
            FEWCLICK_MAX_DECODE_BYTES (1073741824), FEWCLICK_BREAKER_THRESHOLD (3), FEWCLICK_BREAKER_COOLDOWN_MS (5000), \
            FEWCLICK_IMAGE_STORE (in-memory; redis://host:port/db shares images between replicas), \
            FEWCLICK_IMAGE_STORE_TTL (3600 s), FEWCLICK_IMAGE_STORE_MAX_IMAGE_BYTES (8388608), \
            FEWCLICK_IMAGE_STORE_TIMEOUT_MS (500), LOG_LEVEL (info).
            """,
        subcommands: [Serve.self, Invoke.self])

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let api = environment["AWS_LAMBDA_RUNTIME_API"], !api.isEmpty else {
            throw ValidationError("AWS_LAMBDA_RUNTIME_API is not set: use `proxy serve` or `proxy invoke` locally")
        }
        let logger = try makeLogger(nil)
        FewClickMetrics.bootstrapProcess()
        let configuration: ProxyConfiguration
        do {
            configuration = try ProxyConfiguration.fromEnvironment(environment)
        } catch {
            // Report the bad configuration as an init error, then fail.
            let client = CurlClient(maxConcurrentRequests: 1)
            defer { client.shutdown() }
            try await LambdaRuntime<HTTPEventLambdaHandler<ProxyHandler>>.run(
                transport: CurlRuntimeTransport(runtimeAPI: api, client: client), logger: logger
            ) { throw error }
            return
        }
        let function = ProxyFunction(configuration: configuration, logger: logger)
        defer { function.shutdown() }
        try await LambdaRuntime.run(
            transport: CurlRuntimeTransport(runtimeAPI: api, client: function.client), logger: logger
        ) { function.lambdaHandler }
    }
}

/// `proxy serve`: the Lambda Invoke API on loopback, for the gateway and local stacks.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve POST /2015-03-31/functions/{name}/invocations until SIGTERM or SIGINT.",
        discussion: "Prints `proxy listening on HOST:PORT` on stdout once bound (useful with --port 0).")

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port (0 = any free port).")
    var port = 9001

    @Option(help: "The function name to answer for (others get 404); default: any name.")
    var functionName: String?

    @Option(help: "The model endpoint (overrides FEWCLICK_ENDPOINT_URL).")
    var endpointURL: String?

    @Option(help: "Each invocation's deadline in seconds.")
    var timeout = 30

    @Option(help: "Log level (overrides LOG_LEVEL): trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(
        name: .customLong("image-url-allow"),
        help: """
            URL prefix image.url may match (repeatable; added to $FEWCLICK_IMAGE_URL_ALLOW): scheme://host[:port][/path], \
            https unless http is named; a private or loopback address only when the host is that IP literal.
            """)
    var imageURLAllow: [String] = []

    @Option(help: "Images decoded at once at most (503 busy beyond). Default: $FEWCLICK_MAX_CONCURRENT_DECODES, else the CPU count (≥ 2).")
    var maxConcurrentDecodes: Int?

    @Option(help: "Pixel memory of calls in flight at most, bytes (10 per image pixel each; 503 busy beyond). Default: $FEWCLICK_MAX_DECODE_BYTES, else 1073741824.")
    var maxDecodeBytes: Int?

    @OptionGroup(title: "Limits and timeouts") var limits: ServerLimitOptions

    @OptionGroup(title: "Image store")
    var imageStore: ImageStoreOptions

    func run() async throws {
        let logger = try makeLogger(logLevel)
        FewClickMetrics.bootstrapProcess()
        var configuration = try loadConfiguration()
        if let endpointURL { configuration.endpointURL = endpointURL }
        try imageStore.apply(to: &configuration)
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        if !imageURLAllow.isEmpty {
            do {
                let entries = configuration.imageURLPolicy.rules.map(\.description) + imageURLAllow
                configuration.imageURLPolicy = try ImageURLPolicy(entries: entries)
            } catch {
                throw ValidationError("--image-url-allow: \(error.description)")
            }
        }
        try configuration.set(.maxConcurrentDecodes, maxConcurrentDecodes, flag: "--max-concurrent-decodes")
        try configuration.set(.maxDecodeBytes, maxDecodeBytes, flag: "--max-decode-bytes")
        var serverConfiguration = LambdaInvokeServerConfiguration(
            host: host, port: port, functionName: functionName, functionTimeout: .seconds(max(1, timeout)),
            serviceName: "proxy")
        serverConfiguration.limits = try limits.limits()
        let function = ProxyFunction(configuration: configuration, logger: logger)
        defer { function.shutdown() }
        let app = buildInvokeApplication(
            handler: function.lambdaHandler, configuration: serverConfiguration, logger: logger,
            onServerRunning: { host, port in printListeningLine("proxy", host: host, port: port) },
            extraRoutes: { $0.addMetricsRoute() })
        if configuration.imageURLPolicy.isEnabled {
            logger.info("image.url allowed for: \(configuration.imageURLPolicy.rules.map(\.description).joined(separator: ", "))")
        }
        if let target = configuration.sagemaker {
            logger.info("model endpoint: SageMaker endpoint \(target.endpointName) in \(target.region) via \(target.baseURL)")
        } else {
            logger.info("model endpoint \(configuration.endpointURL)")
        }
        try await app.runService()
    }
}

/// `proxy invoke`: events through the handler, the results on stdout.
struct Invoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run events through the function and print each result (like `sam local invoke -e`).",
        discussion: """
            Prints each event's result JSON on its own line of stdout, in order, in one process (so an \
            upload can put an image in the cache before a call by image.id) and exits 0. A function error \
            (for example an event that is not an API Gateway event) prints {"errorMessage","errorType"} \
            on that line, and the exit status is then 1.
            """)

    @Option(name: [.short, .long], help: "An event JSON file ('-' reads standard input); repeat for several.")
    var event: [String]

    @Option(help: "The model endpoint (overrides FEWCLICK_ENDPOINT_URL).")
    var endpointURL: String?

    @Option(help: "Each invocation's deadline in seconds.")
    var timeout = 30

    @Option(help: "Log level (overrides LOG_LEVEL); logs go to standard error.")
    var logLevel: String?

    @OptionGroup(title: "Image store")
    var imageStore: ImageStoreOptions

    func validate() throws {
        guard !event.isEmpty else { throw ValidationError("give at least one --event FILE") }
    }

    func run() async throws {
        let logger = try makeLogger(logLevel ?? "warning")
        var configuration = try loadConfiguration()
        if let endpointURL { configuration.endpointURL = endpointURL }
        try imageStore.apply(to: &configuration)
        var events: [[UInt8]] = []
        for path in event {
            do {
                events.append(
                    path == "-"
                        ? [UInt8](FileHandle.standardInput.readDataToEndOfFile())
                        : [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            } catch {
                throw ValidationError("cannot read the event file \(path): \(error.localizedDescription)")
            }
        }
        let function = ProxyFunction(configuration: configuration, logger: logger, maxConcurrentRequests: 1)
        defer { function.shutdown() }
        var failed = false
        for bytes in events {
            let context = LambdaContext.local(timeout: .seconds(max(1, timeout)), logger: logger, functionName: "proxy")
            do {
                let result = try await function.lambdaHandler.handle(bytes, context: context)
                FileHandle.standardOutput.write(Data(result + [0x0A]))
            } catch {
                FileHandle.standardOutput.write(Data(LambdaFunctionError(error).json + [0x0A]))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `--image-store` and its settings (each overrides its `FEWCLICK_IMAGE_STORE*` variable).
struct ImageStoreOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Where images live between calls: 'memory' (this process's LRU) or redis://[:password@]host:port/db, shared by replicas (overrides FEWCLICK_IMAGE_STORE).",
            valueName: "url"))
    var imageStore: String?

    @Option(help: ArgumentHelp("Seconds Redis keeps an image after its last upload (default 3600).", valueName: "seconds"))
    var imageStoreTTL: Int?

    @Option(help: ArgumentHelp("Largest encoded image shared through Redis; larger ones stay local (default 8388608).", valueName: "bytes"))
    var imageStoreMaxImageBytes: Int?

    @Option(help: ArgumentHelp("Redis connect and command timeout (default 500).", valueName: "ms"))
    var imageStoreTimeoutMs: Int?

    func apply(to configuration: inout ProxyConfiguration) throws {
        if let imageStore { try configuration.setImageStoreFlag(imageStore) }
        try configuration.set(.imageStoreTTL, imageStoreTTL, flag: "--image-store-ttl")
        try configuration.set(.imageStoreMaxImageBytes, imageStoreMaxImageBytes, flag: "--image-store-max-image-bytes")
        try configuration.set(.imageStoreTimeoutMs, imageStoreTimeoutMs, flag: "--image-store-timeout-ms")
    }
}

extension ProxyConfiguration {
    /// An integer flag, when given, through the rule of its variable; a refusal is a command-line error.
    mutating func set(_ setting: IntegerSetting, _ value: Int?, flag: String) throws(ValidationError) {
        guard let value else { return }
        do { try set(setting, to: value, flag: flag) } catch { throw ValidationError(error.description) }
    }

    /// `--image-store`, through the rule of `FEWCLICK_IMAGE_STORE`.
    mutating func setImageStoreFlag(_ text: String) throws(ValidationError) {
        do { try setImageStore(text, source: "--image-store") } catch { throw ValidationError(error.description) }
    }
}

/// The configuration from the environment, as a command-line error when invalid.
func loadConfiguration() throws -> ProxyConfiguration {
    do {
        return try ProxyConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
    } catch {
        throw ValidationError(error.description)
    }
}

/// Sets up logging to standard error at `level` (else `LOG_LEVEL`, else info): `bootstrapLogging`.
func makeLogger(_ level: String?) throws -> Logger {
    try bootstrapLogging(level: level)
    return Logger(label: "proxy")
}
