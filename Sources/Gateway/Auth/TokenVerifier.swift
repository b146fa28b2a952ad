import Foundation
import LambdaKit
import JWTKit

/// Verifies HS256 bearer tokens (JWT) and returns their claims.
///
/// The rules, in order: three base64url parts; header `alg` must be `HS256` (so `none` and every
/// other algorithm are refused before any signature check); the signature must match the secret;
/// `exp` is required; `exp`, `nbf` and `iat` are compared with `now` allowing ``Configuration/leeway``
/// of clock skew; `sub` must be a non-empty string; `scope` (space-separated, OAuth style) must
/// contain ``Configuration/requiredScope``.
///
/// It has no HTTP dependency: the gateway calls it for `POST /v1/segment`, and the same type can
/// back an API Gateway TOKEN Lambda authorizer.
public struct TokenVerifier: Sendable {
    /// What the verifier accepts.
    public struct Configuration: Sendable {
        /// The HMAC secret; at least 32 bytes (RFC 7518 §3.2 requires a key as long as the hash).
        public var secret: [UInt8]
        /// Allowed clock skew for `exp`, `nbf` and `iat`.
        public var leeway: Duration
        /// The scope a token must carry; `nil` accepts any valid token.
        public var requiredScope: String?

        /// Creates a configuration. Default leeway 30 s, required scope `segment`.
        public init(secret: [UInt8], leeway: Duration = .seconds(30), requiredScope: String? = "segment") {
            self.secret = secret
            self.leeway = leeway
            self.requiredScope = requiredScope
        }
    }

    /// The smallest secret accepted, in bytes.
    public static let minimumSecretLength = 32

    /// The configuration in use.
    public let configuration: Configuration
    private let keys: JWTKeyCollection

    /// Creates a verifier.
    /// - Throws: ``TokenSecretError`` when the secret is shorter than ``minimumSecretLength``.
    public init(configuration: Configuration) async throws(TokenSecretError) {
        self.keys = try await Self.hmacKeys(secret: configuration.secret)
        self.configuration = configuration
    }

    /// The HS256 key collection for `secret`, shared by the verifier and ``TokenIssuer``.
    /// - Throws: ``TokenSecretError`` when the secret is shorter than ``minimumSecretLength``.
    static func hmacKeys(secret: [UInt8]) async throws(TokenSecretError) -> JWTKeyCollection {
        guard secret.count >= minimumSecretLength else {
            throw TokenSecretError(
                message: "the JWT secret must be at least \(minimumSecretLength) bytes, got \(secret.count)")
        }
        return await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// Verifies `token` at time `now`.
    /// - Parameters:
    ///   - token: the compact JWT (without the `Bearer ` prefix).
    ///   - now: the current time; tests pass fixed dates.
    /// - Returns: the claims of an accepted token.
    /// - Throws: a ``TokenError`` saying why the token was refused.
    public func verify(_ token: String, now: Date = Date()) async throws(TokenError) -> VerifiedClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw TokenError.malformed.with(message: "the token is not a compact JWT (header.payload.signature)")
        }
        guard let headerData = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode([String: JSONValue].self, from: headerData)
        else {
            throw TokenError.malformed.with(message: "the token header is not base64url JSON")
        }
        guard header["alg"] == .string("HS256") else {
            throw TokenError.unsupportedAlgorithm
        }
        let payload: RawClaims
        do {
            payload = try await keys.verify(token, as: RawClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw TokenError.invalidSignature
        } catch {
            throw TokenError.malformed.with(message: "the token payload is not base64url JSON claims")
        }
        return try check(payload.values, now: now)
    }

    /// Checks the time, subject and scope claims of a token whose signature is already verified.
    func check(_ claims: [String: JSONValue], now: Date) throws(TokenError) -> VerifiedClaims {
        let leeway = Double(configuration.leeway.components.seconds)
            + Double(configuration.leeway.components.attoseconds) / 1e18
        let nowSeconds = now.timeIntervalSince1970

        guard let expClaim = claims["exp"] else { throw TokenError.missingExpiration }
        guard case .number(let exp) = expClaim else { throw TokenError.malformed.with(message: "the exp claim is not a number") }
        guard nowSeconds < exp + leeway else { throw TokenError.expired }

        let nbf = try Self.optionalSeconds(claims["nbf"], name: "nbf")
        if let nbf, nowSeconds + leeway < nbf {
            throw TokenError.notYetValid.with(message: "the token is not valid yet (nbf is in the future)")
        }
        let iat = try Self.optionalSeconds(claims["iat"], name: "iat")
        if let iat, nowSeconds + leeway < iat {
            throw TokenError.notYetValid.with(message: "the token was issued in the future (iat)")
        }
        guard case .string(let subject)? = claims["sub"], !subject.isEmpty else {
            throw TokenError.missingSubject
        }
        let scopes: [String]
        switch claims["scope"] {
        case .string(let value)?: scopes = value.split(separator: " ").map(String.init)
        case .array(let values)?:
            scopes = values.compactMap { if case .string(let scope) = $0 { scope } else { nil } }
        case nil, .null?: scopes = []
        default: throw TokenError.malformed.with(message: "the scope claim is not a string")
        }
        if let required = configuration.requiredScope, !scopes.contains(required) {
            throw TokenError.insufficientScope.with(message: "the token lacks the \(required) scope")
        }
        return VerifiedClaims(
            subject: subject, scopes: scopes, expiresAt: Date(timeIntervalSince1970: exp),
            notBefore: nbf.map { Date(timeIntervalSince1970: $0) },
            issuedAt: iat.map { Date(timeIntervalSince1970: $0) }, claims: claims)
    }

    private static func optionalSeconds(_ value: JSONValue?, name: String) throws(TokenError) -> Double? {
        guard let value, value != .null else { return nil }
        guard case .number(let seconds) = value else {
            throw TokenError.malformed.with(message: "the \(name) claim is not a number")
        }
        return seconds
    }
}

/// The JWT secret is unusable (too short).
public struct TokenSecretError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the secret (never the secret itself).
    public var message: String
    /// The ``message``.
    public var description: String { message }
}

/// All claims of a token, as JSON values; the time checks run in ``TokenVerifier/check(_:now:)``
/// with an explicit clock rather than in `verify(using:)`.
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

/// base64url without padding (RFC 4648 §5), as JWTs use it.
enum Base64URL {
    static func decode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = base64.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: base64)
    }
}
