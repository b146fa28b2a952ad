import Foundation
import LambdaKit
import JWTKit

/// Signs HS256 bearer tokens that ``TokenVerifier`` accepts (`gateway token issue`, `fewclick up`, tests).
public struct TokenIssuer: Sendable {
    private let keys: JWTKeyCollection

    /// Creates an issuer for `secret`.
    /// - Throws: ``TokenSecretError`` when the secret is shorter than ``TokenVerifier/minimumSecretLength``.
    public init(secret: [UInt8]) async throws(TokenSecretError) {
        self.keys = try await TokenVerifier.hmacKeys(secret: secret)
    }

    /// Issues a token with `sub`, `scope` (space-separated), `iat`, `nbf` and `exp` (whole seconds).
    /// - Parameters:
    ///   - subject: the `sub` claim (principal).
    ///   - scopes: the granted scopes.
    ///   - ttl: lifetime from `now`.
    ///   - now: the issue time.
    ///   - extraClaims: more claims to include (cannot override the ones above).
    /// - Returns: the compact JWT.
    public func issue(
        subject: String, scopes: [String] = ["segment"], ttl: Duration, now: Date = Date(),
        extraClaims: [String: JSONValue] = [:]
    ) async throws -> String {
        let issued = Int64(now.timeIntervalSince1970.rounded(.down))
        var claims = extraClaims
        claims["sub"] = .string(subject)
        claims["scope"] = .string(scopes.joined(separator: " "))
        claims["iat"] = .number(Double(issued))
        claims["nbf"] = .number(Double(issued))
        claims["exp"] = .number(Double(issued + ttl.components.seconds))
        return try await keys.sign(RawClaims(values: claims))
    }
}

extension Duration {
    /// Parses a lifetime such as `90s`, `15m`, `12h`, `7d` or a plain number of seconds.
    /// - Returns: `nil` when the text is not one of those forms or is not positive.
    public init?(ttl text: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0 else { return nil }
        self = .seconds(value * multiplier)
    }
}
