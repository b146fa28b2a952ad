import Evaluation
import FewClickAPI
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageCodec
import Proxy
import Segmentation
import Synchronization
import Testing

@Suite("Gateway mode and load test against the real gateway + proxy + endpoint on loopback")
struct GatewayModeTests {
    @Test("gateway evaluation gives exactly the in-process results, also when the proxy keeps no image")
    func gatewayMatchesInProcess() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        let options = EvaluationOptions(proto: .extreme, maxClicks: 5, seed: 3, jobs: 2)
        let local = try await Evaluator.run(dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()), options: options)
        // Cache capacity 0: every call by image id is a 404 image_not_found that the client resends.
        for cacheBytes in [256 << 20, 0] {
            let remote = try await LiveStack.run(model: DiskBoxModel(), configureProxy: { $0.imageCacheBytes = cacheBytes }) {
                url, token in
                let client = GatewayClient(baseURL: url, token: token, maxConcurrentRequests: 4)
                defer { client.shutdown() }
                return try await Evaluator.run(
                    dataset: dataset, segmenter: GatewaySegmenter(client: client), options: options, decodeImages: false)
            }
            #expect(remote.instances.map(\.iou) == local.instances.map(\.iou), "cache \(cacheBytes) bytes")
            #expect(remote.instances.map(\.clicks) == local.instances.map(\.clicks), "cache \(cacheBytes) bytes")
        }
    }

    @Test("an object session uploads once, then sends the image id; a 404 from an empty cache resends the bytes once")
    func objectSession() async throws {
        let rgb = RGBImage(width: 40, height: 30, pixels: (0..<3600).map { UInt8($0 % 251) })
        let png = try ImageFile.encodePNG(rgb)
        let first = [Click(x: 10, y: 8, kind: .extreme), Click(x: 30, y: 12, kind: .extreme),
                     Click(x: 20, y: 4, kind: .extreme), Click(x: 18, y: 24, kind: .extreme)]
        let second = first + [Click(x: 14, y: 14, kind: .negative)]
        // What the deployed stack must return: the proxy's pipeline with the same model, in-process.
        let expected1 = try InProcessSegmenter.predict(
            model: DiskBoxModel(), settings: .default, image: rgb, clicks: first, previous: nil, sessionKey: nil).mask
        let expected2 = try InProcessSegmenter.predict(
            model: DiskBoxModel(), settings: .default, image: rgb, clicks: second, previous: expected1, sessionKey: nil).mask
        #expect(expected1 != expected2, "the negative click changes the mask")
        for (cacheBytes, resends) in [(256 << 20, 0), (0, 1)] {
            let (mask1, mask2, counted) = try await LiveStack.run(
                model: DiskBoxModel(), configureProxy: { $0.imageCacheBytes = cacheBytes }
            ) { url, token in
                let client = GatewayClient(baseURL: url, token: token)
                defer { client.shutdown() }
                let session = GatewayObjectSession(client: client, imageBytes: png)
                let mask1 = try await session.predict(clicks: first).mask
                let mask2 = try await session.predict(clicks: second).mask
                return (mask1, mask2, session.resends)
            }
            #expect(counted == resends, "cache \(cacheBytes) bytes")
            #expect(mask1 == expected1, "cache \(cacheBytes) bytes")
            #expect(mask2 == expected2, "cache \(cacheBytes) bytes")
        }
    }

    @Test("a rejected token fails the evaluation with the gateway's status and code")
    func unauthorized() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        try await LiveStack.run(model: DiskBoxModel()) { url, _ in
            let client = GatewayClient(baseURL: url + "/", token: "wrong")
            defer { client.shutdown() }
            await #expect {
                _ = try await Evaluator.run(
                    dataset: dataset, segmenter: GatewaySegmenter(client: client), options: EvaluationOptions(limit: 1, jobs: 1),
                    decodeImages: false)
            } throws: { e in
                let g = (e as? InstanceFailure)?.underlying as? GatewayClientError
                return g?.status == 401 && g?.code == .invalidToken
            }
        }
    }

    @Test("closed-loop load test: bounded by sessions, every request accounted for")
    func closedLoop() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let objects = try await LoadTest.loadObjects(try EvaluationDataset(contentsOf: dir), limit: 10)
        #expect(objects.count == 5)
        let report = try await LiveStack.run(model: DiskBoxModel()) { url, token in
            let client = GatewayClient(baseURL: url, token: token)
            defer { client.shutdown() }
            return await LoadTest.run(
                client: client, objects: objects,
                options: LoadTestOptions(mode: .closedLoop(concurrency: 3), duration: .seconds(120), sessions: 7, correctiveClicks: 2))
        }
        #expect(report.sessionsStarted == 7)
        #expect(report.sessionsCompleted == 7)
        #expect(report.errors.isEmpty)
        #expect(report.firstMask.count == 7)
        #expect(report.clicks.count > 0 && report.clicks.count <= 14)
        #expect(report.requests == report.firstMask.count + report.clicks.count)
        #expect(report.resends == 0)
    }

    @Test("open-loop load test and error accounting by status")
    func openLoopAndErrors() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let objects = try await LoadTest.loadObjects(try EvaluationDataset(contentsOf: dir), limit: 10)
        let (open, denied) = try await LiveStack.run(model: DiskBoxModel()) { url, token in
            let good = GatewayClient(baseURL: url, token: token)
            let bad = GatewayClient(baseURL: url, token: "nope")
            defer { good.shutdown(); bad.shutdown() }
            let open = await LoadTest.run(
                client: good, objects: objects,
                options: LoadTestOptions(mode: .openLoop(requestsPerSecond: 400, maxInFlight: 8), duration: nil, sessions: 4, correctiveClicks: 1))
            let denied = await LoadTest.run(
                client: bad, objects: objects,
                options: LoadTestOptions(mode: .closedLoop(concurrency: 2), duration: nil, sessions: 3, correctiveClicks: 1))
            return (open, denied)
        }
        #expect(open.mode == "open")
        #expect(open.sessionsStarted == 4 && open.sessionsCompleted == 4)
        #expect(open.firstMask.count == 4)
        #expect(open.errors.isEmpty)
        #expect(denied.requests == 0)
        #expect(denied.errors == ["401 invalid_token": 3])
        #expect(denied.sessionsCompleted == 0)
    }
}

