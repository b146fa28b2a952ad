import Foundation
import LambdaKit

/// The event API Gateway sends to a TOKEN Lambda authorizer.
///
/// ```json
/// {"type": "TOKEN", "authorizationToken": "Bearer eyJ...", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/v1/segment"}
/// ```
public struct TokenAuthorizerEvent: Codable, Sendable, Equatable {
    /// Always `TOKEN` for this kind of authorizer.
    public var type: String
    /// The identity source: the `Authorization` header value, `Bearer <JWT>`.
    public var authorizationToken: String?
    /// ARN of the method being called: `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}`.
    public var methodArn: String

    /// Creates an event.
    public init(type: String = "TOKEN", authorizationToken: String?, methodArn: String) {
        self.type = type
        self.authorizationToken = authorizationToken
        self.methodArn = methodArn
    }
}

/// What a Lambda authorizer returns: the principal, an IAM policy, and a context map that API
/// Gateway passes to the integration as `requestContext.authorizer`.
public struct TokenAuthorizerResponse: Codable, Sendable, Equatable {
    /// An IAM policy document.
    public struct PolicyDocument: Codable, Sendable, Equatable {
        /// Policy language version, `2012-10-17`.
        public var Version: String
        /// The statements (one here).
        public var Statement: [Statement]
    }

    /// One IAM policy statement.
    public struct Statement: Codable, Sendable, Equatable {
        /// `execute-api:Invoke`.
        public var Action: String
        /// `Allow` or `Deny`.
        public var Effect: String
        /// The API resources the statement covers.
        public var Resource: String
    }

    /// The caller: the token's `sub`.
    public var principalId: String
    /// The policy API Gateway evaluates (and caches per token for the authorizer's TTL).
    public var policyDocument: PolicyDocument
    /// The token's claims as strings (API Gateway accepts only string, number and boolean values).
    public var context: [String: String]?
}

/// The gateway's bearer-token check as an API Gateway TOKEN Lambda authorizer (`gateway authorizer`).
///
/// It uses the same ``TokenVerifier`` as `gateway serve`, so a token is accepted or refused for the
/// same reasons in both deployments:
/// - valid token → `Allow` `execute-api:Invoke` on every method of the API stage
///   (`arn:…:{apiId}/{stage}/*/*`), so the cached policy serves every route; `principalId` = `sub`;
///   `context` = every claim stringified (``VerifiedClaims/authorizerContext`` without `principalId`);
/// - missing, malformed, expired, badly signed token (HS256 or the identity provider's JWKS keys,
///   as configured for `gateway serve`) → the function error `Unauthorized`, which API Gateway
///   turns into 401;
/// - the identity provider's keys never fetched (provider down since start) → the function error
///   `KeysUnavailable` (API Gateway answers 500; nothing is cached);
/// - valid token without the required scope → a `Deny` policy, which API Gateway turns into 403
///   (as `gateway serve` answers 403 `insufficient_scope`).
/// An event that is not a TOKEN event, or whose `methodArn` is not an execute-api ARN, is a
/// configuration error: a function error other than `Unauthorized` (API Gateway answers 500).
public struct TokenAuthorizer: LambdaHandler {
    /// The exact error message API Gateway maps to 401.
    public static let unauthorizedMessage = "Unauthorized"

    /// The verifier shared with the HTTP gateway.
    public let verifier: TokenVerifier
    private let now: @Sendable () -> Date

    /// Creates an authorizer.
    /// - Parameters:
    ///   - verifier: the token verifier.
    ///   - now: the clock (tests pass a fixed date).
    public init(verifier: TokenVerifier, now: @escaping @Sendable () -> Date = { Date() }) {
        self.verifier = verifier
        self.now = now
    }

    /// Decodes a TOKEN event, authorizes it, encodes the response.
    /// - Throws: `LambdaFunctionError` `Unauthorized` for a refused token; `LambdaFunctionError`
    ///   `InvalidEvent` for an event that is not a TOKEN authorizer event.
    public func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let decoded: TokenAuthorizerEvent
        do {
            decoded = try JSONDecoder().decode(TokenAuthorizerEvent.self, from: Data(event))
        } catch {
            throw LambdaFunctionError(
                errorMessage: "the event is not an API Gateway TOKEN authorizer event", errorType: "InvalidEvent")
        }
        let response = try await authorize(decoded, context: context)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(response))
    }

    /// Authorizes one event (see the type's documentation for the outcomes).
    public func authorize(_ event: TokenAuthorizerEvent) async throws(LambdaFunctionError) -> TokenAuthorizerResponse {
        try await authorize(event, context: nil)
    }

    private func authorize(_ event: TokenAuthorizerEvent, context: LambdaContext?) async throws(LambdaFunctionError)
        -> TokenAuthorizerResponse
    {
        guard event.type == "TOKEN" else {
            throw LambdaFunctionError(
                errorMessage: "unsupported authorizer event type \(event.type) (expected TOKEN)", errorType: "InvalidEvent")
        }
        guard let resource = Self.stageWildcard(methodArn: event.methodArn) else {
            throw LambdaFunctionError(
                errorMessage: "methodArn is not an execute-api method ARN", errorType: "InvalidEvent")
        }
        guard let token = try? BearerToken.parse(event.authorizationToken) else {
            context?.logger.info("token refused: \(TokenError.missing.message)")
            throw Self.unauthorized
        }
        do {
            let claims = try await verifier.verify(token, now: now())
            return TokenAuthorizerResponse(
                principalId: claims.subject,
                policyDocument: .init(
                    Version: "2012-10-17",
                    Statement: [.init(Action: "execute-api:Invoke", Effect: "Allow", Resource: resource)]),
                context: claims.claimsContext)
        } catch let error where error == .insufficientScope {
            context?.logger.info("token refused: \(error.message)")
            return TokenAuthorizerResponse(
                principalId: "unauthorized",
                policyDocument: .init(
                    Version: "2012-10-17",
                    Statement: [.init(Action: "execute-api:Invoke", Effect: "Deny", Resource: resource)]),
                context: ["error": error.apiErrorCode.rawValue])
        } catch let error where error == .keysUnavailable {
            // Not the caller's fault, and not to be cached as a refusal: API Gateway answers 500.
            context?.logger.warning("token not checked: \(error.message)")
            throw LambdaFunctionError(errorMessage: error.message, errorType: "KeysUnavailable")
        } catch {
            context?.logger.info("token refused: \(error.message)", metadata: ["reason": .string(error.reason)])
            throw Self.unauthorized
        }
    }

    private static let unauthorized = LambdaFunctionError(errorMessage: unauthorizedMessage, errorType: "Unauthorized")

    /// `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/*/*` from a method ARN,
    /// or nil when `methodArn` is not of the form `arn:…:execute-api:…:{apiId}/{stage}/{verb}/…`.
    public static func stageWildcard(methodArn: String) -> String? {
        let fields = methodArn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == "arn", fields[2] == "execute-api" else { return nil }
        let path = fields[5].split(separator: "/", omittingEmptySubsequences: false)
        guard path.count >= 3, !path[0].isEmpty, !path[1].isEmpty else { return nil }
        return fields[0..<5].joined(separator: ":") + ":" + path[0] + "/" + path[1] + "/*/*"
    }
}
