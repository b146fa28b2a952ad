/// The JSON body of every error the API answers: `{"error":{"code":"…","message":"…"}}`
/// (README "API: `POST /v1/segment`", the error table).
///
/// The proxy and the gateway write it (their own error types carry the HTTP status and headers and
/// turn into this body); clients decode it. `code` is stable (an ``APIErrorCode``), `message` is
/// for people and never contains image bytes or tokens.
public struct ErrorResponseBody: Sendable, Codable, Equatable {
    /// The error.
    public struct Detail: Sendable, Codable, Equatable {
        /// The stable, machine-readable code, e.g. `image_not_found`.
        public var code: APIErrorCode
        /// The explanation.
        public var message: String

        /// Creates the detail.
        public init(code: APIErrorCode, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The error.
    public var error: Detail

    /// The body for `code` and `message`.
    public init(code: APIErrorCode, message: String) {
        error = Detail(code: code, message: message)
    }

    /// The body's JSON in the API's format (``APIJSON``): `{"error":{"code":…,"message":…}}`.
    public var json: [UInt8] {
        // Two strings always encode; the fallback only keeps the signature non-throwing.
        (try? APIJSON.encode(self)) ?? Array(#"{"error":{"code":"internal_error","message":"internal error"}}"#.utf8)
    }
}
