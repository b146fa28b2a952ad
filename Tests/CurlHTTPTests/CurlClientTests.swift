import CurlHTTP
import Synchronization
import Testing

@Suite("CurlClient against a live Hummingbird server")
struct CurlClientTests {
    @Test("GET returns status, headers and body")
    func get() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let response = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/bytes/5"))
            #expect(response.status == 200)
            #expect(response.body == Array("aaaaa".utf8))
            #expect(response.header("content-length") == "5")
            #expect(response.header("CONTENT-LENGTH") == "5")
            #expect(response.header("x-missing") == nil)
        }
    }

    @Test("POST echoes a binary body and the request headers as given")
    func postEcho() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let body = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let request = CurlRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/echo",
                headers: [HTTPHeaderField("X-Custom", "one two"), HTTPHeaderField("Content-Type", "application/x-test"), HTTPHeaderField("X-Empty", "")],
                body: body)
            let response = try await client.execute(request)
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.header("x-method") == "POST")
            let seen = try #require(response.header("x-request-headers")).lowercased()
            #expect(seen.contains("x-custom: one two"))
            #expect(seen.contains("content-type: application/x-test"))
            #expect(seen.contains("x-empty: "))
            #expect(seen.contains("content-length: 70000"))
        }
    }

    @Test("PUT with a body and GET with an empty body use the given method")
    func methods() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let put = try await client.execute(CurlRequest(method: "PUT", url: "http://127.0.0.1:\(port)/echo", body: [1, 2, 3]))
            #expect(put.header("x-method") == "PUT" && put.body == [1, 2, 3])
            // No form content type is made up for a body without one.
            #expect(!(put.header("x-request-headers") ?? "").lowercased().contains("content-type"))
            let get = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/echo"))
            #expect(get.header("x-method") == "GET" && get.body.isEmpty)
        }
    }

    @Test("a 3 MiB POST is sent without Expect: 100-continue")
    func largePost() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 3) }
            let response = try await client.execute(
                CurlRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo", headers: [HTTPHeaderField("Expect", "100-continue")], body: body))
            #expect(response.status == 200)
            #expect(response.body == body)
            let seen = try #require(response.header("x-request-headers")).lowercased()
            #expect(!seen.contains("expect"), "request headers: \(seen)")
            #expect(seen.contains("content-length: \(3 << 20)"))
        }
    }

    @Test("sequential requests reuse one keep-alive connection")
    func keepAlive() async throws {
        try await TestServer.with { port in
            let client = CurlClient(maxConcurrentRequests: 4)
            defer { client.shutdown() }
            var ports = Set<String>()
            for _ in 0..<10 {
                let response = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/peer")).checked()
                ports.insert(String(decoding: response.body, as: UTF8.self))
            }
            #expect(ports.count == 1, "client ports seen by the server: \(ports)")
        }
    }

    @Test("a closed port is connection refused")
    func refused() async throws {
        // Start a server to learn a free port, stop it, then connect to that port.
        let port = try await TestServer.with { port in port }
        let client = CurlClient()
        defer { client.shutdown() }
        await #expect { try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/")) } throws: {
            ($0 as? CurlError)?.code == .connectionRefused
        }
    }

    @Test("a handler slower than the timeout times out")
    func timeout() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            await #expect {
                try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/sleep/1500", timeout: .milliseconds(200)))
            } throws: { ($0 as? CurlError)?.code == .timedOut }
            // The client is still usable afterwards.
            let after = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/peer"))
            #expect(after.status == 200)
        }
    }

    @Test("responses over maxResponseBytes are refused, with and without Content-Length")
    func tooLarge() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            for path in ["bytes", "stream"] {
                await #expect {
                    try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/\(path)/300000", maxResponseBytes: 100_000))
                } throws: { ($0 as? CurlError)?.code == .responseTooLarge }
                let exact = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/\(path)/100000", maxResponseBytes: 100_000))
                #expect(exact.body.count == 100_000)
            }
        }
    }

    @Test("50 concurrent requests through 4 slots all succeed, never more than 4 at once")
    func concurrency() async throws {
        let counter = InFlightCounter()
        try await TestServer.with(counter: counter) { port in
            let client = CurlClient(maxConcurrentRequests: 4)
            defer { client.shutdown() }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/slow")).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 50 && statuses.allSatisfy { $0 == 200 })
            #expect(counter.peak <= 4 && counter.peak >= 1)
        }
    }

    @Test("status codes are returned; checked() throws for 4xx/5xx")
    func statusCodes() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let notFound = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/status/404"))
            #expect(notFound.status == 404)
            #expect { try notFound.checked() } throws: { ($0 as? CurlError)?.code == .httpStatus && ($0 as? CurlError)?.status == 404 }
            let ok = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/status/204"))
            #expect(try ok.checked().status == 204)
        }
    }

    @Test("redirects are returned, not followed")
    func redirect() async throws {
        try await TestServer.with { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let response = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/redirect"))
            #expect(response.status == 302)
            #expect(response.header("location") == "/echo")
            #expect(response.body == Array("moved".utf8))
        }
    }

    @Test("invalid requests are refused before sending")
    func invalid() async throws {
        let client = CurlClient()
        defer { client.shutdown() }
        let bad = [
            CurlRequest(url: "ftp://127.0.0.1/file"),
            CurlRequest(url: "file:///etc/passwd"),
            CurlRequest(url: "not a url"),
            CurlRequest(method: "GE T", url: "http://127.0.0.1:1/"),
            CurlRequest(url: "http://127.0.0.1:1/", headers: [HTTPHeaderField("X-Bad", "a\r\nInjected: yes")]),
            CurlRequest(url: "http://127.0.0.1:1/", headers: [HTTPHeaderField("Bad Name", "x")]),
        ]
        for request in bad {
            await #expect { try await client.execute(request) } throws: { ($0 as? CurlError)?.code == .invalidRequest }
        }
    }

    @Test("an unknown host does not resolve")
    func unresolvable() async throws {
        let client = CurlClient()
        defer { client.shutdown() }
        // .invalid is reserved (RFC 6761) and never resolves.
        await #expect { try await client.execute(CurlRequest(url: "http://no-such-host.invalid/")) } throws: {
            ($0 as? CurlError)?.code == .couldNotResolve
        }
    }

    @Test("cancelling the calling task aborts a slow request")
    func cancellation() async throws {
        try await TestServer.with { port in
            let client = CurlClient(maxConcurrentRequests: 1)
            defer { client.shutdown() }
            let running = Task { try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/sleep/1500")) }
            // Queued behind the running one (one slot): removed from the queue on cancellation.
            let queued = Task { try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/peer")) }
            try await Task.sleep(for: .milliseconds(100))
            queued.cancel()
            running.cancel()
            for task in [running, queued] {
                await #expect { try await task.value } throws: { ($0 as? CurlError)?.message == "cancelled" }
            }
        }
    }

    @Test("after shutdown, requests fail at once")
    func shutdown() async throws {
        let client = CurlClient()
        client.shutdown()
        client.shutdown()
        await #expect { try await client.execute(CurlRequest(url: "http://127.0.0.1:1/")) } throws: {
            ($0 as? CurlError)?.code == .transport
        }
    }
}
