import FewClickAPI
import Foundation
import HTTPTypes
import Hummingbird
import Observability

/// Gives every request an id.
///
/// The id is the client's `X-Request-Id` when it is 1–128 characters of `[A-Za-z0-9._:-]`,
/// otherwise a new UUID. It goes into the logger metadata (`request_id`), the proxy event, and the
/// `X-Request-Id` response header. The access-log line is written by `ObservabilityMiddleware`, next
/// in the chain (method, route, status, bytes, ms, principal: never headers, tokens or bodies).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let header = HTTPField.Name("X-Request-Id")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = RequestID.make(from: request.headers[Self.header])
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            // Only reached if an inner middleware lets an error through; answer it here.
            response = try error.response(from: request, context: context)
        }
        response.headers[Self.header] = id
        return response
    }

    static func isWellFormed(_ id: String) -> Bool { RequestID.isWellFormed(id) }
}

/// Turns every error into a JSON response, so CORS and request-id headers can be added to it and
/// nothing (no stack trace, no framework text) leaks to the client.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return error.response()
        } catch let error as HTTPError {
            let code: APIErrorCode =
                switch error.status {
                case .notFound: .notFound
                case .methodNotAllowed: .methodNotAllowed
                case .contentTooLarge: .payloadTooLarge
                default: APIErrorCode("http_\(error.status.code)")
                }
            return GatewayError(
                error.status, code: code, message: error.body ?? error.status.reasonPhrase, headers: error.headers
            ).response()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": .string(String(describing: type(of: error)))])
            return GatewayError(.internalServerError, code: .internalError, message: "internal error").response()
        }
    }
}
