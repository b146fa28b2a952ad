import FewClickCore
import Foundation
import Logging
import Synchronization
import Tracing

/// Request ids: the client's `X-Request-Id` when well-formed, else a new one.
public enum RequestID {
    /// Whether `id` is 1–128 characters of `[A-Za-z0-9._:-]` (safe to log and send on).
    public static func isWellFormed(_ id: String) -> Bool {
        guard (1...128).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }

    /// `header` when well-formed, else a new lower-case UUID.
    public static func make(from header: String?) -> String {
        header.flatMap { isWellFormed($0) ? $0 : nil } ?? UUID().uuidString.lowercased()
    }
}

/// What the code serving a request adds to its access-log line: the authenticated principal.
///
/// A reference set for the duration of the request (task-local), so the handler deep inside can
/// annotate the line the outer middleware writes.
public final class RequestAnnotations: Sendable {
    /// The annotations of the request being served in this task, if any.
    @TaskLocal public static var current: RequestAnnotations?

    private let fields = Mutex<String?>(nil)

    /// Creates empty annotations.
    public init() {}

    /// The principal (the token's subject at the gateway, the authorizer's `principalId` at the proxy).
    public var principal: String? {
        get { fields.withLock { $0 } }
        set { fields.withLock { $0 = newValue } }
    }
}

/// One request's observation: its span (continuing the incoming trace or starting one), its log
/// metadata, and at the end its metrics and its access-log line.
///
/// The access line is `info` level, message `access`, metadata `method`, `route` (the route template,
/// never the raw path), `status`, `bytes_in`, `bytes_out` (`-` when unknown), `ms`, `principal` (when
/// known), plus the logger's `request_id`, `trace_id`, `span_id`. Never headers (tokens) or bodies (images).
public struct RequestObservation: Sendable {
    /// `gateway`, `proxy` or `endpoint` (the `service` label).
    public let service: String
    /// The request's HTTP method.
    public let method: String
    /// The request id.
    public let requestID: String
    /// The server span of this request.
    public let span: FewClickSpan
    /// The principal and other per-request notes for the access line.
    public let annotations = RequestAnnotations()
    private let start = ContinuousClock.now

    /// Starts observing a request whose trace context (if any) was read into `incoming`.
    public init(service: String, method: String, requestID: String, incoming: InstrumentationContext) {
        self.service = service
        self.method = method
        self.requestID = requestID
        var context = incoming
        context.requestID = requestID
        span = FewClickTracer.shared.startSpan("\(method) \(service)", context: context, ofKind: .server)
    }

    /// Adds `request_id`, `trace_id` and `span_id` to `logger`'s metadata.
    public func decorate(_ logger: inout Logger) {
        logger[metadataKey: "request_id"] = .string(requestID)
        logger[metadataKey: "trace_id"] = .string(span.traceContext.traceID.description)
        logger[metadataKey: "span_id"] = .string(span.traceContext.spanID.description)
    }

    /// Runs `body` with this request's span as the current context (outgoing calls propagate it) and
    /// its annotations as the current ones.
    public func run<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async rethrows -> T {
        try await InstrumentationContext.$current.withValue(span.context) {
            try await RequestAnnotations.$current.withValue(annotations) {
                try await body()
            }
        }
    }

    /// Time since the observation started.
    public var elapsed: Duration { ContinuousClock.now - start }

    /// Records `fewclick_requests_total` and `fewclick_request_duration_seconds` and writes the access line.
    ///
    /// - Parameters:
    ///   - route: the route template, or `RequestMetrics.unmatchedRoute`.
    ///   - status: the HTTP status answered.
    ///   - bytesIn: request body bytes, when known.
    ///   - bytesOut: response body bytes, when known.
    ///   - logger: the request's logger (decorated).
    public func finish(route: String, status: Int, bytesIn: Int?, bytesOut: Int?, logger: Logger) {
        let elapsed = self.elapsed
        span.operationName = "\(method) \(route)"
        span.end()
        RequestMetrics.record(service: service, route: route, status: status, duration: elapsed)
        var metadata: Logger.Metadata = [
            "method": .string(method), "route": .string(route), "status": .stringConvertible(status),
            "bytes_in": .string(bytesIn.map(String.init) ?? "-"), "bytes_out": .string(bytesOut.map(String.init) ?? "-"),
            "ms": .string(String(format: "%.1f", elapsed.seconds * 1000)),
        ]
        if let principal = annotations.principal { metadata["principal"] = .string(principal) }
        logger.info("access", metadata: metadata)
    }
}
