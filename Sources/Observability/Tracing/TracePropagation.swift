import CurlHTTP
import HTTPTypes
import Tracing

/// Where the trace headers of a request are read from and written to.
///
/// Incoming: the gateway and the endpoint read HTTP request headers, the proxy the headers of its API
/// Gateway event. Outgoing: the gateway writes them into the proxy event's headers, the proxy onto its
/// `/invocations` call, each for its own span, so the trace id stays the same end to end.
public enum TracePropagation {
    /// The request-id header, sent on with the trace headers.
    public static let requestIDHeader = "X-Request-Id"

    /// A top-level context with the trace found in HTTP request headers (none when absent or malformed).
    public static func incoming(_ headers: HTTPFields) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        FewClickTracer.shared.extract(headers, into: &context, using: HTTPFieldsExtractor())
        return context
    }

    /// A top-level context with the trace found in `headers` (an event's headers); when they carry none,
    /// the trace of `fallbackAmazonTraceHeader` (Lambda's `Lambda-Runtime-Trace-Id`), if well-formed.
    public static func incoming(_ headers: HeaderLookup, fallbackAmazonTraceHeader: String? = nil)
        -> InstrumentationContext
    {
        var context = InstrumentationContext.topLevel
        FewClickTracer.shared.extract(headers, into: &context, using: HeaderLookupExtractor())
        if context.traceContext == nil, let fallbackAmazonTraceHeader {
            context.traceContext = FewClickTracer.traceContext(amazonTraceHeader: fallbackAmazonTraceHeader)
        }
        return context
    }

    /// The headers an outgoing call made in `context` carries: `traceparent`, `tracestate` (when
    /// set), `X-Amzn-Trace-Id` and, with `includeRequestID`, `X-Request-Id`. Empty outside a request.
    public static func outgoingHeaders(
        _ context: InstrumentationContext? = InstrumentationContext.current, includeRequestID: Bool = true
    ) -> [HTTPHeaderField] {
        guard let context else { return [] }
        var headers: [HTTPHeaderField] = []
        FewClickTracer.shared.inject(context, into: &headers, using: HeaderFieldInjector())
        if includeRequestID, let id = context.requestID { headers.append(HTTPHeaderField(requestIDHeader, id)) }
        return headers
    }
}

/// Header values by name, case-insensitively (the last value of a repeated name wins).
public struct HeaderLookup: Sendable {
    private let values: [String: String]

    /// Indexes `fields` (name, value) by lower-cased name.
    public init(_ fields: some Sequence<(String, String)>) {
        var values: [String: String] = [:]
        for (name, value) in fields { values[name.lowercased()] = value }
        self.values = values
    }

    /// The value of `name`, if present.
    public subscript(name: String) -> String? { values[name.lowercased()] }
}

/// Reads a `HeaderLookup`.
struct HeaderLookupExtractor: Extractor {
    func extract(key: String, from carrier: HeaderLookup) -> String? { carrier[key] }
}

/// Reads HTTP request headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}

/// Appends to a CurlHTTP header list.
struct HeaderFieldInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [HTTPHeaderField]) {
        carrier.append(HTTPHeaderField(key, value))
    }
}
