import CurlHTTP
import Endpoint
import FewClickAPI
import FewClickCore
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Observability
import Proxy
import Segmentation
import Testing

/// Log records kept in memory, for checking what a service logs (tests only).
final class LogCapture: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = MutexBox<[Record]>([])

    /// A logger whose records land here.
    var logger: Logger { Logger(label: "capture") { _ in Handler(capture: self) } }
    var all: [Record] { records.get() }
    /// The access-log lines.
    var access: [Record] { all.filter { $0.message == "access" } }

    fileprivate func append(_ record: Record) { records.mutate { $0.append(record) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(
                Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// Reads sample values out of a `/metrics` page (the end-to-end tests parse it strictly).
struct MetricsPage {
    let text: String

    /// The value of the sample `name{labels}` (exactly these labels, any order), if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let seriesName = series.prefix { $0 != "{" }
            guard seriesName == name, Self.labels(of: series) == labels else { continue }
            return Double(line[line.index(after: space)...])
        }
        return nil
    }

    /// The value, 0 when the series does not exist yet.
    func count(_ name: String, _ labels: [String: String] = [:]) -> Double { value(name, labels) ?? 0 }

    /// All label sets of samples named `name`.
    func labelSets(_ name: String) -> [[String: String]] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.prefix { $0 != "{" && $0 != " " } == name }
            .map { line in Self.labels(of: line[..<(line.lastIndex(of: " ") ?? line.endIndex)]) }
    }

    private static func labels(of series: Substring) -> [String: String] {
        guard let open = series.firstIndex(of: "{") else { return [:] }
        var labels: [String: String] = [:]
        for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
        }
        return labels
    }
}

