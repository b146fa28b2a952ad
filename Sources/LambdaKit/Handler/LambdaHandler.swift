import Foundation
import Logging

/// Facts about one invocation, passed to the handler.
public struct LambdaContext: Sendable {
    /// The invocation's request id (`Lambda-Runtime-Aws-Request-Id`; generated locally by
    /// `proxy serve` and `proxy invoke`).
    public var requestId: String
    /// When the invocation times out, as wall-clock milliseconds since the Unix epoch
    /// (`Lambda-Runtime-Deadline-Ms`).
    public var deadlineEpochMilliseconds: Int64
    /// The ARN of the function that was invoked, if known.
    public var invokedFunctionArn: String?
    /// The X-Ray trace header (`Lambda-Runtime-Trace-Id`), if any.
    public var traceId: String?
    /// A logger carrying the request id as metadata.
    public var logger: Logger

    /// Creates a context.
    public init(
        requestId: String, deadlineEpochMilliseconds: Int64, invokedFunctionArn: String? = nil,
        traceId: String? = nil, logger: Logger
    ) {
        self.requestId = requestId
        self.deadlineEpochMilliseconds = deadlineEpochMilliseconds
        self.invokedFunctionArn = invokedFunctionArn
        self.traceId = traceId
        var logger = logger
        logger[metadataKey: "aws-request-id"] = .string(requestId)
        self.logger = logger
    }

    /// A context for a local invocation with a fresh request id and a deadline `timeout` from now.
    public static func local(timeout: Duration, logger: Logger, functionName: String = "function") -> LambdaContext {
        LambdaContext(
            requestId: UUID().uuidString.lowercased(),
            deadlineEpochMilliseconds: currentEpochMilliseconds() + timeout.milliseconds,
            invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:\(functionName)", logger: logger)
    }

    /// Time left until the deadline (zero or negative once it has passed).
    public var remainingTime: Duration {
        .milliseconds(deadlineEpochMilliseconds - currentEpochMilliseconds())
    }
}

/// The current wall-clock time in milliseconds since the Unix epoch.
func currentEpochMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}

extension Duration {
    /// The duration in whole milliseconds (rounded toward zero).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// A Lambda function: raw event bytes in, raw result bytes out.
///
/// Every way of running a function in this package (`LambdaRuntime`: the Runtime API loop;
/// `LambdaInvokeServer`: the local Invoke API; a single local invocation) drives this protocol.
/// A thrown error is a *function error*: reported as `{"errorMessage","errorType"}` with
/// `Unhandled`, and the runtime goes on with the next invocation.
public protocol LambdaHandler: Sendable {
    /// Handles one invocation. `event` is the JSON document the caller sent; the result is the
    /// JSON document returned to it.
    func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8]
}

/// The body Lambda returns for a function error, and what runtimes post to `/error`.
public struct LambdaFunctionError: Sendable, Equatable, Codable, Error {
    /// The error's message.
    public var errorMessage: String
    /// The error's type name, e.g. `"LambdaEventError"`.
    public var errorType: String

    /// Creates an error document.
    public init(errorMessage: String, errorType: String) {
        self.errorMessage = errorMessage
        self.errorType = errorType
    }

    /// Describes a thrown error: its description and its dynamic type's name.
    public init(_ error: any Error) {
        if let error = error as? LambdaFunctionError {
            self = error
        } else {
            self.init(errorMessage: String(describing: error), errorType: String(describing: type(of: error)))
        }
    }

    /// The JSON document `{"errorMessage": …, "errorType": …}`.
    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(self)) ?? Data())
    }
}

/// A handler of HTTP requests that arrive as API Gateway proxy events.
public protocol HTTPEventHandler: Sendable {
    /// Answers one request. Errors meant for the client are responses (4xx/5xx); a thrown error
    /// becomes a function error (API Gateway then answers 502).
    func handle(_ request: HTTPRequestEvent, context: LambdaContext) async throws -> HTTPResponseEvent
}

/// Adapts an `HTTPEventHandler` to a `LambdaHandler`: decodes a payload 1.0 or 2.0 event,
/// calls the handler, and encodes its response in the same payload format.
///
/// An event that is not an API Gateway proxy event is a function error
/// (`LambdaEventError.invalidEvent`), as it would be on AWS.
public struct HTTPEventLambdaHandler<Handler: HTTPEventHandler>: LambdaHandler {
    /// The wrapped handler.
    public let handler: Handler

    /// Wraps `handler`.
    public init(_ handler: Handler) { self.handler = handler }

    /// Decodes, handles, encodes. Throws `LambdaEventError` for an event it cannot read, and
    /// whatever the handler throws.
    public func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let request = try HTTPRequestEvent.decode(event)
        let response = try await handler.handle(request, context: context)
        return response.encoded(for: request.payloadVersion)
    }
}
