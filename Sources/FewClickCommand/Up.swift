import ArgumentParser
import CurlHTTP
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `fewclick up`: runs the whole stack (endpoint, proxy, gateway) on loopback for local use.
///
/// Starts the `endpoint`, `proxy` and `gateway` executables found next to `fewclick`, one after
/// the other, waiting until each answers its health check; then prints the gateway URL, a fresh
/// dev token and a ready `curl` example. Ctrl-C or SIGTERM stops all three (SIGTERM by PID, then
/// SIGKILL after a grace period); if one of them exits on its own, the others are stopped too.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run endpoint, proxy and gateway on loopback; print the URL, a dev token and a curl example.",
        discussion: """
            Defaults: endpoint 127.0.0.1:8080, proxy (Lambda Invoke API) 127.0.0.1:9001, gateway 127.0.0.1:8000. \
            The JWT secret comes from --jwt-secret-file, else $FEWCLICK_JWT_SECRET, else a random one is generated \
            for this run. Ctrl-C or SIGTERM stops all three.
            """)

    @Option(help: "Address the three services bind to.") var host = "127.0.0.1"
    @Option(help: "Endpoint (inference server) port.") var endpointPort = 8080
    @Option(help: "Proxy (Lambda Invoke API) port.") var proxyPort = 9001
    @Option(help: "Gateway (public API) port.") var gatewayPort = 8000
    @Option(help: "File holding the JWT secret (default: $FEWCLICK_JWT_SECRET, else generated).") var jwtSecretFile: String?
    @Option(name: .customLong("cors-origin"), help: "Allowed browser origin for the gateway (repeatable).")
    var corsOrigins: [String] = []
    @Option(help: "Lifetime of the printed dev token: 90s, 15m, 12h, 7d.") var tokenTTL = "12h"
    @Option(help: "Folder holding the endpoint, proxy and gateway executables (default: next to fewclick).")
    var binDir: String?
    @Option(help: "Seconds to wait for each service to become healthy.") var readyTimeout = 120.0
    @Flag(inversion: .prefixedNo, help: "Serve the labeling demo page at the gateway's /demo.") var demo = true
    @Option(help: "Folder with the labeling UI (default: infra/groundtruth of this checkout, found from the working directory or the executables).")
    var uiDir: String?

    func validate() throws {
        for port in [endpointPort, proxyPort, gatewayPort] where !(1...65535).contains(port) {
            throw ValidationError("ports must be between 1 and 65535")
        }
    }

    func run() async throws {
        let bin = try binaryFolder()
        let (secret, secretGenerated) = try jwtSecret()
        let stack = Stack()
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM])
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
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

        do {
            try stack.start(
                name: "endpoint", executable: bin.appending(path: "endpoint"),
                arguments: ["serve", "--host", host, "--port", String(endpointPort)], environment: environment)
            try await waitHealthy(
                "endpoint", url: "\(base):\(endpointPort)/ping", client: client, stack: stack, signals: signals)

            try stack.start(
                name: "proxy", executable: bin.appending(path: "proxy"),
                arguments: [
                    "serve", "--host", host, "--port", String(proxyPort), "--endpoint-url", "\(base):\(endpointPort)",
                ],
                environment: environment)
            try await waitHealthy(
                "proxy", url: "\(base):\(proxyPort)/healthz", client: client, stack: stack, signals: signals)

            try stack.start(
                name: "gateway", executable: bin.appending(path: "gateway"),
                arguments: [
                    "serve", "--host", host, "--port", String(gatewayPort), "--proxy-url", "\(base):\(proxyPort)",
                ] + corsOrigins.flatMap { ["--cors-origin", $0] } + uiArguments,
                environment: environment)
            try await waitHealthy(
                "gateway", url: "\(base):\(gatewayPort)/healthz", client: client, stack: stack, signals: signals)

            let token = try await issueToken(gateway: bin.appending(path: "gateway"), environment: environment)
            printBanner(
                gatewayURL: "\(base):\(gatewayPort)", token: token, demo: ui != nil && demo && loopback,
                secretGenerated: secretGenerated)
        } catch {
            await stack.stopAll()
            throw error
        }

        // Run until a signal arrives or a service exits on its own.
        let reason = await stack.firstExitOrSignal(signals)
        switch reason {
        case .signal(let number):
            printErr("fewclick up: signal \(number), stopping the stack")
            await stack.stopAll()
        case .exited(let name, let status):
            printErr("fewclick up: \(name) exited with status \(status), stopping the stack")
            await stack.stopAll()
            throw ExitCode(1)
        }
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
    private func jwtSecret() throws -> (secret: String, generated: Bool) {
        if let jwtSecretFile {
            guard let data = FileManager.default.contents(atPath: jwtSecretFile) else {
                throw ValidationError("cannot read --jwt-secret-file \(jwtSecretFile)")
            }
            return (String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), false)
        }
        if let secret = ProcessInfo.processInfo.environment["FEWCLICK_JWT_SECRET"], !secret.isEmpty {
            return (secret, false)
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return (secret, true)
    }

    /// Polls `url` until it answers 200, within `readyTimeout`.
    private func waitHealthy(
        _ name: String, url: String, client: CurlClient, stack: Stack, signals: SignalWatcher
    ) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(readyTimeout * 1000))
        while ContinuousClock.now < deadline {
            if let exit = stack.exitedService() {
                throw UpError("\(exit.name) exited with status \(exit.status) while starting")
            }
            if let signal = signals.received() {
                throw UpError("interrupted by signal \(signal) while starting \(name)")
            }
            let request = CurlRequest(
                method: "GET", url: url, connectTimeout: .milliseconds(500), timeout: .seconds(2), maxResponseBytes: 1 << 16)
            if let response = try? await client.execute(request), response.status == 200 {
                printErr("fewclick up: \(name) is ready (\(url))")
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw UpError("\(name) did not become healthy within \(readyTimeout) s (\(url))")
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
        try process.run()
        let handle = output.fileHandleForReading
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else { throw UpError("gateway token issue failed") }
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

            Ctrl-C stops all three.

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

/// The child processes of `fewclick up`, stopped by PID.
final class Stack: @unchecked Sendable {
    // All mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var processes: [(name: String, process: Process)] = []
    private var exits: [(name: String, status: Int32)] = []
    private var stopping = false
    private var onExit: (@Sendable () -> Void)?

    func start(name: String, executable: URL, arguments: [String], environment: [String: String]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw UpError("\(executable.path) is not an executable; build the package first (swift build)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.terminationHandler = { [weak self] finished in
            guard let self else { return }
            let callback: (@Sendable () -> Void)? = self.lock.withLock {
                if !self.stopping { self.exits.append((name, finished.terminationStatus)) }
                return self.onExit
            }
            callback?()
        }
        try process.run()
        lock.withLock { processes.append((name, process)) }
        printErr("fewclick up: started \(name) (pid \(process.processIdentifier))")
    }

    func exitedService() -> (name: String, status: Int32)? { lock.withLock { exits.first } }

    /// Sends SIGTERM to every running child (last started first), waits up to 10 s each, then SIGKILL.
    func stopAll() async {
        let running = lock.withLock {
            stopping = true
            return processes.reversed()
        }
        for (name, process) in running where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                printErr("fewclick up: \(name) did not stop in 10 s, killing pid \(process.processIdentifier)")
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            }
            printErr("fewclick up: stopped \(name)")
        }
    }

    enum Reason {
        case signal(Int32)
        case exited(String, Int32)
    }

    /// Waits until a watched signal arrives or a child exits on its own.
    func firstExitOrSignal(_ signals: SignalWatcher) async -> Reason {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        lock.withLock { onExit = { continuation.yield() } }
        signals.onSignal { continuation.yield() }
        var iterator = stream.makeAsyncIterator()
        while true {
            if let signal = signals.received() { return .signal(signal) }
            if let exit = exitedService() {
                // Ctrl-C reaches the whole process group: a child may exit before our handler runs.
                try? await Task.sleep(for: .milliseconds(300))
                if let signal = signals.received() { return .signal(signal) }
                return .exited(exit.name, exit.status)
            }
            _ = await iterator.next()
        }
    }
}

/// Catches SIGINT/SIGTERM (instead of dying) so the stack can be stopped cleanly.
final class SignalWatcher: @unchecked Sendable {
    // All mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private var last: Int32?
    private var callback: (@Sendable () -> Void)?

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let callback = self.lock.withLock {
                    self.last = number
                    return self.callback
                }
                callback?()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The last signal received, if any.
    func received() -> Int32? { lock.withLock { last } }

    func onSignal(_ callback: @escaping @Sendable () -> Void) {
        let pending = lock.withLock {
            self.callback = callback
            return last != nil
        }
        if pending { callback() }
    }
}
