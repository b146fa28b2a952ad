import CurlHTTP
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Testing

/// A Runtime API for the authorizer tests: serves queued events from `/invocation/next` (503 once
/// they are used up, which ends the runtime loop) and records what the function posts back.
actor AuthorizerRuntimeAPI {
    struct Post: Equatable {
        var path: String
        var body: String
    }

    private var queue: [(id: String, body: String)]
    private(set) var posts: [Post] = []

    init(events: [(id: String, body: String)]) { queue = events }

    func next() -> (id: String, body: String)? { queue.isEmpty ? nil : queue.removeFirst() }
    func record(_ post: Post) { posts.append(post) }

    nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/2018-06-01/runtime/invocation/next") { _, _ -> Response in
            guard let event = await self.next() else { return Response(status: .serviceUnavailable) }
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!] = event.id
            headers[HTTPField.Name("Lambda-Runtime-Deadline-Ms")!] = "4102444800000"
            headers[HTTPField.Name("Lambda-Runtime-Invoked-Function-Arn")!] =
                "arn:aws:lambda:eu-west-1:123456789012:function:fewclick-authorizer"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: event.body)))
        }
        for kind in ["response", "error"] {
            router.post("/2018-06-01/runtime/invocation/:id/\(kind)") { request, context -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                await self.record(Post(path: "\(kind)/\(context.parameters.get("id") ?? "")", body: String(buffer: body)))
                return Response(status: .accepted)
            }
        }
        router.post("/2018-06-01/runtime/init/error") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            await self.record(Post(path: "init/error", body: String(buffer: body)))
            return Response(status: .accepted)
        }
        return router
    }
}

@Suite("TOKEN authorizer over the Lambda Runtime API")
struct AuthorizerRuntimeTests {
    static let secret = "authorizer-runtime-secret-0123456789abcdef"
    static let methodArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/v1/segment"

    static func event(_ token: String?) -> String {
        var object = ["type": "TOKEN", "methodArn": methodArn]
        if let token { object["authorizationToken"] = token }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func events() async throws -> [(id: String, body: String)] {
        let issuer = try await TokenIssuer(secret: Array(secret.utf8))
        let valid = try await issuer.issue(subject: "labeler-3", ttl: .seconds(3600))
        let expired = try await issuer.issue(subject: "labeler-3", ttl: .seconds(60), now: Date().addingTimeInterval(-7200))
        return [("ok", event("Bearer \(valid)")), ("expired", event("Bearer \(expired)")), ("missing", event(nil))]
    }

    static func check(_ posts: [AuthorizerRuntimeAPI.Post]) throws {
        #expect(posts.map(\.path) == ["response/ok", "error/expired", "error/missing"])
        guard posts.count == 3 else { return }
        let allow = try #require(try JSONSerialization.jsonObject(with: Data(posts[0].body.utf8)) as? [String: Any])
        #expect(allow["principalId"] as? String == "labeler-3")
        let statement = (allow["policyDocument"] as? [String: Any])?["Statement"] as? [[String: Any]]
        #expect(statement?.first?["Effect"] as? String == "Allow")
        #expect(statement?.first?["Resource"] as? String == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*/*")
        // API Gateway answers 401 only when the error message is exactly "Unauthorized".
        for post in posts.dropFirst() {
            let error = try #require(try JSONSerialization.jsonObject(with: Data(post.body.utf8)) as? [String: Any])
            #expect(error["errorMessage"] as? String == "Unauthorized")
        }
    }

    @Test("the runtime loop posts the policy for a valid token and Unauthorized errors otherwise")
    func inProcess() async throws {
        let api = AuthorizerRuntimeAPI(events: try await Self.events())
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let curl = CurlClient(maxConcurrentRequests: 2)
            defer { curl.shutdown() }
            let verifier = try await TokenVerifier(configuration: .init(secret: Array(Self.secret.utf8)))
            let runtime = LambdaRuntime(
                handler: TokenAuthorizer(verifier: verifier),
                transport: CurlRuntimeTransport(runtimeAPI: "127.0.0.1:\(port)", client: curl),
                logger: Logger(label: "authorizer-test"), maxInvocations: 3)
            try await runtime.run()
        }
        try Self.check(await api.posts)
    }

    @Test("`gateway authorizer` (the executable a bootstrap runs) answers the same events")
    func executable() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("gateway")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            print("skipped: no built gateway executable at \(binary.path)")
            return
        }
        let api = AuthorizerRuntimeAPI(events: try await Self.events())
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let process = Process()
            process.executableURL = binary
            process.arguments = ["authorizer", "--log-level", "error"]
            var environment = ProcessInfo.processInfo.environment
            environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
            environment["FEWCLICK_JWT_SECRET"] = Self.secret
            environment.removeValue(forKey: "FEWCLICK_REQUIRED_SCOPE")
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            // The loop ends when the queue is empty (503 from /next): wait, bounded, for the exit.
            for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!process.isRunning, "gateway authorizer did not stop after the Runtime API failed")
        }
        try Self.check(await api.posts)
    }
}
