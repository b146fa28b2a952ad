import CurlHTTP
import Endpoint
import FewClickAPI
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageCodec
import LambdaKit
import Logging
import Proxy
import Segmentation
import Testing

/// Shared fixtures of the proxy tests.
enum ProxyFixture {
    /// The repository root (this file is Tests/ServiceTests/ProxyTestSupport.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A 96×64 image: a red disc (centre 40,30, radius 18) on a grey background with some noise.
    static func image() -> RGBImage {
        let width = 96, height = 64
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) + 0.5 - 40, dy = Double(y) + 0.5 - 30
                let inside = dx * dx + dy * dy <= 18 * 18
                let noise = UInt8((x * 7 + y * 13) % 9)
                let i = (y * width + x) * 3
                pixels[i] = inside ? 210 + noise : 50 + noise
                pixels[i + 1] = inside ? 50 : 60 + noise
                pixels[i + 2] = inside ? 40 : 70
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The disc's extreme points (pixels on the disc).
    static let extremePoints: [[Double]] = [[22, 30], [57, 30], [40, 12], [40, 47]]

    /// The image as PNG bytes.
    static func png() throws -> [UInt8] { try ImageFile.encodePNG(image()) }

    /// A payload 1.0 event for `body` on `POST /v1/segment` (what the gateway sends).
    static func event(_ body: [UInt8], method: String = "POST", path: String = "/v1/segment",
                      headers: [String: String] = ["Content-Type": "application/json"]) throws -> [UInt8] {
        let event = APIGatewayRequest(
            resource: path, path: path, httpMethod: method, headers: headers,
            multiValueHeaders: headers.mapValues { [$0] },
            requestContext: .init(
                requestId: "test-request", identity: .init(sourceIp: "127.0.0.1"),
                authorizer: .init(principalId: "tester", claims: ["scope": "segment"])),
            body: String(decoding: body, as: UTF8.self))
        return [UInt8](try JSONEncoder().encode(event))
    }

    /// JSON bytes of an encodable value.
    static func json(_ value: some Encodable) throws -> [UInt8] { [UInt8](try JSONEncoder().encode(value)) }

    /// Runs the endpoint library in-process on a free loopback port with `model` and calls `body`
    /// with its base URL once `/ping` answers 200.
    static func withEndpoint<T: Sendable>(
        model: String = "box", logger: Logger = Logger(label: "endpoint-test"), _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let app = try buildApplication(
            configuration: EndpointConfiguration(host: "127.0.0.1", port: 0, workerThreads: 1),
            models: [try #require(ModelLoader.catalog(model))], logger: logger)
        return try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            var ready = false
            for _ in 0..<200 where !ready {
                ready = (try? await curl.execute(CurlRequest(url: url + "/ping")).status) == 200
                if !ready { try await Task.sleep(for: .milliseconds(25)) }
            }
            try #require(ready, "the endpoint did not become ready")
            return try await body(url)
        }
    }

    /// A proxy function whose endpoint is `url`.
    static func function(endpoint url: String, configure: (inout ProxyConfiguration) -> Void = { _ in }) -> ProxyFunction {
        var configuration = ProxyConfiguration(endpointURL: url)
        configure(&configuration)
        return ProxyFunction(configuration: configuration, logger: Logger(label: "proxy-test"))
    }

    /// Invokes `function` with a raw event and decodes the payload 1.0 answer.
    static func invoke(_ function: ProxyFunction, _ event: [UInt8]) async throws -> APIGatewayResponse {
        let result = try await function.lambdaHandler.handle(
            event, context: .local(timeout: .seconds(30), logger: Logger(label: "proxy-test")))
        return try JSONDecoder().decode(APIGatewayResponse.self, from: Data(result))
    }

    /// The error code of an error answer.
    static func errorCode(_ response: APIGatewayResponse) throws -> String {
        try JSONDecoder().decode(ErrorResponseBody.self, from: Data(try response.bodyBytes())).error.code.rawValue
    }
}

/// Runs an executable to completion without blocking a thread of the cooperative pool.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) async throws
    -> (status: Int32, stdout: [UInt8])
{
    final class Output: @unchecked Sendable {
        let lock = NSLock()
        var data = Data()
        func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    let output = Output()
    pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    pipe.fileHandleForReading.readabilityHandler = nil
    output.append(pipe.fileHandleForReading.readDataToEndOfFile())
    return (status, [UInt8](output.lock.withLock { output.data }))
}
