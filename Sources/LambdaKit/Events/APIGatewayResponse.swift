/// The result a Lambda proxy integration returns for a payload 1.0 (REST API) event.
///
/// API Gateway merges `headers` and `multiValueHeaders` (values from `multiValueHeaders` win for
/// the same name). `body` is text, or base64 when `isBase64Encoded` is true.
public struct APIGatewayResponse: Sendable, Equatable, Codable {
    /// The HTTP status code.
    public var statusCode: Int
    /// Single-value response headers.
    public var headers: [String: String]?
    /// Multi-value response headers.
    public var multiValueHeaders: [String: [String]]?
    /// The body: text, or base64 when `isBase64Encoded`.
    public var body: String?
    /// Whether `body` is base64-encoded binary.
    public var isBase64Encoded: Bool?

    /// Creates a response.
    public init(
        statusCode: Int, headers: [String: String]? = nil, multiValueHeaders: [String: [String]]? = nil,
        body: String? = nil, isBase64Encoded: Bool? = nil
    ) {
        self.statusCode = statusCode
        self.headers = headers
        self.multiValueHeaders = multiValueHeaders
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    /// All header fields in the order API Gateway would send them: every `multiValueHeaders`
    /// value, then each `headers` entry whose name (case-insensitively) is not in
    /// `multiValueHeaders`.
    public var headerFields: [(name: String, value: String)] {
        HeaderFields(payload1Headers: headers ?? [:], multiValueHeaders: multiValueHeaders ?? [:])
            .map { (name: $0.name, value: $0.value) }
    }

    /// The body bytes: base64-decoded when `isBase64Encoded`, UTF-8 otherwise; empty without a
    /// body. Throws `LambdaEventError` when the base64 is invalid.
    public func bodyBytes() throws(LambdaEventError) -> [UInt8] {
        try LambdaEventError.decodeBody(body, isBase64Encoded: isBase64Encoded ?? false)
    }
}

/// The result a Lambda proxy integration returns for a payload 2.0 (HTTP API) event.
///
/// Each cookie becomes a `Set-Cookie` header; duplicate header values are comma-joined.
public struct APIGatewayV2Response: Sendable, Equatable, Codable {
    /// The HTTP status code.
    public var statusCode: Int
    /// Response headers.
    public var headers: [String: String]?
    /// Cookies to set (`Set-Cookie` values).
    public var cookies: [String]?
    /// The body: text, or base64 when `isBase64Encoded`.
    public var body: String?
    /// Whether `body` is base64-encoded binary.
    public var isBase64Encoded: Bool?

    /// Creates a response.
    public init(
        statusCode: Int, headers: [String: String]? = nil, cookies: [String]? = nil, body: String? = nil,
        isBase64Encoded: Bool? = nil
    ) {
        self.statusCode = statusCode
        self.headers = headers
        self.cookies = cookies
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    /// The body bytes: base64-decoded when `isBase64Encoded`, UTF-8 otherwise; empty without a
    /// body. Throws `LambdaEventError` when the base64 is invalid.
    public func bodyBytes() throws(LambdaEventError) -> [UInt8] {
        try LambdaEventError.decodeBody(body, isBase64Encoded: isBase64Encoded ?? false)
    }
}
