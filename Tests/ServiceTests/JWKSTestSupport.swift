import CryptoExtras
import Foundation
import Gateway
import Hummingbird
import JWTKit
import Logging
import Testing

/// A signing key of the test's own identity provider: the private half signs tokens, the public half
/// is published in the JWKS as a JWK.
struct ProviderKey: Sendable {
    let kid: String
    /// The JWS `alg` the key signs with.
    let alg: String
    /// The public JWK as published.
    let jwk: [String: String]
    let signer: any JWTAlgorithm
    /// The RSA public key in PEM and DER (the bytes an HS/RS confusion attack uses as an HMAC secret).
    let publicPEM: String?
    let publicDER: [UInt8]?

    /// A fresh RSA 2048 key, for RS256 or PS256.
    static func rsa(kid: String, alg: String = "RS256", publishAlg: Bool = true) async throws -> ProviderKey {
        let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        let collection = JWTKeyCollection()
        if alg.hasPrefix("PS") {
            await collection.add(pss: key, digestAlgorithm: .sha256, kid: "k")
        } else {
            await collection.add(rsa: key, digestAlgorithm: .sha256, kid: "k")
        }
        let (n, e) = try key.publicKey.getKeyPrimitives()
        var jwk = ["kty": "RSA", "kid": kid, "use": "sig", "n": JWKSTestTokens.base64URL(n), "e": JWKSTestTokens.base64URL(e)]
        if publishAlg { jwk["alg"] = alg }
        return ProviderKey(
            kid: kid, alg: alg, jwk: jwk, signer: try await collection.getKey(for: "k"),
            publicPEM: key.publicKey.pemRepresentation, publicDER: Array(key.publicKey.derRepresentation))
    }

    /// A fresh P-256 key (ES256).
    static func p256(kid: String, publishAlg: Bool = true) async throws -> ProviderKey {
        let key = ES256PrivateKey()
        let collection = await JWTKeyCollection().add(ecdsa: key, kid: "k")
        let parameters = try #require(key.publicKey.parameters)
        var jwk = ["kty": "EC", "crv": "P-256", "kid": kid, "x": parameters.x, "y": parameters.y]
        if publishAlg { jwk["alg"] = "ES256" }
        return ProviderKey(
            kid: kid, alg: "ES256", jwk: jwk, signer: try await collection.getKey(for: "k"), publicPEM: nil, publicDER: nil)
    }

    /// A fresh Ed25519 key (EdDSA).
    static func ed25519(kid: String) async throws -> ProviderKey {
        let key = try EdDSA.PrivateKey(curve: .ed25519)
        let collection = await JWTKeyCollection().add(eddsa: key, kid: "k")
        let jwk = ["kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": "EdDSA", "x": JWKSTestTokens.base64URL(key.publicKey.rawRepresentation)]
        return ProviderKey(
            kid: kid, alg: "EdDSA", jwk: jwk, signer: try await collection.getKey(for: "k"), publicPEM: nil, publicDER: nil)
    }

    /// A compact JWS over exactly this header and these claims (the header gets `alg` and `kid`
    /// unless `header` sets them; `kid: nil` in `omit` leaves it out).
    func token(_ claims: [String: Any], header: [String: Any] = [:], omitKid: Bool = false) throws -> String {
        var fields: [String: Any] = ["alg": alg, "typ": "JWT"]
        if !omitKid { fields["kid"] = kid }
        fields.merge(header) { _, new in new }
        return try JWKSTestTokens.sign(header: fields, claims: claims, with: signer)
    }
}

/// Token building blocks for the JWKS and policy tests.
enum JWKSTestTokens {
    static let issuer = "https://idp.test.example/realms/labeling"
    static let audience = "fewclick-api"

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String { GatewayTokens.base64URL(bytes) }