/// A gateway stand-in on loopback for the answers the real stack does not give on demand: an error
/// without the API's body (what API Gateway itself answers when the function fails), an answer
/// that is not a ``SegmentResponseBody``, and a 404 `image_not_found` for an id it was just given.
/// Its bodies are FewClickAPI's types, encoded as the proxy encodes them.
final class ScriptedGateway: Sendable {
    /// Each request's answer: status and body bytes.
    let answers: Mutex<[(Int, [UInt8])]>
    /// The request bodies received, decoded.
    let received = Mutex<[SegmentRequestBody]>([])

    init(_ answers: [(Int, [UInt8])]) { self.answers = Mutex(answers) }

    /// A successful answer for a `width` × `height` image whose mask is the box `x0..<x1`, `y0..<y1`.
    static func answer(width: Int, height: Int, box: (Int, Int, Int, Int)) throws -> [UInt8] {
        var mask = Mask(width: width, height: height)
        for y in box.1..<box.3 { for x in box.0..<box.2 { mask[x, y] = true } }
        return try APIJSON.encode(SegmentResponseBody(
            imageId: ImageID.make(sha256Digest: [UInt8](repeating: 7, count: 32)), width: width, height: height,
            mask: .init(rle: mask.cocoRLE(), polygons: nil, png: nil, bbox: [box.0, box.1, box.2 - box.0, box.3 - box.1], area: mask.area),
            model: .init(name: "scripted", version: "1"),
            timingsMs: .init(decode: 0, preprocess: 0, model: 0, postprocess: 0, total: 0)))
    }

