import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServerLimits

/// Configuration of the local Lambda Invoke API server (`proxy serve`).
public struct LambdaInvokeServerConfiguration: Sendable {
    /// The Lambda payload limit, each way: 6 MB = 6,291,456 bytes.
    public static let lambdaPayloadLimit = 6_291_456

    /// Address to bind. Default loopback.
    public var host: String
    /// Port; 0 picks a free one (the bound port is logged and passed to `onServerRunning`).
    public var port: Int
    /// The function name the server answers for; `nil` answers any name (AWS would answer 404
    /// `ResourceNotFoundException` for a wrong one). Names may be given as a bare name or an ARN.
    public var functionName: String?
    /// Largest request (event) and response (result) in bytes. Default 6,291,456.
    public var maxPayloadBytes: Int
    /// The deadline each invocation gets (`LambdaContext.deadlineEpochMilliseconds` = now + this).
    public var functionTimeout: Duration
    /// The label in the "… listening on HOST:PORT" log line.
    public var serviceName: String
    /// Connection limits and timeouts (header, idle, body; open connections; header size).
    public var limits = ServerLimits()

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 9001, functionName: String? = nil,
        maxPayloadBytes: Int = lambdaPayloadLimit, functionTimeout: Duration = .seconds(30),
        serviceName: String = "lambda"
    ) {
        self.host = host
        self.port = port
        self.functionName = functionName
        self.maxPayloadBytes = maxPayloadBytes
        self.functionTimeout = functionTimeout
        self.serviceName = serviceName
    }
}

/// HTTP header names of the Lambda Invoke API.
public enum LambdaInvokeHeader {
    /// On a 200 response: present (`Unhandled`) when the function failed; the body is then
    /// `{"errorMessage","errorType"}`.
    public static let functionError = "X-Amz-Function-Error"
    /// Request: `RequestResponse` (default), `Event` or `DryRun`.
    public static let invocationType = "X-Amz-Invocation-Type"
    /// Response: the version that ran (`$LATEST`).
    public static let executedVersion = "X-Amz-Executed-Version"
    /// Response: the request id of the invocation.
    public static let requestId = "X-Amzn-RequestId"
    /// On a service error (4xx/5xx): the error's type, e.g. `ResourceNotFoundException`.
    public static let errorType = "X-Amzn-ErrorType"
}

/// Builds the local Lambda Invoke API server for `handler`.
///
/// Routes:
/// - `POST /2015-03-31/functions/{name}/invocations`: the event is the body, the result is the
///   body of a 200; a thrown handler error is a 200 with `X-Amz-Function-Error: Unhandled` and
///   `{"errorMessage","errorType"}`; an event over `maxPayloadBytes` is 413
///   `RequestEntityTooLargeException`; a result over it is a function error
///   `Function.ResponseSizeTooLarge` (as on AWS); an unknown function name is 404
///   `ResourceNotFoundException`. `X-Amz-Invocation-Type: DryRun` answers 204; `Event`
///   (asynchronous invocation) is not supported here and answers 400.
/// - `GET /healthz`: 200 `{"status":"ok"}` (not part of the AWS API; for local supervisors).
/// - whatever `extraRoutes` adds to the router (the proxy's `GET /metrics`).
///
/// Service errors have AWS's shape: `{"Type":"User","message":…}` with `X-Amzn-ErrorType`.
/// Run with `app.runService()` (graceful shutdown on SIGTERM/SIGINT) or in a `ServiceGroup`.
public func buildInvokeApplication<Handler: LambdaHandler>(
    handler: Handler,
    configuration: LambdaInvokeServerConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in },
    extraRoutes: (Router<BasicRequestContext>) -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router()
    extraRoutes(router)
    let host = configuration.host
    router.get("/healthz") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
    }
    router.post("/2015-03-31/functions/:name/invocations") { request, context in
        await invoke(request: request, context: context, handler: handler, configuration: configuration, logger: logger)
    }
    var server = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil)
    configuration.limits.apply(to: &server, logger: logger)
    return Application(
        router: router,
        server: configuration.limits.http1(errorBody: { _, _, message in serviceErrorBody(message) }),
        configuration: server,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.info("\(configuration.serviceName) listening on \(host):\(port)")
            await onServerRunning(host, port)
        },
        logger: logger)
}

