import AWSSigV4
import CurlHTTP
import Endpoint
import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InferenceProtocol
import Proxy
import Segmentation
import SegmentationWire
import Testing

/// A stand-in for the SageMaker Runtime API: checks each call's SigV4 signature the way AWS does
/// (recomputes it from the headers named in `SignedHeaders`), records what arrived, and answers
/// with a V2 `mask_prob` of the requested crop size framed as SageMaker's Triton containers do.
actor FakeSageMakerRuntime {
    struct Call: Sendable {
        var path: String
        var headers: [String: String]
        var signatureValid: Bool
    }

    let credentials: AWSCredentials
    let region: String
    private(set) var calls: [Call] = []

    init(credentials: AWSCredentials, region: String) {
        self.credentials = credentials
        self.region = region
    }

    func record(_ call: Call) { calls.append(call) }

    /// Whether `authorization` is the signature of this request with our credentials.
    nonisolated func verify(method: String, url: String, headers: [String: String], body: [UInt8]) -> Bool {
        guard let authorization = headers["authorization"], let amzDate = headers["x-amz-date"],
            let signedPart = authorization.split(separator: " ").first(where: { $0.hasPrefix("SignedHeaders=") })
        else { return false }
        let names = signedPart.dropFirst("SignedHeaders=".count).dropLast().split(separator: ";").map(String.init)
        var signed: [HTTPHeaderField] = []
        for name in names where !["x-amz-date", "x-amz-security-token"].contains(name) {
            guard let value = headers[name] else { return false }
            signed.append(HTTPHeaderField(name, value))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let digits = Array(amzDate)
        func number(_ range: Range<Int>) -> Int { Int(String(digits[range])) ?? -1 }
        guard digits.count == 16,
            let date = calendar.date(
                from: DateComponents(
                    year: number(0..<4), month: number(4..<6), day: number(6..<8), hour: number(9..<11),
                    minute: number(11..<13), second: number(13..<15)))
        else { return false }
        let signer = SigV4Signer(credentials: credentials, region: region, service: "sagemaker")
        guard let expected = try? signer.sign(method: method, url: url, headers: signed, body: body, date: date) else {
            return false
        }
        return expected.authorization == authorization
            && headers["x-amz-security-token"] == credentials.sessionToken
    }

    nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/endpoints/:name/invocations") { request, context -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: 8 << 20))
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            headers["host"] = request.head.authority
            let url = "http://\(request.head.authority ?? "")\(request.uri.path)"
            let valid = self.verify(method: "POST", url: url, headers: headers, body: body)
            await self.record(Call(path: request.uri.path, headers: headers, signatureValid: valid))
            guard valid else { return Response(status: .forbidden) }
            // Answer with a map of the crop's size: all 200 (probability ≈ 0.78).
            let framing = try MessageFraming(
                contentType: headers["content-type"], inferenceHeaderContentLength: headers["inference-header-content-length"],
                bodyLength: body.count)
            let v2 = try InferenceRequest(decoding: body, framing: framing)
            guard let image = v2.inputs.first(where: { $0.name == "image" }), image.shape.count == 3 else {
                return Response(status: .badRequest)
            }
            let (height, width) = (image.shape[0], image.shape[1])
            let response = InferenceResponse(
                // The model time as SageMaker passes it back: in the V2 answer only (no X-Model-Time-Ms).
                modelName: "fake", parameters: ["model_time_ms": .double(1.25)], outputs: [
                    try InferenceTensor(
                        name: SegmentationTensors.maskProbability, shape: [height, width],
                        values: [UInt8](repeating: 200, count: width * height))
                ])
            let encoded = try response.encoded(binaryOutputs: [SegmentationTensors.maskProbability], style: .sagemakerContentType)
            return Response(
                status: .ok, headers: [.contentType: encoded.contentType],
                body: .init(byteBuffer: ByteBuffer(bytes: encoded.body)))
        }
        return router
    }
}

@Suite("Proxy → SageMaker Runtime API (SigV4)")
struct ProxySageMakerTests {
    static let credentials = AWSCredentials(
        accessKeyId: "ASIAFEWCLICKTEST", secretAccessKey: "test/secret+key", sessionToken: "session-token-xyz")

