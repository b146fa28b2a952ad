import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A request context that remembers the client's port, so tests can tell connections apart.
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's TCP port for this request's connection.
    let peerPort: Int

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerPort = source.channel.remoteAddress?.port ?? -1
    }
}

/// Counts requests in flight and remembers the most seen at once.
final class InFlightCounter: Sendable {
    private let state = Mutex((current: 0, peak: 0))
    func enter() { state.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) } }
    func leave() { state.withLock { $0.current -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}

/// A real Hummingbird server on 127.0.0.1, port chosen by the OS.
enum TestServer {
    static func router(counter: InFlightCounter) -> Router<PeerRequestContext> {
        let router = Router(context: PeerRequestContext.self)
        // Echoes the body; reports the method and request headers as "name: value" lines in
        // the `x-request-headers` response header (joined with " | ").
        router.on("/echo", method: .post) { request, context in try await echo(request, context) }
        router.on("/echo", method: .get) { request, context in try await echo(request, context) }
        router.on("/echo", method: .put) { request, context in try await echo(request, context) }
        // The client port of the connection that carried this request.
        router.get("/peer") { _, context in "\(context.peerPort)" }
        router.get("/sleep/{ms}") { _, context in
            let ms = try context.parameters.require("ms", as: Int.self)
            try await Task.sleep(for: .milliseconds(ms))
            return "slept"
        }
        router.get("/bytes/{count}") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 0x61, count: count)))
        }
        // Streams `count` bytes in 64 KiB chunks without a Content-Length (chunked encoding).
        router.get("/stream/{count}") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(status: .ok, body: ResponseBody { writer in
                var left = count
                while left > 0 {
                    let n = min(left, 65536)
                    try await writer.write(ByteBuffer(repeating: 0x62, count: n))
                    left -= n
                }
                try await writer.finish(nil)
            })
        }
        router.get("/status/{code}") { _, context in
            let code = try context.parameters.require("code", as: Int.self)
            return Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        router.get("/redirect") { _, _ in
            Response(status: .found, headers: [.location: "/echo"], body: .init(byteBuffer: ByteBuffer(string: "moved")))
        }
        router.get("/slow") { _, _ in
            counter.enter()
            defer { counter.leave() }
            try await Task.sleep(for: .milliseconds(20))
            return "done"
        }
        return router
    }

    private static func echo(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 20)
        let lines = request.headers.map { "\($0.name.canonicalName): \($0.value)" }.joined(separator: " | ")
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers[.init("x-request-headers")!] = lines
        headers[.init("x-method")!] = request.method.rawValue
        headers[.init("x-peer-port")!] = "\(context.peerPort)"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// Runs `body` with the port of a live server, then shuts the server down.
    static func with<T: Sendable>(
        counter: InFlightCounter = InFlightCounter(), _ body: @Sendable @escaping (Int) async throws -> T
    ) async throws -> T {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "curl-test-server")
        logger.logLevel = .warning
        let app = Application(
            router: router(counter: counter),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw TestServerError.noPort
            }
            do {
                let result = try await body(port)
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }
}

enum TestServerError: Error { case noPort }
