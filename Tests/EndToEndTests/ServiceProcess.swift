import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One of the real executables (`endpoint`, `proxy`, `gateway`) running as a child process.
///
/// Output (stdout and stderr together) is collected on a Dispatch thread; ``start(_:arguments:environment:)``
/// waits (bounded) for the service's `NAME listening on 127.0.0.1:PORT` line and reads the port from it.
/// ``stop()`` sends SIGTERM by PID, then SIGKILL after a grace period; it also runs on deinit, so no
/// child outlives a failed test.
final class ServiceProcess: @unchecked Sendable {
    let name: String
    let port: Int
    private let process: Process
    // Guarded by `lock`.
    private let lock = NSLock()

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The folder holding the package's executables: `$FEWCLICK_BIN_DIR` when set (e.g. a release
    /// build), else the one holding this test bundle (`.build-*/<triple>/debug/`); nil when the
    /// executables have not been built.
    static func executableFolder() -> URL? {
        if let override = ProcessInfo.processInfo.environment["FEWCLICK_BIN_DIR"], !override.isEmpty {
            return URL(filePath: override, directoryHint: .isDirectory)
        }
        let candidates = [Bundle.main.executableURL, Bundle(for: ServiceProcess.self).executableURL, URL(filePath: CommandLine.arguments[0])]
            .compactMap { $0?.deletingLastPathComponent() }
        var folders: [URL] = []
        for start in candidates {
            var folder = start.resolvingSymlinksInPath()
            // Walk up out of a bundle (`fewclickPackageTests.xctest/...`) if there is one.
            for _ in 0..<4 {
                folders.append(folder)
                folder.deleteLastPathComponent()
            }
        }
        return folders.first { folder in
            ["endpoint", "proxy", "gateway"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: folder.appending(path: $0).path)
            }
        }
    }

    private init(name: String, port: Int, process: Process) {
        self.name = name
        self.port = port
        self.process = process
    }

    /// Starts `folder/name arguments...` and waits up to `timeout` for its listening line.
    /// - Throws: ``ServiceError`` when it exits early or never says it listens (the process is killed).
    static func start(
        _ name: String, in folder: URL, arguments: [String], environment: [String: String] = [:],
        timeout: Duration = .seconds(90)
    ) async throws -> ServiceProcess {
        let process = Process()
        process.executableURL = folder.appending(path: name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let collector = OutputCollector()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                collector.append(data)
            }
        }
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let port = collector.listeningPort(name) {
                let service = ServiceProcess(name: name, port: port, process: process)
                service.adopt(collector)
                return service
            }
            if !process.isRunning {
                throw ServiceError("\(name) exited with status \(process.terminationStatus) before listening:\n\(collector.text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        throw ServiceError("\(name) did not log '\(name) listening on 127.0.0.1:PORT' within \(timeout):\n\(collector.text)")
    }

    private var collector: OutputCollector?
    private func adopt(_ collector: OutputCollector) { lock.withLock { self.collector = collector } }

    /// Everything the process has written so far.
    var outputText: String { lock.withLock { collector?.text ?? "" } }

    /// SIGTERM by PID, wait up to 10 s, then SIGKILL. Safe to call more than once.
    /// - Returns: the exit status, or nil if it had to be killed.
    @discardableResult
    func stop() async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return nil
    }

    /// Last resort when a test forgot (or failed before) ``stop()``: SIGKILL without waiting.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Collects a child's output (written from a Dispatch thread, read from the test).
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// The port in the first `NAME listening on 127.0.0.1:PORT` line, if logged yet.
    func listeningPort(_ name: String) -> Int? {
        let text = self.text
        guard let range = text.range(of: "\(name) listening on 127.0.0.1:") else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }
}

struct ServiceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