    /// Runs on 127.0.0.1, port 0, for the duration of `body`, which gets the base URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/segment") { request, _ in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20)
            if let decoded = try? JSONDecoder().decode(SegmentRequestBody.self, from: Data(buffer: bytes)) {
                self.received.withLock { $0.append(decoded) }
            }
            let (status, answer) = self.answers.withLock { $0.isEmpty ? (500, []) : $0.removeFirst() }
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(try #require(client.port))") }
    }
}

@Suite("Gateway client error paths against a scripted gateway")
struct GatewayClientErrorTests {
    let clicks = [Click(x: 2, y: 2, kind: .extreme), Click(x: 8, y: 2, kind: .extreme),
                  Click(x: 5, y: 1, kind: .extreme), Click(x: 5, y: 7, kind: .extreme)]

    @Test("an error without the API's body is http_<status> with the body's start; an unreadable 200 is bad_response")
    func unreadableAnswers() async throws {
        let gateway = ScriptedGateway([
            (502, Array(#"{"message":"Internal server error"}"#.utf8)),
            (200, Array(#"{"imageId":"sha256:00"}"#.utf8)),
            (429, ErrorResponseBody(code: .throttled, message: "slow down").json),
        ])
        let errors = try await gateway.run { url in
            let client = GatewayClient(baseURL: url, token: "t")
            defer { client.shutdown() }
            var errors: [GatewayClientError] = []
            for _ in 0..<3 {
                do throws(GatewayClientError) {
                    _ = try await client.segment(SegmentRequestBody(image: .init(fileBytes: [1, 2, 3]), clicks: clicks, previousMask: nil))
                    Issue.record("an error answer was accepted")
                } catch { errors.append(error) }
            }
            return errors
        }
        #expect(errors.map(\.status) == [502, 200, 429])
        #expect(errors.map(\.code) == ["http_502", "bad_response", APIErrorCode.throttled])
        #expect(errors[0].message == #"{"message":"Internal server error"}"#)
        #expect(errors[2].message == "slow down")
        // What the client sent: FewClickAPI's request body, the image as base64 data, RLE only.
        let sent = try #require(gateway.received.withLock { $0.first })
        #expect(sent.image == .init(data: "AQID"))
        #expect(sent.extremePoints?.count == 4 && sent.clicks == [] && sent.outputs == ["rle"] && sent.suggest == nil)
    }

    @Test("a 404 image_not_found for a known id resends the bytes once; an RLE of the wrong size is bad_response")
    func resendAndSizeCheck() async throws {
        let ok = try ScriptedGateway.answer(width: 10, height: 8, box: (2, 1, 9, 8))
        let gateway = ScriptedGateway([
            (200, ok),
            (404, ErrorResponseBody(code: .imageNotFound, message: "evicted").json),
            (200, ok),
            (200, try ScriptedGateway.answer(width: 10, height: 8, box: (2, 1, 9, 8)).replacingWidth(12)),
        ])
        let (resends, sizeError) = try await gateway.run { url in
            let client = GatewayClient(baseURL: url, token: "t")
            defer { client.shutdown() }
            let session = GatewayObjectSession(client: client, imageBytes: [9, 9, 9])
            let first = try await session.predict(clicks: clicks)
            #expect(first.mask.area == 7 * 7)
            _ = try await session.predict(clicks: clicks + [Click(x: 3, y: 3, kind: .negative)])
            var sizeError: GatewayClientError?
            do throws(GatewayClientError) { _ = try await session.predict(clicks: clicks) } catch { sizeError = error }
            return (session.resends, sizeError)
        }
        #expect(resends == 1)
        #expect(sizeError?.status == 200 && sizeError?.code == "bad_response")
        let images = gateway.received.withLock { $0.map(\.image) }
        let data = SegmentRequestBody.Image(fileBytes: [9, 9, 9])
        let id = SegmentRequestBody.Image(id: ImageID.make(sha256Digest: [UInt8](repeating: 7, count: 32)))
        #expect(images == [data, id, data, id])
    }
}

extension Array where Element == UInt8 {
    /// This JSON answer with `"width":12` instead of its width (an RLE of another size than stated).
    fileprivate func replacingWidth(_ width: Int) -> [UInt8] {
        let text = String(decoding: self, as: UTF8.self)
        return Array(text.replacingOccurrences(of: #""width":10"#, with: "\"width\":\(width)").utf8)
    }
}

@Suite("Load-test pieces")
struct LoadTestPieceTests {
    @Test("open-loop schedule spaces sessions evenly for the request rate")
    func schedule() {
        let s = OpenLoopSchedule(requestsPerSecond: 60, requestsPerSession: 6)
        #expect(s.sessionsPerSecond == 10)
        #expect(s.start(ofSession: 0) == .zero)
        #expect(s.start(ofSession: 1) == .milliseconds(100))
        #expect(s.start(ofSession: 25) == .milliseconds(2500))
        #expect(s.sessions(within: .seconds(1)) == 10)
        #expect(s.sessions(within: .milliseconds(1050)) == 11)
    }

    @Test("labeler script: first mask, corrective clicks, done when the count is reached or nothing is left")
    func script() throws {
        let gt = rectMask(20, 20, [(4, 4, 16, 16)])
        let object = BenchObject(id: "sq", imageBytes: [], groundTruth: gt)
        var s = try #require(LabelerScript(object: object, correctiveClicks: 2, seed: 0))
        #expect(s.state == .firstMask)
        #expect(s.clicks.count == 4 && s.clicks.allSatisfy { $0.kind == .extreme })
        let empty = Mask(width: 20, height: 20)
        let first = s.advance(after: empty)
        #expect(first)
        #expect(s.state == .corrective(1))
        #expect(s.clicks.last == Click(x: 9.5, y: 9.5, kind: .positive))
        let second = s.advance(after: empty)
        #expect(second)
        #expect(s.state == .corrective(2))
        let third = s.advance(after: empty)
        #expect(!third)
        #expect(s.state == .done)
        #expect(s.clicks.count == 6)
        var perfect = try #require(LabelerScript(object: object, correctiveClicks: 5, seed: 0))
        let more = perfect.advance(after: gt)
        #expect(!more)
        #expect(perfect.state == .done)
        #expect(LabelerScript(object: BenchObject(id: "e", imageBytes: [], groundTruth: empty), correctiveClicks: 1, seed: 0) == nil)
    }

    @Test("test lengths parse with units and reject nonsense")
    func durations() {
        #expect(LoadTestOptions.parseDuration("60s") == .seconds(60))
        #expect(LoadTestOptions.parseDuration("500ms") == .milliseconds(500))
        #expect(LoadTestOptions.parseDuration("2m") == .seconds(120))
        #expect(LoadTestOptions.parseDuration("1.5") == .milliseconds(1500))
        #expect(LoadTestOptions.parseDuration("1h") == .seconds(3600))
        #expect(LoadTestOptions.parseDuration("0s") == nil)
        #expect(LoadTestOptions.parseDuration("-3s") == nil)
        #expect(LoadTestOptions.parseDuration("2d") == nil)
        #expect(LoadTestOptions.parseDuration("fast") == nil)
        #expect(LoadTestOptions.parseDuration("25h") == nil)
    }

    @Test("latency histogram merges and summarises in ms")
    func histogram() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        for v in 1...100 { a.record(.milliseconds(v)) }
        for _ in 1...100 { b.record(microseconds: 0) }
        a.add(b)
        let s = a.summary
        #expect(s.count == 200)
        #expect(s.p50 < 0.01)
        #expect(abs(s.p90 - 80) < 0.1)
        #expect(abs(s.max - 100) < 0.1)
    }
}
