import ArgumentParser
import CurlHTTP
import Dispatch
import Foundation
import Gateway
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `fewclick up`: runs the whole stack (endpoint, proxy, gateway) on loopback for local use, as a
/// supervisor.
///
/// Each child process is a `ChildService` in one swift-service-lifecycle `ServiceGroup`: the
/// endpoint, the proxy and the gateway start in that order, each once the one before answers its
/// health check; then the banner (gateway URL, a fresh dev token, a `curl` example) is printed. A
/// child that dies after it was healthy is restarted with exponential back-off (0.5 s doubling up to
/// `--max-restart-delay`, back to 0.5 s once it stayed up a minute), and the rest of the stack keeps
/// running. A child that exits before it was ever healthy (a port in use, a bad flag) stops the
/// stack with an error. Ctrl-C or SIGTERM drains: the group stops the gateway, then the proxy, then
/// the endpoint, each with SIGTERM (each service finishes the requests it accepted: Hummingbird's
/// graceful shutdown) and SIGKILL after `--grace-period`.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run endpoint, proxy and gateway on loopback; print the URL, a dev token and a curl example.",
        discussion: """
            Defaults: endpoint 127.0.0.1:8080, proxy (Lambda Invoke API) 127.0.0.1:9001, gateway 127.0.0.1:8000. \
            The JWT secret comes from --jwt-secret-file, else $FEWCLICK_JWT_SECRET, else a random one is generated \
            for this run. A service that dies is restarted with back-off; Ctrl-C or SIGTERM drains and stops all three \
            (gateway first).
            """)

    @Option(help: "Address the three services bind to.") var host = "127.0.0.1"
    @Option(help: "Endpoint (inference server) port.") var endpointPort = 8080
    @Option(help: "Proxy (Lambda Invoke API) port.") var proxyPort = 9001
    @Option(help: "Gateway (public API) port.") var gatewayPort = 8000
    @Option(help: "File holding the JWT secret (default: $FEWCLICK_JWT_SECRET, else generated).") var jwtSecretFile: String?
    @Option(name: .customLong("cors-origin"), help: "Allowed browser origin for the gateway (repeatable).")
    var corsOrigins: [String] = []
    @Option(help: "Lifetime of the printed dev token: 90s, 15m, 12h (at most the gateway's --max-token-lifetime, 24h).") var tokenTTL = "12h"
    @Option(help: "Folder holding the endpoint, proxy and gateway executables (default: next to fewclick).")
    var binDir: String?
    @Option(help: "Seconds to wait for each service to become healthy.") var readyTimeout = 120.0
    @Flag(inversion: .prefixedNo, help: "Serve the labeling demo page at the gateway's /demo.") var demo = true
    @Option(help: "Folder with the labeling UI (default: infra/groundtruth of this checkout, found from the working directory or the executables).")
    var uiDir: String?
    @Option(help: ArgumentHelp("The proxy's image store: memory, or redis://host:port/db (passed to proxy serve --image-store).", valueName: "url"))
    var imageStore: String?
    @Option(help: "Seconds each service gets to finish its requests after SIGTERM before SIGKILL.") var gracePeriod = 10.0
    @Option(help: "Longest wait in seconds before restarting a service that died (back-off from 0.5 s).")
    var maxRestartDelay = 30.0

    func validate() throws {
        for port in [endpointPort, proxyPort, gatewayPort] where !(1...65535).contains(port) {
            throw ValidationError("ports must be between 1 and 65535")
        }
        guard gracePeriod > 0, gracePeriod <= 3600 else { throw ValidationError("--grace-period must be in (0, 3600] seconds") }
        guard maxRestartDelay >= 0.5, maxRestartDelay <= 3600 else {
            throw ValidationError("--max-restart-delay must be 0.5…3600 seconds")
        }
    }

    func run() async throws {
        // A closed terminal or pipe must not kill the supervisor (and orphan the children) on its next log line.
        signal(SIGPIPE, SIG_IGN)
        let bin = try binaryFolder()
        let (secret, secretGenerated) = try jwtSecret()
        var environment = ProcessInfo.processInfo.environment
        environment["FEWCLICK_JWT_SECRET"] = secret
        let base = "http://\(host)"
        let ui = uiFolder(bin: bin)
        var uiArguments: [String] = []
        // The gateway serves the demo on a loopback bind only (it refuses --demo otherwise).
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        if demo && !loopback {
            printErr("fewclick up: no demo page on the non-loopback --host \(host) (the demo is for this machine only)")
        }
        if let ui {
            uiArguments = ["--ui-dir", ui.path] + (demo && loopback ? ["--demo"] : [])
        } else if demo {
            printErr("fewclick up: labeling UI folder not found (pass --ui-dir infra/groundtruth); no demo page")
        }
        for name in ["endpoint", "proxy", "gateway"]
        where !FileManager.default.isExecutableFile(atPath: bin.appending(path: name).path) {
            throw UpError("\(bin.appending(path: name).path) is not an executable; build the package first (swift build)")
        }

        let stack = StackState()
        let client = CurlClient(maxConcurrentRequests: 3)
        defer { client.shutdown() }
        let policy = RestartPolicy(
            initialDelay: .milliseconds(500), maxDelay: .milliseconds(Int64(maxRestartDelay * 1000)),
            resetAfter: .seconds(60))
        let grace = Duration.milliseconds(Int64(gracePeriod * 1000))
        let ready = Duration.milliseconds(Int64(readyTimeout * 1000))
        func child(_ name: String, after dependency: String?, arguments: [String], health: String) -> ChildService {
            ChildService(
                spec: ChildSpec(
                    name: name, executable: bin.appending(path: name), arguments: arguments, environment: environment,
                    healthURL: health, dependency: dependency),
                stack: stack, client: client, policy: policy, gracePeriod: grace, readyTimeout: ready)
        }
        let endpoint = child(
            "endpoint", after: nil, arguments: ["serve", "--host", host, "--port", String(endpointPort)],
            health: "\(base):\(endpointPort)/ping")
        let proxy = child(
            "proxy", after: "endpoint",
            arguments: ["serve", "--host", host, "--port", String(proxyPort), "--endpoint-url", "\(base):\(endpointPort)"]
                + (imageStore.map { ["--image-store", $0] } ?? []),
            health: "\(base):\(proxyPort)/healthz")
        let gateway = child(
            "gateway", after: "proxy",
            arguments: ["serve", "--host", host, "--port", String(gatewayPort), "--proxy-url", "\(base):\(proxyPort)"]
                + corsOrigins.flatMap { ["--cors-origin", $0] } + uiArguments,
            health: "\(base):\(gatewayPort)/healthz")
        let banner = BannerService(stack: stack) { [environment] in
            let token = try await issueToken(gateway: bin.appending(path: "gateway"), environment: environment)
            printBanner(
                gatewayURL: "\(base):\(gatewayPort)", token: token, demo: ui != nil && demo && loopback,
                secretGenerated: secretGenerated)
        }

        var logger = Logger(label: "fewclick-up")
        logger.logLevel = .warning
        // Graceful shutdown runs in reverse order: the banner (which marks the stack as stopping, so
        // no child is restarted any more), then gateway, proxy, endpoint, each waited for.
        let services: [any Service] = [endpoint, proxy, gateway, banner]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map {
                    .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            if let failure = stack.failure { throw UpError(failure) }
            throw error
        }
        if let failure = stack.failure { throw UpError(failure) }
        printErr("fewclick up: stopped")
    }

    private func binaryFolder() throws -> URL {
        if let binDir { return URL(filePath: binDir, directoryHint: .isDirectory) }
        let executable = URL(filePath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            executable.deletingLastPathComponent(),
        ].compactMap { $0 }
        for folder in candidates
        where FileManager.default.isExecutableFile(atPath: folder.appending(path: "gateway").path) {
            return folder
        }
        throw ValidationError("cannot find the endpoint/proxy/gateway executables next to fewclick; pass --bin-dir")
    }

    /// The JWT secret (`--jwt-secret-file`, else a non-empty `$FEWCLICK_JWT_SECRET`, else random)
    /// and whether it was generated for this run.
    /// A given secret is checked as the gateway checks it (``JWTSecret``), so a short one fails here.
    private func jwtSecret() throws -> (secret: String, generated: Bool) {
        do {
            if let secret = try JWTSecret.load(file: jwtSecretFile, environment: ProcessInfo.processInfo.environment) {
                return (String(decoding: secret, as: UTF8.self), false)
            }
        } catch {
            throw ValidationError(error.message)
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return (secret, true)
    }

    /// Runs `gateway token issue` (the secret travels in the environment, never in argv), reading
    /// its output on a Dispatch queue rather than a cooperative thread.
    private func issueToken(gateway: URL, environment: [String: String]) async throws -> String {
        let process = Process()
        process.executableURL = gateway
        process.arguments = ["token", "issue", "--subject", "dev", "--ttl", tokenTTL, "--scope", "segment"]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        let exited = ExitSignal()
        process.terminationHandler = { exited.finish($0.terminationStatus) }
        try process.run()
        let handle = output.fileHandleForReading
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
        guard await exited.status() == 0 else { throw UpError("gateway token issue failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `--ui-dir`, else `infra/groundtruth` under the working directory or above `bin`, the
    /// executables' folder.
    private func uiFolder(bin: URL) -> URL? {
        func holdsUI(_ folder: URL) -> Bool {
            FileManager.default.fileExists(atPath: folder.appending(path: "fewclick-ui.js").path)
        }
        if let uiDir { return URL(filePath: uiDir, directoryHint: .isDirectory) }
        var candidates = [URL(filePath: FileManager.default.currentDirectoryPath, directoryHint: .isDirectory)]
        var folder = bin
        for _ in 0..<5 {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        return candidates.map { $0.appending(path: "infra/groundtruth", directoryHint: .isDirectory) }.first(where: holdsUI)
    }

    private func printBanner(gatewayURL: String, token: String, demo: Bool, secretGenerated: Bool) {
        let banner =
            """

            fewclick is up.
              gateway   \(gatewayURL)   (POST /v1/segment, GET /healthz)
            \(demo ? "  demo      \(gatewayURL)/demo   (labeling UI in the browser)\n" : "")  proxy     http://\(host):\(proxyPort)   (Lambda Invoke API)
              endpoint  http://\(host):\(endpointPort)   (SageMaker /ping, /invocations)
            \(secretGenerated ? "  JWT secret: generated for this run (set FEWCLICK_JWT_SECRET to keep tokens valid across runs)\n" : "")
            Dev token (sub=dev, scope=segment, ttl \(tokenTTL)):
              export FEWCLICK_TOKEN='\(token)'

            Try it (a JPEG or PNG of yours; extreme points are pixel [x, y]: leftmost, rightmost, top, bottom):
              { printf '{"image":{"data":"'; base64 -w0 photo.jpg
                printf '"},"extremePoints":[[10,50],[200,60],[100,5],[110,180]],"outputs":["rle","polygons"]}'; } |
              curl -s \(gatewayURL)/v1/segment -H "Authorization: Bearer $FEWCLICK_TOKEN" \\
                -H 'Content-Type: application/json' --data-binary @-

            A service that dies is restarted; Ctrl-C stops all three.

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
    }
}

/// A failure while running the stack (printed as `Error: ...`, exit status 1, no usage text).
struct UpError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard error.
func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

