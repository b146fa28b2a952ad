import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import ImageCodec
import InferenceProtocol
import LambdaKit
import Logging
import Observability
import Segmentation

/// The proxy function: answers `POST /v1/segment` API Gateway events (payload 1.0 or 2.0).
///
/// Routes: `POST /v1/segment` (the segment call), `OPTIONS /v1/segment` (CORS preflight, 204);
/// other methods on it answer 405 `method_not_allowed`, other paths 404 `not_found`. Every
/// response, errors included, carries the CORS headers and `X-Request-Id` (from the request's
/// `X-Request-Id` header, else the event's `requestContext.requestId`, else the invocation id).
///
/// A segment call: parse and check the body → the image from `data` (decoded, stored under its
/// id) or `id` (from the image store) → `SegmentPipeline.modelInput` → the endpoint (V2 binary tensors,
/// `session` = image id) → `SegmentPipeline.mask` → the encodings asked for. Client and model
/// errors are JSON error responses (see `ProxyError`); the handler never throws, so API Gateway
/// never sees a function error from it.
///
/// The authorizer context (`principalId` and claims) is not needed to answer and is only logged
/// as `principal`; authentication happens in front of the function (gateway or API Gateway).
public final class ProxyHandler: HTTPEventHandler {
    /// The settings.
    public let configuration: ProxyConfiguration
    /// The image store behind `image.id`: the in-memory LRU, or Redis with that LRU in front
    /// (`configuration.imageStore`).
    public let store: any ImageStore
    /// The endpoint client.
    public let model: ModelClient
    /// The bound on concurrent decodes and decoded bytes in flight.
    public let decodeGate: DecodeGate
    private let fetcher: ImageFetcher
    private let logger: Logger

    /// The one route.
    public static let segmentPath = "/v1/segment"

    /// Creates the handler; `client` is shared with other users of the process and not shut down here.
    public init(configuration: ProxyConfiguration, client: CurlClient, logger: Logger) {
        self.configuration = configuration
        self.store = Self.makeStore(configuration, logger: logger)
        let breaker = CircuitBreaker(threshold: configuration.breakerThreshold, cooldown: configuration.breakerCooldown)
        self.model = configuration.sagemaker.map {
            ModelClient(sagemaker: $0, client: client, connectTimeout: configuration.endpointConnectTimeout, breaker: breaker)
        } ?? ModelClient(
            url: configuration.endpointURL, client: client, connectTimeout: configuration.endpointConnectTimeout,
            breaker: breaker)
        self.decodeGate = DecodeGate(maxConcurrent: configuration.maxConcurrentDecodes, maxBytes: configuration.maxDecodeBytes)
        self.fetcher = ImageFetcher(configuration: configuration, client: client)
        self.logger = logger
        ProxyMetrics.register()
    }

    /// The store `configuration.imageStore` names; the in-memory LRU when it names none (or a URL
    /// that does not parse, which `ProxyConfiguration.fromEnvironment` refuses earlier).
    static func makeStore(_ configuration: ProxyConfiguration, logger: Logger) -> any ImageStore {
        guard configuration.imageStore.url != nil else { return ImageCache(capacityBytes: configuration.imageCacheBytes) }
        do {
            let store = try RedisImageStore(
                settings: configuration.imageStore, localCapacityBytes: configuration.imageCacheBytes, logger: logger)
            let settings = configuration.imageStore
            logger.info(
                "image store: \(store.redis.configuration.redactedURL), ttl \(settings.ttl), images up to \(settings.maxImageBytes) bytes shared")
            return store
        } catch {
            logger.error("image store: \(error.message); using the in-memory cache alone")
            return ImageCache(capacityBytes: configuration.imageCacheBytes)
        }
    }

