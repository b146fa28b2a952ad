import CurlHTTP
import FewClickAPI
import Foundation
import Testing

/// `GET /metrics` of the real executables, and a trace followed from the gateway to the endpoint.
@Suite("End to end: metrics and traces", .serialized)
struct ObservabilityEndToEndTests {
    static let traceID = "0af7651916cd43dd8448eb211c80319c"

    @Test(
        "/metrics of each service is valid Prometheus text and its counters move with requests; traceparent reaches the endpoint",
        .enabled(if: EndToEndTests.folder != nil, "endpoint/proxy/gateway executables not built next to the test bundle (run swift build)"))
    func metricsAndTraces() async throws {
        let stack = try await Stack.start(folder: try #require(EndToEndTests.folder))
        do {
            try await exercise(stack)
        } catch {
            let logs =
                "gateway log:\n\(stack.gateway.outputText.suffix(3000))\nproxy log:\n\(stack.proxy.outputText.suffix(3000))"
                + "\nendpoint log:\n\(stack.endpoint.outputText.suffix(3000))"
            Issue.record("\(logs)")
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    /// `GET /metrics` of `service`, parsed strictly.
    func scrape(_ stack: Stack, _ service: ServiceProcess) async throws -> PrometheusText {
        let response = try await stack.client.execute(CurlRequest(url: service.baseURL + "/metrics", timeout: .seconds(10)))
        try #require(response.status == 200, "\(service.name) /metrics: \(response.status)")
        #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        do {
            return try PrometheusText(String(decoding: response.body, as: UTF8.self))
        } catch {
            Issue.record("\(service.name) /metrics is not valid Prometheus text: \(error)")
            throw error
        }
    }

    func exercise(_ stack: Stack) async throws {
        let scene = try Scene.disk()
        let token = try await stack.token(subject: "metrics-e2e")
        let gateway0 = try await scrape(stack, stack.gateway)
        let proxy0 = try await scrape(stack, stack.proxy)
        let endpoint0 = try await scrape(stack, stack.endpoint)
        // Each service exports its own series from the start.
        #expect(gateway0.types["fewclick_throttled_total"] == "counter")
        for name in [
            "fewclick_image_store_hits_total", "fewclick_image_store_misses_total", "fewclick_image_store_evictions_total",
            "fewclick_image_store_fallbacks_total",
        ] {
            #expect(proxy0.types[name] == "counter", "\(name)")
        }
        #expect(proxy0.types["fewclick_overhead_latency_seconds"] == "histogram")
        #expect(proxy0.types["fewclick_image_decode_seconds"] == "histogram")
        #expect(endpoint0.types["fewclick_model_queue_depth"] == "gauge")
        #expect(endpoint0.types["fewclick_model_latency_seconds"] == "histogram")

        // 1. No token: 401, counted as an auth failure under its error code.
        let body = try Body.json(["image": ["data": Data(scene.png).base64EncodedString()], "extremePoints": scene.extremePoints])
        let refused = try await stack.segment(body, token: nil)
        #expect(refused.status == 401)
        let reason = try #require(refused.errorCode)
        // 2. With a traceparent and a request id: the image is new (a miss, decoded).
        let traced = try await stack.segment(
            body, token: token,
            headers: [
                HTTPHeaderField("traceparent", "00-\(Self.traceID)-b7ad6b7169203331-01"),
                HTTPHeaderField("X-Request-Id", "e2e-traced"),
            ])
        try #require(traced.status == 200, "traced call: \(traced.status) \(traced.text)")
        let imageId = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(traced.body)).imageId
        // 3. By id, no trace header: a hit, and a new trace.
        let byId = try Body.json(["image": ["id": imageId], "extremePoints": scene.extremePoints])
        let untraced = try await stack.segment(byId, token: token, headers: [HTTPHeaderField("X-Request-Id", "e2e-untraced")])
        try #require(untraced.status == 200, "by-id call: \(untraced.status) \(untraced.text)")
        // 4. An unknown id: a miss, 404.
        let unknown = try Body.json(["image": ["id": "sha256:" + String(repeating: "0", count: 64)], "extremePoints": scene.extremePoints])
        let missing = try await stack.segment(unknown, token: token)
        #expect(missing.status == 404 && missing.errorCode == "image_not_found")

        let gateway1 = try await scrape(stack, stack.gateway)
        let proxy1 = try await scrape(stack, stack.proxy)
        let endpoint1 = try await scrape(stack, stack.endpoint)
        func delta(_ before: PrometheusText, _ after: PrometheusText, _ name: String, _ labels: [String: String] = [:]) -> Double {
            after.count(name, labels) - before.count(name, labels)
        }
        #expect(gateway1.types["fewclick_requests_total"] == "counter")
        #expect(gateway1.types["fewclick_request_duration_seconds"] == "histogram")
        let gatewaySegment = ["service": "gateway", "route": "/v1/segment"]
        #expect(delta(gateway0, gateway1, "fewclick_requests_total", gatewaySegment.merging(["status": "200"]) { $1 }) == 2)
        #expect(delta(gateway0, gateway1, "fewclick_requests_total", gatewaySegment.merging(["status": "401"]) { $1 }) == 1)
        #expect(delta(gateway0, gateway1, "fewclick_requests_total", gatewaySegment.merging(["status": "404"]) { $1 }) == 1)
        #expect(delta(gateway0, gateway1, "fewclick_request_duration_seconds_count", gatewaySegment) == 4)
        #expect(delta(gateway0, gateway1, "fewclick_auth_failures_total", ["reason": reason]) == 1)
        #expect(gateway1.count("fewclick_requests_total", ["service": "gateway", "route": "/metrics", "status": "200"]) >= 1)

        let proxySegment = ["service": "proxy", "route": "/v1/segment"]
        #expect(delta(proxy0, proxy1, "fewclick_requests_total", proxySegment.merging(["status": "200"]) { $1 }) == 2)
        #expect(delta(proxy0, proxy1, "fewclick_requests_total", proxySegment.merging(["status": "404"]) { $1 }) == 1)
        #expect(delta(proxy0, proxy1, "fewclick_image_store_misses_total") == 2)
        #expect(delta(proxy0, proxy1, "fewclick_image_store_hits_total") == 1)
        #expect(delta(proxy0, proxy1, "fewclick_image_decode_seconds_count") == 1)
        #expect(delta(proxy0, proxy1, "fewclick_overhead_latency_seconds_count") == 2)

        let invocations = ["service": "endpoint", "route": "/invocations", "status": "200"]
        #expect(delta(endpoint0, endpoint1, "fewclick_requests_total", invocations) == 2)
        let modelCalls = endpoint1.samples(named: "fewclick_model_latency_seconds_count").map(\.value).reduce(0, +)
            - endpoint0.samples(named: "fewclick_model_latency_seconds_count").map(\.value).reduce(0, +)
        #expect(modelCalls == 2)
        #expect(endpoint1.value("fewclick_model_queue_depth") == 0)

        // The trace: the gateway's, the proxy's and the endpoint's access lines of the traced call carry
        // the client's trace id and its request id.
        for service in [stack.gateway, stack.proxy, stack.endpoint] {
            let line = try await accessLine(service, requestID: "e2e-traced")
            #expect(line["trace_id"] == Self.traceID, "\(service.name): \(line)")
            #expect(line["status"] == "200", "\(service.name): \(line)")
        }
        let gatewayLine = try await accessLine(stack.gateway, requestID: "e2e-traced")
        #expect(gatewayLine["principal"] == "metrics-e2e" && gatewayLine["route"] == "/v1/segment")
        #expect(gatewayLine["method"] == "POST" && gatewayLine["bytes_in"] == String(body.count))
        // The untraced call started a new trace at the gateway, which the endpoint continued.
        let started = try #require(try await accessLine(stack.gateway, requestID: "e2e-untraced")["trace_id"])
        #expect(started.count == 32 && started != Self.traceID)
        #expect(try await accessLine(stack.endpoint, requestID: "e2e-untraced")["trace_id"] == started)
    }

    /// The metadata of `service`'s access line for `requestID` (StreamLogHandler's `key=value` pairs),
    /// waiting up to 5 s for it to be written.
    func accessLine(_ service: ServiceProcess, requestID: String) async throws -> [String: String] {
        for _ in 0..<100 {
            for line in service.outputText.split(separator: "\n") where line.hasSuffix(" access") && line.contains("request_id=\(requestID) ") {
                var fields: [String: String] = [:]
                for token in line.split(separator: " ") {
                    let pair = token.split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
                }
                return fields
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServiceError("\(service.name) wrote no access line for request \(requestID)")
    }
}
