import FewClickAPI
import Foundation
import HTTPTypes
import Hummingbird

/// An error the gateway answers itself, as FewClickAPI's ``ErrorResponseBody``
/// `{"error":{"code":"...","message":"..."}}` with its status and any extra headers
/// (`WWW-Authenticate`, `Retry-After`, `Allow`).
public struct GatewayError: Error, HTTPResponseError, Sendable {
    /// HTTP status to answer.
    public var status: HTTPResponse.Status
    /// Stable machine-readable code, e.g. `invalid_token`, `payload_too_large`.
    public var code: APIErrorCode
    /// Human-readable explanation; never contains tokens or request bytes.
    public var message: String
    /// Extra response headers.
    public var headers: HTTPFields

    /// Creates an error response.
    public init(_ status: HTTPResponse.Status, code: APIErrorCode, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The JSON error response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON error response, without a request at hand.
    public func response() -> Response {
        Response.json(status: status, ErrorResponseBody(code: code, message: message), headers: headers)
    }
}

extension GatewayError {
    /// The realm announced in `WWW-Authenticate`.
    static let realm = "fewclick"

    /// 401/403 for a refused token, with the RFC 6750 `WWW-Authenticate` challenge; 503 with
    /// `Retry-After` when the identity provider's keys could not be fetched.
    init(_ error: TokenError, requiredScope: String?) {
        if error.httpStatus == 503 {
            self.init(.serviceUnavailable, code: error.apiErrorCode, message: error.message, headers: [.retryAfter: "5"])
            return
        }
        var challenge = "Bearer realm=\"\(Self.realm)\""
        if let oauthCode = error.oauthErrorCode {
            challenge += ", error=\"\(oauthCode)\", error_description=\"\(error.message)\""
            if oauthCode == "insufficient_scope", let requiredScope {
                challenge += ", scope=\"\(requiredScope)\""
            }
        }
        self.init(
            error.httpStatus == 403 ? .forbidden : .unauthorized, code: error.apiErrorCode, message: error.message,
            headers: [.wwwAuthenticate: challenge])
    }

    /// 413 for a body over the limit.
    static func payloadTooLarge(limit: Int) -> GatewayError {
        GatewayError(.contentTooLarge, code: .payloadTooLarge, message: "the request body exceeds \(limit) bytes")
    }
}

/// API Gateway's own body for integration failures (a function error or a malformed proxy response).
struct APIGatewayMessage: Codable {
    var message: String

    /// `502 {"message":"Internal server error"}`, exactly what API Gateway answers.
    static func internalServerError() -> Response {
        Response.json(status: .badGateway, APIGatewayMessage(message: "Internal server error"))
    }
}

extension Response {
    /// A JSON response (`Content-Type: application/json`) in the API's format (``APIJSON``).
    static func json(status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let data = (try? APIJSON.encode(value)) ?? Array("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
