import CurlHTTP
import FewClickCore
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import InferenceProtocol
import LambdaKit
import Logging
import Proxy
import Segmentation
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test("opens after the threshold of consecutive failures, probes once after the cooldown, closes on success")
    func states() {
        let breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(5))
        let t0 = ContinuousClock.now
        for _ in 0..<2 {
            #expect(breaker.acquire(now: t0) == .proceed)
            breaker.recordFailure(now: t0)
        }
        breaker.recordSuccess()  // a success resets the count
        for _ in 0..<3 {
            #expect(breaker.acquire(now: t0) == .proceed)
            breaker.recordFailure(now: t0)
        }
        #expect(breaker.isOpen)
        #expect(breaker.acquire(now: t0 + .seconds(1)) == .reject(retryAfter: .seconds(4)))
        #expect(CircuitBreaker.retryAfterSeconds(.milliseconds(3200)) == 4)
        // After the cooldown: one probe at a time.
        #expect(breaker.acquire(now: t0 + .seconds(5)) == .proceed)
        if case .reject = breaker.acquire(now: t0 + .seconds(5)) {} else { Issue.record("a second probe went through") }
        // A failed probe re-opens for a whole cooldown.
        breaker.recordFailure(now: t0 + .seconds(6))
        if case .reject = breaker.acquire(now: t0 + .seconds(10)) {} else { Issue.record("re-opened breaker let a call through") }
        #expect(breaker.acquire(now: t0 + .seconds(11)) == .proceed)
        breaker.recordSuccess()
        #expect(!breaker.isOpen)
        #expect(breaker.acquire(now: t0 + .seconds(11)) == .proceed)
    }

    @Test("a curl error counts as a failure when the peer timed out or was unreachable, else it is neutral")
    func curlErrors() {
        let t0 = ContinuousClock.now
        let failures: [CurlError.Code] = [.timedOut, .connectionRefused, .couldNotResolve]
        for code in failures {
            let breaker = CircuitBreaker(threshold: 1, cooldown: .seconds(5))
            breaker.record(CurlError(code: code, message: "test"), now: t0)
            #expect(breaker.isOpen, "\(code)")
        }
        let breaker = CircuitBreaker(threshold: 1, cooldown: .seconds(5))
        breaker.record(CurlError(code: .responseTooLarge, message: "test"), now: t0)
        #expect(!breaker.isOpen)
    }
}

