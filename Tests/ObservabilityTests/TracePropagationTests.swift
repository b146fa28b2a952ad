import Observability
import Testing
import Tracing

/// W3C `traceparent` and AWS `X-Amzn-Trace-Id` propagation on its own (the services' end of it is
/// in ServiceTests' "Observability" suite).
@Suite("Trace propagation")
struct TracePropagationTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let traceparent = "00-\(traceID)-00f067aa0ba902b7-01"

    @Test("trace headers: traceparent round trip, X-Amzn-Trace-Id both ways, malformed headers ignored")
    func traceHeaders() throws {
        let incoming = TracePropagation.incoming(HeaderLookup([("TraceParent", Self.traceparent)]))
        #expect(incoming.traceContext?.traceID.description == Self.traceID)
        let span = FewClickTracer.shared.startSpan("test", context: incoming, ofKind: .server)
        #expect(span.traceContext.traceID.description == Self.traceID)
        #expect(span.parentSpanID?.description == "00f067aa0ba902b7")
        let outgoing = Dictionary(uniqueKeysWithValues: TracePropagation.outgoingHeaders(span.context).map { ($0.name, $0.value) })
        #expect(outgoing["traceparent"] == "00-\(Self.traceID)-\(span.traceContext.spanID)-01")
        #expect(outgoing["X-Amzn-Trace-Id"] == "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=\(span.traceContext.spanID);Sampled=1")

        let amazon = TracePropagation.incoming(
            HeaderLookup([("x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")]))
        #expect(amazon.traceContext?.traceID.description == "5759e988bd862e3fe1be46a994272793")
        #expect(amazon.traceContext?.spanID.description == "53995c3f42cd8ad8")
        #expect(amazon.traceContext?.flags.contains(.sampled) == false)
        let lambda = TracePropagation.incoming(
            HeaderLookup([]), fallbackAmazonTraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        #expect(lambda.traceContext?.traceID.description == "5759e988bd862e3fe1be46a994272793")

        for bad in ["", "00-zz-00f067aa0ba902b7-01", "00-\(Self.traceID)-0000000000000000-01", "garbage"] {
            #expect(TracePropagation.incoming(HeaderLookup([("traceparent", bad)])).traceContext == nil, "\(bad)")
        }
        #expect(TracePropagation.incoming(HeaderLookup([("X-Amzn-Trace-Id", "Root=2-abc-def")])).traceContext == nil)
        let fresh = FewClickTracer.shared.startSpan("new", context: .topLevel, ofKind: .server)
        #expect(fresh.parentSpanID == nil && fresh.traceContext.traceID.description.count == 32)
        #expect(TracePropagation.outgoingHeaders(nil).isEmpty)
    }
}
