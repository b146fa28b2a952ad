import FewClickAPI
import HTTPTypes
import Hummingbird

/// Which browser origins may call the gateway, and how preflights are answered.
///
/// Origins are exact (`https://label.example.org`, `http://localhost:3000`), a wildcard over
/// subdomains (`https://*.example.com` matches `https://a.example.com` and `https://a.b.example.com`,
/// but not `https://example.com` or another scheme or port), or `*` (any origin).
public struct CORSPolicy: Sendable {
    /// Allowed origins (exact, `scheme://*.domain` wildcards, or `*`). Empty allows none.
    public var allowedOrigins: [String]
    /// Methods announced in preflight answers.
    public var allowedMethods: [String]
    /// Request headers announced in preflight answers.
    public var allowedHeaders: [String]
    /// Response headers scripts may read.
    public var exposedHeaders: [String]
    /// How long browsers may cache a preflight answer, in seconds.
    public var maxAgeSeconds: Int

    /// Creates a policy. Defaults: no origins; `POST, GET, OPTIONS`; `Authorization, Content-Type,
    /// X-Request-Id`; exposes `X-Request-Id, Retry-After`; max age 600 s.
    public init(
        allowedOrigins: [String] = [], allowedMethods: [String] = ["POST", "GET", "OPTIONS"],
        allowedHeaders: [String] = ["Authorization", "Content-Type", "X-Request-Id"],
        exposedHeaders: [String] = ["X-Request-Id", "Retry-After"], maxAgeSeconds: Int = 600
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// Whether `origin` (as sent in the `Origin` header) is allowed.
    public func allows(origin: String) -> Bool {
        let origin = origin.lowercased()
        guard origin != "null" else { return false }
        return allowedOrigins.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern == "*" || pattern == origin { return true }
            guard let star = pattern.range(of: "://*.") else { return false }
            let scheme = pattern[..<star.lowerBound] + "://"
            let suffix = "." + pattern[star.upperBound...]
            guard origin.hasPrefix(scheme), origin.hasSuffix(suffix) else { return false }
            let host = origin.dropFirst(scheme.count).dropLast(suffix.count)
            return !host.isEmpty && !host.hasPrefix(".")
                && host.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
        }
    }
}

/// Applies a ``CORSPolicy``: answers preflights (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) without authentication, and puts `Access-Control-Allow-Origin`
/// and `Vary: Origin` on every other response, errors and 401s included. CORS headers the proxy
/// sent are replaced, so the gateway's allowlist is the only one in force.
/// (Named apart from Hummingbird's `CORSMiddleware`, which this replaces with an allowlist of patterns.)
struct CORSPolicyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let policy: CORSPolicy

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let origin = request.headers[.origin]
        let allowedOrigin = origin.flatMap { policy.allows(origin: $0) ? $0 : nil }
        if request.method == .options, origin != nil, request.headers[.accessControlRequestMethod] != nil {
            guard let allowedOrigin else {
                var response = GatewayError(
                    .forbidden, code: .originNotAllowed, message: "this origin may not call the API"
                ).response()
                response.headers[.vary] = "Origin"
                return response
            }
            return Response(
                status: .noContent,
                headers: [
                    .accessControlAllowOrigin: allowedOrigin,
                    .accessControlAllowMethods: policy.allowedMethods.joined(separator: ", "),
                    .accessControlAllowHeaders: policy.allowedHeaders.joined(separator: ", "),
                    .accessControlMaxAge: String(policy.maxAgeSeconds),
                    .vary: "Origin",
                ])
        }
        var response = try await next(request, context)
        for name in [
            HTTPField.Name.accessControlAllowOrigin, .accessControlAllowCredentials, .accessControlExposeHeaders,
            .accessControlAllowMethods, .accessControlAllowHeaders, .accessControlMaxAge,
        ] {
            response.headers[values: name] = []
        }
        if let allowedOrigin {
            response.headers[.accessControlAllowOrigin] = allowedOrigin
            response.headers[.accessControlExposeHeaders] = policy.exposedHeaders.joined(separator: ", ")
        }
        if !response.headers[values: .vary].contains(where: { $0.lowercased().contains("origin") }) {
            response.headers[values: .vary].append("Origin")
        }
        return response
    }
}
