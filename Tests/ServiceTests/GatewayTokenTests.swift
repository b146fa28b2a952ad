import Crypto
import Foundation
import Gateway
import JWTKit
import LambdaKit
import Testing

/// Builds tokens the way an attacker or a misconfigured client might, to exercise every refusal.
enum GatewayTokens {
    static let secret = Array("gateway-tests-secret-0123456789abcdef".utf8)
    static let otherSecret = Array("another-secret-0123456789abcdef-xyz".utf8)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Signs arbitrary header/claims JSON with HMAC-SHA256 (or leaves the signature empty for `none`).
    static func token(header: [String: Any], claims: [String: Any], secret: [UInt8] = secret, hash: String = "SHA256") throws -> String {
        let headerPart = base64URL(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let claimsPart = base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let input = Array("\(headerPart).\(claimsPart)".utf8)
        let key = SymmetricKey(data: secret)
        let signature: [UInt8] =
            switch hash {
            case "SHA512": Array(HMAC<SHA512>.authenticationCode(for: input, using: key))
            case "none": []
            default: Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
            }
        return "\(headerPart).\(claimsPart).\(base64URL(signature))"
    }

    static func claims(
        sub: String? = "labeler-1", scope: Any? = "segment", exp: Double? = now.timeIntervalSince1970 + 3600,
        nbf: Double? = nil, iat: Double? = nil, extra: [String: Any] = [:]
    ) -> [String: Any] {
        var claims = extra
        if let sub { claims["sub"] = sub }
        if let scope { claims["scope"] = scope }
        if let exp { claims["exp"] = exp }
        if let nbf { claims["nbf"] = nbf }
        if let iat { claims["iat"] = iat }
        return claims
    }

    static func hs256(_ claims: [String: Any], secret: [UInt8] = secret) throws -> String {
        try token(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: secret)
    }
}

@Suite("Gateway token verifier")
struct GatewayTokenTests {
    func verifier(leeway: Duration = .seconds(30)) async throws -> TokenVerifier {
        try await TokenVerifier(configuration: .init(secret: GatewayTokens.secret, leeway: leeway))
    }

