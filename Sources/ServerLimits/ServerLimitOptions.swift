import ArgumentParser
import Foundation

/// The command-line flags of ``ServerLimits``, shared by `gateway serve`, `proxy serve` and
/// `endpoint serve`. Each flag falls back to an environment variable, then to the default.
public struct ServerLimitOptions: ParsableArguments, Sendable {
    @Option(help: "Seconds a new connection has to send its request head (408 beyond). Default 5; also $FEWCLICK_HEADER_TIMEOUT.")
    public var headerTimeout: Double?

    @Option(help: "Seconds a connection may stay without reads between or inside requests. Default 5; also $FEWCLICK_IDLE_TIMEOUT.")
    public var idleTimeout: Double?

    @Option(help: "Seconds a whole request body may take to arrive (408 beyond). Default 30; also $FEWCLICK_BODY_TIMEOUT.")
    public var bodyTimeout: Double?

    @Option(help: "Open connections at most (others wait in the backlog). Default 1024; also $FEWCLICK_MAX_CONNECTIONS.")
    public var maxConnections: Int?

    @Option(help: "Largest header field and header block in bytes (400 beyond). Default 16384; also $FEWCLICK_MAX_HEADER_BYTES.")
    public var maxHeaderBytes: Int?

    /// Creates the options (ArgumentParser fills them).
    public init() {}

    /// The limits: flags, else environment variables, else defaults.
    /// - Throws: `ValidationError` naming a value that is not a positive number.
    public func limits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerLimits {
        var limits = ServerLimits()
        func seconds(_ flag: Double?, _ name: String, _ label: String) throws -> Duration? {
            let value: Double
            if let flag {
                value = flag
            } else if let text = environment[name], !text.isEmpty {
                guard let parsed = Double(text) else { throw ValidationError("\(name)=\(text) is not a number of seconds") }
                value = parsed
            } else {
                return nil
            }
            guard value.isFinite, value > 0, value <= 86_400 else {
                throw ValidationError("--\(label) must be a number of seconds in (0, 86400]")
            }
            return .milliseconds(Int64((value * 1000).rounded(.up)))
        }
        func count(_ flag: Int?, _ name: String) throws -> Int? {
            if let flag { return flag }
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw ValidationError("\(name)=\(text) is not an integer") }
            return value
        }
        if let value = try seconds(headerTimeout, "FEWCLICK_HEADER_TIMEOUT", "header-timeout") { limits.headerTimeout = value }
        if let value = try seconds(idleTimeout, "FEWCLICK_IDLE_TIMEOUT", "idle-timeout") { limits.idleTimeout = value }
        if let value = try seconds(bodyTimeout, "FEWCLICK_BODY_TIMEOUT", "body-timeout") { limits.bodyTimeout = value }
        if let value = try count(maxConnections, "FEWCLICK_MAX_CONNECTIONS") { limits.maxConnections = value }
        if let value = try count(maxHeaderBytes, "FEWCLICK_MAX_HEADER_BYTES") { limits.maxHeaderBytes = value }
        do {
            return try limits.validated()
        } catch {
            throw ValidationError(error.description)
        }
    }
}