    /// Routes and answers one request (never throws).
    ///
    /// The request is traced from the event's `traceparent` / `X-Amzn-Trace-Id` headers (else the
    /// invocation's X-Ray header, else a new trace), and the `/invocations` call carries the trace on;
    /// its log lines carry `request_id`, `trace_id` and `span_id`; it is counted in
    /// `fewclick_requests_total{service="proxy"}` and ends with one `access` log line.
    public func handle(_ request: HTTPRequestEvent, context: LambdaContext) async -> HTTPResponseEvent {
        let requestId = request.headers["X-Request-Id"] ?? request.requestId ?? context.requestId
        let observation = RequestObservation(
            service: "proxy", method: request.method, requestID: requestId,
            incoming: TracePropagation.incoming(
                HeaderLookup(request.headers.map { ($0.name, $0.value) }), fallbackAmazonTraceHeader: context.traceId))
        observation.annotations.principal = request.principalId
        var logger = context.logger
        observation.decorate(&logger)
        let response = await observation.run { await answer(request, requestId: requestId, logger: logger, context: context) }
        observation.finish(
            route: Self.normalizedPath(request.path) == Self.segmentPath ? Self.segmentPath : RequestMetrics.unmatchedRoute,
            status: response.status, bytesIn: request.body.count, bytesOut: response.body.count, logger: logger)
        return response
    }

