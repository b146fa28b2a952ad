import Hummingbird
import InferenceProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An error answered as a V2 error body `{"error": "..."}` with an HTTP status.
struct EndpointError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        v2ErrorResponse(status: status, message: message, headers: headers)
    }

    static func badRequest(_ message: String) -> Self { .init(.badRequest, message) }
    static func notFound(_ message: String) -> Self { .init(.notFound, message) }
    static func unavailable(_ message: String) -> Self { .init(.serviceUnavailable, message) }
}

/// A JSON response `{"error": message}`.
func v2ErrorResponse(status: HTTPResponse.Status, message: String, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = InferenceMediaType.json
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: v2ErrorBody(message))))
}

/// The bytes of a V2 error body `{"error": message}`.
func v2ErrorBody(_ message: String) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return (try? encoder.encode(InferenceErrorBody(error: message))).map { Array($0) }
        ?? Array(#"{"error":"internal error"}"#.utf8)
}

/// A JSON response of an `Encodable` value.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let body = try encoder.encode(value)
    return Response(
        status: status, headers: [.contentType: InferenceMediaType.json],
        body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

/// Turns every error into a V2 error body, so clients never see Hummingbird's own error format, a
/// stack trace, or an empty 500. Unexpected errors are logged with the request id and answered
/// with a generic message.
struct V2ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as EndpointError {
            return v2ErrorResponse(status: error.status, message: error.message, headers: error.headers)
        } catch let error as HTTPError where error.status == .notFound {
            return v2ErrorResponse(
                status: .notFound, message: "no route for \(request.method) \(request.uri.path)")
        } catch let error as HTTPError {
            return v2ErrorResponse(
                status: error.status, message: error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch let error as any HTTPResponseError {
            // e.g. NIO's too-many-bytes error (413) from body collection.
            return v2ErrorResponse(status: error.status, message: error.status.reasonPhrase)
        } catch {
            context.logger.error(
                "request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return v2ErrorResponse(
                status: .internalServerError, message: "internal error (request id \(context.id))")
        }
    }
}