/// One Invoke API call.
private func invoke<Handler: LambdaHandler>(
    request: Request, context: BasicRequestContext, handler: Handler,
    configuration: LambdaInvokeServerConfiguration, logger: Logger
) async -> Response {
    let name = context.parameters.get("name") ?? ""
    if let expected = configuration.functionName, functionName(from: name) != expected {
        return serviceError(.notFound, "ResourceNotFoundException", "Function not found: \(name)")
    }
    let body: ByteBuffer
    do {
        // Each refusal closes the connection after the answer (the rest of the body is dropped).
        body = try await ServerLimits.collectBody(
            request, limit: configuration.maxPayloadBytes, timeout: configuration.limits.bodyTimeout)
    } catch {
        var refusal: Response
        if error.code == .tooLarge {
            refusal = tooLarge(configuration.maxPayloadBytes)
        } else {
            let type = error.code == .timedOut ? "RequestTimeoutException" : "InvalidRequestContentException"
            refusal = serviceError(error.status, type, error.message)
        }
        refusal.headers[.connection] = "close"
        return refusal
    }
    switch request.headers[HTTPField.Name(LambdaInvokeHeader.invocationType)!] ?? "RequestResponse" {
    case "RequestResponse": break
    case "DryRun": return Response(status: .noContent)
    default:
        return serviceError(
            .badRequest, "InvalidParameterValueException", "only RequestResponse and DryRun invocations are supported")
    }
    let invocation = LambdaContext.local(
        timeout: configuration.functionTimeout, logger: logger, functionName: configuration.functionName ?? name)
    var headers: HTTPFields = [.contentType: "application/json"]
    headers[HTTPField.Name(LambdaInvokeHeader.executedVersion)!] = "$LATEST"
    headers[HTTPField.Name(LambdaInvokeHeader.requestId)!] = invocation.requestId
    let result: [UInt8]
    do {
        // The one copy of the event out of NIO's buffer: handlers take [UInt8] (as the Runtime API
        // loop gets it from CurlHTTP), and an Array cannot adopt a ByteBuffer's storage.
        result = try await handler.handle(Array(buffer: body), context: invocation)
    } catch {
        let report = LambdaFunctionError(error)
        invocation.logger.error("function error \(report.errorType): \(report.errorMessage)")
        return functionError(report, headers: headers)
    }
    guard result.count <= configuration.maxPayloadBytes else {
        let report = LambdaFunctionError(
            errorMessage:
                "Response payload size (\(result.count) bytes) exceeded maximum allowed payload size (\(configuration.maxPayloadBytes) bytes).",
            errorType: "Function.ResponseSizeTooLarge")
        invocation.logger.error("\(report.errorMessage)")
        return functionError(report, headers: headers)
    }
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: result)))
}

/// `my-function`, `arn:aws:lambda:region:account:function:my-function[:qualifier]` → `my-function`.
func functionName(from nameOrArn: String) -> String {
    let decoded = nameOrArn.removingPercentEncoding ?? nameOrArn
    let parts = decoded.split(separator: ":", omittingEmptySubsequences: false)
    if parts.count >= 7, parts[0] == "arn", parts[5] == "function" { return String(parts[6]) }
    if parts.count >= 2, !decoded.hasPrefix("arn:") { return String(parts[0]) }  // name:qualifier
    return decoded
}

private func functionError(_ report: LambdaFunctionError, headers: HTTPFields) -> Response {
    var headers = headers
    headers[HTTPField.Name(LambdaInvokeHeader.functionError)!] = "Unhandled"
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: report.json)))
}

private func tooLarge(_ limit: Int) -> Response {
    serviceError(
        .contentTooLarge, "RequestEntityTooLargeException",
        "Request must be smaller than \(limit) bytes for the InvokeFunction operation")
}

/// AWS's service-error body `{"Type":"User","message":…}`.
private func serviceErrorBody(_ message: String) -> [UInt8] {
    struct Body: Encodable {
        var type: String
        var message: String
        enum CodingKeys: String, CodingKey {
            case type = "Type"
            case message
        }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(Body(type: "User", message: message))).map { [UInt8]($0) } ?? []
}

private func serviceError(_ status: HTTPResponse.Status, _ type: String, _ message: String) -> Response {
    let bytes = serviceErrorBody(message)
    var headers: HTTPFields = [.contentType: "application/json"]
    headers[HTTPField.Name(LambdaInvokeHeader.errorType)!] = type
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
}
