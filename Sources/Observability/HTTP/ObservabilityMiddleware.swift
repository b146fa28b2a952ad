import HTTPTypes
import Hummingbird
import Logging
import Tracing

/// Observes every request of a Hummingbird service: continues (or starts) its trace from
/// `traceparent` / `X-Amzn-Trace-Id`, puts `request_id`, `trace_id` and `span_id` into the request's
/// logger, and when it is answered records `fewclick_requests_total` / `fewclick_request_duration_seconds`
/// with the route template and writes the access line (see ``RequestObservation``).
///
/// The request id is the logger's `request_id` when an earlier middleware set one (the gateway's), else
/// the request's `X-Request-Id` when well-formed, else a new one; the response then carries it as
/// `X-Request-Id` too. Errors thrown by inner handlers are counted with their status (500 when they have
/// none) and rethrown.
public struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The `service` label.
    public let service: String

    /// Observes requests of `service` (`gateway`, `endpoint`, …).
    public init(service: String) {
        self.service = service
    }

    /// Observes one request.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let requestIDHeader = HTTPField.Name(TracePropagation.requestIDHeader)!
        let knownID: String? =
            if case .string(let id) = context.logger[metadataKey: "request_id"] { id } else { nil }
        let observation = RequestObservation(
            service: service, method: request.method.rawValue,
            requestID: knownID ?? RequestID.make(from: request.headers[requestIDHeader]),
            incoming: TracePropagation.incoming(request.headers))
        observation.decorate(&context.logger)
        let bytesIn = request.headers[.contentLength].flatMap(Int.init)
        do {
            var response = try await observation.run { try await next(request, context) }
            if knownID == nil, response.headers[requestIDHeader] == nil {
                response.headers[requestIDHeader] = observation.requestID
            }
            observation.finish(
                route: Self.route(context), status: Int(response.status.code),
                bytesIn: bytesIn, bytesOut: response.body.contentLength, logger: context.logger)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            observation.finish(
                route: Self.route(context), status: Int(status),
                bytesIn: bytesIn, bytesOut: nil, logger: context.logger)
            throw error
        }
    }
}

extension ObservabilityMiddleware {
    /// The matched route's template (`/v2/models/{name}/infer`), or `unmatched` (Hummingbird's `NotFound`).
    static func route(_ context: Context) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return RequestMetrics.unmatchedRoute }
        return path
    }
}

extension Router {
    /// Adds `GET /metrics`: the process's metrics in Prometheus text format, no authentication.
    public func addMetricsRoute() {
        get("/metrics") { _, _ in FewClickMetrics.response() }
    }
}

extension FewClickMetrics {
    /// The `GET /metrics` response: ``exposition()`` as `text/plain; version=0.0.4`.
    public static func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: exposition())))
    }
}
