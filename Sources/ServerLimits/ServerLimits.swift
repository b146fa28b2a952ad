import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The connection-level limits every fewclick HTTP server applies (gateway, proxy Invoke API,
/// endpoint): how long a client may take to send a request, how long an idle connection stays
/// open, how many connections are open at once, and how large the request head may be.
///
/// - `headerTimeout`: a new connection must deliver a complete request head within it, else it
///   gets `408 request_timeout` and is closed (slow-header clients).
/// - `idleTimeout`: a connection on which nothing is read for this long while no response is being
///   prepared is closed: keep-alive connections between requests, and stalls inside a request head
///   or body (Hummingbird's idle-state handling).
/// - `bodyTimeout`: the longest a whole request body may take to arrive (checked by
///   ``collectBody(_:limit:timeout:)`` as chunks arrive; a stall is cut by `idleTimeout`).
/// - `maxConnections`: connections beyond it wait in the listen backlog until one closes.
/// - `maxHeaderBytes`: the largest single header field and the largest header block (400 beyond).
/// - `lingerBytes`, `lingerTime`: after a response that closes the connection before the request
///   body was read (an early 413, 408 or 400), up to this many body bytes are read and dropped, or
///   for at most this long, before the socket is closed, so that clients that write their whole
///   body before reading (Python's http.client, urllib3, boto3) still read the answer instead of
///   hitting a reset.
public struct ServerLimits: Sendable, Equatable {
    /// Time allowed for the first request head of a connection. Default 5 s.
    public var headerTimeout: Duration
    /// Time a connection may stay without reads while no response is pending. Default 5 s.
    public var idleTimeout: Duration
    /// Time allowed for a whole request body. Default 30 s.
    public var bodyTimeout: Duration
    /// Open connections at most. Default 1024.
    public var maxConnections: Int
    /// Largest header field and header block, bytes. Default 16 KiB.
    public var maxHeaderBytes: Int
    /// Body bytes read and dropped after an early closing response. Default 16 MiB.
    public var lingerBytes: Int
    /// Longest wait for those bytes. Default 2 s.
    public var lingerTime: Duration

    /// Creates limits; every argument has the default documented on its property.
    public init(
        headerTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(5), bodyTimeout: Duration = .seconds(30),
        maxConnections: Int = 1024, maxHeaderBytes: Int = 16 * 1024, lingerBytes: Int = 16 << 20,
        lingerTime: Duration = .seconds(2)
    ) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
        self.maxHeaderBytes = maxHeaderBytes
        self.lingerBytes = lingerBytes
        self.lingerTime = lingerTime
    }

    /// Why a set of limits was refused.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
        /// The same text as ``description``: every library error has a `message` (README "Development").
        public var message: String { description }
    }

    /// Checks that every limit is positive.
    /// - Throws: ``Invalid`` naming the first limit that is not.
    public func validated() throws(Invalid) -> ServerLimits {
        for (name, value) in [("header timeout", headerTimeout), ("idle timeout", idleTimeout), ("body timeout", bodyTimeout), ("linger time", lingerTime)]
        where value <= .zero {
            throw Invalid(description: "the \(name) must be positive")
        }
        guard maxConnections > 0 else { throw Invalid(description: "the connection limit must be at least 1") }
        guard maxHeaderBytes >= 1024 else { throw Invalid(description: "the header limit must be at least 1024 bytes") }
        guard lingerBytes >= 0 else { throw Invalid(description: "the linger bytes must be ≥ 0") }
        return self
    }

    /// The HTTP/1.1 server with these limits, for `Application(router:server:…)`.
    ///
    /// Besides the timeouts it answers what Hummingbird would answer with an empty `400` (a request
    /// head it cannot parse: over-long or NUL-bearing headers, a bad `Transfer-Encoding`) with the
    /// JSON error body `errorBody` makes (each service writes its own contract's error body: the
    /// gateway FewClickAPI's `{"error":{"code":"invalid_request",…}}`) and `extraErrorHeaders` (CORS);
    /// a head that does not arrive in time gets `408 request_timeout`.
    public func http1(
        extraErrorHeaders: HTTPFields = ServerLimits.defaultErrorHeaders,
        errorBody: @escaping ErrorBodyWriter
    ) -> HTTPServerBuilder {
        let limits = self
        var configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ConnectionGuardHandler(limits: limits, errorHeaders: extraErrorHeaders, errorBody: errorBody)
            ],
            idleTimeout: Self.timeAmount(idleTimeout))
        configuration.httpDecoder = .init(
            maxHeaderFieldSize: maxHeaderBytes, maxHeaderListSize: maxHeaderBytes, maxHeaderFieldCount: 200)
        return .http1(configuration: configuration)
    }

    /// Sets the connection cap on an application configuration.
    public func apply(to configuration: inout ApplicationConfiguration, logger: Logger) {
        configuration.availableConnectionsDelegate = MaximumAvailableConnections(maxConnections, logger: logger)
    }

    /// The headers of errors written below the router (CORS for any origin: these bodies carry no data).
    public static let defaultErrorHeaders: HTTPFields = [
        .accessControlAllowOrigin: "*", .accessControlExposeHeaders: "X-Request-Id",
    ]

    /// Makes the JSON body of an error the server answers below the router: status, code, message.
    public typealias ErrorBodyWriter = @Sendable (_ status: Int, _ code: String, _ message: String) -> [UInt8]

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Why ``ServerLimits/collectBody(_:limit:timeout:)`` stopped.
///
/// A struct whose ``Code`` wraps a private enum (as `InferenceProtocolError`), so a new kind breaks
/// no caller: compare codes with `==`, or `switch` over ``code`` with a `default`. Each refusal
/// carries what to tell the client (``message``) and the status to answer with (``status``).
public struct BodyReadError: Error, Sendable, CustomStringConvertible {
    /// Why reading stopped. New kinds may be added: compare with `==` or switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable { case tooLarge, timedOut, malformed, failed }
        private let kind: Kind

