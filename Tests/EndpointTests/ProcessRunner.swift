import Foundation

/// Runs child processes from async tests without blocking the cooperative pool: completion arrives
/// through `terminationHandler`, output goes to temporary files, and every wait is bounded.
enum ProcessRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("proc-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("proc-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let status: Int32? = try await withCheckedThrowingContinuation { continuation in
            let once = OnceFlag()
            process.terminationHandler = { p in
                if once.claim() { continuation.resume(returning: p.terminationStatus) }
            }
            do {
                try process.run()
            } catch {
                if once.claim() { continuation.resume(throwing: error) }
                return
            }
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) {
                if once.claim() {
                    kill(pid, SIGKILL)
                    continuation.resume(returning: nil)
                }
            }
        }
        return Result(
            status: status ?? -1,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            timedOut: status == nil)
    }

    /// `python3` on the PATH, if any.
    static var python3: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The directory holding the test sources (for scripts next to them).
    static var testsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent() }
}

/// A flag that can be claimed once, from any thread.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
