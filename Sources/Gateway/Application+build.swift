import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird
import LambdaKit
import Logging
import Observability
import ServerLimits

/// Builds the gateway application: routes, middleware, and the proxy integration.
///
/// Routes: `POST /v1/segment` (bearer token, body ≤ ``GatewayConfiguration/maxBodyBytes``, then the
/// proxy through the Invoke API), `OPTIONS` preflights for any path (CORS, no auth), `GET /healthz`,
/// `GET /metrics` (Prometheus text, no auth). Every response carries `X-Request-Id` and, for allowed
/// origins, CORS headers; every request is traced (W3C `traceparent`), counted and access-logged.
///
/// - Parameters:
///   - configuration: what to serve and where the proxy is.
///   - client: the HTTP client for Invoke API calls (shared; the caller shuts it down).
///   - logger: the service logger.
///   - onListening: called with the bound port once the server listens (also logged as
///     `gateway listening on HOST:PORT`).
/// - Throws: ``TokenConfigurationError`` when the token configuration is unusable (see ``TokenVerifier``).
public func buildApplication(
    configuration: GatewayConfiguration, client: CurlClient, logger: Logger = Logger(label: "gateway"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(configuration: configuration, client: client)
    let host = configuration.host
    var server = ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: "fewclick-gateway")
    configuration.limits.apply(to: &server, logger: logger)
    return Application(
        router: router,
        // Errors below the router (a head that cannot be parsed or does not arrive) in the API's envelope.
        server: configuration.limits.http1(errorBody: { _, code, message in
            ErrorResponseBody(code: APIErrorCode(code), message: message).json
        }),
        configuration: server,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.notice("gateway listening on \(host):\(port)")
            await onListening(port)
        },
        logger: logger)
}

/// Builds the gateway's router (for in-process tests with `app.test(.router)`).
/// - Throws: ``TokenConfigurationError`` when the token configuration is unusable (see ``TokenVerifier``).
public func buildRouter(configuration: GatewayConfiguration, client: CurlClient) async throws -> Router<GatewayRequestContext> {
    let verifier = try await TokenVerifier(
        configuration: configuration.token, client: client, logger: Logger(label: "gateway.auth"))
    let segment = SegmentRoute(
        verifier: verifier,
        invoker: LambdaInvoker(
            client: client, integration: configuration.integration,
            breaker: CircuitBreaker(threshold: configuration.breakerThreshold, cooldown: configuration.breakerCooldown)),
        events: ProxyEventBuilder(stage: configuration.integration.stage, port: configuration.port),
        maxBodyBytes: configuration.maxBodyBytes, bodyTimeout: configuration.limits.bodyTimeout,
        throttle: configuration.throttle.map(Throttle.init))
    let health = HealthRoute(
        client: client, integration: configuration.integration, checksProxy: configuration.healthChecksProxy)

    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: ObservabilityMiddleware(service: "gateway"))
    router.add(middleware: CORSPolicyMiddleware(policy: configuration.cors))
    router.add(middleware: ErrorMiddleware())
    router.addMetricsRoute()
    GatewayMetrics.register()
    router.post("/v1/segment") { request, context in
        try await segment.handle(request, context: context)
    }
    router.on("/v1/segment", method: .options) { _, _ in
        Response(status: .noContent, headers: [.allow: "POST, OPTIONS"])
    }
    for method in [HTTPRequest.Method.get, .put, .delete, .patch, .head] {
        router.on("/v1/segment", method: method) { _, _ -> Response in
            throw GatewayError(
                .methodNotAllowed, code: .methodNotAllowed, message: "use POST on /v1/segment",
                headers: [.allow: "POST, OPTIONS"])
        }
    }
    router.get("/healthz") { _, context in
        await health.handle(logger: context.logger)
    }
    if let ui = configuration.ui {
        DemoSite(settings: ui, host: configuration.host, segment: segment).register(on: router)
    }
    return router
}