@Suite("Fail fast: gateway → proxy and proxy → endpoint")
struct FailFastTests {
    @Test("a hung proxy: after 3 timeouts the gateway answers 503 with Retry-After within a second; closes on recovery")
    func gatewayBreaker() async throws {
        let fake = FakeInvokeAPI()
        fake.set(.slow(.seconds(4)))
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            var configuration = GatewayHTTPTests.configuration(invokeURL: url, timeout: .seconds(1))
            configuration.breakerThreshold = 3
            configuration.breakerCooldown = .seconds(1)
            let app = try await buildApplication(configuration: configuration, client: client)
            try await app.test(.router) { testClient in
                let headers: HTTPFields = [
                    .contentType: "application/json", .authorization: "Bearer " + (try GatewayHTTPTests.token()),
                ]
                func call() async throws -> (Int, String?, String?, Duration) {
                    let clock = ContinuousClock()
                    let started = clock.now
                    return try await testClient.execute(
                        uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: "{}")
                    ) { (response) throws in
                        (Int(response.status.code), try? GatewayHTTPTests.errorCode(response), response.headers[.retryAfter],
                         clock.now - started)
                    }
                }
                for _ in 0..<3 {
                    let (status, code, _, _) = try await call()
                    #expect(status == 504 && code == "integration_timeout")
                }
                let (status, code, retryAfter, took) = try await call()
                #expect(status == 503 && code == "proxy_unavailable")
                #expect(retryAfter != nil)
                #expect(took < .seconds(1))
                let invocations = fake.events.count
                #expect(invocations == 3, "the open breaker must not call the proxy")
                // Recovery: after the cooldown one probe goes through and closes the breaker.
                fake.set(.result(.init(statusCode: 200, body: "{}")))
                try await Task.sleep(for: .milliseconds(1100))
                #expect(try await call().0 == 200)
                #expect(try await call().0 == 200)
            }
        }
    }

    @Test("a hung endpoint: after 3 timeouts the proxy answers 503 model_unavailable with Retry-After at once; closes on recovery")
    func proxyBreaker() async throws {
        let hung = MutexBox(true)
        let router = Router()
        router.post("/invocations") { _, _ -> Response in
            if hung.get() { try await Task.sleep(for: .seconds(4)) }
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"loading"}"#)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { server in
            let curl = CurlClient(maxConcurrentRequests: 4)
            defer { curl.shutdown() }
            let model = ModelClient(
                url: "http://127.0.0.1:\(try #require(server.port))", client: curl,
                breaker: CircuitBreaker(threshold: 3, cooldown: .seconds(1)))
            let input = SegmentationInput(
                image: ProxyFixture.image(), clicks: ProxyFixture.extremePoints.map { Click(x: $0[0], y: $0[1], kind: .extreme) })
            let message = try ModelClient.encode(input, requestId: "breaker")
            // 1 s per call against a 4 s hang; the probe gets 5 s (the recovered server answers at once,
            // but a loaded machine must not make the probe itself time out).
            func call(timeout: Duration = .seconds(1)) async -> (ProxyError?, Duration) {
                let clock = ContinuousClock()
                let started = clock.now
                do {
                    _ = try await model.infer(message, cropWidth: 96, cropHeight: 64, timeout: timeout)
                    return (nil, clock.now - started)
                } catch {
                    return (error, clock.now - started)
                }
            }
            for _ in 0..<3 { #expect(await call().0?.code == "model_timeout") }
            let (refusal, took) = await call()
            #expect(refusal?.status == 503 && refusal?.code == "model_unavailable")
            #expect(refusal?.retryAfterSeconds != nil)
            #expect(took < .seconds(1))
            hung.set(false)
            try await Task.sleep(for: .milliseconds(1100))
            // The probe reaches the endpoint (which answers 503 itself): an answer closes the breaker.
            let probe = await call(timeout: .seconds(5)).0
            #expect(probe?.message.contains("not ready") == true)
            #expect(!model.breaker.isOpen)
        }
    }
}

