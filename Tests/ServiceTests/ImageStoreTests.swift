import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import ImageCodec
import LambdaKit
import Logging
import Proxy
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Redis client (hiredis) against a real redis-server", .enabled(if: RedisServer.isAvailable, "redis-server not installed"))
struct RedisClientTests {
    static func client(_ server: RedisServer, configure: (inout RedisConfiguration) -> Void = { _ in }) throws -> RedisClient {
        var configuration = try RedisConfiguration(url: server.url)
        configure(&configuration)
        return RedisClient(configuration: configuration)
    }

    @Test("SET/GET of binary values (NUL bytes, 3 MB), missing keys, integers, arrays and error replies")
    func commands() async throws {
        let server = try await RedisServer()
        let client = try Self.client(server)
        defer { client.shutdown() }
        #expect(try await client.command("PING") == .status("PONG"))
        var value = [UInt8](repeating: 0, count: 3 << 20)
        for i in value.indices { value[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        value[0] = 0
        #expect(try await client.command([Array("SET".utf8), Array("k".utf8), value]) == .status("OK"))
        #expect(try await client.command([Array("GET".utf8), Array("k".utf8)]) == .bulk(value))
        #expect(try await client.command("SET", "empty", "") == .status("OK"))
        #expect(try await client.command("GET", "empty") == .bulk([]))
        #expect(try await client.command("GET", "missing") == .null)
        #expect(try await client.command("INCR", "n") == .integer(1))
        #expect(try await client.command("RPUSH", "list", "a", "b") == .integer(2))
        #expect(try await client.command("LRANGE", "list", "0", "-1") == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        guard case .error(let text) = try await client.command("NOSUCHCOMMAND") else {
            Issue.record("an unknown command must give an error reply")
            return
        }
        #expect(text.contains("unknown command"))
        await server.stop()
    }

    @Test("concurrent commands on several connections all get their own replies")
    func concurrent() async throws {
        let server = try await RedisServer()
        let client = try Self.client(server) { $0.connections = 3 }
        defer { client.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { () async throws -> Void in
                    let key = "key-\(i)", value = String(repeating: "v\(i)", count: i + 1)
                    #expect(try await client.command("SET", key, value) == .status("OK"))
                    #expect(try await client.command("GET", key) == .bulk(Array(value.utf8)))
                }
            }
            try await group.waitForAll()
        }
        await server.stop()
    }

    @Test("a dead server fails fast (unavailable) during the reconnect delay, and the client reconnects after a restart")
    func reconnect() async throws {
        let server = try await RedisServer()
        let port = server.port
        let client = try Self.client(server) {
            $0.reconnectDelay = .milliseconds(200)
            $0.connections = 1
        }
        defer { client.shutdown() }
        #expect(try await client.command("SET", "a", "1") == .status("OK"))
        await server.stop(signal: SIGKILL)

        // The broken connection fails, then commands are refused at once until the delay passed.
        await #expect(throws: RedisError.self) { try await client.command("GET", "a") }
        do {
            _ = try await client.command("GET", "a")
            Issue.record("a command right after a failure must be refused")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("127.0.0.1:\(port)"))
        }

        // A new server on the same port: after the delay the next command reconnects.
        let again = try await RedisServer(port: port)
        var reply: RedisReply?
        for _ in 0..<50 where reply == nil {
            reply = try? await client.command("PING")
            if reply == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(reply == .status("PONG"))
        await again.stop()
    }

