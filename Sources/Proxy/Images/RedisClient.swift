import CHiredis
import Foundation

/// One reply from Redis (RESP2), as hiredis parses it.
public enum RedisReply: Sendable, Equatable {
    /// A simple string (`+OK`).
    case status(String)
    /// An error reply (`-ERR …`): the server answered, but refused the command.
    case error(String)
    /// An integer (`:1`).
    case integer(Int64)
    /// A bulk string: arbitrary bytes (`GET` of an existing key).
    case bulk([UInt8])
    /// The null bulk string or array (`GET` of a missing key).
    case null
    /// An array of replies.
    case array([RedisReply])
}

/// Why a Redis command got no reply.
///
/// A struct whose ``Code`` wraps a private enum (as `InferenceProtocolError`), so a new kind breaks
/// no caller: compare codes with `==`, or `switch` over ``code`` with a `default`.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New kinds may be added: compare with `==` or switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable { case unavailable, connection, queueTimeout, shutdown, invalidURL }
        private let kind: Kind

        /// No connection: the last connect or command failed less than `reconnectDelay` ago, or
        /// connecting failed now (refused, unresolvable host, connect timeout, AUTH/SELECT refused).
        public static let unavailable = Code(kind: .unavailable)
        /// The connection broke or the command timed out (`commandTimeout`); it is reconnected later.
        public static let connection = Code(kind: .connection)
        /// The command waited in the queue longer than `commandTimeout` before a connection was free.
        public static let queueTimeout = Code(kind: .queueTimeout)
        /// The client was shut down.
        public static let shutdown = Code(kind: .shutdown)
        /// A `redis://` URL that cannot be parsed.
        public static let invalidURL = Code(kind: .invalidURL)

        /// The kind's name, e.g. `unavailable`.
        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened (hiredis's `errstr`, or ours); never contains the password.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `message`.
    public var description: String { message }
}

/// Where a Redis server is and how long to wait for it.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or address.
    public var host: String
    /// TCP port. Default 6379.
    public var port: Int
    /// The database number (`SELECT`). Default 0.
    public var database: Int
    /// Sent with `AUTH` after connecting, when set.
    public var password: String?
    /// The longest wait for the TCP connection. Default 500 ms.
    public var connectTimeout: Duration
    /// The longest wait for one command's reply (socket send and receive timeouts). Default 500 ms.
    public var commandTimeout: Duration
    /// After a failed connect or command, commands fail at once (``RedisError/Code/unavailable``)
    /// for this long before a reconnect is tried, so a dead server costs requests no waiting. Default 1 s.
    public var reconnectDelay: Duration
    /// Connections, each with its own thread (commands run in parallel up to this). Default 4.
    public var connections: Int

    /// Creates a configuration.
    public init(
        host: String, port: Int = 6379, database: Int = 0, password: String? = nil,
        connectTimeout: Duration = .milliseconds(500), commandTimeout: Duration = .milliseconds(500),
        reconnectDelay: Duration = .seconds(1), connections: Int = 4
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectDelay = reconnectDelay
        self.connections = max(1, connections)
    }

    /// Parses `redis://[:password@]host[:port][/db]` (a user name before the colon is ignored:
    /// Redis 5 and hiredis 0.14 authenticate with the password alone). TLS (`rediss://`) is not supported.
    ///
    /// - Throws: ``RedisError`` `invalidURL`, with a message that does not repeat the password.
    public init(url: String) throws(RedisError) {
        guard url.hasPrefix("redis://") else {
            throw RedisError(.invalidURL, "the image store URL must look like redis://host:port/db (rediss:// is not supported)")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if let colon = credentials.firstIndex(of: ":") {
                let secret = String(credentials[credentials.index(after: colon)...])
                password = secret.removingPercentEncoding ?? secret
            }
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let text = rest[rest.index(after: slash)...]
            if !text.isEmpty {
                guard let number = Int(text), (0...65535).contains(number) else {
                    throw RedisError(.invalidURL, "the image store URL's database must be a number, got '\(text.prefix(20))'")
                }
                database = number
            }
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 6379
        if rest.hasPrefix("[") {  // [IPv6]:port
            guard let close = rest.firstIndex(of: "]") else {
                throw RedisError(.invalidURL, "the image store URL has an unclosed [IPv6] host")
            }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    throw RedisError(.invalidURL, "the image store URL's port must be 1…65535")
                }
                port = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                throw RedisError(.invalidURL, "the image store URL's port must be 1…65535")
            }
            port = number
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { throw RedisError(.invalidURL, "the image store URL has no host") }
        self.init(host: host, port: port, database: database, password: password)
    }

    /// `redis://host:port/db`, without the password (for logs).
    public var redactedURL: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(password == nil ? "" : ":***@")\(shownHost):\(port)/\(database)"
    }
}