    static func json(_ object: [String: Any]) throws -> String {
        base64URL(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// `header.claims.signature`, signed by `signer` over the exact bytes.
    static func sign(header: [String: Any], claims: [String: Any], with signer: any JWTAlgorithm) throws -> String {
        let input = "\(try json(header)).\(try json(claims))"
        return "\(input).\(base64URL(try signer.sign(Array(input.utf8))))"
    }

    /// Provider-style claims valid at `now`: `iss`, `aud`, `sub`, `scope`, `iat`, `exp` (+1 h).
    static func claims(
        now: Date, sub: String = "worker-1", scope: String = "segment", lifetime: Double = 3600,
        overrides: [String: Any?] = [:]
    ) -> [String: Any] {
        let t = now.timeIntervalSince1970.rounded(.down)
        var claims: [String: Any] = [
            "iss": issuer, "aud": audience, "sub": sub, "scope": scope, "iat": t, "exp": t + lifetime,
        ]
        for (name, value) in overrides { claims[name] = value }
        return claims
    }
}

/// The test's own identity provider: a real HTTP server on a loopback port serving a JWKS whose keys,
/// `Cache-Control` and status the test changes at will, counting the fetches; it can be stopped
/// (port closed) and is stopped by ``stop()``.
final class JWKSServer: Sendable {
    struct State: Sendable {
        var keys: [[String: String]] = []
        var cacheControl: String? = "max-age=600"
        var status = 200
        var body: String?
        var fetches = 0
    }

    private let state: MutexBox<State>
    private let task: Task<Void, any Error>
    /// `http://127.0.0.1:PORT/.well-known/jwks.json`.
    let url: String

    private init(state: MutexBox<State>, task: Task<Void, any Error>, url: String) {
        self.state = state
        self.task = task
        self.url = url
    }

    /// Starts a server publishing `keys`.
    static func start(keys: [ProviderKey] = [], cacheControl: String? = "max-age=600") async throws -> JWKSServer {
        let state = MutexBox(State(keys: keys.map(\.jwk), cacheControl: cacheControl))
        let router = Router()
        router.get("/.well-known/jwks.json") { _, _ -> Response in
            let current = state.get()
            state.mutate { $0.fetches += 1 }
            var headers: HTTPFields = [.contentType: "application/json"]
            if let cacheControl = current.cacheControl { headers[.cacheControl] = cacheControl }
            let body = try current.body ?? String(decoding: JSONSerialization.data(withJSONObject: ["keys": current.keys]), as: UTF8.self)
            return Response(status: .init(code: current.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "jwks-test-server", factory: { _ in SwiftLogNoOpLogHandler() }))
        let task = Task { try await app.runService() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        return JWKSServer(state: state, task: task, url: "http://127.0.0.1:\(port)/.well-known/jwks.json")
    }

    /// Publishes `keys` from now on.
    func publish(_ keys: [ProviderKey]) { state.mutate { $0.keys = keys.map(\.jwk) } }
    /// Publishes raw JWK objects from now on.
    func publishRaw(_ keys: [[String: String]]) { state.mutate { $0.keys = keys } }
    /// Sets the `Cache-Control` header (nil: none).
    func setCacheControl(_ value: String?) { state.mutate { $0.cacheControl = value } }
    /// Answers with `status` (and `body` instead of the JWKS when given).
    func answer(status: Int, body: String? = nil) { state.mutate { $0.status = status; $0.body = body } }
    /// How many times the JWKS was fetched.
    var fetches: Int { state.get().fetches }

    /// Stops the server (its port then refuses connections) and waits until it has.
    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// A log handler that keeps every message (tests check what was logged, and how often).
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(level: Logger.Level, message: String)] = []

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(sink: self) }
    }

    func messages(at level: Logger.Level) -> [String] {
        lock.withLock { entries.filter { $0.level == level }.map(\.message) }
    }

    fileprivate func append(_ level: Logger.Level, _ message: String) { lock.withLock { entries.append((level, message)) } }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.append(event.level, "\(event.message)") }
    }
}
