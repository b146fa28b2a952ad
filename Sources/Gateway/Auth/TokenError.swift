import FewClickAPI

/// Why a bearer token was refused.
///
/// A struct around a private code (the swift-service-lifecycle pattern), so new reasons can be added
/// without breaking callers. Compare with the static values (`error == .expired`); equality ignores
/// ``message``. Each reason knows its HTTP status, its JSON error code (``apiErrorCode``), its RFC 6750
/// `error` attribute (``oauthErrorCode``) and a stable fine-grained label (``reason``, for metrics):
/// ``missing`` is 401 `missing_token`, ``expired`` 401 `token_expired`, ``insufficientScope`` 403
/// `insufficient_scope`, ``keysUnavailable`` 503 `auth_unavailable` (the token could not be checked),
/// every other reason 401 `invalid_token`.
public struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable, Equatable {
        case missing
        case malformed
        case unsupportedAlgorithm = "unsupported_algorithm"
        case unsupportedCritical = "unsupported_crit"
        case unknownKey = "unknown_key"
        case invalidSignature = "invalid_signature"
        case missingExpiration = "missing_exp"
        case expired
        case lifetimeTooLong = "lifetime_too_long"
        case notYetValid = "not_yet_valid"
        case wrongIssuer = "wrong_issuer"
        case wrongAudience = "wrong_audience"
        case wrongTokenUse = "wrong_token_use"
        case missingSubject = "missing_sub"
        case insufficientScope = "insufficient_scope"
        case keysUnavailable = "keys_unavailable"
    }

    private let code: Code
    /// A human-readable reason, safe to send to the client and to put in a header: it never contains
    /// the token or any of its values.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// No bearer token was sent (no `Authorization` header, or another scheme).
    public static let missing = TokenError(.missing, "a bearer token is required")
    /// The token is not three strict base64url parts of JSON objects, or its claims have the wrong types.
    public static let malformed = TokenError(.malformed, "the token is malformed")
    /// The header's `alg` is not one this gateway verifies with its configured keys (including `none`),
    /// or it does not match the algorithm of the key the token names.
    public static let unsupportedAlgorithm = TokenError(.unsupportedAlgorithm, "the token algorithm is not accepted")
    /// The header has a `crit` parameter: no JWS extension is understood here (RFC 7515 §4.1.11).
    public static let unsupportedCritical = TokenError(
        .unsupportedCritical, "the token header lists critical extensions (crit) that are not understood")
    /// No key of the JWKS matches the token's `kid` (after a refresh), or the token has no `kid` while the
    /// set has several keys.
    public static let unknownKey = TokenError(.unknownKey, "the token's signing key is not known")
    /// The signature does not match the key (secret or JWKS key).
    public static let invalidSignature = TokenError(.invalidSignature, "the token signature is invalid")
    /// The token has no `exp` claim; tokens without an expiry are refused.
    public static let missingExpiration = TokenError(.missingExpiration, "the token has no exp claim")
    /// `exp` is in the past (beyond the leeway).
    public static let expired = TokenError(.expired, "the token has expired")
    /// `exp` lies further after `iat` (or after now, without `iat`) than the maximum token lifetime.
    public static let lifetimeTooLong = TokenError(.lifetimeTooLong, "the token's lifetime exceeds the maximum")
    /// `nbf` or `iat` is in the future (beyond the leeway).
    public static let notYetValid = TokenError(.notYetValid, "the token is not valid yet")
    /// `iss` is absent or not one of the accepted issuers (tokens verified with JWKS keys).
    public static let wrongIssuer = TokenError(.wrongIssuer, "the token's issuer is not accepted")
    /// Neither `aud` nor, without `aud`, `client_id` names an accepted audience (tokens verified with JWKS keys).
    public static let wrongAudience = TokenError(.wrongAudience, "the token's audience is not accepted")
    /// `token_use` is present and not `access` (a Cognito ID token sent instead of the access token).
    public static let wrongTokenUse = TokenError(.wrongTokenUse, "only access tokens are accepted (token_use must be access)")
    /// The token has no non-empty `sub` claim, so there is no principal.
    public static let missingSubject = TokenError(.missingSubject, "the token has no sub claim")
    /// The token is valid but its `scope` lacks the required scope.
    public static let insufficientScope = TokenError(.insufficientScope, "the token lacks the required scope")
    /// The token needs a JWKS key, and no key set could be fetched yet (the provider is unreachable).
    /// Not the client's fault: 503, to be retried.
    public static let keysUnavailable = TokenError(
        .keysUnavailable, "the identity provider's signing keys are unavailable; retry shortly")

    /// The same reason with a more precise message (which must not contain token values).
    func with(message: String) -> TokenError { TokenError(code, message) }

    /// HTTP status to answer: 403 for ``insufficientScope``, 503 for ``keysUnavailable``, 401 otherwise.
    public var httpStatus: Int {
        switch code {
        case .insufficientScope: 403
        case .keysUnavailable: 503
        default: 401
        }
    }

    /// RFC 6750 `error` attribute: `nil` for ``missing`` and ``keysUnavailable``, `insufficient_scope`,
    /// or `invalid_token`.
    public var oauthErrorCode: String? {
        switch code {
        case .missing, .keysUnavailable: nil
        case .insufficientScope: "insufficient_scope"
        default: "invalid_token"
        }
    }

    /// Error code for the JSON error body (`{"error":{"code":...}}`): `missing_token`, `token_expired`,
    /// `insufficient_scope`, `auth_unavailable` or `invalid_token`.
    public var apiErrorCode: APIErrorCode {
        switch code {
        case .missing: .missingToken
        case .insufficientScope: .insufficientScope
        case .expired: .tokenExpired
        case .keysUnavailable: .authUnavailable
        default: .invalidToken
        }
    }

    /// A stable, fine-grained label of the reason, for metrics and logs: `missing`, `malformed`,
    /// `unsupported_algorithm`, `unsupported_crit`, `unknown_key`, `invalid_signature`, `missing_exp`,
    /// `expired`, `lifetime_too_long`, `not_yet_valid`, `wrong_issuer`, `wrong_audience`,
    /// `wrong_token_use`, `missing_sub`, `insufficient_scope`, `keys_unavailable`.
    public var reason: String { code.rawValue }

    /// Two errors are equal when they have the same reason (messages may differ).
    public static func == (lhs: TokenError, rhs: TokenError) -> Bool { lhs.code == rhs.code }

    /// The ``message``.
    public var description: String { message }
}
