import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageCodec
import LambdaKit
import Logging
import Proxy
import Segmentation
import Testing

@Suite("Proxy handler against a real endpoint (box model, in-process)")
struct ProxyHandlerTests {
    @Test("segment by data, then by id with clicks; RLE, polygons and PNG describe the same mask")
    func segmentDataThenID() async throws {
        try await ProxyFixture.withEndpoint { url in
            let function = ProxyFixture.function(endpoint: url)
            defer { function.shutdown() }
            let png = try ProxyFixture.png()
            let first = SegmentRequestBody(
                image: .init(data: Data(png).base64EncodedString()), extremePoints: ProxyFixture.extremePoints,
                outputs: ["rle", "polygons", "png"], polygonTolerance: 0)
            let response = try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(first)))
            #expect(response.statusCode == 200)
            #expect(response.headers?["Access-Control-Allow-Origin"] == "*")
            #expect(response.headers?["Content-Type"] == "application/json")
            let body = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(try response.bodyBytes()))
            #expect(body.imageId == ImageCache.imageID(of: png))
            #expect(body.width == 96 && body.height == 64)
            #expect(body.model.name == "box")
            #expect(body.timingsMs.total >= body.timingsMs.decode)

            // The three encodings agree.
            let rle = try #require(body.mask.rle)
            let fromRLE = try Mask(cocoRLE: rle)
            let flat = try #require(body.mask.polygons)
            let parts = flat.compactMap { MaskPolygon(flatRings: $0) }
            #expect(parts.count == flat.count)
            let fromPolygons = Mask(rasterizing: parts, width: 96, height: 64)
            let pngText = try #require(body.mask.png)
            let pngBytes = try #require(Data(base64Encoded: pngText))
            let gray = try ImageFile.decodeGray([UInt8](pngBytes))
            #expect(Set(gray.pixels).isSubset(of: [0, 255]))
            let fromPNG = Mask(thresholding: gray)
            #expect(fromRLE.area > 0)
            #expect(fromRLE == fromPolygons)
            #expect(fromRLE == fromPNG)
            #expect(body.mask.area == fromRLE.area)
            let box = try #require(fromRLE.boundingBox)
            #expect(body.mask.bbox == [box.x0, box.y0, box.width, box.height])

            // The same mask as the in-process pipeline with the same model (exact agreement).
            let made = try ModelCatalog.make("box")
            let model = try #require(made)
            let clicks = ProxyFixture.extremePoints.map { Click(x: $0[0], y: $0[1], kind: .extreme) }
            let (plan, input) = SegmentPipeline.modelInput(
                image: ProxyFixture.image(), clicks: clicks, previousMask: nil, settings: .default,
                sessionKey: body.imageId)
            #expect(try SegmentPipeline.mask(from: try model.segment(input), plan: plan) == fromRLE)

            // By id, with clicks and the previous mask: no image bytes sent.
            let second = SegmentRequestBody(
                image: .init(id: body.imageId), extremePoints: ProxyFixture.extremePoints,
                clicks: [.init(x: 40, y: 30, positive: true), .init(x: 2, y: 2, positive: false)], previousMask: rle)
            let again = try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(second)))
            #expect(again.statusCode == 200)
            let secondBody = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(try again.bodyBytes()))
            #expect(secondBody.imageId == body.imageId)
            #expect(secondBody.mask.rle != nil && secondBody.mask.polygons != nil && secondBody.mask.png == nil)
        }
    }

    @Test("payload 2.0 events get payload 2.0 answers")
    func payloadV2() async throws {
        try await ProxyFixture.withEndpoint { url in
            let function = ProxyFixture.function(endpoint: url)
            defer { function.shutdown() }
            let body = SegmentRequestBody(
                image: .init(data: Data(try ProxyFixture.png()).base64EncodedString()),
                extremePoints: ProxyFixture.extremePoints, outputs: ["rle"])
            let event = APIGatewayV2Request(
                rawPath: "/v1/segment", headers: ["content-type": "application/json"],
                requestContext: .init(http: .init(method: "POST", path: "/v1/segment")),
                body: String(decoding: try ProxyFixture.json(body), as: UTF8.self))
            let result = try await function.lambdaHandler.handle(
                try ProxyFixture.json(event), context: .local(timeout: .seconds(30), logger: Logger(label: "t")))
            let response = try JSONDecoder().decode(APIGatewayV2Response.self, from: Data(result))
            #expect(response.statusCode == 200)
            #expect(response.headers?["access-control-allow-origin"] == "*")
            let decoded = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(try response.bodyBytes()))
            #expect(decoded.mask.rle != nil && decoded.mask.polygons == nil)
        }
    }

    @Test("routing, CORS preflight, content type and size limits")
    func routing() async throws {
        let function = ProxyFixture.function(endpoint: "http://127.0.0.1:1") { $0.maxBodyBytes = 1000 }
        defer { function.shutdown() }
        let preflight = try await ProxyFixture.invoke(function, try ProxyFixture.event([], method: "OPTIONS"))
        #expect(preflight.statusCode == 204)
        #expect(preflight.headers?["Access-Control-Allow-Methods"] == "POST, OPTIONS")
        let wrongMethod = try await ProxyFixture.invoke(function, try ProxyFixture.event([], method: "PUT"))
        #expect(wrongMethod.statusCode == 405)
        #expect(wrongMethod.headers?["Allow"] == "POST, OPTIONS")
        #expect(wrongMethod.headers?["Access-Control-Allow-Origin"] == "*")
        #expect(try ProxyFixture.errorCode(wrongMethod) == "method_not_allowed")
        let unknown = try await ProxyFixture.invoke(function, try ProxyFixture.event([], path: "/v2/segment"))
        #expect(unknown.statusCode == 404)
        #expect(try ProxyFixture.errorCode(unknown) == "not_found")
        let xml = try await ProxyFixture.invoke(
            function, try ProxyFixture.event(Array("<a/>".utf8), headers: ["Content-Type": "text/xml"]))
        #expect(xml.statusCode == 415)
        let big = try await ProxyFixture.invoke(function, try ProxyFixture.event([UInt8](repeating: 0x20, count: 1001)))
        #expect(big.statusCode == 413)
        #expect(try ProxyFixture.errorCode(big) == "payload_too_large")
        #expect(big.headers?["X-Request-Id"] == "test-request")
    }

    @Test("endpoint down → 503 model_unavailable, slow → 504 model_timeout, failing → 502 model_error")
    func endpointFailures() async throws {
        let body = try ProxyFixture.json(
            SegmentRequestBody(
                image: .init(data: Data(try ProxyFixture.png()).base64EncodedString()),
                extremePoints: ProxyFixture.extremePoints))
        let event = try ProxyFixture.event(body)

        let down = ProxyFixture.function(endpoint: "http://127.0.0.1:1")
        defer { down.shutdown() }
        let refused = try await ProxyFixture.invoke(down, event)
        #expect(refused.statusCode == 503)
        #expect(try ProxyFixture.errorCode(refused) == "model_unavailable")

        // A fake endpoint: /slow/invocations never answers in time, /fail/invocations answers 400.
        let router = Router()
        router.post("/slow/invocations") { _, _ -> Response in
            try await Task.sleep(for: .milliseconds(1500))
            return Response(status: .ok)
        }
        router.post("/fail/invocations") { _, _ -> Response in
            Response(
                status: .badRequest, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"input 'clicks' is malformed"}"#)))
        }
        router.post("/busy/invocations") { _, _ -> Response in
            Response(
                status: .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"model is still loading"}"#)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let slow = ProxyFixture.function(endpoint: base + "/slow") { $0.endpointTimeout = .milliseconds(300) }
            defer { slow.shutdown() }
            let timedOut = try await ProxyFixture.invoke(slow, event)
            #expect(timedOut.statusCode == 504)
            #expect(try ProxyFixture.errorCode(timedOut) == "model_timeout")

            let failing = ProxyFixture.function(endpoint: base + "/fail")
            defer { failing.shutdown() }
            let failed = try await ProxyFixture.invoke(failing, event)
            #expect(failed.statusCode == 502)
            let error = try JSONDecoder().decode(ErrorResponseBody.self, from: Data(try failed.bodyBytes())).error
            #expect(error.code == "model_error")
            #expect(error.message.contains("input 'clicks' is malformed"))

            let busy = ProxyFixture.function(endpoint: base + "/busy")
            defer { busy.shutdown() }
            let unavailable = try await ProxyFixture.invoke(busy, event)
            #expect(unavailable.statusCode == 503)
        }
    }

    @Test("an unknown image id is 404 image_not_found, a malformed one 422, a URL 422")
    func imageReferences() async throws {
        let function = ProxyFixture.function(endpoint: "http://127.0.0.1:1")
        defer { function.shutdown() }
        func code(_ image: SegmentRequestBody.Image) async throws -> (Int, String) {
            let body = SegmentRequestBody(image: image, extremePoints: ProxyFixture.extremePoints)
            let response = try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(body)))
            return (response.statusCode, try ProxyFixture.errorCode(response))
        }
        #expect(try await code(.init(id: "sha256:" + String(repeating: "ab", count: 32))) == (404, "image_not_found"))
        // The envelope's exact bytes (FewClickAPI's ErrorResponseBody, APIJSON: sorted keys, "/" unescaped).
        let unknown = try await ProxyFixture.invoke(
            function,
            try ProxyFixture.event(try ProxyFixture.json(SegmentRequestBody(
                image: .init(id: "sha256:" + String(repeating: "ab", count: 32)), extremePoints: ProxyFixture.extremePoints))))
        #expect(String(decoding: try unknown.bodyBytes(), as: UTF8.self) == #"{"error":{"code":"image_not_found","message":"image sha256:\#(String(repeating: "ab", count: 32)) is not cached here (evicted or never sent); send the image bytes in image.data"}}"#)
        #expect(try await code(.init(id: "md5:abc")) == (422, "invalid_image_id"))
        #expect(try await code(.init(url: "https://example.com/a.png")) == (422, "url_not_enabled"))
        #expect(try await code(.init()) == (422, "missing_image"))
        #expect(try await code(.init(data: "AAAA", id: "sha256:00")) == (422, "ambiguous_image"))
        #expect(try await code(.init(data: "////")) == (415, "unsupported_image_format"))
        // A PNG signature followed by garbage.
        let corrupt = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).base64EncodedString()
        #expect(try await code(.init(data: corrupt)).0 == 422)
    }
}

