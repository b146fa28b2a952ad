import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id and writes one access-log line per request.
///
/// The id is the client's `X-Request-Id` when it is 1–128 characters of `[A-Za-z0-9._:-]`,
/// otherwise a new UUID. It goes into the logger metadata (`request_id`), the proxy event, and the
/// `X-Request-Id` response header. The log line carries method, path, status and duration only:
/// never headers (tokens) or bodies (images).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let header = HTTPField.Name("X-Request-Id")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap { Self.isWellFormed($0) ? $0 : nil } ?? UUID().uuidString.lowercased()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            // Only reached if an inner middleware lets an error through; answer it here.
            response = try error.response(from: request, context: context)
        }
        response.headers[Self.header] = id
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }

    static func isWellFormed(_ id: String) -> Bool {
        guard (1...128).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
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
            let code: String =
                switch error.status {
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .contentTooLarge: "payload_too_large"
                default: "http_\(error.status.code)"
                }
            return GatewayError(
                error.status, code: code, message: error.body ?? error.status.reasonPhrase, headers: error.headers
            ).response()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": .string(String(describing: type(of: error)))])
            return GatewayError(.internalServerError, code: "internal_error", message: "internal error").response()
        }
    }
}
