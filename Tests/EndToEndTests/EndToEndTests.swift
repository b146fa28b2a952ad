import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import ImageCodec
import Testing

/// The three real executables on free loopback ports, wired together, and a client for the gateway.
final class Stack: Sendable {
    static let origin = "https://label.example.org"

    let folder: URL
    let secret: String
    let endpoint: ServiceProcess
    let proxy: ServiceProcess
    let gateway: ServiceProcess
    let client = CurlClient(maxConcurrentRequests: 4)

    var segmentURL: String { gateway.baseURL + "/v1/segment" }

    /// Starts endpoint, proxy and gateway (in that order, each on port 0, each waited for).
    ///
    /// - Parameter endpointArguments: extra `endpoint serve` arguments (e.g. `--model clicknet`).
    /// - Parameter proxyArguments: extra `proxy serve` arguments; `gatewayArguments`: extra `gateway serve` ones.
    static func start(
        folder: URL, endpointArguments: [String] = [], proxyArguments: [String] = [], gatewayArguments: [String] = []
    ) async throws -> Stack {
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let endpoint = try await ServiceProcess.start(
            "endpoint", in: folder,
            arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"] + endpointArguments)
        do {
            // The endpoint listens before its model has loaded (clicknet takes a while on a loaded machine).
            try await waitUntilReady(endpoint.baseURL + "/ping")
            let proxy = try await ServiceProcess.start(
                "proxy", in: folder,
                arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--endpoint-url", endpoint.baseURL] + proxyArguments)
            do {
                let gateway = try await ServiceProcess.start(
                    "gateway", in: folder,
                    arguments: ["serve", "--port", "0", "--proxy-url", proxy.baseURL, "--cors-origin", origin] + gatewayArguments,
                    environment: ["FEWCLICK_JWT_SECRET": secret])
                return Stack(folder: folder, secret: secret, endpoint: endpoint, proxy: proxy, gateway: gateway)
            } catch {
                await proxy.stop()
                throw error
            }
        } catch {
            await endpoint.stop()
            throw error
        }
    }

    /// Polls `url` (every 50 ms, for at most 30 s) until it answers 200.
    static func waitUntilReady(_ url: String) async throws {
        let client = CurlClient(maxConcurrentRequests: 1)
        defer { client.shutdown() }
        for _ in 0..<600 {
            if (try? await client.execute(CurlRequest(method: "GET", url: url)).status) == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServiceError("\(url) did not answer 200 within 30 s")
    }

    private init(folder: URL, secret: String, endpoint: ServiceProcess, proxy: ServiceProcess, gateway: ServiceProcess) {
        self.folder = folder
        self.secret = secret
        self.endpoint = endpoint
        self.proxy = proxy
        self.gateway = gateway
    }

    /// Stops all three (gateway first) by PID and closes the client.
    func stop() async {
        await gateway.stop()
        await proxy.stop()
        await endpoint.stop()
        client.shutdown()
    }

    /// A token from `gateway token issue` (the CLI under test), signed with `secret` (default: the stack's).
    func token(subject: String = "e2e", scope: String = "segment", ttl: String = "1h", issuedAt: Int64? = nil,
               secret: String? = nil) async throws -> String {
        let process = Process()
        process.executableURL = folder.appending(path: "gateway")
        var arguments = ["token", "issue", "--subject", subject, "--ttl", ttl, "--scope", scope]
        if let issuedAt { arguments += ["--issued-at", String(issuedAt)] }
        process.arguments = arguments
        process.environment = ["FEWCLICK_JWT_SECRET": secret ?? self.secret]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let handle = output.fileHandleForReading
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        guard process.terminationStatus == 0 else { throw ServiceError("gateway token issue failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `POST /v1/segment` through the gateway.
    func segment(
        _ body: [UInt8], token: String?, contentType: String = "application/json", headers: [HTTPHeaderField] = [],
        method: String = "POST", url: String? = nil
    ) async throws -> CurlResponse {
        var fields = headers + [HTTPHeaderField("Content-Type", contentType), HTTPHeaderField("Origin", Self.origin)]
        if let token { fields.append(HTTPHeaderField("Authorization", "Bearer \(token)")) }
        return try await client.execute(
            CurlRequest(method: method, url: url ?? segmentURL, headers: fields, body: body, timeout: .seconds(60)))
    }
}

extension CurlResponse {
    /// The JSON error code of an error response, or nil.
    var errorCode: String? { (try? JSONDecoder().decode(ErrorResponseBody.self, from: Data(body)))?.error.code.rawValue }
    var text: String { String(decoding: body.prefix(500), as: UTF8.self) }
}

@Suite("End to end: gateway → proxy → endpoint", .serialized)
struct EndToEndTests {
    static let folder = ServiceProcess.executableFolder()

    @Test(
        "segment by data and by id, every error path, and token refusals, through the real executables",
        .enabled(if: folder != nil, "endpoint/proxy/gateway executables not built next to the test bundle (run swift build)"))
    func fullStack() async throws {
        let stack = try await Stack.start(folder: try #require(Self.folder))
        do {
            try await exercise(stack)
        } catch {
            Issue.record("gateway log:\n\(stack.gateway.outputText.suffix(3000))\nproxy log:\n\(stack.proxy.outputText.suffix(3000))")
            await stack.stop()
            throw error
        }
        await stack.stop()
        #expect(!stack.gateway.isRunning && !stack.proxy.isRunning && !stack.endpoint.isRunning)
        // Logs never carry tokens or image bytes.
        let logs = stack.gateway.outputText + stack.proxy.outputText
        #expect(!logs.contains("eyJ"), "a token (or base64 JSON) appeared in the logs")
        #expect(!logs.contains("iVBORw0KGgo"), "PNG bytes appeared in the logs")
    }

    @Test(
        "the learned models (clicknet, clicknet-graphcut) answer first masks and corrective clicks through the real executables",
        .enabled(if: folder != nil, "endpoint/proxy/gateway executables not built next to the test bundle (run swift build)"),
        arguments: ["clicknet", "clicknet-graphcut"])
    func learnedModels(model: String) async throws {
        let stack = try await Stack.start(folder: try #require(Self.folder), endpointArguments: ["--model", model])
        do {
            let scene = try Scene.disk()
            let token = try await stack.token()
            let first = try await stack.segment(
                Body.json(["image": ["data": Data(scene.png).base64EncodedString()], "extremePoints": scene.extremePoints]),
                token: token)
            try #require(first.status == 200, "first call: \(first.status) \(first.text)")
            let answer = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(first.body))
            #expect(answer.model.name == model)
            let rle = try #require(answer.mask.rle)
            #expect(try Mask(cocoRLE: rle).iou(scene.truth) > 0.85)
            let second = try await stack.segment(
                Body.json([
                    "image": ["id": answer.imageId], "extremePoints": scene.extremePoints,
                    "clicks": [["x": 5, "y": 5, "positive": false]],
                    "previousMask": ["size": rle.size, "counts": rle.counts],
                ]), token: token)
            try #require(second.status == 200, "corrective call: \(second.status) \(second.text)")
            let refined = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(second.body))
            #expect(try Mask(cocoRLE: try #require(refined.mask.rle)).iou(scene.truth) > 0.85)
        } catch {
            Issue.record("endpoint log:\n\(stack.endpoint.outputText.suffix(3000))")
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    func exercise(_ stack: Stack) async throws {
        let scene = try Scene.disk()
        let token = try await stack.token()

        // (a) A generated image sent as data; ask for every encoding, exact polygons.
        let first = try await stack.segment(
            Body.json([
                "image": ["data": Data(scene.png).base64EncodedString()], "extremePoints": scene.extremePoints,
                "outputs": ["rle", "polygons", "png"], "polygonTolerance": 0,
            ]), token: token, headers: [HTTPHeaderField("X-Request-Id", "e2e-first")])
        try #require(first.status == 200, "first call: \(first.status) \(first.text)")
        #expect(first.header("X-Request-Id") == "e2e-first")
        #expect(first.header("Access-Control-Allow-Origin") == Stack.origin)
        let answer = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(first.body))
        #expect(answer.imageId.hasPrefix("sha256:") && answer.imageId.count == 71)
        #expect(answer.width == scene.image.width && answer.height == scene.image.height)
        #expect(answer.timingsMs.model >= 0 && answer.timingsMs.total >= answer.timingsMs.model)

        // The RLE, the polygons and the PNG describe the same mask, with the stated area and box.
        let rle = try #require(answer.mask.rle)
        let fromRLE = try Mask(cocoRLE: rle)
        let pngText = try #require(answer.mask.png)
        let png = try #require(Data(base64Encoded: pngText))
        let gray = try ImageFile.decodeGray(Array(png))
        #expect(Set(gray.pixels).isSubset(of: [0, 255]), "PNG is not 0/255")
        let fromPNG = Mask(thresholding: gray)
        let polygons = try #require(answer.mask.polygons).compactMap(MaskPolygon.init(flatRings:))
        let fromPolygons = Mask(rasterizing: polygons, width: answer.width, height: answer.height)
        #expect(fromRLE.width == answer.width && fromRLE.height == answer.height)
        #expect(fromRLE == fromPNG, "RLE and PNG differ in \(fromRLE.differences(from: fromPNG)) pixels")
        #expect(fromRLE == fromPolygons, "RLE and polygons differ in \(fromRLE.differences(from: fromPolygons)) pixels")
        #expect(answer.mask.area == fromRLE.area)
        if let box = fromRLE.boundingBox {
            #expect(answer.mask.bbox == [box.x0, box.y0, box.width, box.height])
        }
        // And it is the disk.
        let iou = fromRLE.iou(scene.truth)
        #expect(iou > 0.85, "IoU with the generated disk is \(iou): area \(fromRLE.area) vs \(scene.truth.area), box \(String(describing: fromRLE.boundingBox)) vs \(String(describing: scene.truth.boundingBox)), points \(scene.extremePoints)")

        // (b) Again by imageId, with a corrective click and the previous mask; default outputs.
        let second = try await stack.segment(
            Body.json([
                "image": ["id": answer.imageId], "extremePoints": scene.extremePoints,
                "clicks": [["x": 84, "y": 58, "positive": true], ["x": 5, "y": 5, "positive": false]],
                "previousMask": ["size": answer.mask.rle!.size, "counts": answer.mask.rle!.counts],
            ]), token: token)
        try #require(second.status == 200, "by-id call: \(second.status) \(second.text)")
        let byID = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(second.body))
        #expect(byID.imageId == answer.imageId)
        #expect(byID.mask.rle != nil && byID.mask.polygons != nil && byID.mask.png == nil)
        let secondRLE = try #require(byID.mask.rle)
        #expect(try Mask(cocoRLE: secondRLE).iou(scene.truth) > 0.85)
        #expect(second.header("X-Request-Id") != nil)

        try await errorPaths(stack, token: token, scene: scene, imageId: answer.imageId)
        try await tokenRefusals(stack, scene: scene, imageId: answer.imageId)

        // Model down: stop the endpoint; the proxy answers 503 model_unavailable.
        await stack.endpoint.stop()
        let down = try await stack.segment(
            Body.json(["image": ["id": answer.imageId], "extremePoints": scene.extremePoints]), token: token)
        #expect(down.status == 503 && down.errorCode == "model_unavailable", "\(down.status) \(down.text)")
    }

    /// (c) Every error path of the API, through the gateway, with its status and code.
    func errorPaths(_ stack: Stack, token: String, scene: Scene, imageId: String) async throws {
        let data = Data(scene.png).base64EncodedString()
        let points = scene.extremePoints
        let unknownID = "sha256:" + String(repeating: "ab", count: 32)
        let rle = scene.truth.cocoRLE()
        let cases: [(name: String, body: [UInt8], contentType: String, status: Int, code: String)] = [
            ("not JSON", Array("{not json".utf8), "application/json", 400, "invalid_json"),
            ("JSON array", Array("[1,2]".utf8), "application/json", 400, "invalid_json"),
            ("wrong type", try Body.json(["image": ["data": data], "extremePoints": "four"]), "application/json", 400, "invalid_request"),
            ("bad base64", try Body.json(["image": ["data": "%%%not base64%%%"], "extremePoints": points]), "application/json", 400, "invalid_base64"),
            ("not an image", try Body.json(["image": ["data": Data("hello, world".utf8).base64EncodedString()], "extremePoints": points]), "application/json", 415, "unsupported_image_format"),
            ("text/plain", try Body.json(["image": ["id": imageId], "extremePoints": points]), "text/plain", 415, "unsupported_media_type"),
            ("no image", try Body.json(["extremePoints": points]), "application/json", 422, "missing_image"),
            ("two images", try Body.json(["image": ["data": data, "id": imageId], "extremePoints": points]), "application/json", 422, "ambiguous_image"),
            ("url", try Body.json(["image": ["url": "https://example.com/a.jpg"], "extremePoints": points]), "application/json", 422, "url_not_enabled"),
            ("bad id", try Body.json(["image": ["id": "sha1:abc"], "extremePoints": points]), "application/json", 422, "invalid_image_id"),
            ("unknown id", try Body.json(["image": ["id": unknownID], "extremePoints": points]), "application/json", 404, "image_not_found"),
            ("3 extreme points", try Body.json(["image": ["id": imageId], "extremePoints": Array(points.prefix(3))]), "application/json", 422, "invalid_extreme_points"),
            ("point outside", try Body.json(["image": ["id": imageId], "extremePoints": [[0, 0], [500, 10], [5, 5], [6, 6]]]), "application/json", 422, "extreme_point_outside_image"),
            ("click outside", try Body.json(["image": ["id": imageId], "extremePoints": points, "clicks": [["x": -1, "y": 4, "positive": true]]]), "application/json", 422, "click_outside_image"),
            ("101 clicks", try Body.json(["image": ["id": imageId], "extremePoints": points, "clicks": Array(repeating: ["x": 80, "y": 60, "positive": true], count: 101)]), "application/json", 422, "too_many_clicks"),
            ("unknown output", try Body.json(["image": ["id": imageId], "extremePoints": points, "outputs": ["svg"]]), "application/json", 422, "unknown_output"),
            ("negative tolerance", try Body.json(["image": ["id": imageId], "extremePoints": points, "polygonTolerance": -1]), "application/json", 422, "invalid_polygon_tolerance"),
            ("mask size", try Body.json(["image": ["id": imageId], "extremePoints": points, "previousMask": ["size": [10, 10], "counts": Mask(width: 10, height: 10).cocoRLE().counts]]), "application/json", 422, "previous_mask_size_mismatch"),
            ("bad mask", try Body.json(["image": ["id": imageId], "extremePoints": points, "previousMask": ["size": rle.size, "counts": "!!!!"]]), "application/json", 422, "invalid_previous_mask"),
        ]
        for test in cases {
            let response = try await stack.segment(test.body, token: token, contentType: test.contentType)
            #expect(response.status == test.status, "\(test.name): \(response.status) \(response.text)")
            #expect(response.errorCode == test.code, "\(test.name): \(response.text)")
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true, "\(test.name)")
            #expect(response.header("Access-Control-Allow-Origin") == Stack.origin, "\(test.name)")
        }

        // Over the proxy's 6 MB Lambda payload limit, under the gateway's 10 MB: 413 from the Invoke API.
        let seven = try Body.json(["image": ["data": String(repeating: "A", count: 7 << 20)], "extremePoints": points])
        let overLambda = try await stack.segment(seven, token: token)
        #expect(overLambda.status == 413 && overLambda.errorCode == "payload_too_large", "\(overLambda.status) \(overLambda.text)")
        // Over the gateway's 10 MB API limit.
        let eleven = [UInt8](repeating: 0x20, count: 10 * 1024 * 1024 + 1)
        let overAPI = try await stack.segment(eleven, token: token)
        #expect(overAPI.status == 413 && overAPI.errorCode == "payload_too_large", "\(overAPI.status) \(overAPI.text)")

        // Routes: another method, another path, a CORS preflight (no token needed), health.
        let get = try await stack.segment([], token: token, method: "GET")
        #expect(get.status == 405 && get.errorCode == "method_not_allowed")
        let elsewhere = try await stack.segment([], token: token, url: stack.gateway.baseURL + "/v2/segment")
        #expect(elsewhere.status == 404 && elsewhere.errorCode == "not_found")
        let preflight = try await stack.client.execute(CurlRequest(
            method: "OPTIONS", url: stack.segmentURL,
            headers: [HTTPHeaderField("Origin", Stack.origin), HTTPHeaderField("Access-Control-Request-Method", "POST"),
                      HTTPHeaderField("Access-Control-Request-Headers", "authorization,content-type")]))
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == Stack.origin)
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
        let health = try await stack.client.execute(CurlRequest(url: stack.gateway.baseURL + "/healthz"))
        #expect(health.status == 200)
    }

    /// (d) 401/403 for missing, malformed, expired, wrong-signature and wrong-scope tokens.
    func tokenRefusals(_ stack: Stack, scene: Scene, imageId: String) async throws {
        let body = try Body.json(["image": ["id": imageId], "extremePoints": scene.extremePoints])
        let otherSecret = String(repeating: "0f", count: 32)
        let twoHoursAgo = Int64(Date().timeIntervalSince1970) - 7200
        let cases: [(name: String, token: String?, status: Int, challenge: String)] = [
            ("missing", nil, 401, "Bearer realm=\"fewclick\""),
            ("malformed", "not.a.jwt", 401, "error=\"invalid_token\""),
            ("expired", try await stack.token(ttl: "1h", issuedAt: twoHoursAgo), 401, "error=\"invalid_token\""),
            ("wrong signature", try await stack.token(secret: otherSecret), 401, "error=\"invalid_token\""),
            ("wrong scope", try await stack.token(scope: "read"), 403, "error=\"insufficient_scope\""),
        ]
        for test in cases {
            let response = try await stack.segment(body, token: test.token)
            #expect(response.status == test.status, "\(test.name): \(response.status) \(response.text)")
            let challenge = response.header("WWW-Authenticate") ?? ""
            #expect(challenge.contains(test.challenge), "\(test.name): \(challenge)")
            if test.token == nil { #expect(!challenge.contains("error=")) }
            #expect(response.errorCode != nil, "\(test.name): \(response.text)")
            #expect(response.header("Access-Control-Allow-Origin") == Stack.origin, "\(test.name)")
        }
    }
}