@Suite("Proxy request validation")
struct ProxyValidationTests {
    func parse(_ json: String) -> Result<SegmentRequest, ProxyError> {
        Result { () throws(ProxyError) in try SegmentRequest.parse(Array(json.utf8), maxClicks: 100) }
    }

    func code(_ json: String) -> String? {
        if case .failure(let error) = parse(json) { return error.code.rawValue }
        return nil
    }

    let points = "[[1,1],[5,1],[3,0],[3,4]]"

    @Test("syntax and type errors are 400 with the member named")
    func badRequests() throws {
        #expect(code("{") == "invalid_json")
        #expect(code("[]") == "invalid_json")
        #expect(code(#"{"image":{"data":"@@@@"},"extremePoints":\#(points)}"#) == "invalid_base64")
        guard case .failure(let error) = parse(#"{"image":{"id":5},"extremePoints":\#(points)}"#) else {
            Issue.record("accepted a numeric id")
            return
        }
        #expect(error.status == 400)
        #expect(error.code == "invalid_request")
        #expect(error.message.contains("image.id"))
        #expect(code(#"{"image":{"data":"AAAA"},"extremePoints":\#(points),"clicks":[{"x":"1","y":2,"positive":true}]}"#) == "invalid_request")
    }

    @Test("image.data decodes alike padded (decoded in place), unpadded and wrapped (cleaned first); garbage is refused")
    func base64Forms() throws {
        func bytes(_ text: String) -> [UInt8]? {
            guard case .success(let request) = parse(#"{"image":{"data":"\#(text)"},"extremePoints":\#(points)}"#),
                case .data(let bytes) = request.image
            else { return nil }
            return bytes
        }
        var state: UInt32 = 7
        for length in [1, 2, 3, 4, 5, 57, 58, 59, 1000] {
            let original = (0..<length).map { _ -> UInt8 in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: state >> 24)
            }
            let padded = Data(original).base64EncodedString()
            let wrapped = Data(original).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
            var unpadded = padded
            while unpadded.hasSuffix("=") { unpadded.removeLast() }
            #expect(bytes(padded) == original, "padded, \(length) bytes")
            #expect(bytes(unpadded) == original, "unpadded, \(length) bytes")
            #expect(bytes(wrapped.replacingOccurrences(of: "\n", with: "\\n")) == original, "wrapped, \(length) bytes")
            #expect(bytes(" " + padded + "\\t") == original, "with spaces, \(length) bytes")
        }
        for garbage in ["QQ=A", "Q", "QQ===", "QQ==QQ==", "QUJD!", "QUJD\\u00e9"] {
            #expect(code(#"{"image":{"data":"\#(garbage)"},"extremePoints":\#(points)}"#) == "invalid_base64", "\(garbage)")
        }
    }

