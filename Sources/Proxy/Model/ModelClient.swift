import AWSSigV4
import CurlHTTP
import FewClickCore
import InferenceProtocol
import Foundation
import Observability
import Segmentation
import SegmentationWire

/// What the endpoint returned for one call.
public struct ModelOutput: Sendable {
    /// The probability map in crop space (0…255 = probability × 255).
    public var probability: GrayImage
    /// The model's soft belief in crop space (`mask_belief`), when asked for and sent.
    public var belief: GrayImage?
    /// The model's name (`model_name` of the V2 response).
    public var modelName: String
    /// The model's version (`model_version`; `"unknown"` when absent).
    public var modelVersion: String
    /// The model time the endpoint reported, if any: its `X-Model-Time-Ms` header, else the V2
    /// answer's `model_time_ms` parameter (all that comes back through SageMaker Runtime, which does
    /// not pass a container's own headers on).
    public var modelMilliseconds: Double?
}

/// Calls the inference endpoint (SageMaker container contract, KServe V2 body with binary tensors)
/// through `CurlClient`.
public struct ModelClient: Sendable {
    /// The URL posted to, e.g. `http://127.0.0.1:8080/invocations`.
    public let url: String
    /// The HTTP client.
    public let client: CurlClient
    /// The longest wait for the connection.
    public let connectTimeout: Duration
    /// When set, calls go to this SageMaker endpoint's Runtime API URL, signed with SigV4.
    public let sagemaker: SageMakerRuntimeTarget?
    /// Opens after consecutive timeouts or refused connections: calls then fail at once with 503
    /// `model_unavailable` and `Retry-After` instead of waiting for their own timeout.
    public let breaker: CircuitBreaker
    private let credentials: @Sendable () throws(SigV4Error) -> AWSCredentials

    /// Creates a client for a SageMaker endpoint: posts to `sagemaker.invocationsURL`, signed with
    /// SigV4 (service `sagemaker`) using `credentials()` per call (default: the `AWS_*` variables
    /// Lambda sets).
    public init(
        sagemaker: SageMakerRuntimeTarget, client: CurlClient, connectTimeout: Duration = .seconds(2),
        breaker: CircuitBreaker = CircuitBreaker(),
        credentials: @escaping @Sendable () throws(SigV4Error) -> AWSCredentials = { () throws(SigV4Error) in
            try AWSCredentials.fromEnvironment()
        }
    ) {
        self.url = sagemaker.invocationsURL
        self.client = client
        self.connectTimeout = connectTimeout
        self.sagemaker = sagemaker
        self.breaker = breaker
        self.credentials = credentials
    }

    /// How binary tensors are framed: SageMaker's Runtime API forwards `Content-Type` but not
    /// `Inference-Header-Content-Length`, so SageMaker calls use the `json-header-size` content type.
    public var headerStyle: BinaryHeaderStyle { sagemaker == nil ? .inferenceHeaderContentLength : .sagemakerContentType }

    /// Creates a client for `url`: a base URL (`http://host:port`) gets `/invocations` appended; a
    /// URL whose path already ends in `/invocations` or `/infer` is used as is.
    public init(
        url: String, client: CurlClient, connectTimeout: Duration = .seconds(2), breaker: CircuitBreaker = CircuitBreaker()
    ) {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        if !url.hasSuffix("/invocations") && !url.hasSuffix("/infer") { url += "/invocations" }
        self.url = url
        self.client = client
        self.connectTimeout = connectTimeout
        self.sagemaker = nil
        self.breaker = breaker
        self.credentials = { () throws(SigV4Error) in throw .missingCredentials("not a SageMaker client") }
    }

    /// The encoded V2 request for `input`: the tensors as binary data after the JSON part
    /// (`Inference-Header-Content-Length`), `mask_prob` (and with `belief`, `mask_belief`) asked for
    /// as binary.
    ///
    /// - Throws: `ProxyError` 500 when the tensors cannot be encoded (a bug).
    public static func encode(
        _ input: SegmentationInput, requestId: String?, style: BinaryHeaderStyle = .inferenceHeaderContentLength,
        belief: Bool = false
    ) throws(ProxyError) -> EncodedInferenceMessage {
        do {
            return try SegmentationTensors.request(for: input, id: requestId, binaryOutput: true, belief: belief)
                .encoded(binaryInputs: true, style: style)
        } catch {
            throw .internalError()
        }
    }

