import CurlHTTP
import CryptoExtras
import Foundation
@testable import Gateway
import JWTKit
import LambdaKit
import Logging
import Testing

/// Identity-provider tokens: a JWKS served by the test's own HTTP server on loopback, with RSA, EC,
/// PS256 and Ed25519 keys the test generates, rotated, cached, and taken down mid-test. The
/// verifier's clock is the `now` each call passes, so cache times are driven without sleeping.
@Suite("JWKS tokens")
struct JWKSTests {
    static let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

    static func verifier(
        _ urls: [String], client: CurlClient, secret: [UInt8]? = GatewayTokens.secret, logger: Logger? = nil,
        audiences: [String] = [JWKSTestTokens.audience], requiredScope: String? = "segment",
        maxBytes: Int = 256 * 1024
    ) async throws -> TokenVerifier {
        try await TokenVerifier(
            configuration: .init(
                secret: secret, jwks: JWKSSettings(urls: urls, fetchTimeout: .seconds(3), maxBytes: maxBytes),
                issuers: [JWKSTestTokens.issuer], audiences: audiences, requiredScope: requiredScope),
            client: client, logger: logger ?? Logger(label: "jwks-test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func refusal(_ verifier: TokenVerifier, _ token: String, at now: Date) async -> TokenError? {
        do {
            _ = try await verifier.verify(token, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("keys rotate: the new key works at once, a removed key stops after the refresh, unknown kids refresh at most once a minute")
    func rotation() async throws {
        let rsa = try await ProviderKey.rsa(kid: "rsa-1")
        let ec = try await ProviderKey.p256(kid: "ec-1")
        let rsa2 = try await ProviderKey.rsa(kid: "rsa-2")
        let server = try await JWKSServer.start(keys: [rsa, ec])
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let verifier = try await Self.verifier([server.url], client: client)
        var now = Self.start

        let claims = JWKSTestTokens.claims(now: now)
        let byRSA = try await verifier.verify(try rsa.token(claims), now: now)
        #expect(byRSA.subject == "worker-1")
        #expect(byRSA.claims["iss"] == .string(JWKSTestTokens.issuer))
        _ = try await verifier.verify(try ec.token(claims), now: now)
        #expect(server.fetches == 1)

        // Rotation: rsa-1 removed, rsa-2 added. The first token of the new key refreshes the set.
        server.publish([ec, rsa2])
        now += 5
        let fresh = JWKSTestTokens.claims(now: now)
        _ = try await verifier.verify(try rsa2.token(fresh), now: now)
        #expect(server.fetches == 2)
        // The removed key is unknown now; another refresh is not due within the minute.
        #expect(await Self.refusal(verifier, try rsa.token(fresh), at: now) == .unknownKey)
        #expect(await Self.refusal(verifier, try rsa.token(fresh, header: ["kid": "made-up"]), at: now) == .unknownKey)
        #expect(server.fetches == 2)
        // A minute later an unknown kid may refresh once more, and only once.
        now += 61
        let later = JWKSTestTokens.claims(now: now)
        #expect(await Self.refusal(verifier, try rsa.token(later, header: ["kid": "made-up-2"]), at: now) == .unknownKey)
        #expect(server.fetches == 3)
        for index in 0..<20 {
            #expect(await Self.refusal(verifier, try rsa.token(later, header: ["kid": "flood-\(index)"]), at: now) == .unknownKey)
        }
        #expect(server.fetches == 3)
        _ = try await verifier.verify(try ec.token(later), now: now)
        await server.stop()
    }

    @Test("Cache-Control max-age is honoured: keys are reused within it and refetched after; a key removed meanwhile stops then")
    func cacheControl() async throws {
        let rsa = try await ProviderKey.rsa(kid: "rsa-1")
        let ec = try await ProviderKey.p256(kid: "ec-1")
        let server = try await JWKSServer.start(keys: [rsa, ec], cacheControl: "public, max-age=2")
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let verifier = try await Self.verifier([server.url], client: client)
        let t0 = Self.start
        let token = try rsa.token(JWKSTestTokens.claims(now: t0))

        _ = try await verifier.verify(token, now: t0)
        server.publish([ec])
        _ = try await verifier.verify(token, now: t0 + 1.5)
        #expect(server.fetches == 1)
        // After max-age the set is refetched, and rsa-1 is gone from it.
        #expect(await Self.refusal(verifier, token, at: t0 + 2.5) == .unknownKey)
        #expect(server.fetches == 2)

        // Without Cache-Control: 10 minutes.
        server.publish([rsa, ec])
        server.setCacheControl(nil)
        let second = try await Self.verifier([server.url], client: client)
        _ = try await second.verify(token, now: t0)
        server.publish([ec])
        _ = try await second.verify(token, now: t0 + 599)
        #expect(server.fetches == 3)
        #expect(await Self.refusal(second, token, at: t0 + 601) == .unknownKey)
        #expect(server.fetches == 4)

        // no-store (and max-age=0) are held for the 1 s floor, not refetched on every token.
        server.publish([rsa])
        server.setCacheControl("no-store")
        let third = try await Self.verifier([server.url], client: client)
        for step in 0..<5 { _ = try await third.verify(token, now: t0 + Double(step) * 0.2) }
        #expect(server.fetches == 5)
        _ = try await third.verify(token, now: t0 + 1.1)
        #expect(server.fetches == 6)

        // A huge max-age is capped at 24 h.
        server.setCacheControl("max-age=31536000")
        let fourth = try await Self.verifier([server.url], client: client)
        _ = try await fourth.verify(token, now: t0)
        _ = try await fourth.verify(try rsa.token(JWKSTestTokens.claims(now: t0 + 86_000)), now: t0 + 86_000)
        #expect(server.fetches == 7)
        _ = try await fourth.verify(try rsa.token(JWKSTestTokens.claims(now: t0 + 86_401)), now: t0 + 86_401)
        #expect(server.fetches == 8)
        await server.stop()
    }

    @Test("provider down or failing: cached keys keep working (logged once); never fetched: 503 auth_unavailable")
    func providerDown() async throws {
        let rsa = try await ProviderKey.rsa(kid: "rsa-1")
        let server = try await JWKSServer.start(keys: [rsa], cacheControl: "max-age=1")
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let logs = CapturedLogs()
        let verifier = try await Self.verifier([server.url], client: client, logger: logs.logger)
        let t0 = Self.start
        _ = try await verifier.verify(try rsa.token(JWKSTestTokens.claims(now: t0)), now: t0)

        // Errors and garbage from the provider keep the cached keys.
        server.answer(status: 500, body: "oops")
        _ = try await verifier.verify(try rsa.token(JWKSTestTokens.claims(now: t0 + 2)), now: t0 + 2)
        server.answer(status: 200, body: #"{"not":"a jwks"}"#)
        _ = try await verifier.verify(try rsa.token(JWKSTestTokens.claims(now: t0 + 10)), now: t0 + 10)
        #expect(server.fetches == 3)

        // Down (port closed): still served from the cache, with retries spaced out.
        await server.stop()
        for step in 0..<6 {
            let now = t0 + 20 + Double(step) * 3
            _ = try await verifier.verify(try rsa.token(JWKSTestTokens.claims(now: now)), now: now)
        }
        let warnings = logs.messages(at: .warning).filter { $0.contains("JWKS fetch failed") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("serving the 1 keys fetched before") == true)

        // A verifier that never got the keys cannot check provider tokens: 503, not a refusal.
        let cold = try await Self.verifier([server.url], client: client)
        let error = await Self.refusal(cold, try rsa.token(JWKSTestTokens.claims(now: t0)), at: t0)
        #expect(error == .keysUnavailable)
        #expect(error?.httpStatus == 503)
        #expect(error?.apiErrorCode == "auth_unavailable")
        // HS256 tokens are unaffected by the provider's outage.
        let hs = try GatewayTokens.hs256(GatewayTokens.claims(exp: t0.timeIntervalSince1970 + 600))
        _ = try await cold.verify(hs, now: t0)
    }

    @Test("concurrent tokens on a cold cache share one JWKS fetch")
    func singleFlight() async throws {
        let key = try await ProviderKey.p256(kid: "ec-1")
        let server = try await JWKSServer.start(keys: [key])
        let client = CurlClient(maxConcurrentRequests: 4)
        defer { client.shutdown() }
        let verifier = try await Self.verifier([server.url], client: client)
        let now = Self.start
        let token = try key.token(JWKSTestTokens.claims(now: now))
        let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 {
                group.addTask { (try? await verifier.verify(token, now: now)) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 32)
        #expect(server.fetches == 1)
        await server.stop()
    }

    @Test("PS256, EdDSA and keys without alg (RS256 / ES256 from kty and crv) verify; the token's alg never overrides the key's")
    func algorithms() async throws {
        let ps = try await ProviderKey.rsa(kid: "ps-1", alg: "PS256")
        let ed = try await ProviderKey.ed25519(kid: "ed-1")
        let bareRSA = try await ProviderKey.rsa(kid: "rsa-bare", publishAlg: false)
        let bareEC = try await ProviderKey.p256(kid: "ec-bare", publishAlg: false)
        let server = try await JWKSServer.start(keys: [ps, ed, bareRSA, bareEC])
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let verifier = try await Self.verifier([server.url], client: client)
        let now = Self.start
        let claims = JWKSTestTokens.claims(now: now)
        for key in [ps, ed, bareRSA, bareEC] {
            #expect(await Self.refusal(verifier, try key.token(claims), at: now) == nil, "\(key.alg) \(key.kid)")
        }
        // An RSA key without alg is RS256 only: a PS256 token naming it is refused before its signature.
        let psSigner = try await ProviderKey.rsa(kid: "rsa-bare", alg: "PS256")
        #expect(await Self.refusal(verifier, try psSigner.token(claims), at: now) == .unsupportedAlgorithm)
        // A PS256 key refuses an RS256 token.
        #expect(await Self.refusal(verifier, try bareRSA.token(claims, header: ["kid": "ps-1"]), at: now) == .unsupportedAlgorithm)
        await server.stop()
    }

    @Test("unusable JWKS entries are skipped (oct, enc, unknown alg, RSA 1024, curve mismatch); an oversized JWKS is refused")
    func skippedKeys() async throws {
        let good = try await ProviderKey.p256(kid: "good")
        let rsa = try await ProviderKey.rsa(kid: "rsa-enc")
        var encryption = rsa.jwk
        encryption["use"] = "enc"
        var wrongCurve = good.jwk
        wrongCurve["kid"] = "wrong-curve"
        wrongCurve["alg"] = "ES384"
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let primitives = try small.publicKey.getKeyPrimitives()
        let smallJWK = [
            "kty": "RSA", "kid": "rsa-1024", "alg": "RS256", "n": JWKSTestTokens.base64URL(primitives.modulus),
            "e": JWKSTestTokens.base64URL(primitives.publicExponent),
        ]
        let server = try await JWKSServer.start()
        server.publishRaw([
            ["kty": "oct", "kid": "oct-1", "k": JWKSTestTokens.base64URL(GatewayTokens.secret), "alg": "HS256"],
            encryption, wrongCurve, smallJWK,
            ["kty": "RSA", "kid": "oaep", "alg": "RSA-OAEP", "n": rsa.jwk["n"]!, "e": "AQAB"],
            good.jwk,
        ])
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let logs = CapturedLogs()
        let verifier = try await Self.verifier([server.url], client: client, logger: logs.logger)
        let now = Self.start
        let claims = JWKSTestTokens.claims(now: now)
        _ = try await verifier.verify(try good.token(claims), now: now)
        #expect(logs.messages(at: .warning).filter { $0.contains("skipped") }.count == 5, "\(logs.messages(at: .warning))")
        #expect(await Self.refusal(verifier, try rsa.token(claims, header: ["kid": "rsa-enc"]), at: now) == .unknownKey)
        let smallInput = "\(try JWKSTestTokens.json(["alg": "RS256", "kid": "rsa-1024"])).\(try JWKSTestTokens.json(claims))"
        let smallSignature = try small.signature(for: Data(smallInput.utf8), padding: .insecurePKCS1v1_5)
        let smallToken = smallInput + "." + JWKSTestTokens.base64URL(smallSignature.rawRepresentation)
        #expect(await Self.refusal(verifier, smallToken, at: now) == .unknownKey)
        // An HS256 token naming the JWKS's oct key is checked with the gateway's secret only.
        let octToken = try GatewayTokens.token(header: ["alg": "HS256", "kid": "oct-1"], claims: claims, secret: GatewayTokens.otherSecret)
        #expect(await Self.refusal(verifier, octToken, at: now) == .invalidSignature)

        // Over the size cap: the fetch fails, so no keys.
        let capped = try await Self.verifier([server.url], client: client, maxBytes: 512)
        #expect(await Self.refusal(capped, try good.token(claims), at: now) == .keysUnavailable)
        await server.stop()
    }

    @Test("several JWKS URLs: keys of each are used; kid is required because the union has several keys")
    func severalURLs() async throws {
        let first = try await ProviderKey.rsa(kid: "pool-a")
        let second = try await ProviderKey.p256(kid: "pool-b")
        let serverA = try await JWKSServer.start(keys: [first])
        let serverB = try await JWKSServer.start(keys: [second])
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let verifier = try await Self.verifier([serverA.url, serverB.url], client: client)
        let now = Self.start
        let claims = JWKSTestTokens.claims(now: now)
        _ = try await verifier.verify(try first.token(claims), now: now)
        _ = try await verifier.verify(try second.token(claims), now: now)
        #expect(await Self.refusal(verifier, try first.token(claims, omitKid: true), at: now) == .unknownKey)
        // With a single key in the set, kid may be omitted.
        let single = try await Self.verifier([serverA.url], client: client)
        _ = try await single.verify(try first.token(claims, omitKid: true), now: now)
        await serverA.stop()
        await serverB.stop()
    }

    @Test("Cognito access tokens (client_id, token_use, space-separated scope) are accepted; ID tokens are not")
    func cognito() async throws {
        let key = try await ProviderKey.rsa(kid: "cognito-kid-1")
        let server = try await JWKSServer.start(keys: [key], cacheControl: "max-age=86400")
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
        let appClient = "4l8ejdtbk2a1ajmbjuv5pm3kdb"
        let verifier = try await TokenVerifier(
            configuration: .init(
                secret: nil, jwks: JWKSSettings(urls: [server.url]), issuers: [pool], audiences: [appClient],
                requiredScope: "fewclick/segment"),
            client: client, logger: Logger(label: "cognito", factory: { _ in SwiftLogNoOpLogHandler() }))
        let now = Self.start
        let t = now.timeIntervalSince1970
        let access: [String: Any] = [
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "iss": pool, "client_id": appClient, "origin_jti": "o-1",
            "event_id": "e-1", "token_use": "access", "scope": "openid fewclick/segment", "auth_time": t - 60,
            "exp": t + 3600, "iat": t - 60, "jti": "j-1", "username": "worker7", "version": 2,
        ]
        let claims = try await verifier.verify(try key.token(access), now: now)
        #expect(claims.subject == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        #expect(claims.scopes == ["openid", "fewclick/segment"])
        #expect(claims.authorizerContext["client_id"] == appClient)
        #expect(claims.authorizerContext["username"] == "worker7")

        var otherClient = access
        otherClient["client_id"] = "some-other-app-client"
        #expect(await Self.refusal(verifier, try key.token(otherClient), at: now) == .wrongAudience)
        var id = access
        id["token_use"] = "id"
        id["aud"] = appClient
        id.removeValue(forKey: "client_id")
        #expect(await Self.refusal(verifier, try key.token(id), at: now) == .wrongTokenUse)
        var noScope = access
        noScope["scope"] = "openid"
        #expect(await Self.refusal(verifier, try key.token(noScope), at: now) == .insufficientScope)
        // No secret configured: HS256 tokens are refused by algorithm.
        let hs = try GatewayTokens.hs256(GatewayTokens.claims(exp: t + 600))
        #expect(await Self.refusal(verifier, hs, at: now) == .unsupportedAlgorithm)
        await server.stop()
    }

    @Test("start-up refuses unusable settings")
    func configuration() async throws {
        func error(_ configuration: TokenVerifier.Configuration) async -> TokenConfigurationError? {
            do {
                _ = try await TokenVerifier(configuration: configuration)
                return nil
            } catch {
                return error
            }
        }
        let jwks = JWKSSettings(urls: ["https://idp.example.com/jwks.json"])
        #expect(await error(.init(secret: nil)) != nil)
        #expect(await error(.init(secret: nil, jwks: jwks)) != nil)  // no issuer, no audience
        #expect(await error(.init(secret: nil, jwks: jwks, issuers: ["i"])) != nil)
        #expect(await error(.init(secret: nil, jwks: jwks, issuers: ["i"], audiences: ["a"])) == nil)
        #expect(await error(.init(secret: nil, jwks: JWKSSettings(urls: ["http://idp.example.com/jwks"]), issuers: ["i"], audiences: ["a"])) != nil)
        #expect(await error(.init(secret: nil, jwks: JWKSSettings(urls: ["http://127.0.0.1:1/jwks"]), issuers: ["i"], audiences: ["a"])) == nil)
        #expect(await error(.init(secret: nil, jwks: JWKSSettings(urls: ["file:///etc/passwd"]), issuers: ["i"], audiences: ["a"])) != nil)
        #expect(await error(.init(secret: nil, jwks: JWKSSettings(urls: []), issuers: ["i"], audiences: ["a"])) != nil)
        #expect(await error(.init(secret: Array("short".utf8))) != nil)
        #expect(await error(.init(secret: GatewayTokens.secret, maxLifetime: .zero)) != nil)
    }

    @Test("Cache-Control parsing")
    func cacheControlParsing() {
        #expect(JWKSCacheControl.maxAge("max-age=60") == .seconds(60))
        #expect(JWKSCacheControl.maxAge("public, max-age=3600, must-revalidate") == .seconds(3600))
        #expect(JWKSCacheControl.maxAge("MAX-AGE=\"5\"") == .seconds(5))
        #expect(JWKSCacheControl.maxAge("no-store") == .zero)
        #expect(JWKSCacheControl.maxAge("max-age=10, no-cache") == .zero)
        #expect(JWKSCacheControl.maxAge("max-age=-1") == nil)
        #expect(JWKSCacheControl.maxAge("public") == nil)
        #expect(JWKSCacheControl.maxAge("=, ,=5") == nil)
        #expect(JWKSCacheControl.maxAge(nil) == nil)
    }
}
