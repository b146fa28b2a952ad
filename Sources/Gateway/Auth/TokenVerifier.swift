import CurlHTTP
import FewClickCore
import Foundation
import JWTKit
import LambdaKit
import Logging

/// Verifies bearer tokens (JWT) and returns their claims: HS256 tokens with the shared secret, and
/// identity-provider tokens (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA) with the keys of
/// the configured JWKS URLs. Both may be configured at once.
///
/// The rules, in order:
/// 1. the token is three strict base64url parts (``Base64URL``: no padding, no `+`/`/`, canonical
///    last character) of a JSON header and JSON claims; a header with `crit` is refused;
/// 2. `alg` picks the key family, never the key's use: `HS256` is checked only with the secret, the
///    asymmetric algorithms only with JWKS keys; each JWKS key has one algorithm (its `alg`, else
///    the one its `kty`/`crv` implies) and the token's `alg` must be it; `kid` is required when the
///    key set has several keys; `none` and every other algorithm are refused before any signature check;
/// 3. the signature must match;
/// 4. `exp` is required, `now < exp + leeway`; `exp` at most ``Configuration/maxLifetime`` after `iat`
///    (after `now + leeway` without `iat`); `nbf` and `iat` not after `now + leeway`;
/// 5. for JWKS tokens: `iss` one of ``Configuration/issuers``; `aud` (or, without `aud`, Cognito's
///    `client_id`) one of ``Configuration/audiences``;
/// 6. `token_use`, when present, is `access`; `sub` is a non-empty string; `scope` (space-separated,
///    or an array; Okta's `scp` when there is no `scope`) contains ``Configuration/requiredScope``.
///
/// It has no HTTP server dependency: the gateway calls it for `POST /v1/segment`, and the same
/// type backs the API Gateway TOKEN Lambda authorizer (``TokenAuthorizer``).
public struct TokenVerifier: Sendable {
    /// What the verifier accepts.
    public struct Configuration: Sendable {
        /// The HMAC secret for HS256 tokens, at least 32 bytes (RFC 7518 §3.2 requires a key as long
        /// as the hash); `nil`: HS256 tokens are refused.
        public var secret: [UInt8]?
        /// The identity provider's JWKS URLs and cache policy; `nil`: only HS256 tokens.
        public var jwks: JWKSSettings?
        /// Accepted `iss` values of JWKS tokens (exact match; required with ``jwks``).
        public var issuers: [String]
        /// Accepted `aud` values of JWKS tokens, also matched against `client_id` when `aud` is absent
        /// (Cognito access tokens); required with ``jwks``.
        public var audiences: [String]
        /// Allowed clock skew for `exp`, `nbf` and `iat`. Default 60 s.
        public var leeway: Duration
        /// The longest a token may live: `exp − iat`, or `exp − now` without `iat`. Default 24 h.
        public var maxLifetime: Duration
        /// The scope a token must carry; `nil` accepts any valid token.
        public var requiredScope: String?

        /// Creates a configuration. Defaults: no JWKS, leeway 60 s, maximum lifetime 24 h, required scope `segment`.
        public init(
            secret: [UInt8]?, jwks: JWKSSettings? = nil, issuers: [String] = [], audiences: [String] = [],
            leeway: Duration = .seconds(60), maxLifetime: Duration = Configuration.defaultMaxLifetime,
            requiredScope: String? = "segment"
        ) {
            self.secret = secret
            self.jwks = jwks
            self.issuers = issuers
            self.audiences = audiences
            self.leeway = leeway
            self.maxLifetime = maxLifetime
            self.requiredScope = requiredScope
        }

        /// The default maximum token lifetime, 24 h.
        public static let defaultMaxLifetime: Duration = .seconds(86_400)
    }

    /// The smallest secret accepted, in bytes.
    public static let minimumSecretLength = 32

    /// The configuration in use.
    public let configuration: Configuration
    private let hmac: (any JWTAlgorithm)?
    private let keySet: JWKSKeyStore?

