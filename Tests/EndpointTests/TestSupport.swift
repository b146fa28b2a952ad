import Dispatch
import Endpoint
import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InferenceProtocol
import Logging
import Segmentation
import Synchronization
import Testing

/// Shared fixtures for the endpoint tests.
enum Fixture {
    /// A 48×32 crop with a bright rectangle and the four extreme points of a diamond, plus one of each
    /// corrective click.
    static func input(width: Int = 48, height: Int = 32, session: String? = nil) -> SegmentationInput {
        var image = RGBImage(width: width, height: height, fill: (20, 30, 40))
        for y in 8..<24 {
            for x in 10..<38 { image[x, y] = (200, 180, 160) }
        }
        let clicks = [
            Click(x: 10, y: 16, kind: .extreme), Click(x: 37.5, y: 15, kind: .extreme),
            Click(x: 24, y: 8.2, kind: .extreme), Click(x: 23, y: 23.9, kind: .extreme),
            Click(x: 12, y: 9, kind: .negative), Click(x: 36, y: 22, kind: .positive),
        ]
        return SegmentationInput(image: image, clicks: clicks, sessionKey: session)
    }

    static let logger: Logger = {
        var logger = Logger(label: "endpoint-test")
        logger.logLevel = .warning
        return logger
    }()

    static func app(
        _ models: [ModelLoader] = [.catalog("box")!],
        configure: (inout EndpointConfiguration) -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var configuration = EndpointConfiguration(host: "127.0.0.1", port: 0, workerThreads: 2, queueLimit: 4)
        configure(&configuration)
        return try buildApplication(configuration: configuration, models: models, logger: logger)
    }

    /// Polls `/ping` until 200 (at most ~5 s).
    static func waitReady(_ client: some TestClientProtocol) async throws {
        for _ in 0..<500 {
            let status = try await client.execute(uri: "/ping", method: .get) { $0.status }
            if status == .ok { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("endpoint did not become ready")
    }

    /// HTTP headers for an encoded message.
    static func headers(_ message: EncodedInferenceMessage) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in message.headers { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    /// Decodes a V2 response from an HTTP response.
    static func decode(_ response: TestResponse) throws -> InferenceResponse {
        let framing = try MessageFraming(
            contentType: response.headers[.contentType],
            inferenceHeaderContentLength: response.headers[HTTPField.Name("Inference-Header-Content-Length")!],
            bodyLength: response.body.readableBytes)
        return try InferenceResponse(decoding: Array(response.body.readableBytesView), framing: framing)
    }

    /// The `error` string of a V2 error body.
    static func errorMessage(_ response: TestResponse) -> String? {
        try? JSONDecoder().decode(InferenceErrorBody.self, from: Data(response.body.readableBytesView)).error
    }
}

/// A one-shot gate a model thread can wait on (bounded), opened from a test.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let entered = DispatchSemaphore(value: 0)
    func open() { semaphore.signal() }
    /// Called on a model thread: signals arrival, then waits up to 10 s for `open()`.
    func pass() {
        entered.signal()
        _ = semaphore.wait(timeout: .now() + 10)
    }
    /// Waits (off the cooperative pool) until a thread has reached `pass()`.
    func waitUntilEntered() async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.entered.wait(timeout: .now() + 10) == .success)
            }
        }
    }
}

/// Test models with observable behaviour.
struct FailingModel: SegmentationModel {
    struct Boom: Error {}
    let name = "failing"
    let version = "0"
    func segment(_ input: SegmentationInput) throws -> GrayImage { throw Boom() }
}

struct WrongSizeModel: SegmentationModel {
    let name = "wrong-size"
    let version = "0"
    func segment(_ input: SegmentationInput) throws -> GrayImage { GrayImage(width: 1, height: 1) }
}

/// Blocks on a gate, then records the session key and answers like `box`.
final class RecordingModel: SegmentationModel {
    let name = "recording"
    let version = "7"
    let gate: Gate?
    let sessions = Mutex<[String?]>([])
    init(gate: Gate? = nil) { self.gate = gate }
    func segment(_ input: SegmentationInput) throws -> GrayImage {
        gate?.pass()
        sessions.withLock { $0.append(input.sessionKey) }
        return try BoxModel().segment(input)
    }
}
