import CurlHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Testing

/// A child process whose standard error is collected as it arrives.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var errorOutput = Data()
    private var exit: CheckedContinuation<Int32, Never>?
    private var status: Int32?

    init(_ executable: URL, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            self?.lock.withLock { self?.errorOutput.append(chunk) }
        }
        process.terminationHandler = { [weak self] process in
            guard let self else { return }
            // The handler may not have seen the last bytes yet: read what is left (the child has exited,
            // so its end of the pipe is closed and this returns).
            pipe.fileHandleForReading.readabilityHandler = nil
            let rest = pipe.fileHandleForReading.readDataToEndOfFile()
            self.lock.withLock { self.errorOutput.append(rest) }
            let continuation = self.lock.withLock { () -> CheckedContinuation<Int32, Never>? in
                self.status = process.terminationStatus
                defer { self.exit = nil }
                return self.exit
            }
            continuation?.resume(returning: process.terminationStatus)
        }
        try process.run()
    }

    /// Standard error so far.
    var stderr: String { lock.withLock { String(decoding: errorOutput, as: UTF8.self) } }

    /// Waits for the process to end and returns its status.
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = lock.withLock { () -> Int32? in
                if let status { return status }
                exit = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Polls standard error (every 50 ms, at most `attempts` times) for a match of `pattern`'s first group.
    func waitForLog(_ pattern: String, attempts: Int = 400) async throws -> String? {
        let regex = try Regex(pattern)
        for _ in 0..<attempts {
            if let match = stderr.firstMatch(of: regex), match.count > 1, let group = match[1].substring {
                return String(group)
            }
            if !process.isRunning { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

@Suite(
    "proxy executable: serve and bootstrap",
    .enabled(if: FileManager.default.isExecutableFile(atPath: ProxyEventTests.proxyExecutable.path), "proxy executable not built"))
struct ProxyExecutableTests {
    static let event = SampleEvent.folder.appendingPathComponent("v1/segment-data.json")

    @Test("`proxy serve --port 0` logs its port, answers the Invoke API, and stops cleanly on SIGTERM")
    func serve() async throws {
        try await ProxyFixture.withEndpoint { url in
            let child = try ChildProcess(
                ProxyEventTests.proxyExecutable, ["serve", "--port", "0", "--endpoint-url", url],
                environment: ProcessInfo.processInfo.environment)
            let port = try await child.waitForLog(#"proxy listening on 127\.0\.0\.1:([0-9]+)"#)
            guard let port else {
                child.process.terminate()
                _ = await child.waitForExit()
                Issue.record("no listening line; stderr: \(child.stderr)")
                return
            }
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            let response = try await curl.execute(
                CurlRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/2015-03-31/functions/proxy/invocations",
                    body: [UInt8](try Data(contentsOf: Self.event))))
            #expect(response.status == 200)
            let result = try JSONDecoder().decode(APIGatewayResponse.self, from: Data(response.body))
            #expect(result.statusCode == 200)
            child.process.terminate()
            #expect(await child.waitForExit() == 0)
        }
    }

    @Test("`proxy` with AWS_LAMBDA_RUNTIME_API runs the Runtime API loop (bootstrap)")
    func bootstrap() async throws {
        try await ProxyFixture.withEndpoint { url in
            actor Posts {
                var served = false
                var bodies: [(String, String)] = []
                func take() -> Bool {
                    defer { served = true }
                    return !served
                }
                func add(_ path: String, _ body: String) { bodies.append((path, body)) }
            }
            let posts = Posts()
            let eventBytes = try Data(contentsOf: Self.event)
            let router = Router()
            router.get("/2018-06-01/runtime/invocation/next") { _, _ -> Response in
                // One event, then 503: the runtime treats that as a broken Runtime API and exits.
                guard await posts.take() else { return Response(status: .serviceUnavailable) }
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!] = "bootstrap-1"
                headers[HTTPField.Name("Lambda-Runtime-Deadline-Ms")!] =
                    String(Int64(Date().timeIntervalSince1970 * 1000) + 30_000)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: eventBytes)))
            }
            router.post("/2018-06-01/runtime/invocation/:id/:kind") { request, context -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                await posts.add(
                    "\(context.parameters.get("id") ?? "")/\(context.parameters.get("kind") ?? "")", String(buffer: body))
                return Response(status: .accepted)
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                var environment = ProcessInfo.processInfo.environment
                environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(try #require(client.port))"
                environment["FEWCLICK_ENDPOINT_URL"] = url
                let child = try ChildProcess(ProxyEventTests.proxyExecutable, [], environment: environment)
                let status = await child.waitForExit()
                #expect(status != 0, "the loop ends with an error when the Runtime API breaks")
                let bodies = await posts.bodies
                #expect(bodies.map(\.0) == ["bootstrap-1/response"])
                let result = try JSONDecoder().decode(APIGatewayResponse.self, from: Data((bodies.first?.1 ?? "").utf8))
                #expect(result.statusCode == 200)
            }
        }
    }
}