    /// Creates a verifier.
    /// - Parameters:
    ///   - configuration: what to accept.
    ///   - client: the HTTP client for JWKS fetches; `nil` makes a small one of its own when JWKS is configured.
    ///   - logger: where JWKS fetches and failures are logged.
    /// - Throws: ``TokenConfigurationError`` for a secret shorter than ``minimumSecretLength``, neither a
    ///   secret nor JWKS, a bad JWKS URL, JWKS without issuers or audiences, or non-positive limits.
    public init(
        configuration: Configuration, client: CurlClient? = nil, logger: Logger = Logger(label: "gateway.auth")
    ) async throws(TokenConfigurationError) {
        guard configuration.secret != nil || configuration.jwks != nil else {
            throw TokenConfigurationError(
                message: "no token keys: give a JWT secret (HS256), JWKS URLs (an identity provider), or both")
        }
        guard configuration.leeway >= .zero, configuration.maxLifetime > .zero else {
            throw TokenConfigurationError(message: "the token leeway must be ≥ 0 and the maximum lifetime > 0")
        }
        if let jwks = configuration.jwks {
            try jwks.validate()
            guard !configuration.issuers.isEmpty, !configuration.audiences.isEmpty else {
                throw TokenConfigurationError(
                    message: "JWKS needs the accepted issuer (--issuer) and audience or client id (--audience)")
            }
            keySet = JWKSKeyStore(settings: jwks, client: client ?? CurlClient(maxConcurrentRequests: 2), logger: logger)
        } else {
            keySet = nil
        }
        if let secret = configuration.secret {
            let keys = try await Self.hmacKeys(secret: secret)
            do {
                hmac = try await keys.getKey()
            } catch {
                throw TokenConfigurationError(message: "the HS256 key cannot be made: \(error)")
            }
        } else {
            hmac = nil
        }
        self.configuration = configuration
    }

