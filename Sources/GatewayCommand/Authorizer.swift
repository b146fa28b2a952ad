import ArgumentParser
import CommandSupport
import CurlHTTP
import Foundation
import Gateway
import LambdaKit
import Logging

/// `gateway authorizer`: the token verifier as an API Gateway TOKEN Lambda authorizer — the
/// Runtime API loop of a `provided.al2023` function (`bootstrap` runs `gateway authorizer`).
struct Authorizer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as an API Gateway TOKEN Lambda authorizer (Runtime API loop; needs AWS_LAMBDA_RUNTIME_API).",
        discussion: """
            A valid bearer token gets an IAM policy allowing execute-api:Invoke on the whole API stage, \
            principalId = sub and the claims as context; an invalid or missing token gets the error \
            Unauthorized (API Gateway answers 401); a token without the required scope gets a Deny policy (403). \
            Keys and rules are those of `gateway serve`: the HS256 secret from $FEWCLICK_JWT_SECRET (or \
            --jwt-secret-file) and/or an identity provider's JWKS ($FEWCLICK_JWKS_URL, $FEWCLICK_JWT_ISSUER, \
            $FEWCLICK_JWT_AUDIENCE), $FEWCLICK_TOKEN_LEEWAY, $FEWCLICK_MAX_TOKEN_LIFETIME, $FEWCLICK_REQUIRED_SCOPE.
            """)

    @OptionGroup(title: "Token authentication") var auth: AuthOptions
    @Option(help: "Log level (trace, debug, info, notice, warning, error). Default: $LOG_LEVEL, else info.")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let api = environment["AWS_LAMBDA_RUNTIME_API"], !api.isEmpty else {
            throw ValidationError("AWS_LAMBDA_RUNTIME_API is not set: `gateway authorizer` runs inside AWS Lambda")
        }
        try bootstrapLogging(level: logLevel, environment: environment)
        let logger = Logger(label: "authorizer")
        let client = CurlClient(maxConcurrentRequests: 2)
        defer { client.shutdown() }
        // A missing or short secret, or a bad JWKS setting, is an init error: Lambda reports it and
        // API Gateway answers 500.
        try await LambdaRuntime.run(transport: CurlRuntimeTransport(runtimeAPI: api, client: client), logger: logger) {
            let verifier = try await TokenVerifier(
                configuration: try auth.configuration(environment: environment), client: client, logger: logger)
            return TokenAuthorizer(verifier: verifier)
        }
    }
}