    func refusal(_ token: String, at now: Date = GatewayTokens.now) async throws -> TokenError? {
        let verifier = try await verifier()
        do {
            _ = try await verifier.verify(token, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("a valid token yields its subject, scopes and every claim as a string")
    func valid() async throws {
        let now = GatewayTokens.now.timeIntervalSince1970
        let token = try GatewayTokens.hs256(
            GatewayTokens.claims(
                scope: "read segment", nbf: now - 10, iat: now - 10,
                extra: ["team": "blue", "level": 3, "admin": false, "groups": ["a", "b"]]))
        let claims = try await verifier().verify(token, now: GatewayTokens.now)
        #expect(claims.subject == "labeler-1")
        #expect(claims.scopes == ["read", "segment"])
        #expect(claims.expiresAt == Date(timeIntervalSince1970: now + 3600))
        let context = claims.authorizerContext
        #expect(context["principalId"] == "labeler-1")
        #expect(context["team"] == "blue")
        #expect(context["level"] == "3")
        #expect(context["admin"] == "false")
        #expect(context["groups"] == "[\"a\",\"b\"]")
        #expect(context["exp"] == String(Int(now + 3600)))
        #expect(claims.authorizer.principalId == "labeler-1")
        #expect(claims.authorizer.string("team") == "blue")
    }

    @Test("tokens from TokenIssuer verify, and carry sub, scope, iat, nbf, exp")
    func issued() async throws {
        let issuer = try await TokenIssuer(secret: GatewayTokens.secret)
        let token = try await issuer.issue(subject: "dev", scopes: ["segment", "admin"], ttl: .seconds(3600), now: GatewayTokens.now)
        let claims = try await verifier().verify(token, now: GatewayTokens.now.addingTimeInterval(60))
        #expect(claims.subject == "dev")
        #expect(claims.scopes == ["segment", "admin"])
        #expect(claims.issuedAt == GatewayTokens.now)
        #expect(claims.notBefore == GatewayTokens.now)
        #expect(claims.expiresAt == GatewayTokens.now.addingTimeInterval(3600))
        #expect(try await refusal(token, at: GatewayTokens.now.addingTimeInterval(3600 + 31)) == .expired)
    }

    @Test("malformed tokens are refused as invalid_token")
    func malformed() async throws {
        for token in ["", "abc", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.", GatewayTokens.base64URL(Array("{\"alg\":\"HS256\"}".utf8)) + ".bm90anNvbg.c2ln"] {
            let error = try await refusal(token)
            #expect(error != nil, "accepted \(token)")
            #expect(error?.oauthErrorCode == "invalid_token")
            #expect(error?.httpStatus == 401)
        }
    }

    @Test("expiry, not-before and issued-at honour the leeway")
    func timeClaims() async throws {
        let now = GatewayTokens.now.timeIntervalSince1970
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(exp: now - 31))) == .expired)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(exp: now - 29))) == nil)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(exp: now))) == nil)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(nbf: now + 31))) == .notYetValid)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(nbf: now + 29))) == nil)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(iat: now + 120))) == .notYetValid)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(exp: nil))) == .missingExpiration)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(exp: nil, extra: ["exp": "tomorrow"]))) == .malformed)
        let strict = try await verifier(leeway: .zero)
        await #expect(throws: TokenError.expired) {
            try await strict.verify(GatewayTokens.hs256(GatewayTokens.claims(exp: now - 1)), now: GatewayTokens.now)
        }
    }

    @Test("wrong signature, alg none and other algorithms are refused")
    func signatures() async throws {
        let claims = GatewayTokens.claims()
        #expect(try await refusal(GatewayTokens.hs256(claims, secret: GatewayTokens.otherSecret)) == .invalidSignature)
        #expect(try await refusal(GatewayTokens.token(header: ["alg": "none"], claims: claims, hash: "none")) == .unsupportedAlgorithm)
        #expect(try await refusal(GatewayTokens.token(header: ["alg": "HS512"], claims: claims, hash: "SHA512")) == .unsupportedAlgorithm)
        // A header claiming HS256 over an HS512 signature fails the signature check.
        #expect(try await refusal(GatewayTokens.token(header: ["alg": "HS256"], claims: claims, hash: "SHA512")) == .invalidSignature)
        // Tampering with the payload breaks the signature.
        let token = try GatewayTokens.hs256(claims)
        let parts = token.split(separator: ".")
        let forged = GatewayTokens.base64URL(try JSONSerialization.data(withJSONObject: GatewayTokens.claims(sub: "admin")))
        #expect(try await refusal("\(parts[0]).\(forged).\(parts[2])") == .invalidSignature)
    }

    @Test("scope must contain segment; a missing sub is refused")
    func scopeAndSubject() async throws {
        let wrong = try await refusal(GatewayTokens.hs256(GatewayTokens.claims(scope: "read write")))
        #expect(wrong == .insufficientScope)
        #expect(wrong?.httpStatus == 403)
        #expect(wrong?.oauthErrorCode == "insufficient_scope")
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(scope: nil))) == .insufficientScope)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(scope: "segmentation"))) == .insufficientScope)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(scope: ["segment"]))) == nil)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(sub: nil))) == .missingSubject)
        #expect(try await refusal(GatewayTokens.hs256(GatewayTokens.claims(sub: ""))) == .missingSubject)
    }

    @Test("short secrets are refused at start-up")
    func shortSecret() async throws {
        await #expect(throws: TokenSecretError.self) {
            _ = try await TokenVerifier(configuration: .init(secret: Array("short".utf8)))
        }
        await #expect(throws: TokenSecretError.self) { _ = try await TokenIssuer(secret: Array("short".utf8)) }
    }

    @Test("TTL strings parse")
    func ttl() {
        #expect(Duration(ttl: "12h") == .seconds(43_200))
        #expect(Duration(ttl: "90s") == .seconds(90))
        #expect(Duration(ttl: "15m") == .seconds(900))
        #expect(Duration(ttl: "7d") == .seconds(604_800))
        #expect(Duration(ttl: "600") == .seconds(600))
        #expect(Duration(ttl: "0h") == nil)
        #expect(Duration(ttl: "soon") == nil)
    }
}
