import Evaluation
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageCodec
import Segmentation
import Synchronization
import Testing

/// A stand-in for the real gateway + proxy + endpoint, on loopback: `POST /v1/segment` per
/// README "API: `POST /v1/segment`", running `DiskBoxModel` through the same crop pipeline the in-process evaluation uses.
/// It can forget its images every `forgetEvery` requests, to exercise the client's 404 resend.
final class FakeGateway: Sendable {
    struct State {
        var images: [String: RGBImage] = [:]
        var nextId = 0
        var requests = 0
        var uploads = 0
    }
    let state = Mutex(State())
    let token: String
    let forgetEvery: Int?

    init(token: String, forgetEvery: Int? = nil) {
        self.token = token
        self.forgetEvery = forgetEvery
    }

    struct Body: Decodable {
        struct Image: Decodable { var data: String?; var id: String? }
        struct WireClick: Decodable { var x: Double; var y: Double; var positive: Bool }
        var image: Image
        var extremePoints: [[Double]]
        var clicks: [WireClick]?
        var previousMask: COCORLE?
    }
    struct Reply: Encodable {
        struct MaskBody: Encodable { var rle: COCORLE }
        var imageId: String
        var width: Int
        var height: Int
        var mask: MaskBody
    }

    static func error(_ status: HTTPResponse.Status, _ code: String) -> Response {
        let json = #"{"error":{"code":"\#(code)","message":"\#(code)"}}"#
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    func respond(_ request: Request) async throws -> Response {
        guard request.headers[.authorization] == "Bearer \(token)" else { return Self.error(.unauthorized, "unauthorized") }
        var request = request
        let buffer = try await request.collectBody(upTo: 10 << 20)
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer: buffer)), body.extremePoints.count == 4 else {
            return Self.error(.badRequest, "bad_request")
        }
        let (id, image): (String, RGBImage?) = state.withLock { s in
            s.requests += 1
            if let data = body.image.data, let bytes = Data(base64Encoded: data), let img = try? ImageFile.decodeRGB([UInt8](bytes)) {
                s.nextId += 1
                s.uploads += 1
                let id = "img-\(s.nextId)"
                s.images[id] = img
                return (id, img)
            }
            let id = body.image.id ?? ""
            return (id, s.images[id])
        }
        guard let image else { return Self.error(.notFound, "image_not_found") }
        let clicks = body.extremePoints.map { Click(x: $0[0], y: $0[1], kind: .extreme) }
            + (body.clicks ?? []).map { Click(x: $0.x, y: $0.y, kind: $0.positive ? .positive : .negative) }
        let previous = try body.previousMask.map { try Mask(cocoRLE: $0) }
        // Model work off the cooperative pool, as in the real services.
        let mask = try await withCheckedThrowingContinuation { (c: CheckedContinuation<Mask, any Error>) in
            DispatchQueue.global().async {
                c.resume(with: Result {
                    try InProcessSegmenter.predict(
                        model: DiskBoxModel(), settings: .default, image: image, clicks: clicks, previous: previous,
                        sessionKey: id).mask
                })
            }
        }
        state.withLock { s in
            if let k = forgetEvery, s.requests % k == 0 { s.images.removeAll() }
        }
        let reply = Reply(imageId: id, width: image.width, height: image.height, mask: .init(rle: mask.cocoRLE()))
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(reply))))
    }

    /// Runs the fake on 127.0.0.1, port 0, for the duration of `body`, which gets its base URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/segment") { request, _ in try await self.respond(request) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body("http://127.0.0.1:\(port)")
        }
    }
}

@Suite("Gateway mode and load test against a fake gateway on loopback")
struct GatewayModeTests {
    @Test("gateway evaluation gives exactly the in-process results, also when images are evicted")
    func gatewayMatchesInProcess() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        let options = EvaluationOptions(proto: .extreme, maxClicks: 5, seed: 3, jobs: 2)
        let local = try await Evaluator.run(dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()), options: options)
        for forget in [nil, 3] as [Int?] {
            let fake = FakeGateway(token: "t0k", forgetEvery: forget)
            let remote = try await fake.run { url in
                let client = GatewayClient(baseURL: url, token: "t0k", maxConcurrentRequests: 4)
                defer { client.shutdown() }
                return try await Evaluator.run(
                    dataset: dataset, segmenter: GatewaySegmenter(client: client), options: options, decodeImages: false)
            }
            #expect(remote.instances.map(\.iou) == local.instances.map(\.iou))
            #expect(remote.instances.map(\.clicks) == local.instances.map(\.clicks))
            let uploads = fake.state.withLock { $0.uploads }
            if forget == nil {
                #expect(uploads == dataset.instances.count)
            } else {
                #expect(uploads > dataset.instances.count)
            }
        }
    }

    @Test("a rejected token fails the evaluation with the gateway's status and code")
    func unauthorized() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        let fake = FakeGateway(token: "right")
        try await fake.run { url in
            let client = GatewayClient(baseURL: url + "/", token: "wrong")
            defer { client.shutdown() }
            await #expect {
                _ = try await Evaluator.run(
                    dataset: dataset, segmenter: GatewaySegmenter(client: client), options: EvaluationOptions(limit: 1, jobs: 1),
                    decodeImages: false)
            } throws: { e in
                let g = (e as? InstanceFailure)?.underlying as? GatewayError
                return g?.status == 401 && g?.code == "unauthorized"
            }
        }
    }

    @Test("closed-loop load test: bounded by sessions, every request accounted for")
    func closedLoop() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let objects = try await LoadTest.loadObjects(try EvaluationDataset(contentsOf: dir), limit: 10)
        #expect(objects.count == 5)
        let fake = FakeGateway(token: "t")
        let report = try await fake.run { url in
            let client = GatewayClient(baseURL: url, token: "t")
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
        #expect(report.requests == fake.state.withLock { $0.requests })
        #expect(fake.state.withLock { $0.uploads } == 7)
    }

    @Test("open-loop load test and error accounting by status")
    func openLoopAndErrors() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let objects = try await LoadTest.loadObjects(try EvaluationDataset(contentsOf: dir), limit: 10)
        let fake = FakeGateway(token: "t")
        let (open, denied) = try await fake.run { url in
            let good = GatewayClient(baseURL: url, token: "t")
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
        #expect(denied.errors == ["401 unauthorized": 3])
        #expect(denied.sessionsCompleted == 0)
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