    /// `path` without trailing slashes.
    static func normalizedPath(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// `handle` without the observation.
    private func answer(_ request: HTTPRequestEvent, requestId: String, logger: Logger, context: LambdaContext) async
        -> HTTPResponseEvent
    {
        let path = Self.normalizedPath(request.path)
        guard path == Self.segmentPath else {
            return respond(.failure(.notFound(String(request.path.prefix(200)))), requestId: requestId, logger: logger)
        }
        switch request.method {
        case "OPTIONS":
            var headers = corsHeaders(requestId: requestId)
            headers["Access-Control-Max-Age"] = "600"
            return HTTPResponseEvent(status: 204, headers: headers)
        case "POST":
            break
        default:
            var response = respond(
                .failure(.methodNotAllowed(request.method, Self.segmentPath)), requestId: requestId, logger: logger)
            response.headers["Allow"] = "POST, OPTIONS"
            return response
        }
        if let type = request.headers["Content-Type"], !type.lowercased().contains("json") {
            return respond(
                .failure(.unsupportedMediaType(String(type.prefix(100)))), requestId: requestId, logger: logger)
        }
        let timeout = min(configuration.endpointTimeout, max(.seconds(1), context.remainingTime - .seconds(1)))
        let body: SegmentResponseBody
        do {
            body = try await segment(body: request.body, requestId: requestId, modelTimeout: timeout)
        } catch {
            return respond(.failure(error), requestId: requestId, logger: logger)
        }
        logger.info(
            "segment",
            metadata: [
                "principal": "\(request.principalId ?? "-")", "image": "\(body.width)x\(body.height)",
                "area": "\(body.mask.area)", "model_ms": "\(body.timingsMs.model)",
                "total_ms": "\(body.timingsMs.total)",
            ])
        return respond(.success(body), requestId: requestId, logger: logger)
    }

    /// One segment call on a raw JSON body: everything `handle` does for `POST /v1/segment`
    /// except routing, CORS and the content-type check.
    ///
    /// - Parameters:
    ///   - body: the request body.
    ///   - requestId: sent to the endpoint as the V2 request id.
    ///   - modelTimeout: the endpoint call's limit.
    /// - Returns: the response body.
    /// - Throws: the error to answer with.
    public func segment(body: [UInt8], requestId: String?, modelTimeout: Duration)
        async throws(ProxyError) -> SegmentResponseBody
    {
        let clock = ContinuousClock()
        let start = clock.now
        guard body.count <= configuration.maxBodyBytes else {
            throw .payloadTooLarge(body.count, limit: configuration.maxBodyBytes)
        }
        let configuration = self.configuration
        let store = self.store
        let gate = self.decodeGate

        // Decode: the body; the image from image.url (fetched), image.data (decoded, or this
        // process's copy) or image.id (the image store).
        let request = try await Offload.run { () throws(ProxyError) -> SegmentRequest in
            try SegmentRequest.parse(body, maxClicks: configuration.maxClicks)
        }
        let source: SegmentRequest.ImageSource
        if case .url(let url) = request.image {
            source = .data(try await fetcher.fetch(url, logger: logger))
        } else {
            source = request.image
        }
        let imageId: String
        let image: RGBImage
        let reserved: Int
        // A file this process has not decoded: decoded within the pixel limit and the decode bound.
        @Sendable func decodeNew(_ bytes: [UInt8]) throws(ProxyError) -> (RGBImage, Int) {
            let decodeStart = ContinuousClock.now
            let decoded = try Self.decodeImage(bytes, maxPixels: configuration.maxImagePixels, gate: gate)
            ProxyMetrics.imageDecoded(in: ContinuousClock.now - decodeStart)
            return decoded
        }
        switch source {
        case .id(let id):
            if let local = store.localImage(for: id) {
                ProxyMetrics.imageStoreHit()
                (imageId, image) = (id, local)
                reserved = try Self.reserve(gate, width: local.width, height: local.height)
            } else if let bytes = await store.sharedFile(for: id) {
                ProxyMetrics.imageStoreHit()
                let (decodedImage, held) = try await Offload.run { () throws(ProxyError) in try decodeNew(bytes) }
                // Kept in front; the shared copy keeps the lifetime its upload gave it.
                await store.insert(decodedImage, encoded: nil, for: id)
                (imageId, image, reserved) = (id, decodedImage, held)
            } else {
                ProxyMetrics.imageStoreMiss()
                throw .imageNotFound(id)
            }
        case .data(let bytes):
            let (id, decodedImage, held) = try await Offload.run { () throws(ProxyError) -> (String, RGBImage, Int) in
                let imageId = ImageCache.imageID(of: bytes)
                if let local = store.localImage(for: imageId) {
                    ProxyMetrics.imageStoreHit()
                    return (imageId, local, try Self.reserve(gate, width: local.width, height: local.height))
                }
                ProxyMetrics.imageStoreMiss()
                let (decoded, held) = try decodeNew(bytes)
                return (imageId, decoded, held)
            }
            // Stored again even when this process had it: refreshes the shared copy's lifetime.
            await store.insert(decodedImage, encoded: bytes, for: id)
            (imageId, image, reserved) = (id, decodedImage, held)
        case .url:
            throw .internalError()  // fetched above
        }
        // The image's pixel memory stays reserved until the answer is built.
        defer { gate.release(bytes: reserved) }
        let decoded = clock.now

        // Preprocess: crop plan, crop, tensors.
        let style = model.headerStyle
        let (plan, cropClicks, message) = try await Offload.run {
            () throws(ProxyError) -> (CropPlan, [Click], EncodedInferenceMessage) in
            let previousMask = try request.validate(width: image.width, height: image.height)
            let (plan, input) = SegmentPipeline.modelInput(
                image: image, clicks: request.allClicks, previousMask: previousMask,
                settings: configuration.cropSettings, sessionKey: imageId)
            return (
                plan, input.clicks,
                try ModelClient.encode(input, requestId: requestId, style: style, belief: request.suggest)
            )
        }
        let preprocessed = clock.now

        let output = try await model.infer(
            message, cropWidth: plan.cropWidth, cropHeight: plan.cropHeight, timeout: modelTimeout)
        let modelDone = clock.now

        let (maskBody, suggestion) = try await Offload.run {
            () throws(ProxyError) -> (SegmentResponseBody.MaskBody, SegmentResponseBody.Suggestion?) in
            let mask = try SegmentPipeline.mask(from: output.probability, plan: plan)
            let suggestion = request.suggest
                ? SegmentPipeline.suggestion(
                    answer: output.probability, belief: output.belief, cropClicks: cropClicks, plan: plan, mask: mask)
                : nil
            return (
                try SegmentPipeline.maskBody(
                    mask: mask, outputs: request.outputs, polygonTolerance: request.polygonTolerance),
                suggestion
            )
        }
        let end = clock.now
        // OverheadLatency: the call's time outside the model (the endpoint's own measure when sent).
        let reportedModel = output.modelMilliseconds.flatMap { ms in
            ms.isFinite && ms >= 0 && ms < 1e9 ? Duration.microseconds(Int64(ms * 1000)) : nil
        }
        ProxyMetrics.overheadLatency((end - start) - (reportedModel ?? (modelDone - preprocessed)))
        return SegmentResponseBody(
            imageId: imageId, width: image.width, height: image.height, mask: maskBody,
            model: .init(name: output.modelName, version: output.modelVersion),
            timingsMs: .init(
                decode: Self.milliseconds(decoded - start), preprocess: Self.milliseconds(preprocessed - decoded),
                model: output.modelMilliseconds ?? Self.milliseconds(modelDone - preprocessed),
                postprocess: Self.milliseconds(end - modelDone), total: Self.milliseconds(end - start)),
            suggestion: suggestion)
    }

    /// Decodes within the pixel limit and `gate`: the call's pixel memory is reserved (sized from
    /// the header before any pixel is decoded) and a decode slot held while decoding.
    /// - Returns: the image and the bytes reserved (release them with `gate.release(bytes:)`).
    /// - Throws: `ProxyError` 413 `image_too_large`, 415, 422 `invalid_image`, 503 `busy`.
    static func decodeImage(_ bytes: [UInt8], maxPixels: Int, gate: DecodeGate) throws(ProxyError) -> (RGBImage, Int) {
        let info: ImageInfo
        do {
            info = try ImageFile.info(bytes)
        } catch {
            throw codecError(error)
        }
        guard info.width * info.height <= maxPixels else {
            throw .imageTooLarge(
                "the image is too large: \(info.width)×\(info.height) is over the limit of \(maxPixels) pixels")
        }
        let reserved = try reserve(gate, width: info.width, height: info.height)
        guard gate.tryStartDecode() else {
            gate.release(bytes: reserved)
            throw .busy("the proxy is decoding \(gate.maxConcurrent) images already; retry shortly")
        }
        defer { gate.endDecode() }
        do throws(ProxyError) {
            return (try decode(bytes, maxPixels: maxPixels), reserved)
        } catch {
            gate.release(bytes: reserved)
            throw error
        }
    }

    /// Reserves a call's pixel memory for a `width × height` image.
    /// - Throws: `ProxyError` 503 `busy` when it does not fit now.
    static func reserve(_ gate: DecodeGate, width: Int, height: Int) throws(ProxyError) -> Int {
        let cost = DecodeGate.cost(width: width, height: height)
        guard gate.tryReserve(bytes: cost) else {
            let load = gate.load
            throw .busy(
                "the proxy holds \(load.calls) images (\(load.bytes >> 20) MiB of pixel work) and cannot take this "
                    + "\(width)×\(height) one now; retry shortly")
        }
        return cost
    }

    private static func decode(_ bytes: [UInt8], maxPixels: Int) throws(ProxyError) -> RGBImage {
        do {
            return try ImageFile.decodeRGB(bytes, maxPixels: maxPixels)
        } catch {
            throw codecError(error)
        }
    }

    private static func codecError(_ error: ImageCodecError) -> ProxyError {
        switch error.code {
        case .unsupportedFormat: return .unsupportedImageFormat()
        case .tooLarge: return .imageTooLarge("the image is too large: \(error.message)")
        case .corrupt: return .unprocessable("invalid_image", "the image cannot be decoded: \(error.message)")
        default: return .internalError()
        }
    }

    /// A duration in milliseconds, rounded to 0.01 ms.
    static func milliseconds(_ duration: Duration) -> Double {
        (duration.milliseconds * 100).rounded() / 100
    }

    /// The CORS and request-id headers every response carries.
    func corsHeaders(requestId: String) -> HeaderFields {
        var headers: HeaderFields = [
            "Access-Control-Allow-Origin": configuration.allowedOrigin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Request-Id",
            "Access-Control-Expose-Headers": "X-Request-Id",
            "X-Request-Id": requestId,
        ]
        if configuration.allowedOrigin != "*" { headers["Vary"] = "Origin" }
        return headers
    }

    /// A JSON response for a body or an error.
    func respond(_ result: Result<any Encodable & Sendable, ProxyError>, requestId: String, logger: Logger)
        -> HTTPResponseEvent
    {
        var headers = corsHeaders(requestId: requestId)
        headers["Content-Type"] = "application/json"
        switch result {
        case .success(let body):
            do {
                // JSONEncoder writes `Data`; one copy into the event's `[UInt8]` (see `encoded(for:)` for the rest).
                return HTTPResponseEvent(status: 200, headers: headers, body: try APIJSON.encode(body))
            } catch {
                logger.error("could not encode the response: \(error)")
                return respond(.failure(.internalError()), requestId: requestId, logger: logger)
            }
        case .failure(let error):
            if error.status >= 500 {
                logger.warning("segment failed", metadata: ["status": "\(error.status)", "code": "\(error.code)", "detail": "\(error.message)"])
            } else {
                logger.info("segment refused", metadata: ["status": "\(error.status)", "code": "\(error.code)"])
            }
            let body = error.responseBody.json
            if let seconds = error.retryAfterSeconds { headers["Retry-After"] = String(seconds) }
            return HTTPResponseEvent(status: error.status, headers: headers, body: body)
        }
    }
}
