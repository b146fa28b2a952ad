import CurlHTTP
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `fewclick up` running as a child process, its output collected.
final class UpProcess: @unchecked Sendable {
    let process = Process()
    let output = OutputCollector()
    let ports: (endpoint: Int, proxy: Int, gateway: Int)

    init(folder: URL, ports: (Int, Int, Int)) throws {
        self.ports = ports
        process.executableURL = folder.appending(path: "fewclick")
        process.arguments = [
            "up", "--bin-dir", folder.path, "--no-demo", "--endpoint-port", String(ports.0), "--proxy-port", String(ports.1),
            "--gateway-port", String(ports.2), "--max-restart-delay", "2", "--grace-period", "5",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["FEWCLICK_MODEL"] = "box"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Waits (bounded) until `text` appears in the output; false when it exits or time runs out.
    func waitFor(_ text: String, timeout: Duration = .seconds(120)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.text.contains(text) { return true }
            if !process.isRunning { return output.text.contains(text) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The PIDs of every `started NAME (pid N)` line for `name`, in order.
    func pids(_ name: String) -> [Int32] {
        output.text.matches(of: try! Regex("started \(name) \\(pid ([0-9]+)\\)")).compactMap { match in
            match.output[1].substring.flatMap { Int32($0) }
        }
    }

    /// The dev token from the banner.
    var token: String? {
        guard let match = output.text.firstMatch(of: #/export FEWCLICK_TOKEN='([^']+)'/#) else { return nil }
        return String(match.output.1)
    }
}

/// Whether a process with this PID exists (a zombie counts until it is reaped).
func processExists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

@Suite("fewclick up as a supervisor", .serialized)
struct UpSupervisorTests {
    static let folder: URL? = ServiceProcess.executableFolder().flatMap { folder in
        FileManager.default.isExecutableFile(atPath: folder.appending(path: "fewclick").path) ? folder : nil
    }

    /// `fewclick up` on random high ports, retried on others when a port was taken.
    static func startUp(_ folder: URL) async throws -> UpProcess {
        for _ in 0..<3 {
            let base = Int.random(in: 20_000..<59_000)
            let up = try UpProcess(folder: folder, ports: (base, base + 1, base + 2))
            if try await up.waitFor("fewclick is up") { return up }
            kill(up.process.processIdentifier, SIGTERM)
            for _ in 0..<200 where up.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        }
        throw ServiceError("fewclick up did not come up on three tries")
    }

    @Test(
        "kill -9 of the endpoint: restarted with back-off, the stack serves again; SIGTERM then stops every child",
        .enabled(if: folder != nil, "fewclick and the service executables are not built (run swift build)"))
    func restartsAndStops() async throws {
        let folder = try #require(Self.folder)
        let up = try await Self.startUp(folder)
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let token = try #require(up.token, "no token in the banner:\n\(up.output.text.suffix(2000))")
        let scene = try Scene.disk()
        let body = try Body.json(["image": ["data": Data(scene.png).base64EncodedString()], "extremePoints": scene.extremePoints])
        @Sendable func segment() async -> Int {
            let request = CurlRequest(
                method: "POST", url: "http://127.0.0.1:\(up.ports.gateway)/v1/segment",
                headers: [HTTPHeaderField("Authorization", "Bearer \(token)"), HTTPHeaderField("Content-Type", "application/json")],
                body: body, connectTimeout: .seconds(1), timeout: .seconds(20))
            return (try? await client.execute(request).status) ?? 0
        }
        #expect(await segment() == 200)

        let endpoint = try #require(up.pids("endpoint").first)
        let proxy = try #require(up.pids("proxy").first)
        let gateway = try #require(up.pids("gateway").first)
        kill(endpoint, SIGKILL)

        #expect(try await up.waitFor("restart #1", timeout: .seconds(20)), "the death is logged with its restart")
        var status = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while status != 200 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            status = await segment()
        }
        #expect(status == 200, "the stack serves again after the restart:\n\(up.output.text.suffix(3000))")
        let restarted = up.pids("endpoint")
        #expect(restarted.count == 2 && restarted.last != endpoint)
        #expect(up.pids("proxy") == [proxy] && up.pids("gateway") == [gateway], "the other services were not restarted")
        #expect(up.process.isRunning)

        // SIGTERM drains and stops all three; fewclick up exits 0 and no child is left.
        kill(up.process.processIdentifier, SIGTERM)
        for _ in 0..<600 where up.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!up.process.isRunning)
        #expect(up.process.terminationStatus == 0, "\(up.output.text.suffix(2000))")
        for pid in [restarted.last ?? endpoint, proxy, gateway] {
            #expect(!processExists(pid), "pid \(pid) still exists after fewclick up stopped")
        }
        let text = up.output.text
        let order = ["stopped gateway", "stopped proxy", "stopped endpoint"].compactMap { text.range(of: $0)?.lowerBound }
        #expect(order.count == 3 && order == order.sorted(), "stopped in reverse start order:\n\(text.suffix(2000))")
    }
}