@Suite("Strict JSON")
struct StrictJSONTests {
    @Test("RFC 8259 only: trailing commas, comments, NaN, leading zeros, single quotes and trailing bytes are refused")
    func strictness() {
        let valid = [
            #"{}"#, #"{"a":[1,2.5,-0,1e10,2E-3,true,false,null,"x\"\u00e9\n"],"b":{"c":{}}}"#, " \n{\"a\" : 1 }\t",
        ]
        for text in valid { #expect((try? StrictJSON.validateObject(Array(text.utf8))) != nil, "\(text)") }
        let invalid = [
            #"{"a":1,}"#, #"{"a":[1,2,],"b":1}"#, #"[1]"#, #""x""#, "1", "", #"{"a":1}x"#, #"{"a":1} {}"#,
            #"{'a':1}"#, #"{a:1}"#, #"{"a":01}"#, #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":.5}"#, #"{"a":1.}"#,
            #"{"a":+1}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{"a":1 // c"#, #"{"a":/* c */1}"#, #"{"a" 1}"#,
            #"{"a":tru}"#, #"{"a":"\u12"}"#, #"{,}"#, #"{"a":[,1]}"#,
            String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        ]
        for text in invalid { #expect(throws: StrictJSON.Invalid.self, "\(text)") { try StrictJSON.validateObject(Array(text.utf8)) } }
    }

    @Test("a slice (the JSON part of a binary V2 body) is checked in place; offsets count from its start")
    func slice() {
        let body = Array(#"{"a":1}{"a":1,}"#.utf8) + [0, 0xFF]
        #expect((try? StrictJSON.validateObject(body[0..<7])) != nil)
        let result = Result { () throws(StrictJSON.Invalid) in try StrictJSON.validateObject(body[7..<15]) }
        guard case .failure(let error) = result else {
            Issue.record("a trailing comma in a slice was accepted")
            return
        }
        #expect(error.offset == 7 && error.message.hasSuffix("at byte 7"), "\(error)")
        #expect(throws: StrictJSON.Invalid.self) { try StrictJSON.validateObject(body[0..<8]) }
    }

    @Test("the proxy answers trailing commas and non-object bodies with 400 invalid_json")
    func proxy() {
        for text in [#"{"image":{"id":"sha256:00"},}"#, #"[{"image":{}}]"#, #"{"extremePoints":[[1,2],[3,4],]}"#] {
            let result = Result { () throws(ProxyError) in try SegmentRequest.parse(Array(text.utf8), maxClicks: 100) }
            guard case .failure(let error) = result else {
                Issue.record("\(text) was accepted")
                continue
            }
            #expect(error.status == 400 && error.code == "invalid_json", "\(text): \(error)")
        }
    }

    @Test("the gateway answers trailing commas and non-object JSON with 400 invalid_json before invoking the proxy")
    func gateway() async throws {
        let fake = FakeInvokeAPI()
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            let app = try await buildApplication(configuration: GatewayHTTPTests.configuration(invokeURL: url), client: client)
            try await app.test(.router) { testClient in
                let headers: HTTPFields = [
                    .contentType: "application/json", .authorization: "Bearer " + (try GatewayHTTPTests.token()),
                ]
                for text in [#"{"a":1,}"#, "[1]", #"{"a":1}garbage"#] {
                    try await testClient.execute(uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: text)) { (response) throws in
                        #expect(response.status == .badRequest, "\(text)")
                        #expect(try GatewayHTTPTests.errorCode(response) == "invalid_json", "\(text)")
                    }
                }
                #expect(fake.events.isEmpty)
            }
        }
    }

    @Test("the endpoint answers trailing commas with 400 and refuses clicks outside the image tensor with 400")
    func endpoint() async throws {
        try await ProxyFixture.withEndpoint { url in
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            func post(_ text: String) async throws -> (Int, String) {
                let response = try await curl.execute(
                    CurlRequest(
                        method: "POST", url: url + "/invocations", headers: [HTTPHeaderField("Content-Type", "application/json")],
                        body: Array(text.utf8)))
                return (response.status, String(decoding: response.body, as: UTF8.self))
            }
            func request(clicks: [Double], trailing: String = "") -> String {
                let pixels = [UInt8](repeating: 100, count: 4 * 4 * 3).map(String.init).joined(separator: ",")
                return #"{"inputs":[{"name":"image","datatype":"UINT8","shape":[4,4,3],"data":[\#(pixels)]},"#
                    + #"{"name":"clicks","datatype":"FP32","shape":[\#(clicks.count / 3),3],"data":[\#(clicks.map { String($0) }.joined(separator: ","))]}\#(trailing)]}"#
            }
            #expect(try await post(request(clicks: [1, 1, 2, 2, 2, 2, 1, 2, 2, 3, 3, 2])).0 == 200)
            #expect(try await post(request(clicks: [1, 1, 2], trailing: ",")).0 == 400)
            for outside in [[4.0, 1, 2], [1, 4, 2], [-0.5, 1, 1], [1, -1, 0], [100, 100, 1]] {
                let (status, body) = try await post(request(clicks: outside))
                #expect(status == 400, "\(outside): \(body)")
                #expect(body.contains("outside"), "\(outside): \(body)")
            }
        }
    }
}