/// A Redis client on hiredis's blocking API: `connections` connections, each owned by its own OS
/// thread, so hiredis never blocks Swift's cooperative pool (as `CurlClient` does with libcurl).
///
/// Commands queue FIFO for the first free connection. Every wait is bounded: connecting by
/// `connectTimeout`, a reply by `commandTimeout` (socket timeouts set with `redisSetTimeout`), a
/// queued command by `commandTimeout` too. A failed connect or command drops that connection and
/// makes every command fail at once for `reconnectDelay`; the next command after that reconnects.
public final class RedisClient: Sendable {
    /// The settings.
    public let configuration: RedisConfiguration
    private let pool: RedisConnectionPool

    /// Creates the client and starts its threads; nothing connects until the first command.
    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        pool = RedisConnectionPool(configuration: configuration)
        for _ in 0..<configuration.connections {
            let pool = self.pool
            let thread = Thread { pool.runWorker() }
            thread.name = "fewclick.redis"
            thread.start()
        }
    }

    /// Runs one command (`["SET", key, value]`, arguments as raw bytes) and returns the reply.
    /// A server's error reply is returned as ``RedisReply/error(_:)``, not thrown.
    ///
    /// - Throws: ``RedisError`` when no reply came (see ``RedisError/Code``).
    public func command(_ arguments: [[UInt8]]) async throws(RedisError) -> RedisReply {
        let pool = self.pool
        let result: Result<RedisReply, RedisError> = await withCheckedContinuation { continuation in
            pool.submit(arguments, continuation: continuation)
        }
        return try result.get()
    }

    /// Runs one command given as strings (see ``command(_:)-swift.method``).
    public func command(_ arguments: String...) async throws(RedisError) -> RedisReply {
        try await command(arguments.map { Array($0.utf8) })
    }

    /// Fails queued commands, refuses new ones and lets the threads close their connections and exit.
    public func shutdown() { pool.shutdown() }

    deinit { pool.shutdown() }
}

/// The job queue and the connection state shared by a client's worker threads.
final class RedisConnectionPool: @unchecked Sendable {
    struct Job {
        var arguments: [[UInt8]]
        var enqueued: ContinuousClock.Instant
        var continuation: CheckedContinuation<Result<RedisReply, RedisError>, Never>
    }

    let configuration: RedisConfiguration
    // All mutable state is guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var queueHead = 0
    private var isShutdown = false
    /// Commands fail at once until this instant (set after a failure).
    private var unavailableUntil: ContinuousClock.Instant?
    private var lastFailure = ""

    init(configuration: RedisConfiguration) {
        self.configuration = configuration
    }

    func submit(_ arguments: [[UInt8]], continuation: CheckedContinuation<Result<RedisReply, RedisError>, Never>) {
        let now = ContinuousClock.now
        let refusal: RedisError? = condition.withLock {
            if isShutdown { return RedisError(.shutdown, "the Redis client was shut down") }
            if let until = unavailableUntil, now < until {
                return RedisError(.unavailable, "Redis at \(configuration.redactedURL) is unavailable: \(lastFailure)")
            }
            queue.append(Job(arguments: arguments, enqueued: now, continuation: continuation))
            condition.signal()
            return nil
        }
        if let refusal { continuation.resume(returning: .failure(refusal)) }
    }

    func shutdown() {
        let failed: [Job] = condition.withLock {
            guard !isShutdown else { return [] }
            isShutdown = true
            let waiting = Array(queue[queueHead...])
            queue = []
            queueHead = 0
            condition.broadcast()
            return waiting
        }
        for job in failed { job.continuation.resume(returning: .failure(RedisError(.shutdown, "the Redis client was shut down"))) }
    }

    /// The next job, waiting for one; nil once shut down.
    private func next() -> Job? {
        condition.withLock {
            while queueHead == queue.count && !isShutdown { condition.wait() }
            guard queueHead < queue.count else { return nil }
            let job = queue[queueHead]
            queueHead += 1
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            }
            return job
        }
    }

    /// Records a failure: commands are refused for `reconnectDelay`.
    private func markUnavailable(_ message: String) {
        condition.withLock {
            unavailableUntil = ContinuousClock.now + configuration.reconnectDelay
            lastFailure = message
        }
    }

    private func unavailableError() -> RedisError? {
        condition.withLock {
            guard let until = unavailableUntil, ContinuousClock.now < until else { return nil }
            return RedisError(.unavailable, "Redis at \(configuration.redactedURL) is unavailable: \(lastFailure)")
        }
    }

    /// One worker thread: its own connection, jobs one at a time until shutdown.
    func runWorker() {
        let connection = RedisConnection(configuration: configuration)
        while let job = next() {
            let result: Result<RedisReply, RedisError>
            if ContinuousClock.now - job.enqueued > configuration.commandTimeout {
                result = .failure(RedisError(.queueTimeout, "the command waited over \(configuration.commandTimeout) for a Redis connection"))
            } else if let refusal = unavailableError() {
                result = .failure(refusal)
            } else {
                result = connection.run(job.arguments)
                if case .failure(let error) = result { markUnavailable(error.message) }
            }
            job.continuation.resume(returning: result)
        }
        connection.close()
    }
}

