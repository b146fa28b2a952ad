import CurlHTTP
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Testing

/// The TOKEN authorizer and the `gateway` executable with an identity provider's JWKS: the same
/// verifier and the same settings (flags or environment) as `gateway serve`.
@Suite("JWKS in the TOKEN authorizer and the gateway executable")
struct JWKSAuthorizerTests {
    static let methodArn = AuthorizerRuntimeTests.methodArn
    static let gateway = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("gateway")

    @Test("a JWKS token gets Allow; wrong audience Unauthorized; missing scope Deny; provider never reached: KeysUnavailable")
    func inProcess() async throws {
        let key = try await ProviderKey.rsa(kid: "rsa-1")
        let server = try await JWKSServer.start(keys: [key])
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        let now = Date()
        let verifier = try await JWKSTests.verifier([server.url], client: client, secret: nil)
        let authorizer = TokenAuthorizer(verifier: verifier, now: { now })
        func event(_ claims: [String: Any]) throws -> TokenAuthorizerEvent {
            TokenAuthorizerEvent(authorizationToken: "Bearer " + (try key.token(claims)), methodArn: Self.methodArn)
        }
        let allowed = try await authorizer.authorize(try event(JWKSTestTokens.claims(now: now)))
        #expect(allowed.principalId == "worker-1")
        #expect(allowed.policyDocument.Statement.first?.Effect == "Allow")
        #expect(allowed.context?["iss"] == JWKSTestTokens.issuer)

        let wrongAudience = try event(JWKSTestTokens.claims(now: now, overrides: ["aud": "other"]))
        do {
            _ = try await authorizer.authorize(wrongAudience)
            Issue.record("accepted a token for another audience")
        } catch {
            #expect(error.errorMessage == TokenAuthorizer.unauthorizedMessage)
        }
        let denied = try await authorizer.authorize(try event(JWKSTestTokens.claims(now: now, scope: "read")))
        #expect(denied.policyDocument.Statement.first?.Effect == "Deny")

        await server.stop()
        let cold = TokenAuthorizer(verifier: try await JWKSTests.verifier([server.url], client: client, secret: nil), now: { now })
        do {
            _ = try await cold.authorize(try event(JWKSTestTokens.claims(now: now)))
            Issue.record("accepted without keys")
        } catch let error as LambdaFunctionError {
            #expect(error.errorType == "KeysUnavailable")
            #expect(error.errorMessage != TokenAuthorizer.unauthorizedMessage)
        }
    }