        /// More than the limit (known from `Content-Length` or counted while reading).
        public static let tooLarge = Code(kind: .tooLarge)
        /// The body did not arrive within the body timeout.
        public static let timedOut = Code(kind: .timedOut)
        /// The body's framing is invalid (bad chunk size, bad `Transfer-Encoding`).
        public static let malformed = Code(kind: .malformed)
        /// The connection failed while reading.
        public static let failed = Code(kind: .failed)

        /// The kind's name, e.g. `timedOut`.
        public var description: String { kind.rawValue }
    }

    /// Why reading stopped.
    public let code: Code
    /// A client-safe explanation, e.g. `the request body did not arrive within 30.0 seconds`.
    public let message: String

    /// More than `limit` bytes: "request body exceeds the limit of `limit` bytes".
    public static func tooLarge(limit: Int) -> BodyReadError {
        BodyReadError(code: .tooLarge, message: "request body exceeds the limit of \(limit) bytes")
    }
    /// The body did not arrive within `timeout`.
    public static func timedOut(_ timeout: Duration) -> BodyReadError {
        BodyReadError(code: .timedOut, message: "the request body did not arrive within \(timeout)")
    }
    /// The body's framing is invalid; `reason` is the parser's.
    public static func malformed(_ reason: String) -> BodyReadError {
        BodyReadError(code: .malformed, message: "the request body's framing is invalid (\(reason))")
    }
    /// The connection failed while reading; `reason` says how.
    public static func failed(_ reason: String) -> BodyReadError {
        BodyReadError(code: .failed, message: "the request body could not be read (\(reason))")
    }

    /// The status to answer with: 413 for ``Code/tooLarge``, 408 for ``Code/timedOut``, 400 otherwise.
    public var status: HTTPResponse.Status {
        switch code {
        case .tooLarge: .contentTooLarge
        case .timedOut: .requestTimeout
        default: .badRequest
        }
    }

    /// The ``message``.
    public var description: String { message }
}

extension ServerLimits {
    /// Reads a whole request body within `limit` bytes and `timeout`, refusing as soon as either
    /// is known to be passed (`Content-Length` over the limit refuses before reading anything).
    ///
    /// Answer a thrown error with a response carrying `Connection: close`: the rest of the body
    /// is then read and dropped (up to ``lingerBytes``) and the connection closed.
    /// - Throws: ``BodyReadError``.
    public static func collectBody(_ request: Request, limit: Int, timeout: Duration) async throws(BodyReadError) -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw .tooLarge(limit: limit)
        }
        let deadline = ContinuousClock.now + timeout
        var collected = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard collected.readableBytes + chunk.readableBytes <= limit else { throw BodyReadError.tooLarge(limit: limit) }
                guard ContinuousClock.now <= deadline else { throw BodyReadError.timedOut(timeout) }
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        } catch let error as BodyReadError {
            throw error
        } catch let error as HTTPParserError {
            throw .malformed(String(describing: error))
        } catch {
            throw .failed(String(describing: error))
        }
        return collected
    }

    /// `Connection: close`, for responses after which the connection must not be reused.
    public static let closeConnection: HTTPFields = [.connection: "close"]
}

