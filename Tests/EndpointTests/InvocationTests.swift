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

@Suite("Inference over every framing and route")
struct InvocationTests {
    static let expected = try! BoxModel().segment(Fixture.input())

    func post(
        _ client: some TestClientProtocol, _ uri: String, _ message: EncodedInferenceMessage,
        extraHeaders: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = Fixture.headers(message)
        headers.append(contentsOf: extraHeaders)
        return try await client.executeRequest(
            uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: message.body))
    }

    @Test("JSON request → JSON response on /invocations")
    func jsonRoundTrip() async throws {
        try await Fixture.app().test(.router) { client in
            try await Fixture.waitReady(client)
            let request = try SegmentationTensors.request(for: Fixture.input(), id: "r1", binaryOutput: false)
            let response = try await post(client, "/invocations", try request.encoded(binaryInputs: false))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let decoded = try Fixture.decode(response)
            #expect(decoded.id == "r1")
            #expect(decoded.modelName == "box" && decoded.modelVersion == "1")
            #expect(try SegmentationTensors.probabilityMap(from: decoded, width: 48, height: 32) == Self.expected)
            let modelMs = try #require(response.headers[HTTPField.Name("X-Model-Time-Ms")!].flatMap(Double.init))
            #expect(modelMs >= 0)
            #expect(decoded.parameters["model_time_ms"]?.doubleValue != nil)
        }
    }

    @Test("binary request with Inference-Header-Content-Length → binary response framed the same way")
    func binaryHeaderRoundTrip() async throws {
        try await Fixture.app().test(.router) { client in
            try await Fixture.waitReady(client)
            let request = try SegmentationTensors.request(for: Fixture.input())
            let message = try request.encoded(binaryInputs: true, style: .inferenceHeaderContentLength)
            for uri in ["/invocations", "/v2/models/box/infer", "/v2/models/box/versions/1/infer"] {
                let response = try await post(client, uri, message)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.headers[.contentType] == "application/octet-stream")
                let headerLength = try #require(
                    response.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap(Int.init))
                #expect(response.body.readableBytes == headerLength + 48 * 32)
                let decoded = try Fixture.decode(response)
                #expect(try SegmentationTensors.probabilityMap(from: decoded, width: 48, height: 32) == Self.expected)
            }
        }
    }

    @Test("binary request with the SageMaker Triton content type → same framing back")
    func sagemakerRoundTrip() async throws {
        try await Fixture.app().test(.router) { client in
            try await Fixture.waitReady(client)
            let request = try SegmentationTensors.request(for: Fixture.input())
            let message = try request.encoded(binaryInputs: true, style: .sagemakerContentType)
            for uri in ["/invocations", "/endpoints/my-endpoint/invocations"] {
                let response = try await post(client, uri, message)
                #expect(response.status == .ok)
                let contentType = try #require(response.headers[.contentType])
                #expect(contentType.hasPrefix("application/vnd.sagemaker-triton.binary+json;json-header-size="))
                #expect(response.headers[HTTPField.Name("Inference-Header-Content-Length")!] == nil)
                let decoded = try Fixture.decode(response)
                #expect(try SegmentationTensors.probabilityMap(from: decoded, width: 48, height: 32) == Self.expected)
            }
        }
    }

    @Test("outputs follow binary_data: JSON request asking binary, binary request asking JSON")
    func requestedOutputs() async throws {
        try await Fixture.app().test(.router) { client in
            try await Fixture.waitReady(client)
            let wantsBinary = try SegmentationTensors.request(for: Fixture.input(), binaryOutput: true)
                .encoded(binaryInputs: false)
            let sagemaker = try await post(client, "/invocations", wantsBinary)
            #expect(sagemaker.headers[.contentType]?.hasPrefix("application/vnd.sagemaker-triton.binary+json") == true)
            let kserve = try await post(client, "/v2/models/box/infer", wantsBinary)
            #expect(kserve.headers[.contentType] == "application/octet-stream")
            #expect(kserve.headers[HTTPField.Name("Inference-Header-Content-Length")!] != nil)

            let wantsJSON = try SegmentationTensors.request(for: Fixture.input(), binaryOutput: false)
                .encoded(binaryInputs: true)
            let json = try await post(client, "/invocations", wantsJSON)
            #expect(json.headers[.contentType] == "application/json")
            #expect(try SegmentationTensors.probabilityMap(from: Fixture.decode(json), width: 48, height: 32) == Self.expected)

            // No outputs listed, binary request, binary_data_output false → JSON.
            var all = try SegmentationTensors.request(for: Fixture.input())
            all.outputs = nil
            all.parameters["binary_data_output"] = .bool(false)
            let allJSON = try await post(client, "/invocations", try all.encoded(binaryInputs: true))
            #expect(allJSON.headers[.contentType] == "application/json")
        }
    }

    @Test("the model is chosen by route name or SageMaker target-model header")
    func modelByName() async throws {
        let models = [ModelLoader.catalog("box")!, ModelLoader.catalog("extreme-polygon")!]
        try await Fixture.app(models).test(.router) { client in
            try await Fixture.waitReady(client)
            let message = try SegmentationTensors.request(for: Fixture.input()).encoded()
            let polygon = try ExtremePolygonModel().segment(Fixture.input())
            #expect(polygon != Self.expected)

            let byRoute = try Fixture.decode(try await post(client, "/v2/models/extreme-polygon/infer", message))
            #expect(byRoute.modelName == "extreme-polygon")
            #expect(try SegmentationTensors.probabilityMap(from: byRoute, width: 48, height: 32) == polygon)

            let byDefault = try Fixture.decode(try await post(client, "/invocations", message))
            #expect(byDefault.modelName == "box")

            let target: HTTPFields = [HTTPField.Name("X-Amzn-SageMaker-Target-Model")!: "extreme-polygon"]
            let byHeader = try Fixture.decode(
                try await post(client, "/endpoints/x/invocations", message, extraHeaders: target))
            #expect(byHeader.modelName == "extreme-polygon")

            let unknown = try await post(client, "/v2/models/graph/infer", message)
            #expect(unknown.status == .notFound)
            #expect(Fixture.errorMessage(unknown) == "model 'graph' is not served here; models: box, extreme-polygon")
            let unknownHeader = try await post(
                client, "/invocations", message,
                extraHeaders: [HTTPField.Name("X-Amzn-SageMaker-Target-Model")!: "nope"])
            #expect(unknownHeader.status == .notFound)
        }
    }

    @Test("the session parameter reaches the model as its session key")
    func sessionKey() async throws {
        let model = RecordingModel()
        try await Fixture.app([.instance(model)]).test(.router) { client in
            try await Fixture.waitReady(client)
            let message = try SegmentationTensors.request(for: Fixture.input(session: "sha256:abc")).encoded()
            #expect(try await post(client, "/invocations", message).status == .ok)
            let plain = try SegmentationTensors.request(for: Fixture.input()).encoded()
            #expect(try await post(client, "/invocations", plain).status == .ok)
        }
        #expect(model.sessions.withLock { $0 } == ["sha256:abc", nil])
    }
}