    @Test("FEWCLICK_SAGEMAKER_ENDPOINT + AWS_REGION select the SageMaker Runtime API")
    func configuration() throws {
        let selfHosted = try ProxyConfiguration.fromEnvironment(["FEWCLICK_ENDPOINT_URL": "http://10.0.0.5:8080"])
        #expect(selfHosted.sagemaker == nil)
        let aws = try ProxyConfiguration.fromEnvironment([
            "FEWCLICK_SAGEMAKER_ENDPOINT": "fewclick-ep", "AWS_REGION": "eu-west-1",
        ])
        #expect(
            aws.sagemaker?.invocationsURL
                == "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/fewclick-ep/invocations")
        #expect(throws: ProxyConfiguration.Invalid.self) {
            try ProxyConfiguration.fromEnvironment(["FEWCLICK_SAGEMAKER_ENDPOINT": "fewclick-ep"])
        }
    }

    @Test("a SageMaker call is signed (Authorization, X-Amz-Date, X-Amz-Security-Token) and framed by Content-Type")
    func signedCall() async throws {
        let runtime = FakeSageMakerRuntime(credentials: Self.credentials, region: "eu-west-1")
        let app = Application(router: runtime.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let target = try SageMakerRuntimeTarget(
                endpointName: "fewclick-ep", region: "eu-west-1", baseURL: "http://127.0.0.1:\(port)")
            let curl = CurlClient(maxConcurrentRequests: 2)
            defer { curl.shutdown() }
            let model = ModelClient(sagemaker: target, client: curl, credentials: { Self.credentials })
            #expect(model.url == "http://127.0.0.1:\(port)/endpoints/fewclick-ep/invocations")
            let input = SegmentationInput(
                image: RGBImage(width: 12, height: 8, fill: (90, 20, 20)),
                clicks: [Click(x: 2, y: 4, kind: .extreme), Click(x: 9, y: 4, kind: .extreme)])
            let message = try ModelClient.encode(input, requestId: "req-1", style: model.headerStyle)
            let output = try await model.infer(message, cropWidth: 12, cropHeight: 8, timeout: .seconds(10))
            #expect(output.probability.width == 12 && output.probability.height == 8)
            #expect(output.probability.pixels.allSatisfy { $0 == 200 })
            #expect(output.modelMilliseconds == 1.25, "the V2 answer's model_time_ms, SageMaker passing no container header")

            // A wrong secret is refused by the same check (so the check above is not vacuous).
            let forged = ModelClient(sagemaker: target, client: curl) {
                AWSCredentials(accessKeyId: "ASIAFEWCLICKTEST", secretAccessKey: "wrong", sessionToken: "session-token-xyz")
            }
            await #expect(throws: ProxyError.self) {
                _ = try await forged.infer(message, cropWidth: 12, cropHeight: 8, timeout: .seconds(10))
            }
        }
        let calls = await runtime.calls
        #expect(calls.count == 2)
        let call = try #require(calls.first)
        #expect(call.signatureValid)
        #expect(call.path == "/endpoints/fewclick-ep/invocations")
        let authorization = try #require(call.headers["authorization"])
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=ASIAFEWCLICKTEST/"))
        #expect(authorization.contains("/eu-west-1/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="))
        #expect(call.headers["x-amz-security-token"] == "session-token-xyz")
        #expect(call.headers["x-amz-date"]?.count == 16)
        #expect(call.headers["content-type"]?.hasPrefix("application/vnd.sagemaker-triton.binary+json;json-header-size=") == true)
        #expect(call.headers["inference-header-content-length"] == nil)
        #expect(calls.last?.signatureValid == false)
    }

    @Test("missing AWS credentials are a 503 model_unavailable, not a crash")
    func missingCredentials() async throws {
        let target = try SageMakerRuntimeTarget(endpointName: "ep", region: "us-east-1", baseURL: "http://127.0.0.1:9")
        let curl = CurlClient(maxConcurrentRequests: 1)
        defer { curl.shutdown() }
        let model = ModelClient(sagemaker: target, client: curl) { () throws(SigV4Error) in
            try AWSCredentials.fromEnvironment([:])
        }
        let input = SegmentationInput(image: RGBImage(width: 4, height: 4), clicks: [])
        let message = try ModelClient.encode(input, requestId: nil, style: model.headerStyle)
        do {
            _ = try await model.infer(message, cropWidth: 4, cropHeight: 4, timeout: .seconds(2))
            Issue.record("an unsigned call went out")
        } catch {
            #expect(error.status == 503)
        }
    }
}