/// `POST /v1/segment`: authenticate, throttle, read the body within the limit, invoke the proxy.
struct SegmentRoute: Sendable {
    let verifier: TokenVerifier
    let invoker: LambdaInvoker
    let events: ProxyEventBuilder
    let maxBodyBytes: Int
    let bodyTimeout: Duration
    let throttle: Throttle?

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await forward(request, claims: try await authenticate(request), context: context)
    }

    /// Everything after authentication: throttle, read the body within the limit, invoke the proxy
    /// (the demo's `/demo/v1/segment` authenticates with its own tokens, then comes here).
    func forward(_ request: Request, claims: VerifiedClaims, context: GatewayRequestContext) async throws -> Response {
        var logger = context.logger
        logger[metadataKey: "principal"] = .string(claims.subject)
        RequestAnnotations.current?.principal = claims.subject
        if let throttle, let wait = throttle.take(claims.subject) {
            GatewayMetrics.throttled()
            let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
            throw GatewayError(
                .tooManyRequests, code: .throttled, message: "too many requests; retry after \(seconds) s",
                headers: [.retryAfter: String(seconds)])
        }
        let body = try await RequestBodyLimit.read(request, limit: maxBodyBytes, timeout: bodyTimeout)
        // JSON bodies are checked strictly here; others travel as they are (base64 in the event).
        if request.headers[.contentType].map({ $0.lowercased().contains("json") }) ?? false {
            try RequestBodyLimit.checkJSONObject(body)
        }
        let event = events.event(for: request, claims: claims, requestID: context.requestID, sourceIP: context.sourceIP)
        return try await invoker.invoke(event, body: body, requestID: context.requestID, logger: logger)
    }

    /// Verifies the bearer token of `request`.
    func authenticate(_ request: Request) async throws(GatewayError) -> VerifiedClaims {
        do {
            let token = try BearerToken.parse(request.headers[.authorization])
            return try await verifier.verify(token, now: Date())
        } catch {
            let refusal = GatewayError(error, requiredScope: verifier.configuration.requiredScope)
            GatewayMetrics.authFailure(reason: refusal.code.rawValue)
            throw refusal
        }
    }
}

/// `GET /healthz`: 200 `{"status":"ok"}`; when configured, also asks the proxy (`GET /healthz`
/// on the Invoke API host; any HTTP answer counts as reachable) and answers 503
/// `proxy_unavailable` when it cannot connect.
struct HealthRoute: Sendable {
    let client: CurlClient
    let checksProxy: Bool
    /// `GET /healthz` on the Invoke API host, computed once.
    let healthURL: String

    init(client: CurlClient, integration: GatewayConfiguration.Integration, checksProxy: Bool) {
        self.client = client
        self.checksProxy = checksProxy
        healthURL = integration.baseURL + "/healthz"
    }

    struct Status: Codable {
        var status: String
        var proxy: String?
    }

    func handle(logger: Logger) async -> Response {
        guard checksProxy else { return Response.json(status: .ok, Status(status: "ok")) }
        let request = CurlRequest(
            method: "GET", url: healthURL, connectTimeout: .seconds(1), timeout: .seconds(2), maxResponseBytes: 1 << 16)
        do {
            _ = try await client.execute(request)
            return Response.json(status: .ok, Status(status: "ok", proxy: "reachable"))
        } catch {
            return GatewayError(.serviceUnavailable, code: .proxyUnavailable, message: "the proxy is unreachable")
                .response()
        }
    }
}

/// Reads request bodies within a size limit and a time limit.
public enum RequestBodyLimit {
    /// Reads the whole body of `request`, refusing with 413 `payload_too_large` as soon as it is
    /// known to exceed `limit` bytes: from `Content-Length` before reading anything, or while
    /// streaming a body without one (reading stops at the chunk that crosses the limit); with 408
    /// `request_timeout` when it takes longer than `timeout`; with 400 `invalid_request` when its
    /// framing is malformed (bad chunk sizes). Each refusal closes the connection after the answer.
    /// - Throws: ``GatewayError`` (413, 408, 400).
    public static func read(_ request: Request, limit: Int, timeout: Duration = .seconds(30)) async throws(GatewayError) -> [UInt8] {
        do {
            // One copy out of NIO's buffer (already joined from the request's chunks by collectBody):
            // the strict JSON check and the event's escaping both read one contiguous `[UInt8]`.
            return Array(buffer: try await ServerLimits.collectBody(request, limit: limit, timeout: timeout))
        } catch {
            throw refusal(error, limit: limit)
        }
    }

    /// The answer to a body that could not be read: 413 `payload_too_large`, 408 `request_timeout`
    /// or 400 `invalid_request`, each closing the connection.
    static func refusal(_ error: BodyReadError, limit: Int) -> GatewayError {
        guard error.code != .tooLarge else {
            var refusal = GatewayError.payloadTooLarge(limit: limit)
            refusal.headers[.connection] = "close"
            return refusal
        }
        return GatewayError(
            error.status, code: error.code == .timedOut ? APIErrorCode.requestTimeout : .invalidRequest, message: error.message,
            headers: ServerLimits.closeConnection)
    }

    /// Checks that a `/v1/segment` body is one strict RFC 8259 JSON object (no trailing commas,
    /// no comments, nothing after it) before it is forwarded.
    /// - Throws: ``GatewayError`` 400 `invalid_json`.
    public static func checkJSONObject(_ body: [UInt8]) throws(GatewayError) {
        do {
            try StrictJSON.validateObject(body)
        } catch {
            throw GatewayError(.badRequest, code: .invalidJSON, message: error.message)
        }
    }
}
