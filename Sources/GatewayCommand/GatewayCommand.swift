import ArgumentParser
import CommandSupport
import CurlHTTP
import Foundation
import Gateway
import Hummingbird
import Logging
import Observability
import ServerLimits
import ServiceLifecycle

/// `gateway`: the fewclick public API gateway (token auth, CORS, limits) in front of the proxy.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "fewclick API gateway: bearer-token auth, CORS and limits in front of the proxy function.",
        subcommands: [Serve.self, Token.self, Authorizer.self])
}

/// Where the JWT secret comes from: `--jwt-secret-file`, else `$FEWCLICK_JWT_SECRET`.
struct SecretOptions: ParsableArguments {
    @Option(help: "File holding the HS256 secret (default: $FEWCLICK_JWT_SECRET). At least 32 bytes.")
    var jwtSecretFile: String?

    func secret() throws -> [UInt8] {
        guard let secret = try secret(required: true) else { throw ValidationError("no JWT secret") }
        return secret
    }

    /// The secret; `nil` when none is configured and `required` is false (JWKS-only gateways).
    func secret(required: Bool) throws -> [UInt8]? {
        let secret: [UInt8]?
        do {
            secret = try JWTSecret.load(file: jwtSecretFile, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.message)
        }
        if secret == nil && required {
            throw ValidationError("no JWT secret: set FEWCLICK_JWT_SECRET or pass --jwt-secret-file (or --jwks-url)")
        }
        return secret
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve POST /v1/segment and GET /healthz, invoking the proxy through the Lambda Invoke API.")

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one; the log says which).") var port = 8000
    @Option(help: "Base URL of the proxy's Lambda Invoke API.") var proxyURL = "http://127.0.0.1:9001"
    @Option(help: "Function name in the Invoke API path.") var functionName = "fewclick-proxy"
    @Option(help: "Stage name written into events.") var stage = "local"
    @OptionGroup(title: "Token authentication") var auth: AuthOptions
    @Option(
        name: .customLong("cors-origin"),
        help: "Allowed browser origin (repeatable): exact, https://*.example.com, or *. Also $FEWCLICK_CORS_ORIGIN (comma-separated; alias $FEWCLICK_CORS_ORIGINS).")
    var corsOrigins: [String] = []
    @Option(help: "Largest request body, in bytes.") var maxBodyBytes = 10 * 1024 * 1024
    @Option(help: "Integration timeout, in seconds.") var integrationTimeout = 29.0
    @Option(help: "Per-principal sustained rate, requests per second (0 disables throttling).") var throttleRate = 0.0
    @Option(help: "Per-principal burst, requests.") var throttleBurst = 20
    @Flag(help: "Make GET /healthz also check that the proxy answers.") var healthChecksProxy = false
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical). Default: $LOG_LEVEL, else info.")
    var logLevel: String?
    @Option(help: "Folder with the labeling UI (fewclick-ui.js, template.liquid.html): serves GET /ui/fewclick-ui.js.")
    var uiDir: String?
    @Flag(help: "Also serve the local demo page at /demo (needs --ui-dir and a loopback --host; the page uses short-lived demo tokens).")
    var demo = false
    @Option(help: "Lifetime of the demo page's tokens: 90s, 10m (default), at most 15m.") var demoTokenTTL = "10m"
    @Option(name: .customLong("demo-label"), help: "Label offered by the demo page (repeatable).")
    var demoLabels: [String] = ["object", "other-object"]
    @OptionGroup(title: "Limits and timeouts") var limits: ServerLimitOptions
    @Option(help: "Consecutive proxy timeouts or refused connections that open the circuit breaker (503 at once).")
    var breakerThreshold = 3
    @Option(help: "Seconds the open breaker refuses calls before probing the proxy again.")
    var breakerCooldown = 5.0

    func validate() throws {
        if demo && uiDir == nil { throw ValidationError("--demo needs --ui-dir") }
        if demo && !DemoSettings.isLoopback(host: host) {
            throw ValidationError(
                "--demo is served only on a loopback --host (127.0.0.1, ::1, localhost), not \(host): the demo page hands "
                    + "out tokens to whoever opens it; deploy the Ground Truth template with job tokens instead")
        }
        if demo {
            guard let ttl = Duration(ttl: demoTokenTTL), ttl <= DemoSettings.maximumTokenTTL else {
                throw ValidationError("--demo-token-ttl must be like 90s or 10m, at most 15m")
            }
        }
    }

    func run() async throws {
        try bootstrapLogging(level: logLevel)
        FewClickMetrics.bootstrapProcess()
        let logger = Logger(label: "gateway")
        var origins = corsOrigins
        // FEWCLICK_CORS_ORIGIN, the proxy's name too; FEWCLICK_CORS_ORIGINS is its older alias.
        let environment = ProcessInfo.processInfo.environment
        if let env = environment["FEWCLICK_CORS_ORIGIN"] ?? environment["FEWCLICK_CORS_ORIGINS"] {
            origins += env.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let configuration = GatewayConfiguration(
            host: host, port: port,
            token: try auth.configuration(),
            cors: CORSPolicy(allowedOrigins: origins),
            integration: .init(
                invokeURL: proxyURL, functionName: functionName, stage: stage,
                timeout: .milliseconds(Int64(integrationTimeout * 1000))),
            maxBodyBytes: maxBodyBytes,
            throttle: throttleRate > 0 ? ThrottleSettings(ratePerSecond: throttleRate, burst: throttleBurst) : nil,
            healthChecksProxy: healthChecksProxy,
            ui: try uiDir.map {
                DemoSettings(
                    uiDirectory: $0, demoEnabled: demo, labels: demoLabels,
                    tokenTTL: Duration(ttl: demoTokenTTL) ?? .seconds(600), samples: demo ? try DemoSamples.make() : [])
            })
        var limitedConfiguration = configuration
        limitedConfiguration.limits = try limits.limits()
        guard breakerThreshold >= 1, breakerCooldown > 0, breakerCooldown.isFinite else {
            throw ValidationError("--breaker-threshold must be ≥ 1 and --breaker-cooldown > 0")
        }
        limitedConfiguration.breakerThreshold = breakerThreshold
        limitedConfiguration.breakerCooldown = .milliseconds(Int64(breakerCooldown * 1000))
        let client = CurlClient()
        defer { client.shutdown() }
        let boundHost = limitedConfiguration.host
        let app = try await buildApplication(configuration: limitedConfiguration, client: client, logger: logger) { port in
            printListeningLine("gateway", host: boundHost, port: port)
        }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage bearer tokens.", subcommands: [Issue.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a signed HS256 token (secret from $FEWCLICK_JWT_SECRET or --jwt-secret-file).")

        @Option(help: "The token's subject (sub), e.g. a labeler id.") var subject: String
        @Option(help: "Lifetime: 90s, 15m, 12h, 7d, or seconds; at most --max-token-lifetime.") var ttl = "12h"
        @Option(help: "The gateway's --max-token-lifetime (longer tokens are refused there, so not issued). Default: $FEWCLICK_MAX_TOKEN_LIFETIME, else 24h.")
        var maxTokenLifetime: String?
        @Option(name: .customLong("scope"), help: "Granted scope (repeatable, or space-separated).")
        var scopes: [String] = ["segment"]
        @Option(help: "Issue time as Unix seconds (default: now); back-dated tokens are useful in tests.")
        var issuedAt: Int64?
        @OptionGroup var secret: SecretOptions

        func run() async throws {
            guard let lifetime = Duration(ttl: ttl) else {
                throw ValidationError("--ttl must look like 90s, 15m, 12h, 7d or a number of seconds")
            }
            let maximum = try AuthOptions.maxLifetime(maxTokenLifetime, environment: ProcessInfo.processInfo.environment)
            guard lifetime <= maximum else {
                throw ValidationError(
                    "--ttl \(ttl) is longer than the gateway's maximum token lifetime (\(maximum.components.seconds) s), "
                        + "so the gateway would refuse the token: start the gateway with --max-token-lifetime \(ttl) "
                        + "(or FEWCLICK_MAX_TOKEN_LIFETIME) and pass the same here")
            }
            let issuer = try await TokenIssuer(secret: try secret.secret())
            let scopeList = scopes.flatMap { $0.split(separator: " ").map(String.init) }
            let now = issuedAt.map { Date(timeIntervalSince1970: Double($0)) } ?? Date()
            print(try await issuer.issue(subject: subject, scopes: scopeList, ttl: lifetime, now: now))
        }
    }
}
