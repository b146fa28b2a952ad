import Foundation
import Proxy
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` (Debian's `redis-server` package) on a free loopback port, without
/// persistence, stopped by PID.
final class RedisServer: Sendable {
    /// Where Debian installs it (also found on `PATH`).
    static let executable: URL? = {
        for folder in ["/usr/bin", "/usr/local/bin"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) {
            let candidate = URL(filePath: folder).appending(path: "redis-server")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    /// Whether the tests that need it can run.
    static var isAvailable: Bool { executable != nil }

    let port: Int
    let pid: Int32
    private let process: Process

    /// `redis://127.0.0.1:PORT/0`.
    var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Starts a server on `port`, else on a random loopback port (retried on another when that one
    /// is taken: redis-server then exits at once), and waits (at most 10 s) until it answers PING.
    ///
    /// - Parameter extraArguments: e.g. `["--requirepass", "secret"]`.
    init(port: Int? = nil, extraArguments: [String] = []) async throws {
        let executable = try #require(Self.executable, "redis-server is not installed")
        for _ in 0..<(port == nil ? 8 : 1) {
            let chosen = port ?? Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = executable
            process.arguments =
                ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"]
                + extraArguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<200 {
                // Still running a moment after PING answered: the answer is this server's, not another's.
                if Self.answersPing(port: chosen), (try? await Task.sleep(for: .milliseconds(100))) != nil, process.isRunning {
                    self.process = process
                    self.port = chosen
                    self.pid = process.processIdentifier
                    return
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        throw RedisServerError(description: "redis-server did not start on a loopback port")
    }

    /// SIGKILL by PID (a crash; nothing is persisted), then waits (bounded) until the process is gone.
    /// Not SIGTERM: a child started from one of Swift's worker threads inherits their blocked
    /// signals, and redis-server then never sees SIGTERM.
    func stop(signal: Int32 = SIGKILL) async {
        guard process.isRunning else { return }
        kill(pid, signal)
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(25)) }
        if process.isRunning {
            kill(pid, SIGKILL)
            for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(25)) }
        }
    }

    var isRunning: Bool { process.isRunning }

    deinit {
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// A raw RESP `PING` over a blocking loopback socket (test setup only, bounded by a 1 s timeout).
    private static func answersPing(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let ping = Array("PING\r\n".utf8)
        guard send(fd, ping, ping.count, 0) == ping.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buffer, buffer.count, 0)
        // +PONG, or -NOAUTH when a password is required: either way the server is up.
        return n > 0 && (buffer[0] == UInt8(ascii: "+") || buffer[0] == UInt8(ascii: "-"))
    }
}

struct RedisServerError: Error, CustomStringConvertible {
    var description: String
}