/// One hiredis connection, used by one thread only; (re)connected on demand.
final class RedisConnection {
    let configuration: RedisConfiguration
    private var context: UnsafeMutablePointer<redisContext>?

    init(configuration: RedisConfiguration) {
        self.configuration = configuration
    }

    func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Runs a command, connecting first if needed; a failure closes the connection. A connection
    /// kept from earlier that the server has closed since (a Redis restart: end of file, reset,
    /// broken pipe) is replaced and the command tried once more on the new one, so each of the
    /// pool's idle connections does not fail one command after a restart.
    func run(_ arguments: [[UInt8]]) -> Result<RedisReply, RedisError> {
        let reused = context != nil
        if context == nil {
            if let error = connect() { return .failure(error) }
        }
        guard let context else { return .failure(RedisError(.unavailable, "not connected")) }
        let (result, closedByServer) = Self.send(arguments, on: context)
        guard case .failure = result else { return result }
        close()
        guard reused && closedByServer else { return result }
        if let error = connect() { return .failure(error) }
        guard let fresh = self.context else { return .failure(RedisError(.unavailable, "not connected")) }
        let (retried, _) = Self.send(arguments, on: fresh)
        if case .failure = retried { close() }
        return retried
    }

    private func connect() -> RedisError? {
        let made = redisConnectWithTimeout(configuration.host, Int32(configuration.port), Self.makeTimeval(configuration.connectTimeout))
        guard let made else { return RedisError(.unavailable, "cannot allocate a Redis connection") }
        if made.pointee.err != 0 {
            let message = Self.errorText(made)
            redisFree(made)
            return RedisError(.unavailable, "cannot connect to \(configuration.redactedURL): \(message)")
        }
        guard redisSetTimeout(made, Self.makeTimeval(configuration.commandTimeout)) == REDIS_OK else {
            redisFree(made)
            return RedisError(.unavailable, "cannot set the Redis socket timeout")
        }
        _ = redisEnableKeepAlive(made)
        var setup: [[String]] = []
        if let password = configuration.password { setup.append(["AUTH", password]) }
        if configuration.database != 0 { setup.append(["SELECT", String(configuration.database)]) }
        for command in setup {
            let (reply, _) = Self.send(command.map { Array($0.utf8) }, on: made)
            switch reply {
            case .success(.error(let text)):
                redisFree(made)
                return RedisError(.unavailable, "\(command[0]) refused by \(configuration.redactedURL): \(text.prefix(200))")
            case .failure(let error):
                redisFree(made)
                return error
            case .success:
                continue
            }
        }
        context = made
        return nil
    }

    /// `redisCommandArgv` with the arguments laid out in one buffer; on failure, also whether the
    /// server had closed the connection (rather than a timeout or another error).
    private static func send(_ arguments: [[UInt8]], on context: UnsafeMutablePointer<redisContext>)
        -> (Result<RedisReply, RedisError>, closedByServer: Bool)
    {
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.count } + 1)
        var offsets: [Int] = []
        for argument in arguments {
            offsets.append(joined.count)
            joined += argument
        }
        joined.append(0)  // a valid base pointer even when every argument is empty
        let lengths = arguments.map(\.count)
        let raw: UnsafeMutableRawPointer? = joined.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { base in
                var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
                return pointers.withUnsafeMutableBufferPointer { argv in
                    lengths.withUnsafeBufferPointer { argvlen in
                        redisCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                    }
                }
            }
        }
        guard let raw else {
            let code = context.pointee.err, number = errno
            let closed = code == REDIS_ERR_EOF || (code == REDIS_ERR_IO && (number == ECONNRESET || number == EPIPE))
            return (.failure(RedisError(.connection, "Redis command failed: \(errorText(context))")), closed)
        }
        defer { freeReplyObject(raw) }
        return (.success(reply(raw.assumingMemoryBound(to: redisReply.self))), false)
    }

    private static func reply(_ pointer: UnsafePointer<redisReply>) -> RedisReply {
        let r = pointer.pointee
        func text() -> String {
            guard let str = r.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: r.len), as: UTF8.self)
        }
        switch r.type {
        case REDIS_REPLY_STRING:
            guard let str = r.str else { return .bulk([]) }
            return .bulk([UInt8](UnsafeRawBufferPointer(start: str, count: r.len)))
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_ERROR: return .error(text())
        case REDIS_REPLY_INTEGER: return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element else { return .array([]) }
            return .array((0..<r.elements).map { i in elements[i].map { reply($0) } ?? .null })
        default: return .null
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "error \(context.pointee.err)" : text
        }
    }

    private static func makeTimeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
