import Endpoint
import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InferenceProtocol
import Segmentation
import SegmentationWire
import Testing

@Suite("Health, metadata and error statuses")
struct RouteAndErrorTests {
    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    func post(_ client: some TestClientProtocol, _ request: InferenceRequest, uri: String = "/invocations")
        async throws -> TestResponse
    {
        let message = try request.encoded()
        return try await client.executeRequest(
            uri: uri, method: .post, headers: Fixture.headers(message), body: ByteBuffer(bytes: message.body))
    }

    @Test("/ping and readiness are 503 until the model is loaded, then 200")
    func readiness() async throws {
        let gate = Gate()
        let loader = ModelLoader(name: "box") {
            gate.pass()
            return BoxModel()
        }
        try await Fixture.app([loader]).test(.router) { client in
            #expect(await gate.waitUntilEntered())
            #expect(try await client.executeRequest(uri: "/ping", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            #expect(try await client.executeRequest(uri: "/v2/health/ready", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            #expect(try await client.executeRequest(uri: "/v2/health/live", method: .get, headers: [:], body: nil).status == .ok)
            #expect(try await client.executeRequest(uri: "/v2/models/box/ready", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            let early = try await post(client, try SegmentationTensors.request(for: Fixture.input()))
            #expect(early.status == .serviceUnavailable)
            #expect(Fixture.errorMessage(early) == "model 'box' is still loading")
            gate.open()
            try await Fixture.waitReady(client)
            #expect(try await client.executeRequest(uri: "/v2/health/ready", method: .get, headers: [:], body: nil).status == .ok)
        }
    }

    @Test("server and model metadata")
    func metadata() async throws {
        try await Fixture.app().test(.router) { client in
            try await Fixture.waitReady(client)
            let server = try await client.executeRequest(uri: "/v2", method: .get, headers: [:], body: nil)
            let serverMetadata = try JSONDecoder().decode(ServerMetadata.self, from: Data(server.body.readableBytesView))
            #expect(serverMetadata.extensions.contains("binary_tensor_data"))
            #expect(serverMetadata.name == "fewclick-endpoint")

            let model = try await client.executeRequest(uri: "/v2/models/box", method: .get, headers: [:], body: nil)
            #expect(model.status == .ok)
            let metadata = try JSONDecoder().decode(ModelMetadata.self, from: Data(model.body.readableBytesView))
            #expect(metadata.name == "box" && metadata.versions == ["1"])
            #expect(metadata.inputs.map(\.name) == ["image", "clicks", "prev_mask"])
            #expect(metadata.inputs[0].shape == [-1, -1, 3] && metadata.inputs[0].datatype == .uint8)
            #expect(metadata.outputs == [
                TensorMetadata(name: "mask_prob", datatype: .uint8, shape: [-1, -1]),
                TensorMetadata(name: "mask_belief", datatype: .uint8, shape: [-1, -1]),
            ])