    /// The HS256 key collection for `secret`, shared by the verifier and ``TokenIssuer``.
    /// - Throws: ``TokenConfigurationError`` when the secret is shorter than ``minimumSecretLength``.
    static func hmacKeys(secret: [UInt8]) async throws(TokenConfigurationError) -> JWTKeyCollection {
        guard secret.count >= minimumSecretLength else {
            throw TokenConfigurationError(
                message: "the JWT secret must be at least \(minimumSecretLength) bytes, got \(secret.count)")
        }
        return await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// Verifies `token` at time `now`.
    /// - Parameters:
    ///   - token: the compact JWT (without the `Bearer ` prefix).
    ///   - now: the current time; tests pass their own clock (it also drives the JWKS cache).
    /// - Returns: the claims of an accepted token.
    /// - Throws: a ``TokenError`` saying why the token was refused.
    public func verify(_ token: String, now: Date = Date()) async throws(TokenError) -> VerifiedClaims {
        let jws = try CompactJWS(token)
        guard let family = SignatureFamily(algorithm: jws.algorithm) else {
            throw TokenError.unsupportedAlgorithm.with(message: Self.acceptedAlgorithms(hmac: hmac != nil, keySet: keySet != nil))
        }
        let verifier: any JWTAlgorithm
        switch family {
        case .sharedSecret:
            guard let hmac else {
                throw TokenError.unsupportedAlgorithm.with(message: Self.acceptedAlgorithms(hmac: false, keySet: true))
            }
            verifier = hmac
        case .keySet:
            guard let keySet, let algorithm = KeySetAlgorithm(rawValue: jws.algorithm) else {
                throw TokenError.unsupportedAlgorithm.with(message: Self.acceptedAlgorithms(hmac: true, keySet: false))
            }
            verifier = try await keySet.key(keyID: jws.keyID, algorithm: algorithm, now: now).verifier
        }
        guard (try? verifier.verify(jws.signature, signs: jws.signingInput)) == true else {
            throw TokenError.invalidSignature
        }
        return try check(jws.claims, now: now, providerToken: family == .keySet)
    }

    private static func acceptedAlgorithms(hmac: Bool, keySet: Bool) -> String {
        switch (hmac, keySet) {
        case (true, true): "the token algorithm is not accepted (HS256, or the identity provider's RS/PS/ES/EdDSA keys)"
        case (true, false): "the token algorithm is not HS256"
        default: "the token algorithm is not accepted (the identity provider's RS/PS/ES/EdDSA keys only)"
        }
    }

    /// Checks the claims of a token whose signature is already verified.
    /// - Parameter providerToken: whether the token was verified with a JWKS key, so its issuer and
    ///   audience are checked.
    func check(_ claims: [String: JSONValue], now: Date, providerToken: Bool = false) throws(TokenError) -> VerifiedClaims {
        let leeway = configuration.leeway.seconds
        let nowSeconds = now.timeIntervalSince1970

        guard let expClaim = claims["exp"], expClaim != .null else { throw TokenError.missingExpiration }
        guard case .number(let exp) = expClaim else { throw TokenError.malformed.with(message: "the exp claim is not a number") }
        guard nowSeconds < exp + leeway else { throw TokenError.expired }
        let iat = try Self.optionalSeconds(claims["iat"], name: "iat")
        let maxLifetime = configuration.maxLifetime.seconds
        if let iat {
            guard exp - iat <= maxLifetime else {
                throw TokenError.lifetimeTooLong.with(
                    message: "the token lives longer than the maximum of \(Int(maxLifetime)) s (exp - iat)")
            }
        } else {
            guard exp - nowSeconds <= maxLifetime + leeway else {
                throw TokenError.lifetimeTooLong.with(
                    message: "the token expires more than the maximum of \(Int(maxLifetime)) s from now")
            }
        }
        let nbf = try Self.optionalSeconds(claims["nbf"], name: "nbf")
        if let nbf, nowSeconds + leeway < nbf {
            throw TokenError.notYetValid.with(message: "the token is not valid yet (nbf is in the future)")
        }
        if let iat, nowSeconds + leeway < iat {
            throw TokenError.notYetValid.with(message: "the token was issued in the future (iat)")
        }
        if providerToken { try checkProvider(claims) }
        if let use = claims["token_use"], use != .string("access") { throw TokenError.wrongTokenUse }
        guard case .string(let subject)? = claims["sub"], !subject.isEmpty else {
            throw TokenError.missingSubject
        }
        let scopes = try Self.scopes(claims["scope"] ?? claims["scp"])
        if let required = configuration.requiredScope, !scopes.contains(required) {
            throw TokenError.insufficientScope.with(message: "the token lacks the \(required) scope")
        }
        return VerifiedClaims(
            subject: subject, scopes: scopes, expiresAt: Date(timeIntervalSince1970: exp),
            notBefore: nbf.map { Date(timeIntervalSince1970: $0) },
            issuedAt: iat.map { Date(timeIntervalSince1970: $0) }, claims: claims)
    }

    /// `iss` and `aud` (or `client_id`) of a token signed by the identity provider.
    private func checkProvider(_ claims: [String: JSONValue]) throws(TokenError) {
        guard case .string(let issuer)? = claims["iss"], configuration.issuers.contains(issuer) else {
            throw TokenError.wrongIssuer
        }
        let audiences: [String]
        switch claims["aud"] ?? claims["client_id"] {
        case .string(let value)?: audiences = [value]
        case .array(let values)?: audiences = values.compactMap { if case .string(let value) = $0 { value } else { nil } }
        default: audiences = []
        }
        guard audiences.contains(where: { configuration.audiences.contains($0) }) else { throw TokenError.wrongAudience }
    }

    private static func scopes(_ claim: JSONValue?) throws(TokenError) -> [String] {
        switch claim {
        case .string(let value)?: return value.split(separator: " ").map(String.init)
        case .array(let values)?: return values.compactMap { if case .string(let scope) = $0 { scope } else { nil } }
        case nil, .null?: return []
        default: throw TokenError.malformed.with(message: "the scope claim is not a string")
        }
    }

    private static func optionalSeconds(_ value: JSONValue?, name: String) throws(TokenError) -> Double? {
        guard let value, value != .null else { return nil }
        guard case .number(let seconds) = value else {
            throw TokenError.malformed.with(message: "the \(name) claim is not a number")
        }
        return seconds
    }
}

/// All claims of a token, as JSON values (``TokenIssuer`` signs them with jwt-kit).
struct RawClaims: JWTPayload {
    var values: [String: JSONValue]

    init(values: [String: JSONValue]) { self.values = values }

    init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