/// Sits between the HTTP codec and Hummingbird's connection handler on every connection:
/// the header timeout, the JSON body of parse-error responses, and the lingering close after a
/// response marked `Connection: close`.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ServerLimits
    private let errorHeaders: HTTPFields
    private var headerTimer: Scheduled<Void>?
    private var lingerTimer: Scheduled<Void>?
    /// No request head since the connection opened or the last response ended.
    private var awaitingHead = true
    /// Whether any request head was read on this connection.
    private var sawHead = false
    /// The current request's end was read.
    private var requestEnded = false
    /// The response being written is Hummingbird's empty parse-error 400, replaced by JSON.
    private var rewriting = false
    /// The response being written asks for the connection to close.
    private var closeAfterResponse = false
    /// After a closing response: reading and dropping the rest of the request body.
    private var draining = false
    private var drainedBytes = 0
    /// Nothing more may be written (the connection is closing).
    private var finished = false
    private var parseError: String?
    private let errorBody: ServerLimits.ErrorBodyWriter

    init(limits: ServerLimits, errorHeaders: HTTPFields, errorBody: @escaping ServerLimits.ErrorBodyWriter) {
        self.limits = limits
        self.errorHeaders = errorHeaders
        self.errorBody = errorBody
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armHeaderTimer(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelTimers() }

    func channelActive(context: ChannelHandlerContext) {
        armHeaderTimer(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        parseError = String(describing: error)
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            awaitingHead = false
            sawHead = true
            requestEnded = false
            headerTimer?.cancel()
            headerTimer = nil
        case .body(let buffer):
            if draining {
                drainedBytes += buffer.readableBytes
                if drainedBytes > limits.lingerBytes {
                    close(context)
                    return
                }
            }
        case .end:
            requestEnded = true
            if draining {
                close(context)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if finished || draining {
            // A second response (Hummingbird's parse-error 400 while dropping the body) is not sent.
            promise?.succeed(())
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var response):
            closeAfterResponse = response.headerFields[.connection]?.lowercased() == "close"
            if awaitingHead && response.status == .badRequest {
                // Only Hummingbird itself answers without a request head: its empty parse-error 400.
                rewriting = true
                closeAfterResponse = true
                response.headerFields = errorHeaders
                response.headerFields[.contentType] = "application/json"
                response.headerFields[.connection] = "close"
                response.headerFields[.contentLength] = String(parseErrorBody().readableBytes)
            }
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .body(let buffer):
            if rewriting {
                promise?.succeed(())
            } else {
                context.write(wrapOutboundOut(.body(buffer)), promise: promise)
            }
        case .end(let trailers):
            if rewriting {
                context.write(wrapOutboundOut(.body(parseErrorBody())), promise: nil)
                rewriting = false
            }
            let closing = closeAfterResponse
            awaitingHead = true
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
            if closing { lingeringClose(context) }
        }
    }

    /// After a closing response: close now when the request was read to its end, else drop the
    /// rest of its body (bounded in bytes and time) first.
    private func lingeringClose(_ context: ChannelHandlerContext) {
        context.flush()
        if requestEnded || !sawHead {
            close(context)
            return
        }
        draining = true
        let loop = context.eventLoop.assumeIsolated()
        lingerTimer = loop.scheduleTask(in: ServerLimits.timeAmount(limits.lingerTime)) { [self] in
            self.close(context)
        }
    }

    private func close(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        cancelTimers()
        context.flush()
        context.close(promise: nil)
    }

    private func armHeaderTimer(_ context: ChannelHandlerContext) {
        guard headerTimer == nil, !sawHead else { return }
        let loop = context.eventLoop.assumeIsolated()
        headerTimer = loop.scheduleTask(in: ServerLimits.timeAmount(limits.headerTimeout)) { [self] in
            self.headerTimedOut(context)
        }
    }

    private func headerTimedOut(_ context: ChannelHandlerContext) {
        headerTimer = nil
        guard awaitingHead, !sawHead, !finished else { return }
        let body = ByteBuffer(
            bytes: errorBody(408, "request_timeout", "the request head did not arrive within \(limits.headerTimeout)"))
        var fields = errorHeaders
        fields[.contentType] = "application/json"
        fields[.connection] = "close"
        fields[.contentLength] = String(body.readableBytes)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .requestTimeout, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        close(context)
    }

    private func cancelTimers() {
        headerTimer?.cancel()
        headerTimer = nil
        lingerTimer?.cancel()
        lingerTimer = nil
    }

    private func parseErrorBody() -> ByteBuffer {
        ByteBuffer(
            bytes: errorBody(
                400, "invalid_request",
                "the request is not valid HTTP/1.1 (\(parseError ?? "malformed head")): check the header names, "
                    + "values (no NUL, at most \(limits.maxHeaderBytes) bytes) and Transfer-Encoding"))
    }
}
