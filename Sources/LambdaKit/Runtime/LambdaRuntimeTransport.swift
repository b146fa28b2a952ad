import CurlHTTP
import Foundation

/// One invocation fetched from the Runtime API (`GET /2018-06-01/runtime/invocation/next`).
public struct LambdaInvocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestId: String
    /// `Lambda-Runtime-Deadline-Ms`: the deadline in wall-clock milliseconds since the Unix epoch.
    public var deadlineEpochMilliseconds: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var invokedFunctionArn: String?
    /// `Lambda-Runtime-Trace-Id` (the X-Ray trace header).
    public var traceId: String?
    /// The event document.
    public var event: [UInt8]

    /// Creates an invocation.
    public init(
        requestId: String, deadlineEpochMilliseconds: Int64, invokedFunctionArn: String? = nil,
        traceId: String? = nil, event: [UInt8]
    ) {
        self.requestId = requestId
        self.deadlineEpochMilliseconds = deadlineEpochMilliseconds
        self.invokedFunctionArn = invokedFunctionArn
        self.traceId = traceId
        self.event = event
    }
}

/// The Lambda Runtime API, as the runtime loop uses it. A protocol so tests can drive the loop
/// without a server; `CurlRuntimeTransport` is the real one.
public protocol LambdaRuntimeTransport: Sendable {
    /// Waits for the next invocation (long poll).
    func nextInvocation() async throws -> LambdaInvocation
    /// Posts the result of invocation `requestId`.
    func reportResult(requestId: String, result: [UInt8]) async throws
    /// Posts the function error of invocation `requestId`.
    func reportError(requestId: String, error: LambdaFunctionError) async throws
    /// Posts an initialisation failure (before the first `nextInvocation`).
    func reportInitError(_ error: LambdaFunctionError) async throws
}

/// Why talking to the Runtime API failed.
public struct LambdaRuntimeError: Error, Sendable, CustomStringConvertible {
    /// A human-readable explanation.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// The Runtime API over HTTP with `CurlClient`.
///
/// `nextInvocation` waits without a practical time limit (the Runtime API holds the request
/// open until an event arrives; a day-long timeout only guards against a dead connection);
/// responses are posted with a short timeout.
public struct CurlRuntimeTransport: LambdaRuntimeTransport {
    /// The API version prefix of every Runtime API path.
    public static let pathPrefix = "/2018-06-01/runtime"

    /// `http://` + `AWS_LAMBDA_RUNTIME_API` (host:port).
    public let baseURL: String
    /// The HTTP client.
    public let client: CurlClient
    /// Timeout of the posts (`/response`, `/error`, `/init/error`).
    public var postTimeout: Duration

    /// Creates a transport for `runtimeAPI`, the `host:port` in `AWS_LAMBDA_RUNTIME_API`.
    public init(runtimeAPI: String, client: CurlClient, postTimeout: Duration = .seconds(10)) {
        self.baseURL = "http://" + runtimeAPI + Self.pathPrefix
        self.client = client
        self.postTimeout = postTimeout
    }

    /// `GET /invocation/next`. Throws `CurlError` when the API cannot be reached and
    /// `LambdaRuntimeError` for a non-200 answer or missing request id / deadline headers.
    public func nextInvocation() async throws -> LambdaInvocation {
        let response = try await client.execute(
            CurlRequest(
                method: "GET", url: baseURL + "/invocation/next", connectTimeout: .seconds(5),
                timeout: .seconds(86_400), maxResponseBytes: 16 << 20))
        guard response.status == 200 else {
            throw LambdaRuntimeError("invocation/next answered \(response.status)")
        }
        guard let requestId = response.header("Lambda-Runtime-Aws-Request-Id"), !requestId.isEmpty else {
            throw LambdaRuntimeError("invocation/next answered without Lambda-Runtime-Aws-Request-Id")
        }
        guard let deadline = response.header("Lambda-Runtime-Deadline-Ms").flatMap({ Int64($0) }) else {
            throw LambdaRuntimeError("invocation/next answered without a valid Lambda-Runtime-Deadline-Ms")
        }
        return LambdaInvocation(
            requestId: requestId, deadlineEpochMilliseconds: deadline,
            invokedFunctionArn: response.header("Lambda-Runtime-Invoked-Function-Arn"),
            traceId: response.header("Lambda-Runtime-Trace-Id"), event: response.body)
    }

    /// `POST /invocation/{id}/response`.
    public func reportResult(requestId: String, result: [UInt8]) async throws {
        try await post("/invocation/\(requestId)/response", body: result, headers: [])
    }

    /// `POST /invocation/{id}/error` with `Lambda-Runtime-Function-Error-Type: Unhandled`.
    public func reportError(requestId: String, error: LambdaFunctionError) async throws {
        try await post(
            "/invocation/\(requestId)/error", body: error.json,
            headers: [HTTPHeaderField("Lambda-Runtime-Function-Error-Type", "Unhandled")])
    }

    /// `POST /init/error` with `Lambda-Runtime-Function-Error-Type: Unhandled`.
    public func reportInitError(_ error: LambdaFunctionError) async throws {
        try await post(
            "/init/error", body: error.json,
            headers: [HTTPHeaderField("Lambda-Runtime-Function-Error-Type", "Unhandled")])
    }

    private func post(_ path: String, body: [UInt8], headers: [HTTPHeaderField]) async throws {
        let response = try await client.execute(
            CurlRequest(
                method: "POST", url: baseURL + path,
                headers: [HTTPHeaderField("Content-Type", "application/json")] + headers, body: body,
                connectTimeout: .seconds(5), timeout: postTimeout, maxResponseBytes: 1 << 20))
        guard (200..<300).contains(response.status) else {
            throw LambdaRuntimeError("\(path) answered \(response.status)")
        }
    }
}
