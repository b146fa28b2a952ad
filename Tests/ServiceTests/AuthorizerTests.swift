import Foundation
import Gateway
import LambdaKit
import Logging
import Testing

/// `gateway authorizer`: the TOKEN Lambda authorizer, on events in the format API Gateway sends.
@Suite("TOKEN authorizer")
struct AuthorizerTests {
    static let secret = Array("authorizer-tests-secret-0123456789abcdef".utf8)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let methodArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/v1/segment"

    func authorizer(requiredScope: String? = "segment", now: Date = now) async throws -> TokenAuthorizer {
        let verifier = try await TokenVerifier(configuration: .init(secret: Self.secret, requiredScope: requiredScope))
        return TokenAuthorizer(verifier: verifier, now: { now })
    }

    func token(
        secret: [UInt8] = secret, subject: String = "labeler-7", scopes: [String] = ["segment"],
        ttl: Duration = .seconds(3600), issuedAt: Date = now, extra: [String: JSONValue] = [:]
    ) async throws -> String {
        try await TokenIssuer(secret: secret).issue(
            subject: subject, scopes: scopes, ttl: ttl, now: issuedAt, extraClaims: extra)
    }

    /// The event exactly as API Gateway writes it (AWS docs: "Input to an Amazon API Gateway Lambda authorizer").
    func event(_ authorizationToken: String?, methodArn: String = methodArn) -> [UInt8] {
        var object: [String: String] = ["type": "TOKEN", "methodArn": methodArn]
        if let authorizationToken { object["authorizationToken"] = authorizationToken }
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    func invoke(_ authorizer: TokenAuthorizer, _ event: [UInt8]) async throws -> [String: Any] {
        let context = LambdaContext.local(timeout: .seconds(5), logger: Logger(label: "authorizer-test"))
        let output = try await authorizer.handle(event, context: context)
        return try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: Any])
    }

    /// Runs the handler and returns the function error it throws (what the runtime posts to `/error`).
    func functionError(_ authorizer: TokenAuthorizer, _ event: [UInt8]) async -> LambdaFunctionError? {
        let context = LambdaContext.local(timeout: .seconds(5), logger: Logger(label: "authorizer-test"))
        do {
            _ = try await authorizer.handle(event, context: context)
            return nil
        } catch {
            return LambdaFunctionError(error)
        }
    }

    @Test("a valid token gets an Allow policy for the whole stage, principalId = sub, claims as strings")
    func validToken() async throws {
        let authorizer = try await authorizer()
        let jwt = try await token(extra: ["team": .string("blue"), "level": .number(3), "admin": .bool(false)])
        let response = try await invoke(authorizer, event("Bearer \(jwt)"))

        #expect(response["principalId"] as? String == "labeler-7")
        let policy = try #require(response["policyDocument"] as? [String: Any])
        #expect(policy["Version"] as? String == "2012-10-17")
        let statements = try #require(policy["Statement"] as? [[String: Any]])
        #expect(statements.count == 1)
        #expect(statements.first?["Effect"] as? String == "Allow")
        #expect(statements.first?["Action"] as? String == "execute-api:Invoke")
        #expect(
            statements.first?["Resource"] as? String == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*/*")

        // API Gateway accepts only scalar context values: every claim arrives as a string.
        let context = try #require(response["context"] as? [String: Any])
        #expect(context.values.allSatisfy { $0 is String })
        #expect(context["sub"] as? String == "labeler-7")
        #expect(context["scope"] as? String == "segment")
        #expect(context["team"] as? String == "blue")
        #expect(context["level"] as? String == "3")
        #expect(context["admin"] as? String == "false")
        #expect(context["exp"] as? String == String(Int(Self.now.timeIntervalSince1970) + 3600))
        #expect(context["principalId"] == nil)
    }

    @Test("the Bearer scheme is case-insensitive and the policy covers other routes of the stage")
    func schemeAndWildcard() async throws {
        let authorizer = try await authorizer()
        let jwt = try await token()
        let response = try await invoke(
            authorizer,
            event("bearer \(jwt)", methodArn: "arn:aws-cn:execute-api:cn-north-1:123456789012:api9/dev/GET/healthz"))
        let statement = try #require(
            ((response["policyDocument"] as? [String: Any])?["Statement"] as? [[String: Any]])?.first)
        #expect(statement["Resource"] as? String == "arn:aws-cn:execute-api:cn-north-1:123456789012:api9/dev/*/*")
    }

    @Test("an expired token is the error Unauthorized (API Gateway's 401)")
    func expired() async throws {
        let authorizer = try await authorizer(now: Self.now.addingTimeInterval(7200))
        let jwt = try await token(ttl: .seconds(3600))
        let error = await functionError(authorizer, event("Bearer \(jwt)"))
        #expect(error?.errorMessage == "Unauthorized")
        // Within the lifetime, the same token passes.
        let fresh = try await self.authorizer(now: Self.now.addingTimeInterval(3000))
        #expect(await functionError(fresh, event("Bearer \(jwt)")) == nil)
    }

    @Test("a token signed with another secret is the error Unauthorized")
    func wrongSignature() async throws {
        let authorizer = try await authorizer()
        let forged = try await token(secret: Array("some-other-secret-0123456789abcdef-xyz".utf8))
        #expect(await functionError(authorizer, event("Bearer \(forged)"))?.errorMessage == "Unauthorized")
        // Tampering with the payload of a genuine token breaks its signature too.
        let genuine = try await token()
        var parts = genuine.split(separator: ".").map(String.init)
        let claims = try await token(subject: "admin").split(separator: ".")[1]
        parts[1] = String(claims)
        #expect(await functionError(authorizer, event("Bearer \(parts.joined(separator: "."))"))?.errorMessage == "Unauthorized")
    }

    @Test("a missing, empty, non-Bearer or garbage token is the error Unauthorized", arguments: [
        nil, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c",
    ] as [String?])
    func missing(_ header: String?) async throws {
        let authorizer = try await authorizer()
        let error = await functionError(authorizer, event(header))
        #expect(error?.errorMessage == "Unauthorized")
        #expect(error?.errorType == "Unauthorized")
    }

    @Test("a valid token without the required scope gets a Deny policy (API Gateway's 403)")
    func insufficientScope() async throws {
        let authorizer = try await authorizer()
        let jwt = try await token(scopes: ["read"])
        let response = try await invoke(authorizer, event("Bearer \(jwt)"))
        let statement = try #require(
            ((response["policyDocument"] as? [String: Any])?["Statement"] as? [[String: Any]])?.first)
        #expect(statement["Effect"] as? String == "Deny")
        #expect(statement["Resource"] as? String == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*/*")
    }

    @Test("events that are not TOKEN events are configuration errors, not 401s")
    func invalidEvents() async throws {
        let authorizer = try await authorizer()
        let jwt = try await token()
        for bad in [
            event("Bearer \(jwt)", methodArn: "not-an-arn"),
            event("Bearer \(jwt)", methodArn: "arn:aws:lambda:eu-west-1:123456789012:function:x"),
            Array(#"{"type":"REQUEST","methodArn":"\#(Self.methodArn)","headers":{}}"#.utf8),
            Array("not json".utf8),
        ] {
            let error = await functionError(authorizer, bad)
            #expect(error != nil)
            #expect(error?.errorMessage != "Unauthorized")
        }
    }

    @Test("stage wildcard ARNs")
    func stageWildcard() {
        #expect(
            TokenAuthorizer.stageWildcard(methodArn: "arn:aws:execute-api:us-east-1:111122223333:abc/prod/POST/v1/segment")
                == "arn:aws:execute-api:us-east-1:111122223333:abc/prod/*/*")
        #expect(
            TokenAuthorizer.stageWildcard(methodArn: "arn:aws:execute-api:us-east-1:111122223333:abc/prod/GET/")
                == "arn:aws:execute-api:us-east-1:111122223333:abc/prod/*/*")
        #expect(TokenAuthorizer.stageWildcard(methodArn: "arn:aws:execute-api:us-east-1:111122223333:abc/prod") == nil)
        #expect(TokenAuthorizer.stageWildcard(methodArn: "arn:aws:execute-api:us-east-1:abc/prod/GET/x") == nil)
    }
}
