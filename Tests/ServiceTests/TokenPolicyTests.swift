import Crypto
import CurlHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import LambdaKit
import Logging
import Testing

@testable import Gateway

/// The attacks a forger would try, against a gateway that accepts both HS256 (shared secret) and an
/// identity provider's RS256/ES256 keys (a JWKS on the test's own loopback server). Each must be
/// refused with the right reason, status, JSON code and `WWW-Authenticate`; valid controls pass.
@Suite("Token policy and attacks")
struct TokenPolicyTests {
    struct Attack: Sendable {
        let name: String
        /// The `Authorization` header value; `nil` sends none.
        let authorization: String?
        let expected: TokenError
    }

    /// Everything an attack matrix needs: the provider's keys, its server, an attacker's key.
    struct Fixture: Sendable {
        let rsa: ProviderKey
        let ec: ProviderKey
        let attacker: ProviderKey
        let pss: ProviderKey
        let server: JWKSServer
        let attackerServer: JWKSServer

        static func make() async throws -> Fixture {
            let rsa = try await ProviderKey.rsa(kid: "rsa-1")
            let ec = try await ProviderKey.p256(kid: "ec-1")
            let attacker = try await ProviderKey.rsa(kid: "rsa-1")
            let pss = try await ProviderKey.rsa(kid: "rsa-1", alg: "PS256")
            return Fixture(
                rsa: rsa, ec: ec, attacker: attacker, pss: pss, server: try await JWKSServer.start(keys: [rsa, ec]),
                attackerServer: try await JWKSServer.start(keys: [attacker]))
        }

        func configuration() -> TokenVerifier.Configuration {
            .init(
                secret: GatewayTokens.secret, jwks: JWKSSettings(urls: [server.url]), issuers: [JWKSTestTokens.issuer],
                audiences: [JWKSTestTokens.audience])
        }

        func stop() async {
            await server.stop()
            await attackerServer.stop()
        }
    }

    static func bearer(_ token: String) -> String { "Bearer " + token }