    @Test(
        "`gateway authorizer` reads FEWCLICK_JWKS_URL, FEWCLICK_JWT_ISSUER, FEWCLICK_JWT_AUDIENCE (no secret needed)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: gateway.path), "gateway executable not built"))
    func authorizerExecutable() async throws {
        let key = try await ProviderKey.p256(kid: "ec-1")
        let server = try await JWKSServer.start(keys: [key])
        let now = Date()
        func event(_ claims: [String: Any]) throws -> String {
            AuthorizerRuntimeTests.event("Bearer " + (try key.token(claims)))
        }
        let t = now.timeIntervalSince1970.rounded(.down)
        let api = AuthorizerRuntimeAPI(events: [
            ("ok", try event(JWKSTestTokens.claims(now: now))),
            ("expired", try event(JWKSTestTokens.claims(now: now, overrides: ["iat": t - 7200, "exp": t - 3600]))),
            ("audience", try event(JWKSTestTokens.claims(now: now, overrides: ["aud": "other"]))),
            ("lifetime", try event(JWKSTestTokens.claims(now: now, lifetime: 3 * 86_400))),
        ])
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var environment = ProcessInfo.processInfo.environment
            environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
            environment.removeValue(forKey: "FEWCLICK_JWT_SECRET")
            environment.removeValue(forKey: "FEWCLICK_REQUIRED_SCOPE")
            environment["FEWCLICK_JWKS_URL"] = server.url
            environment["FEWCLICK_JWT_ISSUER"] = "https://unused.example, \(JWKSTestTokens.issuer)"
            environment["FEWCLICK_JWT_AUDIENCE"] = JWKSTestTokens.audience
            let process = try ChildProcess(Self.gateway, ["authorizer", "--log-level", "error"], environment: environment)
            defer { if process.process.isRunning { kill(process.process.processIdentifier, SIGKILL) } }
            for _ in 0..<600 where process.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!process.process.isRunning, "gateway authorizer did not stop: \(process.stderr)")
        }
        let posts = await api.posts
        #expect(posts.map(\.path) == ["response/ok", "error/expired", "error/audience", "error/lifetime"])
        if let allow = posts.first {
            #expect(allow.body.contains("\"Effect\":\"Allow\""))
        }
        for post in posts.dropFirst() {
            #expect(post.body.contains("\"errorMessage\":\"Unauthorized\""), "\(post)")
        }
        await server.stop()
    }

    /// Runs `gateway ARGUMENTS` to its end (bounded) and returns its status and standard error.
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32, stderr: String) {
        var environment = ProcessInfo.processInfo.environment
        for name in ["FEWCLICK_JWT_SECRET", "FEWCLICK_JWKS_URL", "FEWCLICK_JWT_ISSUER", "FEWCLICK_JWT_AUDIENCE", "FEWCLICK_MAX_TOKEN_LIFETIME"] {
            environment.removeValue(forKey: name)
        }
        environment.merge(extra) { _, new in new }
        let process = try ChildProcess(gateway, arguments, environment: environment)
        defer { if process.process.isRunning { kill(process.process.processIdentifier, SIGKILL) } }
        for _ in 0..<400 where process.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.process.isRunning, "gateway \(arguments) did not stop")
        return (await process.waitForExit(), process.stderr)
    }

    @Test(
        "`gateway token issue --ttl` stays within the maximum lifetime; `gateway serve` refuses bad JWKS settings at start",
        .enabled(if: FileManager.default.isExecutableFile(atPath: gateway.path), "gateway executable not built"))
    func commandLine() async throws {
        let secret = ["FEWCLICK_JWT_SECRET": "command-line-secret-0123456789abcdef"]
        #expect(try await Self.run(["token", "issue", "--subject", "dev", "--ttl", "12h"], environment: secret).status == 0)
        let long = try await Self.run(["token", "issue", "--subject", "job", "--ttl", "7d"], environment: secret)
        #expect(long.status != 0)
        #expect(long.stderr.contains("--max-token-lifetime"), "\(long.stderr)")
        #expect(try await Self.run(["token", "issue", "--subject", "job", "--ttl", "7d", "--max-token-lifetime", "7d"], environment: secret).status == 0)
        var withLifetime = secret
        withLifetime["FEWCLICK_MAX_TOKEN_LIFETIME"] = "8d"
        #expect(try await Self.run(["token", "issue", "--subject", "job", "--ttl", "7d"], environment: withLifetime).status == 0)

        let serve = ["serve", "--port", "0", "--log-level", "error"]
        let plainHTTP = try await Self.run(serve + ["--jwks-url", "http://idp.example.com/jwks.json", "--issuer", "i", "--audience", "a"])
        #expect(plainHTTP.status != 0)
        #expect(plainHTTP.stderr.contains("https"), "\(plainHTTP.stderr)")
        let noIssuer = try await Self.run(serve, environment: ["FEWCLICK_JWKS_URL": "https://idp.example.com/jwks.json"])
        #expect(noIssuer.status != 0)
        #expect(noIssuer.stderr.contains("--issuer"), "\(noIssuer.stderr)")
        let nothing = try await Self.run(serve)
        #expect(nothing.status != 0)
        #expect(nothing.stderr.contains("FEWCLICK_JWT_SECRET"), "\(nothing.stderr)")
    }
}
