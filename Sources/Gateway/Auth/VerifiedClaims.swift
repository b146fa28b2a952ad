import Foundation
import LambdaKit

/// The claims of a token that ``TokenVerifier`` accepted.
public struct VerifiedClaims: Sendable, Equatable {
    /// The `sub` claim: the principal (API Gateway's `principalId`).
    public var subject: String
    /// The scopes granted, from the space-separated `scope` claim (an array of strings is accepted too).
    public var scopes: [String]
    /// The `exp` claim.
    public var expiresAt: Date
    /// The `nbf` claim, if present.
    public var notBefore: Date?
    /// The `iat` claim, if present.
    public var issuedAt: Date?
    /// Every claim of the token, unchanged.
    public var claims: [String: JSONValue]

    /// Creates verified claims (the verifier does this; tests may too).
    public init(
        subject: String, scopes: [String], expiresAt: Date, notBefore: Date? = nil, issuedAt: Date? = nil,
        claims: [String: JSONValue]
    ) {
        self.subject = subject
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.claims = claims
    }

    /// The API Gateway authorizer context: `principalId` = ``subject`` plus every claim stringified
    /// (scalars as `JSONValue.stringValue` spells them, `null` as `"null"`, arrays and objects as
    /// compact JSON). A claim named `principalId` cannot replace the subject.
    public var authorizerContext: [String: String] {
        var context = claims.mapValues(Self.stringify)
        context["principalId"] = subject
        return context
    }

    /// The API Gateway authorizer for a proxy event built from these claims.
    public var authorizer: APIGatewayRequest.Authorizer {
        APIGatewayRequest.Authorizer(principalId: subject, claims: claimsContext)
    }

    /// ``authorizerContext`` without `principalId`: every claim stringified, as both the proxy
    /// event's authorizer claims and the TOKEN authorizer's response context carry them.
    var claimsContext: [String: String] {
        var context = authorizerContext
        context.removeValue(forKey: "principalId")
        return context
    }

    private static func stringify(_ value: JSONValue) -> String {
        if let scalar = value.stringValue { return scalar }
        if value == .null { return "null" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
