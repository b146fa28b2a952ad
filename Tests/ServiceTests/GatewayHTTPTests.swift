import CurlHTTP
import FewClickAPI
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Testing

/// A fake Lambda Invoke API: records every event it receives and answers as told.
final class FakeInvokeAPI: Sendable {
    enum Behaviour: Sendable {
        /// A proxy result, as the function would return it.
        case result(APIGatewayResponse)
        /// A handler failure: 200 + `X-Amz-Function-Error: Unhandled`.
        case functionError
        /// Raw Invoke API answer (status and body).
        case raw(Int, String)
        /// Wait this long, then answer with a 200 result.
        case slow(Duration)
    }

    private let state = MutexBox(Behaviour.result(.init(statusCode: 200, body: "{}")))
    private let recorded = MutexBox<[(function: String, event: [UInt8], requestID: String?)]>([])

    func set(_ behaviour: Behaviour) { state.set(behaviour) }
    var events: [(function: String, event: [UInt8], requestID: String?)] { recorded.get() }

    /// The last event, decoded.
    func lastEvent() throws -> APIGatewayRequest {
        let last = try #require(events.last)
        return try JSONDecoder().decode(APIGatewayRequest.self, from: Data(last.event))
    }

    /// Runs the fake on a free loopback port while `body` runs.
    func run<Value: Sendable>(_ body: @Sendable (_ url: String) async throws -> Value) async throws -> Value {
        let router = Router()
        router.post("/2015-03-31/functions/:name/invocations") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 64 << 20)
            let name = context.parameters.get("name") ?? ""
            self.recorded.mutate {
                $0.append((name, Array(buffer: bytes), request.headers[.init("X-Request-Id")!]))
            }
            switch self.state.get() {
            case .result(let result):
                let data = try JSONEncoder().encode(result)
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
            case .functionError:
                return Response(
                    status: .ok, headers: [.init("X-Amz-Function-Error")!: "Unhandled"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"errorMessage":"boom","errorType":"Crash"}"#)))
            case .raw(let status, let body):
                return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: body)))
            case .slow(let delay):
                try await Task.sleep(for: delay)
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"statusCode":200}"#)))
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }
}

/// A tiny lock-protected box (tests only).
final class MutexBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&value) } }
}

@Suite("Gateway HTTP")
struct GatewayHTTPTests {
    static let origin = "https://label.example.org"

    static func configuration(invokeURL: String, timeout: Duration = .seconds(29), maxBodyBytes: Int = 10 << 20,
                              throttle: ThrottleSettings? = nil) -> GatewayConfiguration {
        GatewayConfiguration(
            host: "127.0.0.1", port: 0, token: .init(secret: GatewayTokens.secret),
            cors: CORSPolicy(allowedOrigins: [origin, "https://*.example.com"]),
            integration: .init(invokeURL: invokeURL, functionName: "segment-fn", stage: "test", timeout: timeout),
            maxBodyBytes: maxBodyBytes, throttle: throttle)
    }

    static func token(scope: String = "segment", sub: String = "labeler-1", ttl: Double = 3600) throws -> String {
        let now = Date().timeIntervalSince1970
        return try GatewayTokens.hs256(GatewayTokens.claims(sub: sub, scope: scope, exp: now + ttl, iat: now, extra: ["team": "blue"]))
    }

