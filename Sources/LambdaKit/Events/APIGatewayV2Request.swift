/// An API Gateway HTTP API Lambda proxy integration event (payload format 2.0).
///
/// Header names arrive lower-cased, duplicate headers and query parameters are joined with
/// commas, cookies come separately in `cookies`, and the method and path sit in
/// `requestContext.http`. Decoding is lenient like `APIGatewayRequest`: maps may be absent or
/// `null`, unknown keys are ignored.
public struct APIGatewayV2Request: Sendable, Equatable, Codable {
    /// Always `"2.0"`.
    public var version: String
    /// The route that matched, e.g. `"POST /v1/segment"` or `"$default"`.
    public var routeKey: String
    /// The request path, e.g. `"/v1/segment"`.
    public var rawPath: String
    /// The query string without `?` (possibly empty).
    public var rawQueryString: String
    /// The request's cookies (`name=value` each).
    public var cookies: [String]
    /// Request headers, lower-case names, duplicates joined with commas.
    public var headers: [String: String]
    /// Query parameters, duplicates joined with commas.
    public var queryStringParameters: [String: String]
    /// Values of the route's path variables.
    public var pathParameters: [String: String]
    /// Stage variables.
    public var stageVariables: [String: String]
    /// Request metadata, including `http` (method, path, source address).
    public var requestContext: RequestContext
    /// The request body: text as sent, or base64 when `isBase64Encoded`; `nil` without a body.
    public var body: String?
    /// Whether `body` is base64-encoded binary.
    public var isBase64Encoded: Bool

    /// Creates an event; maps default to empty.
    public init(
        routeKey: String = "$default", rawPath: String, rawQueryString: String = "", cookies: [String] = [],
        headers: [String: String] = [:], queryStringParameters: [String: String] = [:],
        pathParameters: [String: String] = [:], stageVariables: [String: String] = [:],
        requestContext: RequestContext, body: String? = nil, isBase64Encoded: Bool = false
    ) {
        self.version = "2.0"
        self.routeKey = routeKey
        self.rawPath = rawPath
        self.rawQueryString = rawQueryString
        self.cookies = cookies
        self.headers = headers
        self.queryStringParameters = queryStringParameters
        self.pathParameters = pathParameters
        self.stageVariables = stageVariables
        self.requestContext = requestContext
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    enum CodingKeys: String, CodingKey {
        case version, routeKey, rawPath, rawQueryString, cookies, headers, queryStringParameters
        case pathParameters, stageVariables, requestContext, body, isBase64Encoded
    }

    /// Decodes an event. Throws `DecodingError` when `version` or `requestContext.http` is
    /// missing or a member has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        requestContext = try c.decode(RequestContext.self, forKey: .requestContext)
        routeKey = try c.decodeIfPresent(String.self, forKey: .routeKey) ?? requestContext.routeKey ?? "$default"
        rawPath = try c.decodeIfPresent(String.self, forKey: .rawPath) ?? requestContext.http.path
        rawQueryString = try c.decodeIfPresent(String.self, forKey: .rawQueryString) ?? ""
        cookies = try c.decodeIfPresent([String].self, forKey: .cookies) ?? []
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        queryStringParameters = try c.decodeIfPresent([String: String].self, forKey: .queryStringParameters) ?? [:]
        pathParameters = try c.decodeIfPresent([String: String].self, forKey: .pathParameters) ?? [:]
        stageVariables = try c.decodeIfPresent([String: String].self, forKey: .stageVariables) ?? [:]
        body = try c.decodeIfPresent(String.self, forKey: .body)
        isBase64Encoded = try c.decodeIfPresent(Bool.self, forKey: .isBase64Encoded) ?? false
    }