    @Test("after a Redis restart, each idle connection of the pool replaces itself without failing a command")
    func restartWithIdleConnections() async throws {
        let server = try await RedisServer()
        let port = server.port
        let client = try Self.client(server) { $0.connections = 4 }
        defer { client.shutdown() }
        // Open all four connections (concurrent commands each take a free one).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { () async throws -> Void in _ = try await client.command("PING") } }
            try await group.waitForAll()
        }
        await server.stop(signal: SIGKILL)
        let again = try await RedisServer(port: port)
        for i in 0..<12 {
            #expect(try await client.command("SET", "k\(i)", "v") == .status("OK"), "command \(i) after the restart")
        }
        await again.stop()
    }

    @Test("AUTH with the URL's password and SELECT of its database; a wrong password is refused as unavailable")
    func authAndDatabase() async throws {
        let server = try await RedisServer(extraArguments: ["--requirepass", "s3cret pass"])
        var configuration = try RedisConfiguration(url: "redis://:s3cret%20pass@127.0.0.1:\(server.port)/3")
        configuration.connections = 1  // SELECT below must reach the same connection as the GET after it
        let good = RedisClient(configuration: configuration)
        defer { good.shutdown() }
        #expect(try await good.command("SET", "in3", "x") == .status("OK"))
        #expect(try await good.command("SELECT", "0") == .status("OK"))
        #expect(try await good.command("GET", "in3") == .null)  // the key went to database 3

        let bad = RedisClient(configuration: try RedisConfiguration(url: "redis://:wrong@127.0.0.1:\(server.port)/0"))
        defer { bad.shutdown() }
        do {
            _ = try await bad.command("PING")
            Issue.record("a wrong password must be refused")
        } catch {
            #expect(error.code == .unavailable)
            #expect(!error.message.contains("wrong"), "the password never appears in messages")
        }
        await server.stop()
    }

    @Test("redis:// URLs: host, port, database, password (redacted), IPv6; bad ones refused")
    func urls() throws {
        let full = try RedisConfiguration(url: "redis://user:pw@cache.example.internal:6380/2")
        #expect(full.host == "cache.example.internal" && full.port == 6380 && full.database == 2 && full.password == "pw")
        #expect(full.redactedURL == "redis://:***@cache.example.internal:6380/2")
        let plain = try RedisConfiguration(url: "redis://redis")
        #expect(plain.host == "redis" && plain.port == 6379 && plain.database == 0 && plain.password == nil)
        let v6 = try RedisConfiguration(url: "redis://[::1]:7000/1")
        #expect(v6.host == "::1" && v6.port == 7000 && v6.redactedURL == "redis://[::1]:7000/1")
        for bad in ["http://h:1", "rediss://h:1", "redis://", "redis://h:0", "redis://h:99999", "redis://h:1/x", "redis://[::1"] {
            #expect(throws: RedisError.self, "\(bad)") { try RedisConfiguration(url: bad) }
        }
        let refusal = Result { () throws(RedisError) in try RedisConfiguration(url: "redis://h:0") }
        if case .failure(let error) = refusal {
            #expect(error.code == .invalidURL && error.code != .unavailable && "\(error.code)" == "invalidURL")
            #expect(error.description == "the image store URL's port must be 1…65535")
        } else {
            Issue.record("port 0 was accepted")
        }
        #expect(throws: ProxyConfiguration.Invalid.self) { try ProxyConfiguration.fromEnvironment(["FEWCLICK_IMAGE_STORE": "memcached://x"]) }
        let configuration = try ProxyConfiguration.fromEnvironment([
            "FEWCLICK_IMAGE_STORE": "redis://r:1/0", "FEWCLICK_IMAGE_STORE_TTL": "60",
            "FEWCLICK_IMAGE_STORE_MAX_IMAGE_BYTES": "1000", "FEWCLICK_IMAGE_STORE_TIMEOUT_MS": "50",
        ])
        #expect(configuration.imageStore == ImageStoreSettings(url: "redis://r:1/0", ttl: .seconds(60), maxImageBytes: 1000, timeout: .milliseconds(50)))
        #expect(try ProxyConfiguration.fromEnvironment(["FEWCLICK_IMAGE_STORE": "memory"]).imageStore.url == nil)
    }
}

@Suite(
    "Shared image store: proxies on one redis-server", .serialized,
    .enabled(if: RedisServer.isAvailable, "redis-server not installed"))
struct SharedImageStoreTests {
    /// A proxy function on `endpoint` with the Redis image store at `redis`.
    static func proxy(endpoint: String, redis: String, configure: (inout ImageStoreSettings) -> Void = { _ in }) -> ProxyFunction {
        ProxyFixture.function(endpoint: endpoint) {
            $0.imageStore.url = redis
            $0.imageStore.timeout = .milliseconds(300)
            configure(&$0.imageStore)
        }
    }

