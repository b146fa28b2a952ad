import CurlHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Testing

/// A Runtime API server for tests: serves queued events from `/invocation/next` and records what
/// the runtime posts back.
actor FakeRuntimeAPI {
    struct Event {
        var requestId: String
        var deadline: Int64
        var traceId: String?
        var body: String
    }

    struct Post: Equatable {
        var path: String
        var errorTypeHeader: String?
        var body: String
    }

    private var queue: [Event]
    private(set) var posts: [Post] = []

    init(events: [Event]) { queue = events }

    func next() -> Event? { queue.isEmpty ? nil : queue.removeFirst() }
    func record(_ post: Post) { posts.append(post) }

    nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/2018-06-01/runtime/invocation/next") { _, _ -> Response in
            guard let event = await self.next() else { return Response(status: .serviceUnavailable) }
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!] = event.requestId
            headers[HTTPField.Name("Lambda-Runtime-Deadline-Ms")!] = String(event.deadline)
            headers[HTTPField.Name("Lambda-Runtime-Invoked-Function-Arn")!] =
                "arn:aws:lambda:us-east-1:123456789012:function:test"
            if let trace = event.traceId { headers[HTTPField.Name("Lambda-Runtime-Trace-Id")!] = trace }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: event.body)))
        }
        let record: @Sendable (Request, String) async throws -> Response = { request, path in
            let body = try await request.body.collect(upTo: 1 << 20)
            await self.record(
                Post(
                    path: path, errorTypeHeader: request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!],
                    body: String(buffer: body)))
            return Response(status: .accepted)
        }
        router.post("/2018-06-01/runtime/invocation/:id/response") { request, context in
            try await record(request, "response/" + (context.parameters.get("id") ?? ""))
        }
        router.post("/2018-06-01/runtime/invocation/:id/error") { request, context in
            try await record(request, "error/" + (context.parameters.get("id") ?? ""))
        }
        router.post("/2018-06-01/runtime/init/error") { request, _ in try await record(request, "init/error") }
        return router
    }
}

/// Echoes the event with facts from its context; fails on the event `"fail"`.
struct EchoHandler: LambdaHandler {
    struct Failure: Error, CustomStringConvertible { var description: String { "asked to fail" } }

    func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let text = String(decoding: event, as: UTF8.self)
        if text == #""fail""# { throw Failure() }
        let trace = ProcessInfo.processInfo.environment["_X_AMZN_TRACE_ID"] ?? "-"
        return Array("\(text)|\(context.requestId)|\(context.deadlineEpochMilliseconds)|\(trace)".utf8)
    }
}

@Suite("Runtime API loop against a real server")
struct RuntimeAPITests {
    @Test("next → response, next → error, deadline and trace headers honoured, loop goes on after an error")
    func loop() async throws {
        let deadline: Int64 = 4_102_444_800_000  // 2100-01-01
        let api = FakeRuntimeAPI(events: [
            .init(requestId: "req-1", deadline: deadline, traceId: "Root=1-abc", body: #"{"n":1}"#),
            .init(requestId: "req-2", deadline: deadline + 1, traceId: nil, body: #""fail""#),
            .init(requestId: "req-3", deadline: deadline + 2, traceId: "Root=1-def", body: #"{"n":3}"#),
        ])
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let curl = CurlClient(maxConcurrentRequests: 2)
            defer { curl.shutdown() }
            let runtime = LambdaRuntime(
                handler: EchoHandler(), transport: CurlRuntimeTransport(runtimeAPI: "127.0.0.1:\(port)", client: curl),
                logger: Logger(label: "test"), maxInvocations: 3)
            try await runtime.run()
        }
        let posts = await api.posts
        #expect(posts.count == 3)
        #expect(posts[0] == .init(path: "response/req-1", body: #"{"n":1}|req-1|\#(deadline)|Root=1-abc"#))
        #expect(posts[1].path == "error/req-2")
        #expect(posts[1].errorTypeHeader == "Unhandled")
        let error = try JSONDecoder().decode(LambdaFunctionError.self, from: Data(posts[1].body.utf8))
        #expect(error == .init(errorMessage: "asked to fail", errorType: "Failure"))
        // The trace id of invocation 2 was absent: _X_AMZN_TRACE_ID is reset, then set again.
        #expect(posts[2] == .init(path: "response/req-3", body: #"{"n":3}|req-3|\#(deadline + 2)|Root=1-def"#))
    }

    @Test("an init failure is posted to /init/error and rethrown")
    func initError() async throws {
        struct Broken: Error {}
        let api = FakeRuntimeAPI(events: [])
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            await #expect(throws: Broken.self) {
                try await LambdaRuntime<EchoHandler>.run(
                    transport: CurlRuntimeTransport(runtimeAPI: "127.0.0.1:\(port)", client: curl),
                    logger: Logger(label: "test")
                ) { throw Broken() }
            }
        }
        let posts = await api.posts
        #expect(posts.map(\.path) == ["init/error"])
        #expect(posts.first?.errorTypeHeader == "Unhandled")
        #expect(posts.first?.body.contains(#""errorType":"Broken""#) == true)
    }

    @Test("a Runtime API that answers garbage ends the loop with an error")
    func badAPI() async throws {
        let api = FakeRuntimeAPI(events: [])  // `next` answers 503
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            let runtime = LambdaRuntime(
                handler: EchoHandler(), transport: CurlRuntimeTransport(runtimeAPI: "127.0.0.1:\(port)", client: curl),
                logger: Logger(label: "test"))
            await #expect(throws: LambdaRuntimeError.self) { try await runtime.run() }
        }
    }
}

/// A scripted transport: the loop's contract without HTTP.
final class ScriptedTransport: LambdaRuntimeTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var invocations: [LambdaInvocation]
    private(set) var results: [(String, [UInt8])] = []
    private(set) var errors: [(String, LambdaFunctionError)] = []

    init(_ invocations: [LambdaInvocation]) { self.invocations = invocations }

    func nextInvocation() async throws -> LambdaInvocation {
        try lock.withLock {
            guard !invocations.isEmpty else { throw LambdaRuntimeError("no more invocations") }
            return invocations.removeFirst()
        }
    }
    func reportResult(requestId: String, result: [UInt8]) async throws {
        lock.withLock { results.append((requestId, result)) }
    }
    func reportError(requestId: String, error: LambdaFunctionError) async throws {
        lock.withLock { errors.append((requestId, error)) }
    }
    func reportInitError(_ error: LambdaFunctionError) async throws {}
}

@Suite("Runtime loop with a scripted transport")
struct ScriptedRuntimeTests {
    @Test("the handler sees the deadline; errors and results go to the right invocation")
    func scripted() async throws {
        let transport = ScriptedTransport([
            .init(requestId: "a", deadlineEpochMilliseconds: 10, event: Array(#""fail""#.utf8)),
            .init(requestId: "b", deadlineEpochMilliseconds: 20, event: Array("x".utf8)),
        ])
        let runtime = LambdaRuntime(handler: EchoHandler(), transport: transport, logger: Logger(label: "t"), maxInvocations: 2)
        try await runtime.run()
        #expect(transport.errors.map(\.0) == ["a"])
        #expect(transport.results.map(\.0) == ["b"])
        #expect(String(decoding: transport.results[0].1, as: UTF8.self).hasPrefix("x|b|20|"))
    }
}
