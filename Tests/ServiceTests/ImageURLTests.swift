import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Proxy
import Synchronization
import Testing

@Suite("image.url allowlist")
struct ImageURLPolicyTests {
    let policy = try! ImageURLPolicy(entries: [
        "https://my-bucket.s3.us-east-1.amazonaws.com/images/", "http://127.0.0.1:9000/", "https://[2001:db8::5]/x/",
    ])

    @Test("prefixes match on scheme, host, port and path; presigned queries are not part of the match")
    func matching() {
        #expect(policy.match("https://my-bucket.s3.us-east-1.amazonaws.com/images/a.jpg?X-Amz-Signature=abc&X-Amz-Expires=60") != nil)
        #expect(policy.match("https://MY-BUCKET.s3.us-east-1.amazonaws.com:443/images/a.jpg") != nil)
        #expect(policy.match("http://127.0.0.1:9000/anything.png") != nil)
        #expect(policy.match("https://[2001:db8::5]/x/y.png") != nil)
        let refused = [
            "http://my-bucket.s3.us-east-1.amazonaws.com/images/a.jpg",  // http not named
            "https://my-bucket.s3.us-east-1.amazonaws.com/other/a.jpg",  // path prefix
            "https://my-bucket.s3.us-east-1.amazonaws.com:8443/images/a.jpg",  // port
            "https://evil-bucket.s3.us-east-1.amazonaws.com/images/a.jpg",  // host
            "https://my-bucket.s3.us-east-1.amazonaws.com.evil.com/images/a.jpg",  // host suffix
            "https://my-bucket.s3.us-east-1.amazonaws.com/images/../secret/a.jpg",  // dot segments
            "https://my-bucket.s3.us-east-1.amazonaws.com/images/%2e%2E/secret/a.jpg",  // encoded dot segments
            "https://my-bucket.s3.us-east-1.amazonaws.com/images/./a.jpg",
            "https://user:pw@my-bucket.s3.us-east-1.amazonaws.com/images/a.jpg",  // user info
            "https://my-bucket.s3.us-east-1.amazonaws.com@169.254.169.254/images/a.jpg",
            "https://my-bucket.s3.us-east-1.amazonaws.com/images/a.jpg#frag",
            "https://my-bucket.s3.us-east-1.amazonaws.com\\images/a.jpg",
            "https://my-bucket.s3.us-east-1.amazonaws.com/images/a b.jpg",
            "http://0x7f.0.0.1:9000/a.png", "http://2130706433:9000/a.png", "http://127.1:9000/a.png",
            "http://127.000.000.001:9000/a.png", "http://[::ffff:127.0.0.1]:9000/a.png",
            "ftp://127.0.0.1:9000/a.png", "file:///etc/passwd", "gopher://127.0.0.1:9000/", "http://127.0.0.1:9000:80/a",
            "http://127.0.0.1:99999/a", "http:///a.png", "", "https://my-bucket.s3.us-east-1.amazonaws.com%2F@evil/images/",
        ]
        for url in refused { #expect(policy.match(url) == nil, "\(url) must not match") }
    }

    @Test("entries that are not scheme://host[:port][/prefix] are refused")
    func badEntries() {
        for entry in ["s3://bucket/", "https://", "https://host/?q=1", "https://user@host/", "host/images/", "https://host:0/"] {
            #expect(throws: ImageURLPolicy.Invalid.self) { try ImageURLPolicy(entries: [entry]) }
        }
    }

    @Test("FEWCLICK_IMAGE_URL_ALLOW (what the Lambda reads) is a comma-separated list; a bad entry stops start-up")
    func environment() throws {
        let configuration = try ProxyConfiguration.fromEnvironment([
            "FEWCLICK_IMAGE_URL_ALLOW": "https://my-bucket.s3.us-east-1.amazonaws.com/images/ , http://127.0.0.1:9000/",
            "FEWCLICK_IMAGE_URL_MAX_BYTES": "1000", "FEWCLICK_IMAGE_URL_TIMEOUT_MS": "1500",
        ])
        #expect(configuration.imageURLPolicy.rules.map(\.description) == [
            "https://my-bucket.s3.us-east-1.amazonaws.com:443/images/", "http://127.0.0.1:9000/",
        ])
        #expect(configuration.imageURLMaxBytes == 1000 && configuration.imageURLTimeout == .milliseconds(1500))
        #expect(try ProxyConfiguration.fromEnvironment([:]).imageURLPolicy.isEnabled == false)
        #expect(throws: ProxyConfiguration.Invalid.self) {
            try ProxyConfiguration.fromEnvironment(["FEWCLICK_IMAGE_URL_ALLOW": "https://ok.example/,ftp://bad/"])
        }
    }

    @Test("connected addresses: public unicast only, unless the entry names that IP literal")
    func addresses() throws {
        let name = try #require(policy.match("https://my-bucket.s3.us-east-1.amazonaws.com/images/a.jpg"))
        for address in ["52.216.8.1", "8.8.8.8", "2600:1f18::1", "2a00:1450::1"] {
            #expect(name.allows(address: address), "\(address) is public")
        }
        let blocked = [
            "127.0.0.1", "127.9.9.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1", "239.255.255.255", "255.255.255.255", "240.0.0.1",
            "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "::1", "::", "::ffff:127.0.0.1",
            "::ffff:169.254.169.254", "fd00:ec2::254", "fc00::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1",
            "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2001:0:4136:e378::1", "100::1", "::127.0.0.1", "not-an-ip",
        ]
        for address in blocked { #expect(!name.allows(address: address), "\(address) must be refused") }
        let literal = try #require(policy.match("http://127.0.0.1:9000/a.png"))
        #expect(literal.allows(address: "127.0.0.1"))
        #expect(!literal.allows(address: "127.0.0.2"))
        #expect(!literal.allows(address: "10.0.0.1"))
        // 52.216.8.1 is public, but the entry named 127.0.0.1: exactly that address.
        #expect(!literal.allows(address: "52.216.8.1"))
        let v6 = try #require(policy.match("https://[2001:db8::5]/x/y.png"))
        #expect(v6.allows(address: "2001:db8::5"))
        #expect(!v6.allows(address: "2001:db8::6"))
    }
}