    @Test("semantic errors are 422 with precise codes")
    func unprocessable() {
        let image = #""image":{"data":"iVBORw0KGgo="}"#
        #expect(code("{\(image)}") == "invalid_extreme_points")
        #expect(code(#"{\#(image),"extremePoints":[[1,1],[2,2]]}"#) == "invalid_extreme_points")
        #expect(code(#"{\#(image),"extremePoints":[[1,1],[2,2],[3,3],[4]]}"#) == "invalid_extreme_points")
        #expect(code(#"{\#(image),"extremePoints":\#(points),"outputs":[]}"#) == "invalid_outputs")
        #expect(code(#"{\#(image),"extremePoints":\#(points),"outputs":["rle","svg"]}"#) == "unknown_output")
        #expect(code(#"{\#(image),"extremePoints":\#(points),"polygonTolerance":-0.5}"#) == "invalid_polygon_tolerance")
        let clicks = Array(repeating: #"{"x":1,"y":1,"positive":true}"#, count: 101).joined(separator: ",")
        #expect(code(#"{\#(image),"extremePoints":\#(points),"clicks":[\#(clicks)]}"#) == "too_many_clicks")
        #expect(code(#"{\#(image),"extremePoints":\#(points),"previousMask":{"size":[2,2],"counts":[1,1]}}"#) == "invalid_previous_mask")
        #expect(code(#"{\#(image),"extremePoints":\#(points),"unknownMember":1}"#) == nil)  // ignored
    }

    @Test("checks against the image: inside, previous mask size and content")
    func againstImage() throws {
        let request = try parse(#"{"image":{"data":"iVBORw0KGgo="},"extremePoints":[[0,0],[9.9,0],[5,0],[5,7.5]]}"#).get()
        #expect(try request.validate(width: 10, height: 8) == nil)
        #expect(request.allClicks.count == 4 && request.allClicks.allSatisfy { $0.kind == .extreme })
        #expect(throws: ProxyError.self) { try request.validate(width: 9, height: 8) }
        var withClick = request
        withClick.clicks = [Click(x: 3, y: 8, kind: .negative)]
        do {
            _ = try withClick.validate(width: 10, height: 8)
            Issue.record("a click below the image was accepted")
        } catch {
            #expect(error.code == "click_outside_image")
        }
        var withMask = request
        let mask = Mask(width: 10, height: 8, bits: (0..<80).map { UInt8($0 % 3 == 0 ? 1 : 0) })
        withMask.previousMask = mask.cocoRLE()
        #expect(try withMask.validate(width: 10, height: 8) == mask)
        do {
            _ = try withMask.validate(width: 11, height: 8)
            Issue.record("a previous mask of another size was accepted")
        } catch {
            #expect(error.code == "previous_mask_size_mismatch")
        }
        withMask.previousMask = COCORLE(size: [8, 10], counts: "!!")
        do {
            _ = try withMask.validate(width: 10, height: 8)
            Issue.record("a malformed previous mask was accepted")
        } catch {
            #expect(error.code == "invalid_previous_mask")
        }
    }

    @Test("configuration from the environment")
    func environment() throws {
        let configuration = try ProxyConfiguration.fromEnvironment([
            "FEWCLICK_ENDPOINT_URL": "http://10.0.0.1:8080", "FEWCLICK_IMAGE_CACHE_BYTES": "1000",
            "FEWCLICK_MAX_CROP_SIDE": "256", "FEWCLICK_CORS_ORIGIN": "https://label.example.com",
            "FEWCLICK_ENDPOINT_TIMEOUT_MS": "1500",
        ])
        #expect(configuration.endpointURL == "http://10.0.0.1:8080")
        #expect(configuration.imageCacheBytes == 1000)
        #expect(configuration.cropSettings.maxSide == 256)
        #expect(configuration.allowedOrigin == "https://label.example.com")
        #expect(configuration.endpointTimeout == .milliseconds(1500))
        #expect(throws: ProxyConfiguration.Invalid.self) {
            try ProxyConfiguration.fromEnvironment(["FEWCLICK_MAX_CLICKS": "many"])
        }
        #expect(ModelClient(url: "http://h:1/", client: CurlClient(maxConcurrentRequests: 1)).url == "http://h:1/invocations")
    }
}

@Suite("Image cache")
struct ProxyImageCacheTests {
    func image(_ side: Int, _ value: UInt8) -> RGBImage {
        RGBImage(width: side, height: side, pixels: [UInt8](repeating: value, count: side * side * 3))
    }