@Suite("Observability: metrics, traces, access log")
struct ObservabilityTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let traceparent = "00-\(traceID)-00f067aa0ba902b7-01"

    static func scrape(_ client: some TestClientProtocol) async throws -> MetricsPage {
        try await client.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == FewClickMetrics.contentType)
            return MetricsPage(text: String(buffer: response.body))
        }
    }

    @Test("gateway: requests by route template and status, auth failures by code, throttles; access log without the token")
    func gatewayMetricsAndAccessLog() async throws {
        let capture = LogCapture()
        let fake = FakeInvokeAPI()
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            let configuration = GatewayHTTPTests.configuration(
                invokeURL: url, throttle: ThrottleSettings(ratePerSecond: 0.001, burst: 1))
            let app = try await buildApplication(configuration: configuration, client: client, logger: capture.logger)
            try await app.test(.router) { client in
                let before = try await Self.scrape(client)
                let badToken = "Bearer not-a-jwt-\(UUID().uuidString)"
                var refusedCode = ""
                try await client.execute(
                    uri: "/v1/segment", method: .post,
                    headers: [.contentType: "application/json", .authorization: badToken], body: ByteBuffer(string: "{}")
                ) { response in
                    #expect(response.status == .unauthorized)
                    refusedCode = try GatewayHTTPTests.errorCode(response)
                }
                let token = try GatewayHTTPTests.token(sub: "labeler-metrics-\(UUID().uuidString.prefix(8))")
                for expected in [HTTPResponse.Status.ok, .tooManyRequests] {
                    try await client.execute(
                        uri: "/v1/segment", method: .post,
                        headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                        body: ByteBuffer(string: "{}")
                    ) { #expect($0.status == expected) }
                }
                try await client.execute(uri: "/no/such/path/12345", method: .get) { #expect($0.status == .notFound) }
                let after = try await Self.scrape(client)

                let segment = ["service": "gateway", "route": "/v1/segment"]
                for status in ["200", "401", "429"] {
                    let labels = segment.merging(["status": status]) { $1 }
                    #expect(after.count("fewclick_requests_total", labels) >= before.count("fewclick_requests_total", labels) + 1, "\(status)")
                }
                #expect(
                    after.count("fewclick_auth_failures_total", ["reason": refusedCode])
                        >= before.count("fewclick_auth_failures_total", ["reason": refusedCode]) + 1)
                #expect(after.count("fewclick_throttled_total") >= before.count("fewclick_throttled_total") + 1)
                let unmatched = ["service": "gateway", "route": "unmatched", "status": "404"]
                #expect(after.count("fewclick_requests_total", unmatched) >= before.count("fewclick_requests_total", unmatched) + 1)
                // Route labels are templates: the raw path never becomes a label value.
                #expect(!after.text.contains("12345"))
                // The histogram's buckets span 1 ms – 30 s.
                let bounds = after.labelSets("fewclick_request_duration_seconds_bucket")
                    .filter { $0["service"] == "gateway" && $0["route"] == "/v1/segment" }.compactMap { $0["le"] }
                #expect(bounds.filter { $0 != "+Inf" }.compactMap(Double.init).sorted() == FewClickMetrics.bucketBounds.map(\.seconds))
                #expect(bounds.contains("+Inf"))
                #expect(
                    after.count("fewclick_request_duration_seconds_count", segment)
                        >= before.count("fewclick_request_duration_seconds_count", segment) + 3)
            }
        }
        let lines = capture.access.filter { $0.metadata["route"] == "/v1/segment" }
        #expect(lines.map { $0.metadata["status"] } == ["401", "200", "429"])
        for line in lines {
            #expect(line.metadata["method"] == "POST")
            #expect(line.metadata["bytes_in"] == "2")
            #expect(line.metadata["bytes_out"].flatMap(Int.init) != nil)
            #expect(line.metadata["ms"].flatMap(Double.init) != nil)
            #expect(line.metadata["request_id"]?.isEmpty == false)
            #expect(line.metadata["trace_id"]?.count == 32)
        }
        #expect(lines[0].metadata["principal"] == nil)
        #expect(lines[1].metadata["principal"]?.hasPrefix("labeler-metrics-") == true)
        // No log line carries a token, or even the Authorization header.
        for record in capture.all {
            let text = record.message + record.metadata.values.joined(separator: " ")
            #expect(!text.contains("not-a-jwt") && !text.contains("eyJ"), "\(record.message)")
        }
    }

    @Test("gateway: traceparent is continued into the proxy event (same trace id, the gateway's span); a new trace when none comes in")
    func gatewayPropagatesTrace() async throws {
        let fake = FakeInvokeAPI()
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            let app = try await buildApplication(
                configuration: GatewayHTTPTests.configuration(invokeURL: url), client: client)
            try await app.test(.router) { client in
                let token = try GatewayHTTPTests.token()
                var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
                headers[.init("traceparent")!] = Self.traceparent
                headers[.init("tracestate")!] = "vendor=abc"
                try await client.execute(uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: "{}")) {
                    #expect($0.status == .ok)
                }
                let continued = try fake.lastEvent()
                let parent = try #require(continued.headers["traceparent"])
                #expect(parent.hasPrefix("00-\(Self.traceID)-"))
                #expect(parent != Self.traceparent, "the gateway sends its own span id")
                #expect(continued.headers["tracestate"] == "vendor=abc")
                #expect(continued.multiValueHeaders["traceparent"] == [parent], "the client's header is replaced, not repeated")
                #expect(continued.headers["X-Amzn-Trace-Id"]?.hasPrefix("Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=") == true)

                headers[.init("traceparent")!] = nil
                headers[.init("tracestate")!] = nil
                try await client.execute(uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: "{}")) {
                    #expect($0.status == .ok)
                }
                let started = try #require(try fake.lastEvent().headers["traceparent"])
                #expect(started.count == 55 && !started.contains(Self.traceID))
            }
        }
    }

    @Test("proxy → endpoint: the event's traceparent and request id reach the endpoint; image store, decode, overhead and model metrics move")
    func proxyAndEndpoint() async throws {
        let endpointLog = LogCapture()
        let proxyLog = LogCapture()
        try await ProxyFixture.withEndpoint(model: "box", logger: endpointLog.logger) { url in
            var configuration = ProxyConfiguration()
            configuration.endpointURL = url
            let function = ProxyFunction(configuration: configuration, logger: proxyLog.logger)
            defer { function.shutdown() }
            let before = MetricsPage(text: String(decoding: FewClickMetrics.exposition(), as: UTF8.self))
            let png = try ProxyFixture.png()
            let requestID = "trace-test-\(UUID().uuidString.prefix(8))"
            let body = try ProxyFixture.json(
                SegmentRequestBody(image: .init(data: Data(png).base64EncodedString()), extremePoints: ProxyFixture.extremePoints))
            let event = try ProxyFixture.event(
                body, headers: ["Content-Type": "application/json", "traceparent": Self.traceparent, "X-Request-Id": requestID])
            let context = LambdaContext.local(timeout: .seconds(30), logger: proxyLog.logger)
            let answer = try JSONDecoder().decode(
                APIGatewayResponse.self, from: Data(try await function.lambdaHandler.handle(event, context: context)))
            #expect(answer.statusCode == 200)
            let imageId = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(try answer.bodyBytes())).imageId
            let byId = try ProxyFixture.json(SegmentRequestBody(image: .init(id: imageId), extremePoints: ProxyFixture.extremePoints))
            let second = try await function.lambdaHandler.handle(try ProxyFixture.event(byId), context: context)
            #expect(try JSONDecoder().decode(APIGatewayResponse.self, from: Data(second)).statusCode == 200)
            let after = MetricsPage(text: String(decoding: FewClickMetrics.exposition(), as: UTF8.self))

            for (name, labels, delta) in [
                ("fewclick_requests_total", ["service": "proxy", "route": "/v1/segment", "status": "200"], 2.0),
                ("fewclick_requests_total", ["service": "endpoint", "route": "/invocations", "status": "200"], 2),
                ("fewclick_image_store_misses_total", [:], 1), ("fewclick_image_store_hits_total", [:], 1),
                ("fewclick_image_decode_seconds_count", [:], 1), ("fewclick_overhead_latency_seconds_count", [:], 2),
                ("fewclick_model_latency_seconds_count", ["model": "box"], 2),
            ] {
                #expect(after.count(name, labels) >= before.count(name, labels) + delta, "\(name) \(labels)")
            }
            #expect(after.value("fewclick_model_queue_depth") != nil)
        }
        // The endpoint saw the same trace and the same request id.
        let endpointAccess = try #require(endpointLog.access.first { $0.metadata["route"] == "/invocations" })
        #expect(endpointAccess.metadata["trace_id"] == Self.traceID)
        #expect(endpointAccess.metadata["request_id"]?.hasPrefix("trace-test-") == true)
        #expect(endpointAccess.metadata["status"] == "200")
        let inference = try #require(endpointLog.all.first { $0.message == "inference" })
        #expect(inference.metadata["trace_id"] == Self.traceID, "every log line of the request carries the trace")
        let proxyAccess = proxyLog.access
        #expect(proxyAccess.count == 2)
        #expect(proxyAccess.first?.metadata["trace_id"] == Self.traceID)
        #expect(proxyAccess.first?.metadata["principal"] == "tester")
        #expect(proxyAccess.first?.metadata["route"] == "/v1/segment")
        #expect(proxyAccess.first?.metadata["request_id"] == endpointAccess.metadata["request_id"])
        // The second call had no trace header: a new trace, still carried to the endpoint.
        let newTrace = try #require(proxyAccess.last?.metadata["trace_id"])
        #expect(newTrace != Self.traceID)
        #expect(endpointLog.access.contains { $0.metadata["trace_id"] == newTrace })
        // No image bytes in any log line.
        let pngPrefix = String(Data(try ProxyFixture.png()).base64EncodedString().prefix(24))
        for record in proxyLog.all + endpointLog.all {
            #expect(!(record.message + record.metadata.values.joined()).contains(pngPrefix))
        }
    }

    @Test("endpoint: route labels are templates (/v2/models/{name}), /metrics answers 405 to POST, error answers logged with their size")
    func endpointRouteTemplates() async throws {
        let capture = LogCapture()
        let app = try buildApplication(
            configuration: EndpointConfiguration(host: "127.0.0.1", port: 0, workerThreads: 1),
            models: [try #require(ModelLoader.catalog("box"))], logger: capture.logger)
        try await app.test(.router) { client in
            let before = try await Self.scrape(client)
            try await client.execute(uri: "/v2/models/box", method: .get) { #expect($0.status == .ok || $0.status == .serviceUnavailable) }
            try await client.execute(uri: "/v2/models/no-such-model-777", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .post) { #expect($0.status == .methodNotAllowed) }
            let after = try await Self.scrape(client)
            let template = ["service": "endpoint", "route": "/v2/models/{name}", "status": "404"]
            #expect(after.count("fewclick_requests_total", template) >= before.count("fewclick_requests_total", template) + 1)
            #expect(!after.text.contains("no-such-model-777"))
            #expect(after.value("fewclick_model_latency_seconds_count", ["model": "box"]) != nil)
        }
        // Error answers are logged with their status and size too.
        let refused = try #require(capture.access.first { $0.metadata["status"] == "404" })
        #expect(refused.metadata["route"] == "/v2/models/{name}")
        #expect(refused.metadata["bytes_out"].flatMap(Int.init) ?? 0 > 0)
    }
}