    /// Posts an encoded request and reads the probability map.
    ///
    /// - Parameters:
    ///   - message: from `encode(_:requestId:)`.
    ///   - cropWidth: expected map width.
    ///   - cropHeight: expected map height.
    ///   - timeout: the whole request's limit.
    /// - Throws: `ProxyError`: 503 `model_unavailable` when the endpoint cannot be reached or answers
    ///   503 (loading, overloaded), or at once while the circuit breaker is open (after
    ///   consecutive timeouts or refused connections; `Retry-After` set); 504 `model_timeout` when it
    ///   does not answer within `timeout`;
    ///   502 `model_error` for any other error status (with the endpoint's message) or a response
    ///   that is not a V2 answer with a `mask_prob` of the crop's size.
    public func infer(
        _ message: EncodedInferenceMessage, cropWidth: Int, cropHeight: Int, timeout: Duration
    ) async throws(ProxyError) -> ModelOutput {
        var headers = message.headers.map { HTTPHeaderField($0.name, $0.value) }
        headers += TracePropagation.outgoingHeaders()  // traceparent, X-Amzn-Trace-Id, X-Request-Id of this request
        if let sagemaker {
            do {
                let signer = SigV4Signer(
                    credentials: try credentials(), region: sagemaker.region, service: SageMakerRuntimeTarget.signingService)
                let signature = try signer.sign(
                    method: "POST", url: url, headers: headers, body: message.body)
                headers += signature.headersToAdd
            } catch {
                throw .modelUnavailable("cannot sign the SageMaker call: \(error)")
            }
        }
        let request = CurlRequest(
            method: "POST", url: url, headers: headers,
            body: message.body, connectTimeout: connectTimeout, timeout: timeout, maxResponseBytes: 64 << 20)
        if case .reject(let wait) = breaker.acquire() {
            let seconds = CircuitBreaker.retryAfterSeconds(wait)
            throw .modelUnavailable(
                "the model endpoint failed repeatedly (timeouts or refused connections); retry after \(seconds) s",
                retryAfter: seconds)
        }
        let response: CurlResponse
        do {
            response = try await client.execute(request)
            breaker.recordSuccess()
        } catch {
            breaker.record(error)
            switch error.code {
            case .connectionRefused, .couldNotResolve:
                throw .modelUnavailable("the model endpoint cannot be reached")
            case .timedOut:
                throw .modelTimeout("the model endpoint did not answer within \(timeout)")
            case .responseTooLarge:
                throw .modelError("the model endpoint's answer is too large")
            default:
                throw .modelError("the model endpoint call failed: \(error.message)")
            }
        }
        guard response.status == 200 else {
            let detail = Self.errorMessage(response.body)
            if response.status == 503 {
                throw .modelUnavailable("the model endpoint is not ready: \(detail)")
            }
            throw .modelError("the model endpoint answered \(response.status): \(detail)")
        }
        let decoded: InferenceResponse
        let probability: GrayImage
        let belief: GrayImage?
        do {
            let framing = try MessageFraming(
                contentType: response.header("Content-Type"),
                inferenceHeaderContentLength: response.header(InferenceMediaType.inferenceHeaderContentLength),
                bodyLength: response.body.count)
            decoded = try InferenceResponse(decoding: response.body, framing: framing)
            probability = try SegmentationTensors.probabilityMap(from: decoded, width: cropWidth, height: cropHeight)
            belief = try SegmentationTensors.beliefMap(from: decoded, width: cropWidth, height: cropHeight)
        } catch {
            throw .modelError("the model endpoint's answer is not a valid V2 response: \(error.message)")
        }
        return ModelOutput(
            probability: probability, belief: belief, modelName: decoded.modelName, modelVersion: decoded.modelVersion ?? "unknown",
            modelMilliseconds: response.header("X-Model-Time-Ms").flatMap(Double.init)
                ?? decoded.parameters["model_time_ms"]?.doubleValue)
    }

    /// The `error` member of a V2 error body, or a short excerpt of a non-JSON body.
    static func errorMessage(_ body: [UInt8]) -> String {
        if let parsed = try? JSONDecoder().decode(InferenceErrorBody.self, from: Data(body)) { return parsed.error }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.isEmpty ? "no details" : text
    }
}