    /// Runs `body` against the gateway in-process (router test), with the fake Invoke API live.
    func withGateway(
        fake: FakeInvokeAPI = FakeInvokeAPI(),
        configure: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            var configuration = Self.configuration(invokeURL: url)
            configure(&configuration)
            let app = try await buildApplication(configuration: configuration, client: client)
            try await app.test(.router) { testClient in try await body(testClient) }
        }
    }

    static func errorCode(_ response: TestResponse) throws -> String {
        try JSONDecoder().decode(ErrorResponseBody.self, from: Data(buffer: response.body)).error.code.rawValue
    }

    @Test("auth matrix: missing, malformed, expired, not yet valid, bad signature, none, no exp, wrong scope")
    func authMatrix() async throws {
        let now = Date().timeIntervalSince1970
        let claims = GatewayTokens.claims(exp: now + 600)
        let cases: [(String, String?, Int, String?, String)] = [
            ("missing", nil, 401, nil, "missing_token"),
            ("basic scheme", "Basic dXNlcjpwYXNz", 401, nil, "missing_token"),
            ("empty bearer", "Bearer ", 401, "invalid_token", "invalid_token"),
            ("malformed", "Bearer not-a-jwt", 401, "invalid_token", "invalid_token"),
            ("expired", "Bearer " + (try GatewayTokens.hs256(GatewayTokens.claims(exp: now - 120))), 401, "invalid_token", "token_expired"),
            ("not yet valid", "Bearer " + (try GatewayTokens.hs256(GatewayTokens.claims(exp: now + 600, nbf: now + 300))), 401, "invalid_token", "invalid_token"),
            ("wrong signature", "Bearer " + (try GatewayTokens.hs256(claims, secret: GatewayTokens.otherSecret)), 401, "invalid_token", "invalid_token"),
            ("alg none", "Bearer " + (try GatewayTokens.token(header: ["alg": "none"], claims: claims, hash: "none")), 401, "invalid_token", "invalid_token"),
            ("alg HS512", "Bearer " + (try GatewayTokens.token(header: ["alg": "HS512"], claims: claims, hash: "SHA512")), 401, "invalid_token", "invalid_token"),
            ("missing exp", "Bearer " + (try GatewayTokens.hs256(GatewayTokens.claims(exp: nil))), 401, "invalid_token", "invalid_token"),
            ("wrong scope", "Bearer " + (try Self.token(scope: "read")), 403, "insufficient_scope", "insufficient_scope"),
        ]
        let fake = FakeInvokeAPI()
        try await withGateway(fake: fake) { client in
            for (name, authorization, status, oauthError, code) in cases {
                var headers: HTTPFields = [.contentType: "application/json", .origin: Self.origin]
                if let authorization { headers[.authorization] = authorization }
                try await client.execute(uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { (response) throws in
                    #expect(response.status.code == status, "\(name)")
                    let challenge = try #require(response.headers[.wwwAuthenticate], "\(name)")
                    #expect(challenge.hasPrefix("Bearer realm=\"fewclick\""), "\(name)")
                    if let oauthError {
                        #expect(challenge.contains("error=\"\(oauthError)\""), "\(name): \(challenge)")
                        #expect(challenge.contains("error_description=\""), "\(name)")
                    } else {
                        #expect(!challenge.contains("error="), "\(name): \(challenge)")
                    }
                    if status == 403 { #expect(challenge.contains("scope=\"segment\"")) }
                    #expect(try Self.errorCode(response) == code, "\(name)")
                    if authorization == nil {
                        // The envelope's exact bytes (FewClickAPI's ErrorResponseBody, APIJSON).
                        #expect(String(buffer: response.body) == #"{"error":{"code":"missing_token","message":"a bearer token is required"}}"#)
                    }
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.headers[.accessControlAllowOrigin] == Self.origin, "\(name)")
                    #expect(response.headers[.init("X-Request-Id")!] != nil)
                }
            }
        }
        #expect(fake.events.isEmpty, "a refused request reached the proxy")
    }

    @Test("the payload 1.0 event carries path, headers, query, body, request id and authorizer claims")
    func eventShape() async throws {
        let fake = FakeInvokeAPI()
        fake.set(.result(.init(
            statusCode: 201, headers: ["Content-Type": "application/json", "X-One": "1", "Access-Control-Allow-Origin": "*"],
            multiValueHeaders: ["X-Many": ["a", "b"]], body: #"{"ok":true}"#)))
        let token = try Self.token()
        try await withGateway(fake: fake) { client in
            let headers: HTTPFields = [
                .authorization: "Bearer \(token)", .contentType: "application/json", .init("X-Request-Id")!: "client-req-42",
                .init("X-Custom")!: "v1", .init("X-Custom")!: "v2", .userAgent: "tests/1.0",
            ]
            try await client.execute(uri: "/v1/segment?debug=1&tag=a&tag=b", method: .post, headers: headers, body: ByteBuffer(string: #"{"image":{"id":"sha256:00"}}"#)) { (response) throws in
                #expect(response.status.code == 201)
                #expect(String(buffer: response.body) == #"{"ok":true}"#)
                #expect(response.headers[.init("X-One")!] == "1")
                #expect(response.headers[values: .init("X-Many")!] == ["a", "b"])
                #expect(response.headers[.init("X-Request-Id")!] == "client-req-42")
                // No Origin header: no CORS grant, and the proxy's "*" is not passed through.
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
        let recorded = try #require(fake.events.last)
        #expect(recorded.function == "segment-fn")
        #expect(recorded.requestID == "client-req-42")
        let event = try fake.lastEvent()
        #expect(event.resource == "/v1/segment")
        #expect(event.path == "/v1/segment")
        #expect(event.httpMethod == "POST")
        #expect(event.body == #"{"image":{"id":"sha256:00"}}"#)
        #expect(event.isBase64Encoded == false)
        #expect(event.queryStringParameters == ["debug": "1", "tag": "b"])
        #expect(event.multiValueQueryStringParameters == ["debug": ["1"], "tag": ["a", "b"]])
        #expect(event.multiValueHeaders["X-Custom"] == ["v1", "v2"])
        #expect(event.headers["X-Custom"] == "v2")
        #expect(event.headers["X-Request-Id"] == "client-req-42")
        #expect(event.headers["Authorization"] == "Bearer \(token)")
        #expect(event.requestContext.requestId == "client-req-42")
        #expect(event.requestContext.stage == "test")
        #expect(event.requestContext.resourcePath == "/v1/segment")
        #expect(event.requestContext.path == "/test/v1/segment")
        #expect(event.requestContext.identity?.userAgent == "tests/1.0")
        let authorizer = try #require(event.requestContext.authorizer)
        #expect(authorizer.principalId == "labeler-1")
        #expect(authorizer.string("team") == "blue")
        #expect(authorizer.string("scope") == "segment")
        #expect(authorizer.string("exp") != nil)
    }

    @Test("a generated request id when the client sends none (or a bad one) reaches the proxy and the client")
    func generatedRequestID() async throws {
        let fake = FakeInvokeAPI()
        let token = try Self.token()
        try await withGateway(fake: fake) { client in
            for sent in [nil, "bad id with spaces"] {
                var headers: HTTPFields = [.authorization: "Bearer \(token)"]
                if let sent { headers[.init("X-Request-Id")!] = sent }
                let id = try await client.execute(uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { (response) throws in
                    try #require(response.headers[.init("X-Request-Id")!])
                }
                #expect(id != sent)
                #expect(UUID(uuidString: id) != nil)
                #expect(try fake.lastEvent().requestContext.requestId == id)
                #expect(try fake.lastEvent().headers["X-Request-Id"] == id)
            }
        }
    }

    @Test("binary bodies travel base64, and base64 proxy bodies are decoded")
    func binaryBodies() async throws {
        let fake = FakeInvokeAPI()
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0x00, 0xFE]
        fake.set(.result(.init(
            statusCode: 200, headers: ["Content-Type": "image/png"], body: Data(png).base64EncodedString(), isBase64Encoded: true)))
        let token = try Self.token()
        try await withGateway(fake: fake) { client in
            try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(bytes: png)) { (response) throws in
                #expect(response.status == .ok)
                #expect(Array(buffer: response.body) == png)
                #expect(response.headers[.contentType] == "image/png")
            }
        }
        let event = try fake.lastEvent()
        #expect(event.isBase64Encoded)
        #expect(event.body == Data(png).base64EncodedString())
    }

    @Test("function errors, malformed results and Invoke API refusals map like API Gateway")
    func integrationFailures() async throws {
        let fake = FakeInvokeAPI()
        let token = try Self.token()
        try await withGateway(fake: fake) { client in
            func post() async throws -> TestResponse {
                try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(token)", .origin: Self.origin], body: ByteBuffer(string: "{}"))
            }
            fake.set(.functionError)
            var response = try await post()
            #expect(response.status == .badGateway)
            #expect(String(buffer: response.body) == #"{"message":"Internal server error"}"#)
            #expect(response.headers[.accessControlAllowOrigin] == Self.origin)

            fake.set(.raw(200, "not json"))
            response = try await post()
            #expect(response.status == .badGateway)
            #expect(String(buffer: response.body) == #"{"message":"Internal server error"}"#)

            fake.set(.raw(200, #"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#))
            #expect(try await post().status == .badGateway)

            fake.set(.raw(413, #"{"Type":"User","message":"Request must be smaller than 6291456 bytes"}"#))
            response = try await post()
            #expect(response.status == .contentTooLarge)
            #expect(try Self.errorCode(response) == "payload_too_large")

            fake.set(.raw(404, #"{"Type":"User","message":"Function not found"}"#))
            #expect(try await post().status == .badGateway)
        }
    }

    @Test("no answer within the integration timeout is 504")
    func timeout() async throws {
        let fake = FakeInvokeAPI()
        fake.set(.slow(.milliseconds(1500)))
        let token = try Self.token()
        try await withGateway(fake: fake, configure: { $0.integration.timeout = .milliseconds(300) }) { client in
            try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: "{}")) { (response) throws in
                #expect(response.status == .gatewayTimeout)
                #expect(try Self.errorCode(response) == "integration_timeout")
            }
        }
    }

    @Test("an unreachable proxy is 503 proxy_unavailable")
    func unreachable() async throws {
        let client = CurlClient()
        defer { client.shutdown() }
        // Port 1 on loopback: nothing listens there.
        let app = try await buildApplication(configuration: Self.configuration(invokeURL: "http://127.0.0.1:1"), client: client)
        let token = try Self.token()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(token)", .origin: Self.origin], body: ByteBuffer(string: "{}")) { (response) throws in
                #expect(response.status == .serviceUnavailable)
                #expect(try Self.errorCode(response) == "proxy_unavailable")
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
            }
        }
    }

    @Test("CORS: preflight without auth, allowed and denied origins, wildcard subdomains, headers on errors")
    func cors() async throws {
        try await withGateway { client in
            let preflight: HTTPFields = [
                .origin: "https://tool.example.com", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "authorization, content-type",
            ]
            try await client.execute(uri: "/v1/segment", method: .options, headers: preflight) { (response) throws in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://tool.example.com")
                let allowHeaders = try #require(response.headers[.accessControlAllowHeaders]).lowercased()
                #expect(allowHeaders.contains("authorization") && allowHeaders.contains("content-type"))
                #expect(try #require(response.headers[.accessControlAllowMethods]).contains("POST"))
                #expect(response.headers[.accessControlMaxAge] == "600")
                #expect(response.headers[.vary] == "Origin")
            }
            for denied in ["https://evil.org", "https://example.com", "http://tool.example.com", "https://tool.example.com.evil.org", "null"] {
                var headers = preflight
                headers[.origin] = denied
                try await client.execute(uri: "/v1/segment", method: .options, headers: headers) { (response) throws in
                    #expect(response.status == .forbidden, "\(denied)")
                    #expect(response.headers[.accessControlAllowOrigin] == nil, "\(denied)")
                }
                try await client.execute(uri: "/v1/segment", method: .post, headers: [.origin: denied]) { (response) throws in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.accessControlAllowOrigin] == nil, "\(denied)")
                }
            }
            try await client.execute(uri: "/nowhere", method: .get, headers: [.origin: "https://a.b.example.com"]) { (response) throws in
                #expect(response.status == .notFound)
                #expect(try Self.errorCode(response) == "not_found")
                #expect(response.headers[.accessControlAllowOrigin] == "https://a.b.example.com")
                #expect(response.headers[values: .vary].contains("Origin"))
            }
            try await client.execute(uri: "/v1/segment", method: .get, headers: [.origin: Self.origin]) { (response) throws in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST, OPTIONS")
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
            }
        }
        let policy = CORSPolicy(allowedOrigins: ["*"])
        #expect(policy.allows(origin: "http://localhost:3000"))
        #expect(!policy.allows(origin: "null"))
        #expect(!CORSPolicy().allows(origin: "https://label.example.org"))
    }

    @Test("bodies over the limit are 413, from Content-Length or while streaming")
    func bodyLimit() async throws {
        let fake = FakeInvokeAPI()
        let token = try Self.token()
        try await withGateway(fake: fake, configure: { $0.maxBodyBytes = 1000 }) { client in
            try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(token)", .origin: Self.origin], body: ByteBuffer(repeating: 0x41, count: 1001)) { (response) throws in
                #expect(response.status == .contentTooLarge)
                #expect(try Self.errorCode(response) == "payload_too_large")
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
            }
            try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(repeating: 0x41, count: 1000)) { (response) throws in
                #expect(response.status == .ok)
            }
        }
        #expect(fake.events.count == 1)
    }

    @Test("a streamed body without Content-Length stops being read past the limit")
    func streamedBodyLimit() async throws {
        struct Chunks: AsyncSequence, Sendable {
            let count: Int
            let consumed: MutexBox<Int>
            struct AsyncIterator: AsyncIteratorProtocol {
                var left: Int
                let consumed: MutexBox<Int>
                mutating func next() async -> ByteBuffer? {
                    guard left > 0 else { return nil }
                    left -= 1
                    consumed.mutate { $0 += 1 }
                    return ByteBuffer(repeating: 0x41, count: 400)
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(left: count, consumed: consumed) }
        }
        let consumed = MutexBox(0)
        let request = Request(
            head: .init(method: .post, scheme: "http", authority: "localhost", path: "/v1/segment"),
            body: RequestBody(asyncSequence: Chunks(count: 100, consumed: consumed)))
        await #expect(throws: GatewayError.self) { _ = try await RequestBodyLimit.read(request, limit: 1000) }
        #expect(consumed.get() == 3, "kept reading after the limit")
        let small = Request(
            head: .init(method: .post, scheme: "http", authority: "localhost", path: "/v1/segment"),
            body: RequestBody(asyncSequence: Chunks(count: 2, consumed: MutexBox(0))))
        #expect(try await RequestBodyLimit.read(small, limit: 1000).count == 800)
    }

    @Test("the default limit is API Gateway's 10 MB, enforced on a live socket")
    func bodyLimitLive() async throws {
        let fake = FakeInvokeAPI()
        let token = try Self.token()
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            let app = try await buildApplication(configuration: Self.configuration(invokeURL: url), client: client)
            try await app.test(.live) { live in
                let base = "http://127.0.0.1:\(live.port!)/v1/segment"
                let big = CurlRequest(
                    method: "POST", url: base, headers: [HTTPHeaderField("Authorization", "Bearer \(token)")],
                    body: [UInt8](repeating: 0x41, count: 10 * 1024 * 1024 + 1))
                let response = try await client.execute(big)
                #expect(response.status == 413)
                let health = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(live.port!)/healthz"))
                #expect(health.status == 200)
            }
        }
        #expect(fake.events.isEmpty)
    }

    @Test("throttling answers 429 with Retry-After per principal")
    func throttling() async throws {
        let tokenA = try Self.token(sub: "a")
        let tokenB = try Self.token(sub: "b")
        try await withGateway(configure: { $0.throttle = ThrottleSettings(ratePerSecond: 0.01, burst: 2) }) { client in
            for expected in [200, 200, 429] {
                try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(tokenA)"], body: ByteBuffer(string: "{}")) { (response) throws in
                    #expect(Int(response.status.code) == expected)
                    if expected == 429 {
                        #expect(try Self.errorCode(response) == "throttled")
                        #expect(Int(try #require(response.headers[.retryAfter])) ?? 0 >= 1)
                    }
                }
            }
            try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer \(tokenB)"], body: ByteBuffer(string: "{}")) { (response) throws in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("healthz answers 200, and with the proxy check 503 when the proxy is unreachable")
    func health() async throws {
        try await withGateway { client in
            try await client.execute(uri: "/healthz", method: .get) { (response) throws in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("ok"))
            }
        }
        try await withGateway(configure: { $0.healthChecksProxy = true }) { client in
            try await client.execute(uri: "/healthz", method: .get) { (response) throws in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("reachable"))
            }
        }
        let curl = CurlClient()
        defer { curl.shutdown() }
        var configuration = Self.configuration(invokeURL: "http://127.0.0.1:1")
        configuration.healthChecksProxy = true
        let app = try await buildApplication(configuration: configuration, client: curl)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { (response) throws in
                #expect(response.status == .serviceUnavailable)
                #expect(try Self.errorCode(response) == "proxy_unavailable")
            }
        }
    }
}
