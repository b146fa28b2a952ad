import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import ImageCodec
import LambdaKit
import Testing

/// The demo page's protections (issue 13, item 7): loopback bind only, `Host` check, no embedded
/// token, short-lived demo tokens accepted only on `/demo/v1/segment` and only from the demo origin.
@Suite("Gateway demo page")
struct DemoSiteTests {
    static let uiDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../infra/groundtruth").standardized.path

    static func configuration(invokeURL: String, host: String = "127.0.0.1", tokenTTL: Duration = .seconds(600))
        -> GatewayConfiguration
    {
        GatewayConfiguration(
            host: host, port: 0, token: .init(secret: GatewayTokens.secret),
            integration: .init(invokeURL: invokeURL, functionName: "segment-fn", stage: "test"),
            ui: DemoSettings(uiDirectory: uiDirectory, demoEnabled: true, tokenTTL: tokenTTL, samples: [sample]))
    }

    /// The one sample the tests configure (the `gateway` executable generates its own): a 16×8
    /// image whose left half is the object.
    static let sample: DemoSample = {
        var image = RGBImage(width: 16, height: 8)
        var mask = Mask(width: 16, height: 8)
        for y in 0..<8 {
            for x in 0..<8 {
                image[x, y] = (200, 120, 40)
                mask[x, y] = true
            }
        }
        return DemoSample(
            name: "half", description: "an orange left half", png: try! ImageFile.encodePNG(image), width: 16,
            height: 8, truth: mask.cocoRLE())
    }()

    /// A raw HTTP client on the live gateway, so the test sets `Host` and `Origin` as an attacker would.
    struct Raw {
        let curl: CurlClient
        let port: Int

        func call(
            _ method: String, _ path: String, host: String? = nil, origin: String? = nil, token: String? = nil,
            body: String = ""
        ) async throws -> (status: Int, body: [UInt8]) {
            var headers = [HTTPHeaderField("Content-Type", "application/json"), HTTPHeaderField("Expect", "")]
            if let host { headers.append(HTTPHeaderField("Host", host)) }
            if let origin { headers.append(HTTPHeaderField("Origin", origin)) }
            if let token { headers.append(HTTPHeaderField("Authorization", "Bearer \(token)")) }
            let response = try await curl.execute(
                CurlRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", headers: headers, body: Array(body.utf8)))
            return (response.status, response.body)
        }

        var own: String { "127.0.0.1:\(port)" }

        /// A demo token, fetched as the page does.
        func demoToken(ttl: Int? = nil) async throws -> (token: String, expiresIn: Int) {
            let r = try await call("POST", "/demo/token" + (ttl.map { "?ttl=\($0)" } ?? ""), host: own, origin: "http://" + own)
            #expect(r.status == 200)
            struct Body: Decodable { var token: String; var expiresIn: Int; var tokenType: String }
            let body = try JSONDecoder().decode(Body.self, from: Data(r.body))
            #expect(body.tokenType == "demo")
            return (body.token, body.expiresIn)
        }
    }

    static func code(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode(ErrorResponseBody.self, from: Data(body)))?.error.code.rawValue
    }