    /// Encodes the event the way API Gateway writes it (empty optional members left out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(routeKey, forKey: .routeKey)
        try c.encode(rawPath, forKey: .rawPath)
        try c.encode(rawQueryString, forKey: .rawQueryString)
        if !cookies.isEmpty { try c.encode(cookies, forKey: .cookies) }
        try c.encode(headers, forKey: .headers)
        if !queryStringParameters.isEmpty { try c.encode(queryStringParameters, forKey: .queryStringParameters) }
        if !pathParameters.isEmpty { try c.encode(pathParameters, forKey: .pathParameters) }
        if !stageVariables.isEmpty { try c.encode(stageVariables, forKey: .stageVariables) }
        try c.encode(requestContext, forKey: .requestContext)
        try c.encodeIfPresent(body, forKey: .body)
        try c.encode(isBase64Encoded, forKey: .isBase64Encoded)
    }

    /// The `requestContext` of a payload 2.0 event.
    public struct RequestContext: Sendable, Equatable, Codable {
        /// The AWS account that owns the API.
        public var accountId: String?
        /// The API's identifier.
        public var apiId: String?
        /// The full domain name the client called.
        public var domainName: String?
        /// The first label of `domainName`.
        public var domainPrefix: String?
        /// The request id API Gateway assigned.
        public var requestId: String?
        /// The route that matched.
        public var routeKey: String?
        /// The deployment stage, e.g. `"$default"`.
        public var stage: String?
        /// CLF-formatted request time.
        public var time: String?
        /// Request time in milliseconds since the Unix epoch.
        public var timeEpoch: Int64?
        /// Method, path, protocol, source address and user agent.
        public var http: HTTP
        /// The authorizer's output (`jwt`, `lambda` or `iam`), if the route has one.
        public var authorizer: Authorizer?
        /// Mutual-TLS client certificate details, kept as sent.
        public var authentication: JSONValue?

        /// Creates a context with the HTTP description; the rest optional.
        public init(
            http: HTTP, accountId: String? = nil, apiId: String? = nil, domainName: String? = nil,
            domainPrefix: String? = nil, requestId: String? = nil, routeKey: String? = nil, stage: String? = nil,
            time: String? = nil, timeEpoch: Int64? = nil, authorizer: Authorizer? = nil
        ) {
            self.http = http
            self.accountId = accountId
            self.apiId = apiId
            self.domainName = domainName
            self.domainPrefix = domainPrefix
            self.requestId = requestId
            self.routeKey = routeKey
            self.stage = stage
            self.time = time
            self.timeEpoch = timeEpoch
            self.authorizer = authorizer
        }
    }

    /// `requestContext.http`.
    public struct HTTP: Sendable, Equatable, Codable {
        /// The request method, e.g. `"POST"`.
        public var method: String
        /// The request path.
        public var path: String
        /// The protocol, e.g. `"HTTP/1.1"`.
        public var `protocol`: String?
        /// The client's IP address (sometimes with a `/32` suffix in AWS samples).
        public var sourceIp: String?
        /// The client's `User-Agent`.
        public var userAgent: String?

        /// Creates the HTTP description of a request.
        public init(method: String, path: String, protocol: String? = "HTTP/1.1", sourceIp: String? = nil, userAgent: String? = nil) {
            self.method = method
            self.path = path
            self.protocol = `protocol`
            self.sourceIp = sourceIp
            self.userAgent = userAgent
        }
    }

    /// `requestContext.authorizer` of a payload 2.0 event.
    public struct Authorizer: Sendable, Equatable, Codable {
        /// Output of a JWT authorizer.
        public var jwt: JWT?
        /// The context a Lambda authorizer returned, kept as sent.
        public var lambda: [String: JSONValue]?
        /// IAM caller details, kept as sent.
        public var iam: JSONValue?

        /// Creates an authorizer description.
        public init(jwt: JWT? = nil, lambda: [String: JSONValue]? = nil, iam: JSONValue? = nil) {
            self.jwt = jwt
            self.lambda = lambda
            self.iam = iam
        }

        /// The claims and scopes of a validated JWT.
        public struct JWT: Sendable, Equatable, Codable {
            /// The token's claims (API Gateway stringifies most of them).
            public var claims: [String: JSONValue]?
            /// The token's scopes.
            public var scopes: [String]?

            /// Creates JWT authorizer output.
            public init(claims: [String: JSONValue]? = nil, scopes: [String]? = nil) {
                self.claims = claims
                self.scopes = scopes
            }
        }
    }
}
