import CurlHTTP
import FewClickAPI
import Foundation
import HTTPTypes
import Hummingbird
import LambdaKit
import Logging

/// Calls the proxy function through the Lambda Invoke API and turns its result into the HTTP
/// response API Gateway would send.
///
/// Outcomes: a proxy response → its status, headers (multi-value merged) and body (base64 decoded);
/// a function error (200 + `X-Amz-Function-Error`) or a malformed result → 502
/// `{"message":"Internal server error"}` (API Gateway's body); no answer within the integration
/// timeout → 504 `integration_timeout`; proxy unreachable → 503 `proxy_unavailable`; Invoke API
/// refusals → 413 (6 MB payload limit), 429, or 502. After `breaker.threshold` consecutive
/// timeouts or refused connections the breaker opens: calls answer 503 `proxy_unavailable` with
/// `Retry-After` at once, until a probe after the cooldown gets an answer.
struct LambdaInvoker: Sendable {
    let client: CurlClient
    let integration: GatewayConfiguration.Integration
    let breaker: CircuitBreaker
    /// `{invokeURL}/2015-03-31/functions/{functionName}/invocations`, computed once.
    let invocationURL: String

    init(client: CurlClient, integration: GatewayConfiguration.Integration, breaker: CircuitBreaker = CircuitBreaker()) {
        self.client = client
        self.integration = integration
        self.breaker = breaker
        let name = integration.functionName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""
        invocationURL = "\(integration.baseURL)/2015-03-31/functions/\(name)/invocations"
    }

    /// Sends `event` with `body` (the request's bytes, written into the event JSON as its `body`).
    func invoke(_ event: APIGatewayRequest, body: [UInt8], requestID: String, logger: Logger) async throws(GatewayError)
        -> Response
    {
        let payload: [UInt8]
        do {
            payload = try event.encodedJSON(body: body)
        } catch {
            throw GatewayError(.internalServerError, code: .internalError, message: "could not encode the event")
        }
        let request = CurlRequest(
            method: "POST", url: invocationURL,
            headers: [
                HTTPHeaderField("Content-Type", "application/json"),
                HTTPHeaderField("X-Amz-Invocation-Type", "RequestResponse"),
                HTTPHeaderField("X-Request-Id", requestID),
            ],
            body: payload, connectTimeout: integration.connectTimeout, timeout: integration.timeout)
        if case .reject(let wait) = breaker.acquire() {
            let seconds = CircuitBreaker.retryAfterSeconds(wait)
            throw GatewayError(
                .serviceUnavailable, code: .proxyUnavailable,
                message: "the proxy function failed repeatedly; retry after \(seconds) s",
                headers: [.retryAfter: String(seconds)])
        }
        let answer: CurlResponse
        do {
            answer = try await client.execute(request)
            breaker.recordSuccess()
        } catch {
            breaker.record(error)
            switch error.code {
            case .timedOut:
                logger.warning("proxy timed out")
                throw GatewayError(
                    .gatewayTimeout, code: .integrationTimeout, message: "the proxy did not answer in time")
            case .connectionRefused, .couldNotResolve:
                logger.warning("proxy unreachable", metadata: ["error": .string(error.message)])
                throw GatewayError(
                    .serviceUnavailable, code: .proxyUnavailable, message: "the proxy function is unreachable",
                    headers: [.retryAfter: "1"])
            default:
                logger.warning("proxy transport error", metadata: ["error": .string(error.message)])
                throw GatewayError(.badGateway, code: .proxyError, message: "the proxy function failed")
            }
        }
        return Self.map(answer, logger: logger)
    }

    /// Maps an Invoke API answer to the client's response.
    static func map(_ answer: CurlResponse, logger: Logger) -> Response {
        switch answer.status {
        case 200:
            break
        case 413:
            return GatewayError(
                .contentTooLarge, code: .payloadTooLarge,
                message: "the request exceeds the 6 MB function payload limit"
            ).response()
        case 429:
            return GatewayError(.tooManyRequests, code: .throttled, message: "the proxy function is throttled")
                .response()
        default:
            logger.error("invoke API error", metadata: ["status": .stringConvertible(answer.status)])
            return APIGatewayMessage.internalServerError()
        }
        if let functionError = answer.header("X-Amz-Function-Error") {
            logger.error("proxy function error", metadata: ["type": .string(functionError)])
            return APIGatewayMessage.internalServerError()
        }
        guard let result = try? JSONDecoder().decode(APIGatewayResponse.self, borrowing: answer.body),
            (100...599).contains(result.statusCode),
            let body = try? result.bodyBytes()
        else {
            logger.error("malformed proxy response")
            return APIGatewayMessage.internalServerError()
        }
        var headers = HTTPFields()
        for field in result.headerFields {
            guard let name = HTTPField.Name(field.name) else { continue }
            switch name {
            case .contentLength, .transferEncoding, .connection: continue
            default: headers.append(HTTPField(name: name, value: field.value))
            }
        }
        // Two copies stay on the answer's way back: `bodyBytes()` unescapes the body out of the result's
        // JSON string (the Lambda contract puts it there, base64 or not), and `ByteBuffer(bytes:)`
        // copies those bytes once into the buffer Hummingbird writes to the socket.
        return Response(
            status: .init(code: result.statusCode), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension GatewayConfiguration.Integration {
    /// ``invokeURL`` without trailing slashes.
    var baseURL: String {
        var base = invokeURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