    @Test("bounded in bytes, least recently used out first")
    func lru() {
        let cache = ImageCache(capacityBytes: 3 * 300)  // three 10×10 images
        cache.insert(image(10, 1), for: "a")
        cache.insert(image(10, 2), for: "b")
        cache.insert(image(10, 3), for: "c")
        #expect(cache.bytesUsed == 900)
        #expect(cache.image(for: "a")?.pixels.first == 1)  // a is now the most recent
        cache.insert(image(10, 4), for: "d")  // evicts b
        #expect(cache.image(for: "b") == nil)
        #expect(cache.image(for: "a") != nil && cache.image(for: "c") != nil && cache.image(for: "d") != nil)
        cache.insert(image(20, 5), for: "big")  // 1200 bytes > capacity: not kept, nothing evicted
        #expect(cache.image(for: "big") == nil)
        #expect(cache.count == 3)
        cache.insert(image(17, 6), for: "e")  // 867 bytes: evicts everything else
        #expect(cache.count == 1)
        #expect(cache.bytesUsed == 867)
    }

    @Test("ids are sha256 of the file bytes")
    func ids() {
        #expect(ImageCache.imageID(of: Array("abc".utf8)) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ImageID.isValid(ImageCache.imageID(of: [1, 2, 3])))
        #expect(!ImageID.isValid("sha256:xyz"))
    }
}