    /// Replaces the signature part of `token`.
    static func withSignature(_ token: String, _ transform: (Substring) -> String) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        return "\(parts[0]).\(parts[1]).\(transform(parts[2]))"
    }

    /// Flips the lowest bit of the last character: only unused bits change, so a lenient decoder
    /// reads the same signature bytes.
    static func alteredTrailingBits(_ token: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var characters = Array(token)
        let value = alphabet.firstIndex(of: characters[characters.count - 1])!
        characters[characters.count - 1] = alphabet[value ^ 1]
        return String(characters)
    }

    /// A token by `key` whose signature contains `-` or `_` (so it can be re-spelled with `+` and `/`).
    static func tokenWithURLSafeCharacters(_ key: ProviderKey, now: Date) throws -> String {
        for attempt in 0..<500 {
            let token = try key.token(JWKSTestTokens.claims(now: now, overrides: ["jti": "j-\(attempt)"]))
            let signature = token.split(separator: ".")[2]
            if signature.contains("-") || signature.contains("_") { return token }
        }
        throw CancellationError()
    }

    /// The attack matrix at time `now`.
    static func attacks(_ f: Fixture, now: Date) throws -> [Attack] {
        let t = now.timeIntervalSince1970.rounded(.down)
        let good = JWKSTestTokens.claims(now: now)
        func claims(_ overrides: [String: Any?]) -> [String: Any] { JWKSTestTokens.claims(now: now, overrides: overrides) }
        func hs(_ claims: [String: Any], header: [String: Any] = ["alg": "HS256", "typ": "JWT"], secret: [UInt8] = GatewayTokens.secret) throws -> String {
            try GatewayTokens.token(header: header, claims: claims, secret: secret)
        }
        let rsaToken = try f.rsa.token(good)
        let ecToken = try f.ec.token(good)
        let hsToken = try hs(GatewayTokens.claims(exp: t + 600, iat: t))
        let urlSafe = try tokenWithURLSafeCharacters(f.rsa, now: now)
        let noneHeader = try JWKSTestTokens.json(["alg": "none", "typ": "JWT"])
        let payload = try JWKSTestTokens.json(good)
        let modulus = try #require(Base64URL.decode(f.rsa.jwk["n"]!))
        let forgedPayload = try JWKSTestTokens.json(claims(["sub": "admin"]))
        let rsaParts = rsaToken.split(separator: ".")
        let hsParts = hsToken.split(separator: ".")
        let otherRSA = try f.rsa.token(claims(["sub": "someone-else"]))
        let derSignature = try #require(try? P256.Signing.ECDSASignature(
            rawRepresentation: Base64URL.decode(ecToken.split(separator: ".")[2])!).derRepresentation)

        return [
            Attack(name: "no Authorization header", authorization: nil, expected: .missing),
            Attack(name: "Basic scheme", authorization: "Basic dXNlcjpwYXNz", expected: .missing),
            Attack(name: "empty bearer", authorization: "Bearer ", expected: .malformed),
            Attack(name: "alg none, empty signature", authorization: bearer("\(noneHeader).\(payload)."), expected: .unsupportedAlgorithm),
            Attack(name: "HS256, empty signature", authorization: bearer(hsToken.split(separator: ".")[0...1].joined(separator: ".") + "."), expected: .invalidSignature),
            Attack(name: "RS256, empty signature", authorization: bearer(rsaToken.split(separator: ".")[0...1].joined(separator: ".") + "."), expected: .invalidSignature),
            Attack(name: "alg none with a signature", authorization: bearer("\(noneHeader).\(payload).AAAA"), expected: .unsupportedAlgorithm),
            Attack(
                name: "alg NONE", authorization: bearer("\(try JWKSTestTokens.json(["alg": "NONE"])).\(payload).AAAA"),
                expected: .unsupportedAlgorithm),
            Attack(name: "HS256 keyed with the RSA public key PEM", authorization: bearer(try hs(good, secret: Array(f.rsa.publicPEM!.utf8))), expected: .invalidSignature),
            Attack(name: "HS256 keyed with the RSA public key DER", authorization: bearer(try hs(good, secret: f.rsa.publicDER!)), expected: .invalidSignature),
            Attack(name: "HS256 keyed with the JWK modulus", authorization: bearer(try hs(good, secret: modulus)), expected: .invalidSignature),
            Attack(
                name: "HS256 naming the RSA kid, keyed with its PEM",
                authorization: bearer(try hs(good, header: ["alg": "HS256", "kid": "rsa-1"], secret: Array(f.rsa.publicPEM!.utf8))),
                expected: .invalidSignature),
            Attack(
                name: "HS512", authorization: bearer(try GatewayTokens.token(header: ["alg": "HS512"], claims: good, hash: "SHA512")),
                expected: .unsupportedAlgorithm),
            Attack(name: "RS256 by an attacker's key under the provider's kid", authorization: bearer(try f.attacker.token(good)), expected: .invalidSignature),
            Attack(
                name: "embedded jwk header with the attacker's key",
                authorization: bearer(try f.attacker.token(good, header: ["kid": "attacker-1", "jwk": f.attacker.jwk])),
                expected: .unknownKey),
            Attack(
                name: "jku header pointing at the attacker's JWKS",
                authorization: bearer(try f.attacker.token(good, header: ["kid": "attacker-2", "jku": f.attackerServer.url])),
                expected: .unknownKey),
            Attack(
                name: "x5u header and the provider's kid",
                authorization: bearer(try f.attacker.token(good, header: ["x5u": f.attackerServer.url])),
                expected: .invalidSignature),
            Attack(name: "ES256 header on the RSA kid", authorization: bearer(try f.ec.token(good, header: ["kid": "rsa-1"])), expected: .unsupportedAlgorithm),
            Attack(name: "RS256 header on the EC kid", authorization: bearer(try f.rsa.token(good, header: ["kid": "ec-1"])), expected: .unsupportedAlgorithm),
            Attack(name: "PS256 header on the RS256 key", authorization: bearer(try f.pss.token(good)), expected: .unsupportedAlgorithm),
            Attack(name: "no kid while the set has two keys", authorization: bearer(try f.rsa.token(good, omitKid: true)), expected: .unknownKey),
            Attack(name: "unknown kid", authorization: bearer(try f.rsa.token(good, header: ["kid": "nope"])), expected: .unknownKey),
            Attack(name: "wrong iss", authorization: bearer(try f.rsa.token(claims(["iss": "https://evil.example/"]))), expected: .wrongIssuer),
            Attack(name: "missing iss", authorization: bearer(try f.rsa.token(claims(["iss": nil]))), expected: .wrongIssuer),
            Attack(name: "iss with a trailing slash", authorization: bearer(try f.rsa.token(claims(["iss": JWKSTestTokens.issuer + "/"]))), expected: .wrongIssuer),
            Attack(name: "wrong aud", authorization: bearer(try f.rsa.token(claims(["aud": "another-api"]))), expected: .wrongAudience),
            Attack(name: "aud array without ours", authorization: bearer(try f.rsa.token(claims(["aud": ["a", "b"]]))), expected: .wrongAudience),
            Attack(name: "no aud, no client_id", authorization: bearer(try f.rsa.token(claims(["aud": nil]))), expected: .wrongAudience),
            Attack(
                name: "wrong aud with the right client_id",
                authorization: bearer(try f.rsa.token(claims(["aud": "another-api", "client_id": JWKSTestTokens.audience]))),
                expected: .wrongAudience),
            Attack(name: "expired RS256", authorization: bearer(try f.rsa.token(claims(["iat": t - 7200, "exp": t - 3600]))), expected: .expired),
            Attack(name: "expired ES256 beyond the 60 s leeway", authorization: bearer(try f.ec.token(claims(["iat": t - 600, "exp": t - 61]))), expected: .expired),
            Attack(name: "expired HS256", authorization: bearer(try hs(GatewayTokens.claims(exp: t - 120))), expected: .expired),
            Attack(name: "lifetime 25 h (RS256, iat now)", authorization: bearer(try f.rsa.token(claims(["exp": t + 25 * 3600]))), expected: .lifetimeTooLong),
            Attack(name: "lifetime 25 h (HS256, no iat)", authorization: bearer(try hs(GatewayTokens.claims(exp: t + 25 * 3600))), expected: .lifetimeTooLong),
            Attack(name: "exp 1e300 (HS256)", authorization: bearer(try hs(GatewayTokens.claims(exp: 1e300))), expected: .lifetimeTooLong),
            Attack(name: "exp 1e300 (RS256, no iat)", authorization: bearer(try f.rsa.token(claims(["exp": 1e300, "iat": nil]))), expected: .lifetimeTooLong),
            Attack(
                name: "backdated iat: 25 h lifetime ending in 5 h",
                authorization: bearer(try f.rsa.token(claims(["iat": t - 20 * 3600, "exp": t + 5 * 3600]))), expected: .lifetimeTooLong),
            Attack(name: "padded signature (=)", authorization: bearer(rsaToken + "="), expected: .malformed),
            Attack(name: "padded signature (==, ES256)", authorization: bearer(ecToken + "=="), expected: .malformed),
            Attack(name: "padded payload", authorization: bearer("\(rsaParts[0]).\(rsaParts[1])=.\(rsaParts[2])"), expected: .malformed),
            Attack(
                name: "signature in standard base64 (+ and /)",
                authorization: bearer(withSignature(urlSafe) { $0.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") }),
                expected: .malformed),
            Attack(name: "altered trailing bits (RS256)", authorization: bearer(alteredTrailingBits(rsaToken)), expected: .malformed),
            Attack(name: "altered trailing bits (ES256)", authorization: bearer(alteredTrailingBits(ecToken)), expected: .malformed),
            Attack(name: "altered trailing bits (HS256)", authorization: bearer(alteredTrailingBits(hsToken)), expected: .malformed),
            Attack(name: "crit [exp]", authorization: bearer(try f.rsa.token(good, header: ["crit": ["exp"]])), expected: .unsupportedCritical),
            Attack(name: "crit [b64] with b64 false", authorization: bearer(try f.rsa.token(good, header: ["crit": ["b64"], "b64": false])), expected: .unsupportedCritical),
            Attack(name: "crit [] (HS256)", authorization: bearer(try hs(good, header: ["alg": "HS256", "crit": [String]()])), expected: .unsupportedCritical),
            Attack(name: "missing exp (RS256)", authorization: bearer(try f.rsa.token(claims(["exp": nil]))), expected: .missingExpiration),
            Attack(name: "missing exp (HS256)", authorization: bearer(try hs(GatewayTokens.claims(exp: nil))), expected: .missingExpiration),
            Attack(name: "exp as a string", authorization: bearer(try f.rsa.token(claims(["exp": "\(Int(t) + 600)"]))), expected: .malformed),
            Attack(name: "nbf in the future", authorization: bearer(try f.rsa.token(claims(["nbf": t + 600]))), expected: .notYetValid),
            Attack(name: "iat in the future", authorization: bearer(try f.rsa.token(claims(["iat": t + 600, "exp": t + 1200]))), expected: .notYetValid),
            Attack(name: "Cognito ID token (token_use id)", authorization: bearer(try f.rsa.token(claims(["token_use": "id"]))), expected: .wrongTokenUse),
            Attack(name: "missing sub", authorization: bearer(try f.rsa.token(claims(["sub": nil]))), expected: .missingSubject),
            Attack(name: "scope without segment", authorization: bearer(try f.rsa.token(claims(["scope": "read"]))), expected: .insufficientScope),
            Attack(name: "tampered payload (RS256)", authorization: bearer("\(rsaParts[0]).\(forgedPayload).\(rsaParts[2])"), expected: .invalidSignature),
            Attack(name: "tampered payload (HS256)", authorization: bearer("\(hsParts[0]).\(forgedPayload).\(hsParts[2])"), expected: .invalidSignature),
            Attack(name: "another token's signature", authorization: bearer(withSignature(rsaToken) { _ in otherRSA.split(separator: ".")[2].description }), expected: .invalidSignature),
            Attack(
                name: "ES256 signature in DER form",
                authorization: bearer(withSignature(ecToken) { _ in JWKSTestTokens.base64URL(derSignature) }), expected: .invalidSignature),
            Attack(
                name: "ES256 all-zero signature (CVE-2022-21449)",
                authorization: bearer(withSignature(ecToken) { _ in JWKSTestTokens.base64URL([UInt8](repeating: 0, count: 64)) }),
                expected: .invalidSignature),
            Attack(name: "RS256 truncated signature", authorization: bearer(withSignature(rsaToken) { JWKSTestTokens.base64URL(Base64URL.decode($0)!.prefix(200)) }), expected: .invalidSignature),
            Attack(name: "token over 16 KiB", authorization: bearer(try f.rsa.token(claims(["pad": String(repeating: "x", count: 17_000)]))), expected: .malformed),
            Attack(name: "four parts", authorization: bearer(rsaToken + ".AAAA"), expected: .malformed),
            Attack(name: "header is a JSON array", authorization: bearer("\(try JWKSTestTokens.base64URL(JSONSerialization.data(withJSONObject: ["RS256"]))).\(rsaParts[1]).\(rsaParts[2])"), expected: .malformed),
            Attack(name: "kid is a number", authorization: bearer(try f.rsa.token(good, header: ["kid": 1])), expected: .malformed),
            Attack(name: "whitespace inside the token", authorization: bearer(rsaParts[0] + " ." + rsaParts[1] + "." + rsaParts[2]), expected: .malformed),
        ]
    }

    @Test("every attack is refused with its reason, and the valid controls pass")
    func verifierMatrix() async throws {
        let fixture = try await Fixture.make()
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let verifier = try await TokenVerifier(configuration: fixture.configuration(), client: client)
        let now = Date()
        let attacks = try Self.attacks(fixture, now: now)
        var refused = 0
        for attack in attacks {
            do {
                let token = try BearerToken.parse(attack.authorization)
                _ = try await verifier.verify(token, now: now)
                Issue.record("accepted: \(attack.name)")
            } catch {
                #expect(error == attack.expected, "\(attack.name): \(error.reason) (\(error.message))")
                if error == attack.expected { refused += 1 }
            }
        }
        #expect(refused == attacks.count)
        #expect(attacks.count >= 60)
        #expect(fixture.attackerServer.fetches == 0, "a token's jku/x5u was fetched")
        // Controls: the same keys and policy accept well-formed tokens.
        let good = JWKSTestTokens.claims(now: now)
        _ = try await verifier.verify(try fixture.rsa.token(good), now: now)
        _ = try await verifier.verify(try fixture.ec.token(good), now: now)
        _ = try await verifier.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: now.timeIntervalSince1970 + 600)), now: now)
        // Within the leeway: expired 30 s ago, and a 24 h token.
        let t = now.timeIntervalSince1970.rounded(.down)
        _ = try await verifier.verify(try fixture.rsa.token(JWKSTestTokens.claims(now: now, overrides: ["iat": t - 600, "exp": t - 30])), now: now)
        _ = try await verifier.verify(try fixture.rsa.token(JWKSTestTokens.claims(now: now, lifetime: 86_400)), now: now)
        await fixture.stop()
    }

    @Test("over HTTP every refusal is 401/403 JSON with WWW-Authenticate and CORS, and a JWKS token reaches the proxy")
    func httpMatrix() async throws {
        let fixture = try await Fixture.make()
        let fake = FakeInvokeAPI()
        let configuration = fixture.configuration()
        let now = Date()
        let attacks = try Self.attacks(fixture, now: now)
        let good = try fixture.rsa.token(JWKSTestTokens.claims(now: now))
        try await fake.run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            var gateway = GatewayHTTPTests.configuration(invokeURL: url)
            gateway.token = configuration
            let app = try await buildApplication(configuration: gateway, client: client)
            try await app.test(.router) { client in
                for attack in attacks {
                    var headers: HTTPFields = [.origin: GatewayHTTPTests.origin, .contentType: "application/json"]
                    if let authorization = attack.authorization { headers[.authorization] = authorization }
                    try await client.execute(uri: "/v1/segment", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { response in
                        #expect(response.status.code == attack.expected.httpStatus, "\(attack.name)")
                        #expect(try GatewayHTTPTests.errorCode(response) == attack.expected.apiErrorCode.rawValue, "\(attack.name)")
                        #expect(response.headers[.contentType] == "application/json", "\(attack.name)")
                        #expect(response.headers[.accessControlAllowOrigin] == GatewayHTTPTests.origin, "\(attack.name)")
                        let challenge = try #require(response.headers[.wwwAuthenticate], "\(attack.name)")
                        #expect(challenge.hasPrefix("Bearer realm=\"fewclick\""))
                        // RFC 6750 §3: printable ASCII only, and no quote or backslash inside the description.
                        #expect(challenge.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }, "\(attack.name): \(challenge)")
                        #expect(challenge.filter { $0 == "\"" }.count % 2 == 0 && !challenge.contains("\\"), "\(attack.name): \(challenge)")
                        if let oauth = attack.expected.oauthErrorCode {
                            #expect(challenge.contains("error=\"\(oauth)\""), "\(attack.name): \(challenge)")
                        } else {
                            #expect(!challenge.contains("error="), "\(attack.name): \(challenge)")
                        }
                    }
                }
                try await client.execute(
                    uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer " + good, .contentType: "application/json"],
                    body: ByteBuffer(string: "{}")
                ) { response in
                    #expect(response.status == .ok)
                }
            }
        }
        let event = try fake.lastEvent()
        #expect(event.requestContext.authorizer?.principalId == "worker-1")
        #expect(fake.events.count == 1)
        await fixture.stop()
    }

    @Test("JWKS never fetched: 503 auth_unavailable with Retry-After (not a 401)")
    func keysUnavailableOverHTTP() async throws {
        let key = try await ProviderKey.rsa(kid: "k1")
        let server = try await JWKSServer.start(keys: [key])
        await server.stop()
        try await FakeInvokeAPI().run { url in
            let client = CurlClient()
            defer { client.shutdown() }
            var gateway = GatewayHTTPTests.configuration(invokeURL: url)
            gateway.token = .init(
                secret: GatewayTokens.secret, jwks: JWKSSettings(urls: [server.url]), issuers: [JWKSTestTokens.issuer],
                audiences: [JWKSTestTokens.audience])
            let app = try await buildApplication(configuration: gateway, client: client)
            let token = try key.token(JWKSTestTokens.claims(now: Date()))
            try await app.test(.router) { client in
                try await client.execute(uri: "/v1/segment", method: .post, headers: [.authorization: "Bearer " + token], body: ByteBuffer(string: "{}")) {
                    response throws in
                    #expect(response.status == .serviceUnavailable)
                    #expect(try GatewayHTTPTests.errorCode(response) == "auth_unavailable")
                    #expect(response.headers[.retryAfter] != nil)
                }
            }
        }
    }

    @Test("the leeway is configurable and defaults to 60 s; the maximum lifetime too (24 h)")
    func leewayAndLifetime() async throws {
        let now = GatewayTokens.now
        let t = now.timeIntervalSince1970
        let standard = try await TokenVerifier(configuration: .init(secret: GatewayTokens.secret))
        #expect(standard.configuration.leeway == .seconds(60))
        #expect(standard.configuration.maxLifetime == .seconds(86_400))
        _ = try await standard.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t - 59)), now: now)
        await #expect(throws: TokenError.expired) {
            try await standard.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t - 61)), now: now)
        }
        // 24 h after iat is allowed, a second more is not; without iat, measured from now (+ leeway).
        _ = try await standard.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t + 86_400, iat: t)), now: now)
        await #expect(throws: TokenError.lifetimeTooLong) {
            try await standard.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t + 86_401, iat: t)), now: now)
        }
        _ = try await standard.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t + 86_400 + 30)), now: now)
        await #expect(throws: TokenError.lifetimeTooLong) {
            try await standard.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t + 86_400 + 61)), now: now)
        }
        // A 7-day job token needs a gateway configured for it.
        let week = try await TokenVerifier(configuration: .init(secret: GatewayTokens.secret, leeway: .seconds(5), maxLifetime: .seconds(7 * 86_400)))
        let issuer = try await TokenIssuer(secret: GatewayTokens.secret)
        let job = try await issuer.issue(subject: "job-42", ttl: .seconds(7 * 86_400), now: now)
        _ = try await week.verify(job, now: now)
        await #expect(throws: TokenError.lifetimeTooLong) { try await standard.verify(job, now: now) }
        await #expect(throws: TokenError.expired) { try await week.verify(try GatewayTokens.hs256(GatewayTokens.claims(exp: t - 6)), now: now) }
        // The 12 h dev tokens `gateway token issue` and the demo mint by default are within the default.
        _ = try await standard.verify(try await issuer.issue(subject: "dev", ttl: .seconds(12 * 3600), now: now), now: now)
    }

    @Test("strict base64url: canonical unpadded spellings only")
    func base64URL() {
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("Zg") == Array("f".utf8))
        #expect(Base64URL.decode("Zm8") == Array("fo".utf8))
        #expect(Base64URL.decode("Zm9v") == Array("foo".utf8))
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        for bad in ["Zg==", "Zm8=", "Zh", "Zm9", "+/+/", "Zm9v\n", "Z", "Zm9vY", "Zm 9v", "Zm9v="] {
            #expect(Base64URL.decode(bad) == nil, "\(bad)")
        }
        // Every byte string round-trips through the one spelling the encoder gives it.
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(GatewayTokens.base64URL(bytes)) == bytes)
        }
    }
}
