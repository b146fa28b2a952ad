import CurlHTTP
import Endpoint
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import InferenceProtocol
import Segmentation
import SegmentationWire
import Testing

@Suite("Live server through CurlClient")
struct LiveTests {
    static func decode(_ response: CurlResponse) throws -> InferenceResponse {
        let framing = try MessageFraming(
            contentType: response.header("Content-Type"),
            inferenceHeaderContentLength: response.header("Inference-Header-Content-Length"),
            bodyLength: response.body.count)
        return try InferenceResponse(decoding: response.body, framing: framing)
    }

    static func waitForPing(_ client: CurlClient, _ base: String) async throws -> Bool {
        for _ in 0..<300 {
            if let response = try? await client.execute(CurlRequest(url: base + "/ping", timeout: .seconds(2))),
                response.status == 200
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("POST /invocations with binary tensors over a real socket, and 413 for a streamed oversized body")
    func invocationsOverCurl() async throws {
        let client = CurlClient(maxConcurrentRequests: 4)
        defer { client.shutdown() }
        try await Fixture.app(configure: { $0.maxBodyBytes = 64 * 1024 }).test(.live) { testClient in
            let base = "http://127.0.0.1:\(try #require(testClient.port))"
            #expect(try await Self.waitForPing(client, base))
            let message = try SegmentationTensors.request(for: Fixture.input(), id: "live").encoded()
            let response = try await client.execute(
                CurlRequest(
                    method: "POST", url: base + "/invocations",
                    headers: message.headers.map { HTTPHeaderField($0.name, $0.value) }, body: message.body))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/octet-stream")
            #expect(response.header("X-Model-Time-Ms").flatMap(Double.init) != nil)
            let decoded = try Self.decode(response)
            #expect(decoded.id == "live")
            #expect(
                try SegmentationTensors.probabilityMap(from: decoded, width: 48, height: 32)
                    == BoxModel().segment(Fixture.input()))

            // 1 MiB against a 64 KiB limit: refused with a V2 error body, the server stays up.
            let big = try InferenceRequest(
                inputs: [InferenceTensor(name: "image", shape: [1024, 1024], values: [UInt8](repeating: 1, count: 1 << 20))]
            ).encoded()
            let tooLarge = try await client.execute(
                CurlRequest(
                    method: "POST", url: base + "/invocations",
                    headers: big.headers.map { HTTPHeaderField($0.name, $0.value) }, body: big.body))
            #expect(tooLarge.status == 413)
            #expect(String(decoding: tooLarge.body, as: UTF8.self).contains("exceeds the limit of 65536 bytes"))
            // Chunked, so no Content-Length to refuse early: the limit is enforced while the body streams in.
            let chunked = try await client.execute(
                CurlRequest(
                    method: "POST", url: base + "/invocations",
                    headers: big.headers.map { HTTPHeaderField($0.name, $0.value) }
                        + [HTTPHeaderField("Transfer-Encoding", "chunked")],
                    body: big.body))
            #expect(chunked.status == 413)
            #expect(String(decoding: chunked.body, as: UTF8.self) == #"{"error":"request body exceeds the limit of 65536 bytes"}"#)
            #expect(try await client.execute(CurlRequest(url: base + "/ping")).status == 200)
        }
    }

    @Test("the endpoint executable serves on $SAGEMAKER_BIND_TO_PORT and stops cleanly on SIGTERM")
    func executable() async throws {
        guard let binary = Self.endpointBinary() else { return }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--model", "extreme-polygon", "--workers", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["SAGEMAKER_BIND_TO_PORT"] = "0"
        environment["LOG_LEVEL"] = "warning"
        process.environment = environment
        let lines = LineCollector()
        let stdout = Pipe()
        process.standardOutput = stdout
        stdout.fileHandleForReading.readabilityHandler = { handle in lines.append(handle.availableData) }
        let exited = ExitWaiter(process)
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            stdout.fileHandleForReading.readabilityHandler = nil
        }

        var port: Int?
        for _ in 0..<600 where port == nil {
            port = lines.port
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let boundPort = try #require(port, "no 'endpoint listening on' line; stdout: \(lines.text)")
        let base = "http://127.0.0.1:\(boundPort)"
        let client = CurlClient()
        defer { client.shutdown() }
        #expect(try await Self.waitForPing(client, base))
        let message = try SegmentationTensors.request(for: Fixture.input())
            .encoded(binaryInputs: true, style: .sagemakerContentType)
        let response = try await client.execute(
            CurlRequest(
                method: "POST", url: base + "/invocations",
                headers: message.headers.map { HTTPHeaderField($0.name, $0.value) }, body: message.body))
        #expect(response.status == 200)
        let decoded = try Self.decode(response)
        #expect(decoded.modelName == "extreme-polygon")
        #expect(
            try SegmentationTensors.probabilityMap(from: decoded, width: 48, height: 32)
                == ExtremePolygonModel().segment(Fixture.input()))

        process.terminate()  // SIGTERM: graceful shutdown
        let status = await exited.wait(timeout: .seconds(20))
        #expect(status == 0, "exit status after SIGTERM")
    }
}

extension LiveTests {
    /// The built `endpoint` executable next to the test bundle, or nil (with a note) when absent.
    static func endpointBinary() -> URL? {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("endpoint")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            print("skipped: no built endpoint executable at \(binary.path)")
            return nil
        }
        return binary
    }

    @Test("a missing or corrupt clicknet weights file stops the endpoint at start-up with a clear error")
    func missingWeights() async throws {
        guard let binary = Self.endpointBinary() else { return }
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).safetensors")
        try Data([8, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]).write(to: corrupt)  // header length 8, only 2 bytes follow
        defer { try? FileManager.default.removeItem(at: corrupt) }
        for (model, weights, expected) in [
            ("clicknet", "/nonexistent/clicknet.safetensors", "no such file"),
            ("clicknet-graphcut", corrupt.path, "not usable"),
        ] {
            var environment = ProcessInfo.processInfo.environment
            environment["SAGEMAKER_BIND_TO_PORT"] = "0"
            environment["FEWCLICK_CLICKNET_WEIGHTS"] = weights
            let result = try await ProcessRunner.run(
                binary.path, ["serve", "--host", "127.0.0.1", "--model", model, "--workers", "1"],
                environment: environment, timeout: .seconds(60))
            #expect(!result.timedOut && result.status != 0, "\(model): status \(result.status)")
            let output = result.stdout + result.stderr
            #expect(output.contains("model failed to load") && output.contains(expected), "\(model): \(output.suffix(1500))")
        }
    }
}

/// Collects a child's stdout and finds the `endpoint listening on HOST:PORT` line.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
    var port: Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("endpoint listening on ") {
            if let colon = line.lastIndex(of: ":") { return Int(line[line.index(after: colon)...]) }
        }
        return nil
    }
}

/// Waits for a process to exit without blocking a thread (bounded).
final class ExitWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    private var waiter: CheckedContinuation<Int32?, Never>?
    init(_ process: Process) {
        process.terminationHandler = { [self] p in
            lock.lock()
            status = p.terminationStatus
            let w = waiter
            waiter = nil
            lock.unlock()
            w?.resume(returning: p.terminationStatus)
        }
    }
    func wait(timeout: Duration) async -> Int32? {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let status {
                lock.unlock()
                continuation.resume(returning: status)
                return
            }
            waiter = continuation
            lock.unlock()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { [self] in
                lock.lock()
                let w = waiter
                waiter = nil
                lock.unlock()
                w?.resume(returning: nil)
            }
        }
    }
}