    func withLiveGateway(
        fake: FakeInvokeAPI = FakeInvokeAPI(), tokenTTL: Duration = .seconds(600),
        _ body: @Sendable @escaping (Raw) async throws -> Void
    ) async throws {
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            let app = try await buildApplication(
                configuration: Self.configuration(invokeURL: url, tokenTTL: tokenTTL), client: client)
            try await app.test(.live) { live in try await body(Raw(curl: client, port: live.port!)) }
        }
    }

    @Test("the page answers only to loopback Host names and embeds no token")
    func hostCheck() async throws {
        try await withLiveGateway { raw in
            for host in ["127.0.0.1:\(raw.port)", "localhost:\(raw.port)", "[::1]:\(raw.port)", "127.0.0.1"] {
                let page = try await raw.call("GET", "/demo", host: host)
                #expect(page.status == 200, "Host \(host)")
            }
            let page = String(decoding: try await raw.call("GET", "/demo", host: raw.own).body, as: UTF8.self)
            #expect(page.contains("\"tokenUrl\": \"/demo/token\""))
            #expect(page.contains("/demo/ui/fewclick-ui.js"))
            #expect(!page.contains("eyJ") && !page.contains("demo."), "the page must carry no token")
            // DNS rebinding: a hostname of the attacker's that resolves to 127.0.0.1.
            for host in ["evil.example:\(raw.port)", "127.0.0.1.evil.example", "localhost.evil.example:80", "[::1]x", "127.0.0.1:80x"] {
                for path in ["/demo", "/demo/samples.json", "/demo/samples/0.png", "/demo/ui/fewclick-ui.js"] {
                    let r = try await raw.call("GET", path, host: host)
                    #expect(r.status == 403 && Self.code(r.body) == "demo_host_not_allowed", "Host \(host) \(path)")
                }
                let token = try await raw.call("POST", "/demo/token", host: host, origin: "http://" + host)
                #expect(token.status == 403 && Self.code(token.body) == "demo_host_not_allowed")
            }
        }
    }

    @Test("a gateway on a non-loopback address refuses the demo with a clear message")
    func nonLoopbackRefusal() async throws {
        try await FakeInvokeAPI().run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            let app = try await buildApplication(
                configuration: Self.configuration(invokeURL: url, host: "192.0.2.10"), client: client)
            try await app.test(.router) { router in
                for (method, path) in [(HTTPRequest.Method.get, "/demo"), (.post, "/demo/token"), (.post, "/demo/v1/segment")] {
                    try await router.execute(uri: path, method: method, headers: [.origin: "http://localhost"]) { response in
                        #expect(response.status == .forbidden)
                        let text = String(buffer: response.body)
                        #expect(text.contains("demo_requires_loopback") && text.contains("loopback address"), "\(path): \(text)")
                    }
                }
                // The Ground Truth script stays available on any bind.
                try await router.execute(uri: "/ui/fewclick-ui.js", method: .get) { #expect($0.status == .ok) }
            }
        }
        #expect(DemoSettings.isLoopback(host: "127.0.0.1") && DemoSettings.isLoopback(host: "::1"))
        #expect(!DemoSettings.isLoopback(host: "0.0.0.0") && !DemoSettings.isLoopback(host: "127.0.0.1.example.com"))
    }

    @Test("demo tokens: only from the demo origin, at most 15 minutes, only on /demo/v1/segment")
    func tokenScopeAndOrigin() async throws {
        let fake = FakeInvokeAPI()
        try await withLiveGateway(fake: fake) { raw in
            // The token route needs the page's own origin.
            for origin in [nil, "http://evil.example", "https://\(raw.own)", "null"] as [String?] {
                let r = try await raw.call("POST", "/demo/token", host: raw.own, origin: origin)
                #expect(r.status == 403 && Self.code(r.body) == "demo_origin_not_allowed", "Origin \(origin ?? "none")")
            }
            let (token, expiresIn) = try await raw.demoToken()
            #expect(expiresIn == 600)
            #expect(try await raw.demoToken(ttl: 100_000).expiresIn == 600, "a client cannot ask for more")
            #expect(try await raw.demoToken(ttl: 5).expiresIn == 5)

            let body = #"{"image":{"id":"sha256:00"},"extremePoints":[[1,1],[2,2],[3,3],[4,4]]}"#
            // Accepted on the demo route from the demo origin, forwarded to the proxy as /v1/segment.
            let ok = try await raw.call("POST", "/demo/v1/segment", host: raw.own, origin: "http://" + raw.own, token: token, body: body)
            #expect(ok.status == 200)
            let event = try fake.lastEvent()
            #expect(event.path == "/v1/segment" && event.requestContext.authorizer?.principalId == "demo")
            // Never on /v1/segment (it is no JWT of the gateway's secret).
            let main = try await raw.call("POST", "/v1/segment", host: raw.own, origin: "http://" + raw.own, token: token, body: body)
            #expect(main.status == 401 && Self.code(main.body) == "invalid_token")
            // Not from another origin, nor without one (a script on another site, a rebinding page).
            for origin in [nil, "http://evil.example:\(raw.port)", "http://localhost:\(raw.port)"] as [String?] {
                let r = try await raw.call("POST", "/demo/v1/segment", host: raw.own, origin: origin, token: token, body: body)
                #expect(r.status == 403 && Self.code(r.body) == "demo_origin_not_allowed", "Origin \(origin ?? "none")")
            }
            // The demo route takes only demo tokens: a gateway JWT, a made-up token, none.
            let jwt = try GatewayHTTPTests.token()
            for (candidate, code) in [(jwt, "invalid_token"), ("demo.forged", "invalid_token"), (nil, "missing_token")] as [(String?, String)] {
                let r = try await raw.call("POST", "/demo/v1/segment", host: raw.own, origin: "http://" + raw.own, token: candidate, body: body)
                #expect(r.status == 401 && Self.code(r.body) == code)
            }
            #expect(fake.events.count == 1)
        }
        #expect(DemoSettings(uiDirectory: "/x", tokenTTL: .seconds(7200)).tokenTTL == DemoSettings.maximumTokenTTL)
    }

    @Test("a demo token stops working when its lifetime ends (no leeway)")
    func tokenLifetime() async throws {
        try await withLiveGateway(tokenTTL: .seconds(60)) { raw in
            let (token, expiresIn) = try await raw.demoToken(ttl: 1)
            #expect(expiresIn == 1)
            let body = #"{"image":{"id":"sha256:00"},"extremePoints":[[1,1],[2,2],[3,3],[4,4]]}"#
            // (That tokens work within their lifetime is the previous test's; here: token_expired, which
            // only a token this gateway issued can get — an unknown one is invalid_token.)
            try await Task.sleep(for: .milliseconds(1200))
            let after = try await raw.call("POST", "/demo/v1/segment", host: raw.own, origin: "http://" + raw.own, token: token, body: body)
            #expect(after.status == 401 && Self.code(after.body) == "token_expired")
        }
    }

    @Test("the configured samples are served as given: index, PNG bytes, 404 past the last")
    func samples() async throws {
        try await withLiveGateway { raw in
            let index = try await raw.call("GET", "/demo/samples.json", host: raw.own)
            #expect(index.status == 200)
            struct Index: Decodable {
                struct Entry: Decodable { var name, description, url: String; var width, height: Int; var truth: COCORLE }
                var samples: [Entry]
            }
            let entries = try JSONDecoder().decode(Index.self, from: Data(index.body)).samples
            #expect(entries.count == 1)
            #expect(entries.first?.name == Self.sample.name && entries.first?.url == "/demo/samples/0.png")
            #expect(entries.first?.width == 16 && entries.first?.height == 8 && entries.first?.truth == Self.sample.truth)
            let png = try await raw.call("GET", "/demo/samples/0.png", host: raw.own)
            #expect(png.status == 200 && png.body == Self.sample.png)
            for path in ["/demo/samples/1.png", "/demo?sample=1"] {
                let r = try await raw.call("GET", path, host: raw.own)
                #expect(r.status == 404 && Self.code(r.body) == "sample_not_found", "\(path)")
            }
        }
    }
}