    /// One `/v1/segment` call through `function` with the image by data or by id.
    static func segment(_ function: ProxyFunction, data: [UInt8]? = nil, id: String? = nil) async throws -> (status: Int, body: [UInt8]) {
        let request = SegmentRequestBody(
            image: .init(data: data.map { Data($0).base64EncodedString() }, id: id), extremePoints: ProxyFixture.extremePoints)
        let response = try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(request)))
        return (response.statusCode, try response.bodyBytes())
    }

    /// A PNG unique to `seed` (so each test's images are new to every store).
    static func png(_ seed: Int) throws -> [UInt8] {
        var image = ProxyFixture.image()
        image.pixels[0] = UInt8(seed % 256)
        image.pixels[3] = UInt8(seed / 256 % 256)
        return try ImageFile.encodePNG(image)
    }

    static func store(_ function: ProxyFunction) throws -> RedisImageStore {
        try #require(function.handler.store as? RedisImageStore)
    }

    @Test("an image uploaded to one proxy is found by id on another; the key holds the encoded file with the TTL")
    func sharesByID() async throws {
        let redis = try await RedisServer()
        try await ProxyFixture.withEndpoint { url in
            let a = Self.proxy(endpoint: url, redis: redis.url)
            let b = Self.proxy(endpoint: url, redis: redis.url) { $0.ttl = .seconds(120) }
            defer { a.shutdown(); b.shutdown() }
            let png = try Self.png(1)
            let id = ImageCache.imageID(of: png)

            // Without the upload, B answers the documented 404.
            let before = try await Self.segment(b, id: id)
            #expect(before.status == 404)
            let first = try await Self.segment(a, data: png)
            #expect(first.status == 200)
            let second = try await Self.segment(b, id: id)
            #expect(second.status == 200, "B finds A's upload in Redis")
            #expect(try Self.store(b).localImage(for: id) != nil, "and keeps the decoded image in front")

            // The value is the encoded file itself, with A's TTL (default 1 h).
            let client = RedisClient(configuration: try RedisConfiguration(url: redis.url))
            defer { client.shutdown() }
            let key = RedisImageStore.key(for: id)
            #expect(try await client.command([Array("GET".utf8), key]) == .bulk(png))
            guard case .integer(let ttl) = try await client.command([Array("PTTL".utf8), key]) else {
                Issue.record("PTTL must answer an integer")
                return
            }
            #expect(ttl > 3_500_000 && ttl <= 3_600_000)
            #expect(try Self.store(a).fallbacks == 0 && Self.store(b).fallbacks == 0)
        }
        await redis.stop()
    }

    @Test("Redis killed mid-test: uploads still succeed, by-id calls answer from the local cache or 404, then it recovers")
    func redisDown() async throws {
        let redis = try await RedisServer()
        let port = redis.port
        try await ProxyFixture.withEndpoint { url in
            let a = Self.proxy(endpoint: url, redis: redis.url)
            let b = Self.proxy(endpoint: url, redis: redis.url)
            defer { a.shutdown(); b.shutdown() }
            let shared = try Self.png(2), later = try Self.png(3)
            #expect(try await Self.segment(a, data: shared).status == 200)
            #expect(try await Self.segment(b, id: ImageCache.imageID(of: shared)).status == 200)

            await redis.stop(signal: SIGKILL)

            // Requests with data never fail; by-id requests fall back to each process's cache.
            for _ in 0..<3 { #expect(try await Self.segment(a, data: later).status == 200) }
            #expect(try await Self.segment(a, id: ImageCache.imageID(of: later)).status == 200, "A has it locally")
            #expect(try await Self.segment(b, id: ImageCache.imageID(of: shared)).status == 200, "B has it locally")
            let missing = try await Self.segment(b, id: ImageCache.imageID(of: later))
            #expect(missing.status == 404)
            #expect(try JSONDecoder().decode(ErrorResponseBody.self, from: Data(missing.body)).error.code == "image_not_found")
            #expect(try Self.store(a).fallbacks >= 3 && Self.store(a).isDegraded)
            #expect(try Self.store(b).fallbacks >= 1)

            // Redis back (empty, on the same port): once the reconnect delay passed, uploads are shared again.
            let again = try await RedisServer(port: port)
            var shared2 = false
            for _ in 0..<40 where !shared2 {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await Self.segment(a, data: later)
                shared2 = try await Self.segment(b, id: ImageCache.imageID(of: later)).status == 200
            }
            #expect(shared2, "after Redis returns, B finds A's new upload")
            #expect(try !Self.store(a).isDegraded)
            await again.stop()
        }
    }

    @Test("images over the size cap stay local; the TTL expires shared images")
    func capAndTTL() async throws {
        let redis = try await RedisServer()
        try await ProxyFixture.withEndpoint { url in
            let png = try Self.png(4)
            let small = Self.proxy(endpoint: url, redis: redis.url) { $0.maxImageBytes = png.count - 1 }
            let short = Self.proxy(endpoint: url, redis: redis.url) { $0.ttl = .seconds(1) }
            let reader = Self.proxy(endpoint: url, redis: redis.url)
            defer { small.shutdown(); short.shutdown(); reader.shutdown() }
            let id = ImageCache.imageID(of: png)
            let client = RedisClient(configuration: try RedisConfiguration(url: redis.url))
            defer { client.shutdown() }
            let key = RedisImageStore.key(for: id)

            #expect(try await Self.segment(small, data: png).status == 200)
            #expect(try await client.command([Array("EXISTS".utf8), key]) == .integer(0), "over the cap: not in Redis")
            #expect(try await Self.segment(small, id: id).status == 200, "but kept locally")
            #expect(try await Self.segment(reader, id: id).status == 404)

            #expect(try await Self.segment(short, data: png).status == 200)
            #expect(try await client.command([Array("EXISTS".utf8), key]) == .integer(1))
            var gone = false
            for _ in 0..<60 where !gone {
                try await Task.sleep(for: .milliseconds(100))
                gone = try await client.command([Array("EXISTS".utf8), key]) == .integer(0)
            }
            #expect(gone, "the key expires after its 1 s TTL")
            #expect(try await Self.segment(reader, id: id).status == 404, "a replica without it locally answers 404 after expiry")
        }
        await redis.stop()
    }

    @Test("a file read from Redis is decoded within the decode bound: with the decode slot taken, a by-id call answers 503 busy, then 200")
    func sharedFileUsesDecodeGate() async throws {
        let redis = try await RedisServer()
        try await ProxyFixture.withEndpoint { url in
            let a = Self.proxy(endpoint: url, redis: redis.url)
            let b = ProxyFixture.function(endpoint: url) {
                $0.imageStore.url = redis.url
                $0.imageStore.timeout = .milliseconds(300)
                $0.maxConcurrentDecodes = 1
            }
            defer { a.shutdown(); b.shutdown() }
            let png = try Self.png(7)
            let id = ImageCache.imageID(of: png)
            #expect(try await Self.segment(a, data: png).status == 200)

            #expect(b.handler.decodeGate.tryStartDecode(), "the test holds B's only decode slot")
            let busy = try await Self.segment(b, id: id)
            b.handler.decodeGate.endDecode()
            #expect(busy.status == 503, "\(String(decoding: busy.body, as: UTF8.self))")
            #expect(String(decoding: busy.body, as: UTF8.self).contains("busy"))
            #expect(try Self.store(b).localImage(for: id) == nil, "nothing decoded while the slot was taken")
            #expect(try await Self.segment(b, id: id).status == 200)
        }
        await redis.stop()
    }

    @Test("a stored file that does not match its id is ignored (404), not served")
    func mismatchedFile() async throws {
        let redis = try await RedisServer()
        try await ProxyFixture.withEndpoint { url in
            let proxy = Self.proxy(endpoint: url, redis: redis.url)
            defer { proxy.shutdown() }
            let id = ImageCache.imageID(of: try Self.png(5))
            let client = RedisClient(configuration: try RedisConfiguration(url: redis.url))
            defer { client.shutdown() }
            _ = try await client.command([Array("SET".utf8), RedisImageStore.key(for: id), try Self.png(6)])
            #expect(try await Self.segment(proxy, id: id).status == 404)
        }
        await redis.stop()
    }
}
