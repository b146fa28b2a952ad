import Synchronization
import Tracing
import W3CTraceContext

/// The W3C trace context of the current span, kept in the `InstrumentationContext`.
public enum TraceContextKey: InstrumentationContextKey {
    /// The trace id, this span's id, flags and `tracestate`.
    public typealias Value = TraceContext
    /// The key's name in debugging output.
    public static var nameOverride: String? { "w3c-trace-context" }
}

/// The request id of the current request, kept in the `InstrumentationContext` so that outgoing calls
/// send it on (`X-Request-Id`).
public enum RequestIDKey: InstrumentationContextKey {
    /// The id.
    public typealias Value = String
    /// The key's name in debugging output.
    public static var nameOverride: String? { "request-id" }
}

extension InstrumentationContext {
    /// The W3C trace context of the current span, if any.
    public var traceContext: TraceContext? {
        get { self[TraceContextKey.self] }
        set { self[TraceContextKey.self] = newValue }
    }

    /// The id of the request being served, if any.
    public var requestID: String? {
        get { self[RequestIDKey.self] }
        set { self[RequestIDKey.self] = newValue }
    }
}

/// A swift-distributed-tracing `Tracer` that propagates W3C Trace Context (`traceparent`,
/// `tracestate`) and AWS X-Ray's `X-Amzn-Trace-Id`, and records nothing.
///
/// Extraction reads `traceparent` (with `tracestate`), else `X-Amzn-Trace-Id`
/// (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1`, the same 128-bit trace id); a missing or
/// malformed header leaves the context without a trace. A span continues the trace of its parent
/// context with a new random span id, or starts a new trace (random trace id, sampled) when the
/// context has none. Injection writes all three headers for the current span.
///
/// Spans are not recorded or exported (`isRecording` is `false`): this build has no exporter (an OTLP
/// exporter such as swift-otel would replace this tracer); the trace and span ids go into every log
/// line of a request instead.
public struct FewClickTracer: Tracer {
    /// The one tracer of the process.
    public static let shared = FewClickTracer()

    /// `traceparent`.
    public static let traceParentHeader = "traceparent"
    /// `tracestate`.
    public static let traceStateHeader = "tracestate"
    /// `X-Amzn-Trace-Id`.
    public static let amazonTraceHeader = "X-Amzn-Trace-Id"
    /// The header names this tracer reads and writes, lower case.
    public static let headerNames: Set<String> = ["traceparent", "tracestate", "x-amzn-trace-id"]

    /// Creates the tracer (use ``shared``).
    public init() {}

    /// Reads the trace context from `carrier` into `context` (see the type's documentation).
    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        if let parent = extractor.extract(key: Self.traceParentHeader, from: carrier),
            let trace = try? TraceContext(
                traceParentHeaderValue: parent.trimmed,
                traceStateHeaderValue: extractor.extract(key: Self.traceStateHeader, from: carrier))
        {
            context.traceContext = trace
        } else if let amazon = extractor.extract(key: Self.amazonTraceHeader, from: carrier),
            let trace = Self.traceContext(amazonTraceHeader: amazon)
        {
            context.traceContext = trace
        }
    }

    /// Writes `traceparent`, `tracestate` (when not empty) and `X-Amzn-Trace-Id` for `context`'s
    /// trace into `carrier`; nothing when it has none.
    public func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let trace = context.traceContext else { return }
        injector.inject(trace.traceParentHeaderValue, forKey: Self.traceParentHeader, into: &carrier)
        if let state = trace.traceStateHeaderValue, !state.isEmpty {
            injector.inject(state, forKey: Self.traceStateHeader, into: &carrier)
        }
        injector.inject(Self.amazonTraceHeader(for: trace), forKey: Self.amazonTraceHeader, into: &carrier)
    }

    /// A span that continues `context`'s trace (or starts one) with a new span id.
    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> FewClickSpan {
        var context = context()
        let parent = context.traceContext
        context.traceContext = TraceContext(
            traceID: parent?.traceID ?? .random(), spanID: .random(), flags: parent?.flags ?? .sampled,
            state: parent?.state ?? TraceState())
        return FewClickSpan(operationName: operationName, context: context, parentSpanID: parent?.spanID)
    }

    /// Nothing is buffered.
    public func forceFlush() {}

    /// The trace context of an `X-Amzn-Trace-Id` value, `nil` unless it has a well-formed `Root`.
    /// Without `Parent`, the span id is random.
    public static func traceContext(amazonTraceHeader value: String) -> TraceContext? {
        var root: Substring?
        var parent: Substring?
        var sampled = true
        for part in value.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "root": root = pair[1]
            case "parent": parent = pair[1]
            case "sampled": sampled = pair[1] != "0"
            default: continue
            }
        }
        // Root=1-{8 hex: epoch seconds}-{24 hex}: together the 32 hex digits of a W3C trace id.
        guard let root else { return nil }
        let pieces = root.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0] == "1", pieces[1].count == 8, pieces[2].count == 24 else { return nil }
        let spanHex = parent.map(String.init) ?? SpanID.random().description
        return try? TraceContext(
            traceParentHeaderValue: "00-\(pieces[1])\(pieces[2])-\(spanHex)-\(sampled ? "01" : "00")".lowercased())
    }

    /// The `X-Amzn-Trace-Id` value for `trace`: `Root=1-<8 hex>-<24 hex>;Parent=<span>;Sampled=0|1`.
    public static func amazonTraceHeader(for trace: TraceContext) -> String {
        let traceHex = trace.traceID.description
        let epoch = traceHex.prefix(8)
        let rest = traceHex.dropFirst(8)
        let sampled = trace.flags.contains(.sampled) ? 1 : 0
        return "Root=1-\(epoch)-\(rest);Parent=\(trace.spanID.description);Sampled=\(sampled)"
    }
}

/// A span of ``FewClickTracer``: it carries its context (trace and span ids) and its name, and records
/// nothing else.
public final class FewClickSpan: Tracing.Span {
    /// The context with this span's trace context.
    public let context: InstrumentationContext
    /// The span id of the parent span, when the trace came from upstream or a parent span.
    public let parentSpanID: SpanID?
    private let name: Mutex<String>

    init(operationName: String, context: InstrumentationContext, parentSpanID: SpanID?) {
        self.context = context
        self.parentSpanID = parentSpanID
        self.name = Mutex(operationName)
    }

    /// This span's trace context (always set).
    public var traceContext: TraceContext { context.traceContext! }

    /// The span's name.
    public var operationName: String {
        get { name.withLock { $0 } }
        set { name.withLock { $0 = newValue } }
    }

    /// Always empty: attributes are not recorded.
    public var attributes: SpanAttributes {
        get { [:] }
        set {}
    }

    /// `false`: nothing about this span is recorded or exported.
    public var isRecording: Bool { false }

    /// Not recorded.
    public func setStatus(_ status: SpanStatus) {}
    /// Not recorded.
    public func addEvent(_ event: SpanEvent) {}
    /// Not recorded.
    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {}
    /// Not recorded.
    public func addLink(_ link: SpanLink) {}
    /// Nothing to do: the span is not exported.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {}
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let text = Substring(self)
        let start = text.firstIndex { $0 != " " && $0 != "\t" } ?? text.endIndex
        let end = text.lastIndex { $0 != " " && $0 != "\t" }.map { text.index(after: $0) } ?? start
        return text[start..<Swift.max(start, end)]
    }

    var trimmed: String { String(trimmingSpaces) }
}