            let ready = try await client.executeRequest(uri: "/v2/models/box/ready", method: .get, headers: [:], body: nil)
            #expect(try json(ready)["ready"] as? Bool == true)
            #expect(try await client.executeRequest(uri: "/v2/models/box/versions/1", method: .get, headers: [:], body: nil).status == .ok)
            let badVersion = try await client.executeRequest(uri: "/v2/models/box/versions/9/ready", method: .get, headers: [:], body: nil)
            #expect(badVersion.status == .notFound)
            #expect(try await client.executeRequest(uri: "/v2/models/nope", method: .get, headers: [:], body: nil).status == .notFound)
            #expect(try await client.executeRequest(uri: "/v2/models/nope/ready", method: .get, headers: [:], body: nil).status == .notFound)
        }
    }

    @Test("404 for unknown routes and 405 with Allow for wrong methods, as V2 error bodies")
    func routing() async throws {
        try await Fixture.app().test(.router) { client in
            try await Fixture.waitReady(client)
            let missing = try await client.executeRequest(uri: "/nothing/here", method: .get, headers: [:], body: nil)
            #expect(missing.status == .notFound)
            #expect(Fixture.errorMessage(missing) == "no route for GET /nothing/here")
            let wrong = try await client.executeRequest(uri: "/invocations", method: .get, headers: [:], body: nil)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "POST")
            #expect(Fixture.errorMessage(wrong) == "GET is not allowed on /invocations; use POST")
            let wrongPing = try await client.executeRequest(uri: "/ping", method: .post, headers: [:], body: nil)
            #expect(wrongPing.status == .methodNotAllowed && wrongPing.headers[.allow] == "GET")
            let wrongInfer = try await client.executeRequest(uri: "/v2/models/box/infer", method: .delete, headers: [:], body: nil)
            #expect(wrongInfer.status == .methodNotAllowed)
        }
    }

    @Test("400 for malformed tensors, with precise messages")
    func badTensors() async throws {
        try await Fixture.app(configure: { $0.maxImagePixels = 48 * 32; $0.maxClicks = 6 }).test(.router) { client in
            try await Fixture.waitReady(client)
            let good = try SegmentationTensors.request(for: Fixture.input())
            func expect400(_ request: InferenceRequest, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let response = try await post(client, request)
                #expect(response.status == .badRequest, sourceLocation: sourceLocation)
                #expect(Fixture.errorMessage(response) == message, sourceLocation: sourceLocation)
            }
            var noClicks = good
            noClicks.inputs.removeAll { $0.name == "clicks" }
            try await expect400(noClicks, "missing input 'clicks'")

            var wrongType = good
            wrongType.inputs[1] = try InferenceTensor(name: "clicks", shape: [1, 3], values: [1, 2, 2] as [Double])
            try await expect400(wrongType, "input 'clicks' must be FP32 [N, 3] rows of (x, y, kind), got FP64 [1, 3]")

            var badKind = good
            badKind.inputs[1] = try InferenceTensor(name: "clicks", shape: [1, 3], values: [1, 2, 3] as [Float])
            try await expect400(badKind, "input 'clicks' row 0: kind 3.0 is not 0 (negative), 1 (positive) or 2 (extreme)")

            var tooMany = good
            tooMany.inputs[1] = try InferenceTensor(name: "clicks", shape: [7, 3], values: [Float](repeating: 2, count: 21))
            try await expect400(tooMany, "input 'clicks' has 7 rows; the limit is 6")

            let big = try SegmentationTensors.request(for: Fixture.input(width: 49, height: 32))
            try await expect400(big, "input 'image' has 49×32 pixels; the limit is 1536")

            var flatImage = good
            flatImage.inputs[0] = try InferenceTensor(name: "image", shape: [32, 48 * 3], values: [UInt8](repeating: 0, count: 32 * 48 * 3))
            try await expect400(flatImage, "input 'image' must be UINT8 [H, W, 3], got UINT8 [32, 144]")

            var badMask = good
            badMask.inputs.append(try InferenceTensor(name: "prev_mask", shape: [2, 2], values: [0, 0, 0, 0] as [UInt8]))
            try await expect400(badMask, "input 'prev_mask' must be UINT8 [32, 48] like the image, got UINT8 [2, 2]")

            var extra = good
            extra.inputs.append(try InferenceTensor(name: "depth", shape: [1], values: [1] as [Float]))
            try await expect400(extra, "unexpected input 'depth'; inputs are image, clicks and optional prev_mask")

            var unknownOutput = good
            unknownOutput.outputs = [RequestedOutput(name: "logits")]
            try await expect400(unknownOutput, "unknown output 'logits'; the outputs are mask_prob and mask_belief")

            var session = good
            session.parameters["session"] = .int(3)
            try await expect400(session, "parameter 'session' must be a string, got 3")

            var noExtreme = good
            noExtreme.inputs[1] = try InferenceTensor(name: "clicks", shape: [1, 3], values: [1, 2, 1] as [Float])
            try await expect400(noExtreme, "box needs the extreme points (clicks of kind 2); none were given")

            let invalidJSON = try await client.executeRequest(
                uri: "/invocations", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"inputs": [}"#))
            #expect(invalidJSON.status == .badRequest)
            #expect(Fixture.errorMessage(invalidJSON)?.hasPrefix("invalid JSON") == true)

            let badFraming = try await client.executeRequest(
                uri: "/invocations", method: .post,
                headers: [.contentType: "application/octet-stream", HTTPField.Name("Inference-Header-Content-Length")!: "999"],
                body: ByteBuffer(string: "{}"))
            #expect(badFraming.status == .badRequest)
            #expect(Fixture.errorMessage(badFraming) == "Inference-Header-Content-Length 999 is outside the body (1…2 bytes)")
        }
    }

    @Test("413 for bodies over the limit, 415 for foreign content types")
    func limits() async throws {
        try await Fixture.app(configure: { $0.maxBodyBytes = 4000 }).test(.router) { client in
            try await Fixture.waitReady(client)
            let message = try SegmentationTensors.request(for: Fixture.input()).encoded()
            #expect(message.body.count > 4000)
            let tooLarge = try await client.executeRequest(
                uri: "/invocations", method: .post, headers: Fixture.headers(message), body: ByteBuffer(bytes: message.body))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(Fixture.errorMessage(tooLarge)?.hasSuffix("exceeds the limit of 4000 bytes") == true)

            var declared = Fixture.headers(message)
            declared[.contentLength] = String(message.body.count)
            let early = try await client.executeRequest(
                uri: "/v2/models/box/infer", method: .post, headers: declared, body: ByteBuffer(bytes: message.body))
            #expect(early.status == .contentTooLarge)

            let jpeg = try await client.executeRequest(
                uri: "/invocations", method: .post, headers: [.contentType: "image/jpeg"],
                body: ByteBuffer(bytes: [0xFF, 0xD8, 0xFF]))
            #expect(jpeg.status == .unsupportedMediaType)
            #expect(Fixture.errorMessage(jpeg)?.hasPrefix("unsupported Content-Type 'image/jpeg'") == true)
        }
    }

    @Test("500 for model failures, without internals")
    func modelFailures() async throws {
        try await Fixture.app([.instance(FailingModel()), .instance(WrongSizeModel())]).test(.router) { client in
            try await Fixture.waitReady(client)
            let request = try SegmentationTensors.request(for: Fixture.input())
            let failed = try await post(client, request, uri: "/v2/models/failing/infer")
            #expect(failed.status == .internalServerError)
            let message = try #require(Fixture.errorMessage(failed))
            #expect(message.hasPrefix("model 'failing' failed (request id "))
            #expect(!message.contains("Boom"))
            let wrongSize = try await post(client, request, uri: "/v2/models/wrong-size/infer")
            #expect(wrongSize.status == .internalServerError)
        }
    }

    @Test("503 when every model thread is busy and the queue is full")
    func overload() async throws {
        let gate = Gate()
        let model = RecordingModel(gate: gate)
        let app = try Fixture.app([.instance(model)]) {
            $0.workerThreads = 1
            $0.queueLimit = 0
        }
        try await app.test(.router) { client in
            try await Fixture.waitReady(client)
            let request = try SegmentationTensors.request(for: Fixture.input())
            let first = Task { try await post(client, request).status }
            #expect(await gate.waitUntilEntered())
            let second = try await post(client, request)
            #expect(second.status == .serviceUnavailable)
            #expect(Fixture.errorMessage(second) == "all 1 model threads are busy and 0 requests are waiting; retry later")
            gate.open()
            #expect(try await first.value == .ok)
        }
    }

    @Test("setup refuses no models and duplicate names")
    func setup() {
        #expect(throws: EndpointSetupError.self) { try buildApplication(configuration: .init(), models: []) }
        #expect(throws: EndpointSetupError.self) {
            try buildApplication(configuration: .init(), models: [.catalog("box")!, .catalog("box")!])
        }
    }
}
