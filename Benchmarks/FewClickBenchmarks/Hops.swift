import CurlHTTP
import FewClickCore
import Foundation
import ImageCodec

#if canImport(Glibc)
import Glibc
#endif

/// `fewclick-benchmarks hops`: what the gateway and proxy hops add to a segment call.
///
/// Starts `fewclick up` (endpoint, proxy, gateway as separate processes, the in-memory image store)
/// on free loopback ports from `--bin-dir` (default: next to this executable), uploads one generated
/// image, then sends sequential calls over one keep-alive connection to the gateway, after 10 of each
/// kind to warm up:
/// - by id: `{"image": {"id": …}}`, 4 extreme points, one click, `outputs: ["rle"]` (a labeler's
///   corrective click: a small body);
/// - with the bytes: the same with `image.data` (the image, base64), which the proxy finds in its
///   cache by hash (no decode): the body's way through the gateway, the Invoke API event and the
///   proxy's parsing, at the size of a first call.
///
/// Per kind it prints p50/p90 of the client's wall time, the endpoint's model time
/// (`timingsMs.model`), wall − model (both hops with the proxy's own work: parsing, crop, tensors,
/// mask encodings) and wall − the proxy's `timingsMs.total` (the gateway, the Invoke API transport,
/// and the proxy's event decoding and answer encoding around its segment call).
enum Hops {
    struct Options {
        var calls = 300
        var model = "box"
        var side = 1024
        var binDir: URL

        init(arguments: [String]) throws {
            binDir = FlagReader.executableFolder
            var flags = FlagReader(arguments)
            while let flag = flags.next() {
                switch flag {
                case "--calls": calls = max(10, Int(try flags.value(flag)) ?? 300)
                case "--model": model = try flags.value(flag)
                case "--side": side = min(2048, max(256, Int(try flags.value(flag)) ?? 1024))
                case "--bin-dir": binDir = try flags.folder(flag)
                default: throw BenchmarkError("unknown argument \(flag)")
                }
            }
        }
    }

    /// One call's figures in milliseconds.
    struct Sample {
        var wall: Double
        var model: Double
        var proxyTotal: Double
    }

    static func run(arguments: [String]) async throws {
        let options = try Options(arguments: arguments)
        try StackProcess.checkExecutables(in: options.binDir)
        let (file, extreme) = try scene(side: options.side)
        let stack = try await StackProcess.start(binDir: options.binDir, model: options.model, redisPort: nil)
        let cleanup = SignalCleanup { [stackPid = stack.pid] in kill(stackPid, SIGTERM) }
        let client = CurlClient(maxConcurrentRequests: 1)
        defer {
            client.shutdown()
            stack.stop()
            cleanup.cancel()
        }
        let data: [String: Any] = ["data": Data(file).base64EncodedString()]
        var body: [String: Any] = [
            "image": data, "extremePoints": extreme, "outputs": ["rle"],
            "clicks": [["x": Double(options.side) / 2, "y": Double(options.side) * 0.375, "positive": true]],
        ]
        let upload = try await call(client, stack, body)
        guard let imageId = upload.imageId else { throw BenchmarkError("the upload got no imageId") }
        let byData = try JSONSerialization.data(withJSONObject: body)
        body["image"] = ["id": imageId]
        let byId = try JSONSerialization.data(withJSONObject: body)

        say("hops: fewclick up from \(options.binDir.path), model \(options.model), \(options.calls) sequential calls per kind, one keep-alive connection")
        say("\n| call (request body) | n | wall p50 | p90 | model p50 | p90 | wall − model p50 | p90 | wall − proxy total p50 | p90 |")
        say("|---|---|---|---|---|---|---|---|---|---|")
        for (label, json) in [
            ("by id (\(byId.count) B)", byId),
            ("with image.data (\(options.side)×\(options.side * 3 / 4) JPEG, \(byData.count / 1024) KiB)", byData),
        ] {
            for _ in 0..<10 { _ = try await call(client, stack, json) }
            var samples: [Sample] = []
            for _ in 0..<options.calls { samples.append(try await call(client, stack, json).sample) }
            say(row(label, samples))
        }
    }

    /// The table row of one kind: p50 and p90 of each figure.
    static func row(_ label: String, _ samples: [Sample]) -> String {
        let columns: [[Double]] = [
            samples.map(\.wall), samples.map(\.model), samples.map { $0.wall - $0.model },
            samples.map { $0.wall - $0.proxyTotal },
        ]
        let cells = columns.flatMap { values -> [String] in
            let sorted = values.sorted()
            return [V2RoundTrip.fmt(V2RoundTrip.percentile(sorted, 0.5)), V2RoundTrip.fmt(V2RoundTrip.percentile(sorted, 0.9))]
        }
        return "| \(label) | \(samples.count) | " + cells.joined(separator: " | ") + " |"
    }

    static func call(_ client: CurlClient, _ stack: StackProcess, _ body: [String: Any]) async throws
        -> (sample: Sample, imageId: String?)
    {
        try await call(client, stack, try JSONSerialization.data(withJSONObject: body))
    }

    /// One `POST /v1/segment`; throws unless it is answered 200 with `timingsMs`.
    static func call(_ client: CurlClient, _ stack: StackProcess, _ body: Data) async throws
        -> (sample: Sample, imageId: String?)
    {
        let request = CurlRequest(
            method: "POST", url: stack.gatewayURL + "/v1/segment",
            headers: [HTTPHeaderField("Authorization", "Bearer \(stack.token)"), HTTPHeaderField("Content-Type", "application/json")],
            body: [UInt8](body), connectTimeout: .seconds(2), timeout: .seconds(35))
        let start = ContinuousClock.now
        let response = try await client.execute(request)
        let wall = (ContinuousClock.now - start).milliseconds
        let answer = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard response.status == 200, let timings = answer?["timingsMs"] as? [String: Any],
            let model = timings["model"] as? Double, let total = timings["total"] as? Double
        else {
            throw BenchmarkError("segment call answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        return (Sample(wall: wall, model: model, proxyTotal: total), answer?["imageId"] as? String)
    }

    /// A `side` × `side·3/4` JPEG of noise (so the file is not small) with a bright ellipse, and the
    /// ellipse's extreme points.
    static func scene(side: Int) throws -> ([UInt8], [[Double]]) {
        let width = side, height = side * 3 / 4
        let cx = Double(width) / 2, cy = Double(height) / 2, rx = Double(width) / 5, ry = Double(height) / 5
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let (x, y) = ((i / 3) % width, (i / 3) / width)
            let dx = (Double(x) + 0.5 - cx) / rx, dy = (Double(y) + 0.5 - cy) / ry
            pixels[i] = UInt8(truncatingIfNeeded: state >> 58) &+ (dx * dx + dy * dy <= 1 ? 180 : 30)
        }
        let file = try ImageFile.encodeJPEG(RGBImage(width: width, height: height, pixels: pixels))
        return (file, [[cx - rx + 1, cy], [cx + rx - 1, cy], [cx, cy - ry + 1], [cx, cy + ry - 1]])
    }
}
