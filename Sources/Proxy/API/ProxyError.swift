import FewClickAPI

/// A request the proxy answers with an error: HTTP status, a stable machine-readable `code`, and
/// a message for people. Sent as FewClickAPI's ``ErrorResponseBody`` `{"error": {"code": …, "message": …}}`.
///
/// Messages never contain image bytes or tokens. The codes are the API's contract (see the table
/// in README.md, "Errors"); new codes may be added, existing ones keep their meaning.
public struct ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// The stable error code, e.g. `image_not_found`.
    public var code: APIErrorCode
    /// A human-readable explanation.
    public var message: String
    /// Seconds for a `Retry-After` header (503 `busy`, `model_unavailable`); nil: none.
    public var retryAfterSeconds: Int?

    /// Creates an error.
    public init(status: Int, code: APIErrorCode, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// `status code: message`.
    public var description: String { "\(status) \(code): \(message)" }

    // MARK: 400: the request cannot be parsed

    /// 400: the body is not a JSON object.
    static func invalidJSON(_ message: String) -> ProxyError { .init(status: 400, code: .invalidJSON, message: message) }
    /// 400: a member has the wrong JSON type.
    static func invalidRequest(_ message: String) -> ProxyError {
        .init(status: 400, code: .invalidRequest, message: message)
    }
    /// 400: `image.data` is not valid base64.
    static func invalidBase64(_ message: String) -> ProxyError {
        .init(status: 400, code: .invalidBase64, message: message)
    }

    // MARK: 404 / 405

    /// 404: no such route.
    static func notFound(_ path: String) -> ProxyError {
        .init(status: 404, code: .notFound, message: "no route for \(path); the API is POST /v1/segment")
    }
    /// 405: a known route with another method.
    static func methodNotAllowed(_ method: String, _ path: String) -> ProxyError {
        .init(status: 405, code: .methodNotAllowed, message: "\(method) is not allowed on \(path); use POST")
    }
    /// 404: `image.id` is not (or no longer) cached.
    static func imageNotFound(_ id: String) -> ProxyError {
        .init(
            status: 404, code: .imageNotFound,
            message: "image \(id) is not cached here (evicted or never sent); send the image bytes in image.data")
    }

    // MARK: 413 / 415

    /// 413: the request body is over the limit.
    static func payloadTooLarge(_ size: Int, limit: Int) -> ProxyError {
        .init(
            status: 413, code: .payloadTooLarge,
            message: "the request body has \(size) bytes; the limit is \(limit) bytes")
    }
    /// 413: the image has more pixels than allowed.
    static func imageTooLarge(_ message: String) -> ProxyError {
        .init(status: 413, code: .imageTooLarge, message: message)
    }
    /// 415: the body is not JSON.
    static func unsupportedMediaType(_ type: String) -> ProxyError {
        .init(
            status: 415, code: .unsupportedMediaType,
            message: "Content-Type \(type) is not supported; send application/json")
    }
    /// 415: `image.data` is neither JPEG nor PNG.
    static func unsupportedImageFormat() -> ProxyError {
        .init(status: 415, code: .unsupportedImageFormat, message: "image.data must be a JPEG or PNG file")
    }

    // MARK: 422: parsed but invalid

    /// 422: a semantic rule is broken (`code` says which).
    static func unprocessable(_ code: APIErrorCode, _ message: String) -> ProxyError {
        .init(status: 422, code: code, message: message)
    }

    // MARK: image.url

    /// 422: `image.url` is not on the allowlist, or resolves to an address that is not allowed.
    static func urlNotAllowed(_ message: String) -> ProxyError {
        .init(status: 422, code: .urlNotAllowed, message: message)
    }
    /// 422: fetching `image.url` failed (the upstream status, a redirect, a refused connection).
    static func imageFetchFailed(_ message: String) -> ProxyError {
        .init(status: 422, code: .imageFetchFailed, message: message)
    }
    /// 504: `image.url` did not answer within the fetch timeout.
    static func imageFetchTimeout(_ message: String) -> ProxyError {
        .init(status: 504, code: .imageFetchTimeout, message: message)
    }
    /// 503: too many images are being decoded now; retry after `seconds`.
    static func busy(_ message: String, retryAfter seconds: Int = 1) -> ProxyError {
        .init(status: 503, code: .busy, message: message, retryAfterSeconds: seconds)
    }

    // MARK: 5xx: the model

    /// 502: the endpoint answered with an error or an unreadable response.
    static func modelError(_ message: String) -> ProxyError { .init(status: 502, code: .modelError, message: message) }
    /// 503: the endpoint cannot be reached or is not ready.
    static func modelUnavailable(_ message: String, retryAfter seconds: Int = 1) -> ProxyError {
        .init(status: 503, code: .modelUnavailable, message: message, retryAfterSeconds: seconds)
    }
    /// 504: the endpoint did not answer in time.
    static func modelTimeout(_ message: String) -> ProxyError {
        .init(status: 504, code: .modelTimeout, message: message)
    }
    /// 500: a bug; details go to the log only.
    static func internalError() -> ProxyError {
        .init(status: 500, code: .internalError, message: "internal error")
    }
}

extension ProxyError {
    /// The answer's body, `{"error": {"code", "message"}}`.
    public var responseBody: ErrorResponseBody { ErrorResponseBody(code: code, message: message) }
}
