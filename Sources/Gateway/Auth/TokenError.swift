/// Why a bearer token was refused.
///
/// A struct around a private code (the swift-service-lifecycle pattern), so new reasons can be added
/// without breaking callers. Compare with the static values (`error == .expired`); equality ignores
/// ``message``. Each reason knows its HTTP status and its RFC 6750 `error` code:
/// ``missing`` is 401 with no error code, ``insufficientScope`` is 403 `insufficient_scope`, every
/// other reason is 401 `invalid_token`.
public struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case missing, malformed, unsupportedAlgorithm, invalidSignature, missingExpiration, expired
        case notYetValid, missingSubject, insufficientScope
    }

    private let code: Code
    /// A human-readable reason, safe to send to the client (it never contains the token).
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// No bearer token was sent (no `Authorization` header, or another scheme).
    public static let missing = TokenError(.missing, "a bearer token is required")
    /// The token is not three base64url parts of JSON, or its claims have the wrong types.
    public static let malformed = TokenError(.malformed, "the token is malformed")
    /// The token's header names an algorithm other than HS256 (including `none`).
    public static let unsupportedAlgorithm = TokenError(.unsupportedAlgorithm, "the token algorithm is not HS256")
    /// The HS256 signature does not match the configured secret.
    public static let invalidSignature = TokenError(.invalidSignature, "the token signature is invalid")
    /// The token has no `exp` claim; tokens without an expiry are refused.
    public static let missingExpiration = TokenError(.missingExpiration, "the token has no exp claim")
    /// `exp` is in the past (beyond the leeway).
    public static let expired = TokenError(.expired, "the token has expired")
    /// `nbf` or `iat` is in the future (beyond the leeway).
    public static let notYetValid = TokenError(.notYetValid, "the token is not valid yet")
    /// The token has no non-empty `sub` claim, so there is no principal.
    public static let missingSubject = TokenError(.missingSubject, "the token has no sub claim")
    /// The token is valid but its `scope` lacks the required scope.
    public static let insufficientScope = TokenError(.insufficientScope, "the token lacks the required scope")

    /// The same reason with a more precise message.
    func with(message: String) -> TokenError { TokenError(code, message) }

    /// HTTP status to answer: 403 for ``insufficientScope``, 401 otherwise.
    public var httpStatus: Int { code == .insufficientScope ? 403 : 401 }

    /// RFC 6750 `error` attribute: `nil` for ``missing``, `insufficient_scope` or `invalid_token`.
    public var oauthErrorCode: String? {
        switch code {
        case .missing: nil
        case .insufficientScope: "insufficient_scope"
        default: "invalid_token"
        }
    }

    /// Error code for the JSON error body (`{"error":{"code":...}}`).
    public var apiErrorCode: String {
        switch code {
        case .missing: "missing_token"
        case .insufficientScope: "insufficient_scope"
        case .expired: "token_expired"
        default: "invalid_token"
        }
    }

    /// Two errors are equal when they have the same reason (messages may differ).
    public static func == (lhs: TokenError, rhs: TokenError) -> Bool { lhs.code == rhs.code }

    /// The ``message``.
    public var description: String { message }
}