/// What the test's own image server has served.
final class ImageServerCounters: Sendable {
    let discHits = Atomic<Int>(0)
}

@Suite("image.url fetches against a loopback server of the test's own")
struct ImageURLFetchTests {
    /// Runs an image server on a free loopback port: `/images/disc.png`, a redirect, an oversize
    /// file, a slow answer, a 404, and `/private/disc.png` outside the allowed prefix.
    static func withImageServer<T: Sendable>(
        _ body: @Sendable (_ port: Int, _ png: [UInt8], _ counters: ImageServerCounters) async throws -> T
    ) async throws -> T {
        let png = try ProxyFixture.png()
        let counters = ImageServerCounters()
        let router = Router()
        let pngResponse: @Sendable () -> Response = {
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.get("/images/disc.png") { _, _ in
            counters.discHits.add(1, ordering: .relaxed)
            return pngResponse()
        }
        router.get("/private/disc.png") { _, _ in pngResponse() }
        router.get("/images/redirect.png") { _, _ in
            Response(status: .found, headers: [.location: "/images/disc.png"])
        }
        router.get("/images/big.png") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: png + [UInt8](repeating: 0, count: 200_000))))
        }
        router.get("/images/slow.png") { _, _ in
            try await Task.sleep(for: .seconds(3))
            return pngResponse()
        }
        router.get("/images/missing.png") { _, _ in Response(status: .notFound) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            try await body(try #require(client.port), png, counters)
        }
    }

    @Test("allowlisted fetch works and is cached by id; refused, redirect, private-by-name, oversize and slow get their codes")
    func fetches() async throws {
        try await Self.withImageServer { port, png, counters in
            try await ProxyFixture.withEndpoint { endpoint in
                let function = ProxyFixture.function(endpoint: endpoint) { configuration in
                    // The loopback IP literal with http named explicitly; `localhost` (a name that
                    // resolves to loopback) is allowlisted too, but only as a name.
                    configuration.imageURLPolicy = try! ImageURLPolicy(entries: [
                        "http://127.0.0.1:\(port)/images/", "http://localhost:\(port)/images/",
                    ])
                    configuration.imageURLMaxBytes = 100_000
                    configuration.imageURLTimeout = .seconds(1)
                }
                defer { function.shutdown() }
                func call(_ image: SegmentRequestBody.Image) async throws -> APIGatewayResponse {
                    let body = SegmentRequestBody(image: image, extremePoints: ProxyFixture.extremePoints)
                    return try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(body)))
                }
                func failure(_ url: String) async throws -> (Int, String, String) {
                    let response = try await call(.init(url: url))
                    let error = try JSONDecoder().decode(ErrorResponseBody.self, from: Data(try response.bodyBytes())).error
                    return (response.statusCode, error.code.rawValue, error.message)
                }
                let base = "http://127.0.0.1:\(port)"

                let first = try await call(.init(url: base + "/images/disc.png"))
                #expect(first.statusCode == 200)
                let answer = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(try first.bodyBytes()))
                #expect(answer.imageId == ImageCache.imageID(of: png))
                #expect(answer.width == 96 && answer.height == 64)
                // Later calls send only the id: no second fetch.
                let again = try await call(.init(id: answer.imageId))
                #expect(again.statusCode == 200)
                #expect(counters.discHits.load(ordering: .relaxed) == 1)

                #expect(try await failure(base + "/private/disc.png").1 == "url_not_allowed")
                #expect(try await failure("https://127.0.0.1:\(port)/images/disc.png").1 == "url_not_allowed")
                #expect(try await failure(base + "/images/../private/disc.png").1 == "url_not_allowed")
                #expect(try await failure("http://localhost:\(port)/images/disc.png").1 == "url_not_allowed")
                let redirect = try await failure(base + "/images/redirect.png")
                #expect(redirect.0 == 422 && redirect.1 == "image_fetch_failed" && redirect.2.contains("302"))
                let missing = try await failure(base + "/images/missing.png")
                #expect(missing.0 == 422 && missing.1 == "image_fetch_failed" && missing.2.contains("404"))
                #expect(try await failure(base + "/images/big.png").0 == 413)
                #expect(try await failure(base + "/images/big.png").1 == "image_too_large")
                let clock = ContinuousClock()
                let started = clock.now
                let slow = try await failure(base + "/images/slow.png")
                #expect(slow.0 == 504 && slow.1 == "image_fetch_timeout")
                #expect(clock.now - started < .seconds(2.5))
                // Nothing listens there: a failed fetch, not a hang.
                let closed = try await failure("http://127.0.0.1:1/images/disc.png")
                #expect(closed.1 == "url_not_allowed")  // port 1 is not on the list
                #expect(counters.discHits.load(ordering: .relaxed) == 1)
            }
        }
    }
}
