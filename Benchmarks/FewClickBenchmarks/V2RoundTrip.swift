import CurlHTTP
import Endpoint
import FewClickCore
import Foundation
import InferenceProtocol
import Logging
import Segmentation
import SegmentationWire

/// `fewclick-benchmarks v2`: latency of one V2 inference call over loopback, endpoint and client in
/// this process, with a model that does no work (all zeros), so the figures are protocol + HTTP +
/// copy costs only. Tensors have the production shape: a 384×384×3 crop, 6 clicks, a 384×384
/// previous mask; answer `mask_prob` 384×384.
enum V2RoundTrip {
    /// A model that answers zeros at once.
    struct ZeroModel: SegmentationModel {
        let name = "zeros"
        let version = "bench"
        func segment(_ input: SegmentationInput) throws -> GrayImage {
            GrayImage(width: input.image.width, height: input.image.height)
        }
    }

    struct Case {
        var label: String
        var path: String
        var binaryInputs: Bool
        var binaryOutput: Bool
        var style: BinaryHeaderStyle
        var iterations: Int
    }

    static func run(arguments: [String]) async throws {
        let iterations = arguments.first.flatMap(Int.init) ?? 1000
        var logger = Logger(label: "bench-endpoint")
        logger.logLevel = .error
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildApplication(
            configuration: EndpointConfiguration(host: "127.0.0.1", port: 0, workerThreads: 2, queueLimit: 64),
            models: [.instance(ZeroModel())], logger: logger
        ) { _, port in portContinuation.yield(port) }
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchmarkError("server did not start") }
        let base = "http://127.0.0.1:\(port)"
        let client = CurlClient(maxConcurrentRequests: 4)
        defer { client.shutdown() }
        for _ in 0..<500 {
            if (try? await client.execute(CurlRequest(url: base + "/ping")))?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(10))
        }

        let input = sampleInput(side: 384)
        let cases = [
            Case(label: "binary in/out (Inference-Header-Content-Length)", path: "/v2/models/zeros/infer",
                 binaryInputs: true, binaryOutput: true, style: .inferenceHeaderContentLength, iterations: iterations),
            Case(label: "binary in/out (SageMaker json-header-size)", path: "/invocations",
                 binaryInputs: true, binaryOutput: true, style: .sagemakerContentType, iterations: iterations),
            Case(label: "JSON in/out", path: "/invocations",
                 binaryInputs: false, binaryOutput: false, style: .inferenceHeaderContentLength,
                 iterations: max(10, iterations / 20)),
        ]
        print("V2 round trip over loopback, CurlClient → endpoint (zero model), 384×384×3 crop + 384×384 prev_mask")
        print("columns: request bytes, response bytes, then latency in ms (encode + HTTP + decode)")
        print(pad("case", 50) + pad("req B", 10) + pad("resp B", 10) + pad("n", 7)
              + pad("p50", 9) + pad("p90", 9) + pad("p99", 9) + pad("mean", 9) + pad("model p50", 10))
        for c in cases {
            var samples: [Double] = []
            var modelSamples: [Double] = []
            var requestBytes = 0, responseBytes = 0
            for i in 0..<(c.iterations + c.iterations / 10) {
                let start = ContinuousClock.now
                let request = try SegmentationTensors.request(for: input, binaryOutput: c.binaryOutput)
                let message = try request.encoded(binaryInputs: c.binaryInputs, style: c.style)
                let response = try await client.execute(
                    CurlRequest(
                        method: "POST", url: base + c.path,
                        headers: message.headers.map { HTTPHeaderField($0.name, $0.value) }, body: message.body)
                ).checked()
                let framing = try MessageFraming(
                    contentType: response.header("Content-Type"),
                    inferenceHeaderContentLength: response.header("Inference-Header-Content-Length"),
                    bodyLength: response.body.count)
                let decoded = try InferenceResponse(decoding: response.body, framing: framing)
                let map = try SegmentationTensors.probabilityMap(from: decoded, width: 384, height: 384)
                let elapsed = ContinuousClock.now - start
                guard map.pixels.count == 384 * 384 else { throw BenchmarkError("bad answer") }
                if i >= c.iterations / 10 {  // the first 10% warm up
                    samples.append(elapsed.milliseconds)
                    modelSamples.append(response.header("X-Model-Time-Ms").flatMap(Double.init) ?? .nan)
                }
                requestBytes = message.body.count
                responseBytes = response.body.count
            }
            samples.sort()
            modelSamples.sort()
            print(pad(c.label, 50) + pad("\(requestBytes)", 10) + pad("\(responseBytes)", 10) + pad("\(samples.count)", 7)
                  + pad(fmt(percentile(samples, 0.5)), 9) + pad(fmt(percentile(samples, 0.9)), 9)
                  + pad(fmt(percentile(samples, 0.99)), 9) + pad(fmt(samples.reduce(0, +) / Double(samples.count)), 9)
                  + pad(fmt(percentile(modelSamples, 0.5)), 10))
        }
    }

    static func sampleInput(side: Int) -> SegmentationInput {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for i in pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            pixels[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let s = Double(side)
        let clicks = [
            Click(x: s * 0.1, y: s * 0.5, kind: .extreme), Click(x: s * 0.9, y: s * 0.45, kind: .extreme),
            Click(x: s * 0.5, y: s * 0.1, kind: .extreme), Click(x: s * 0.55, y: s * 0.9, kind: .extreme),
            Click(x: s * 0.3, y: s * 0.3, kind: .negative), Click(x: s * 0.5, y: s * 0.5, kind: .positive),
        ]
        return SegmentationInput(
            image: RGBImage(width: side, height: side, pixels: pixels), clicks: clicks,
            previousMask: GrayImage(width: side, height: side, fill: 128), sessionKey: "sha256:bench")
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
    }

    static func fmt(_ v: Double) -> String {
        v.isNaN ? "-" : String(format: "%.3f", v)
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A suite's `--flag value` arguments, read in order.
struct FlagReader {
    private var rest: ArraySlice<String>

    init(_ arguments: [String]) { rest = arguments[...] }

    /// The folder this executable lies in (where `swift build` puts the other executables).
    static var executableFolder: URL {
        URL(filePath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The next flag, or nil at the end.
    mutating func next() -> String? { rest.popFirst() }

    /// The value after `flag`.
    mutating func value(_ flag: String) throws -> String {
        guard let next = rest.popFirst() else { throw BenchmarkError("\(flag) needs a value") }
        return next
    }

    /// The folder named after `flag`.
    mutating func folder(_ flag: String) throws -> URL { URL(filePath: try value(flag), directoryHint: .isDirectory) }

    /// The next argument when it is a number (an optional value), else nil and nothing consumed.
    mutating func optionalNumber() -> Double? {
        guard let next = rest.first, let number = Double(next) else { return nil }
        rest.removeFirst()
        return number
    }
}
