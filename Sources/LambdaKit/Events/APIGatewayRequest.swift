import Foundation

/// An API Gateway REST API Lambda proxy integration event (payload format 1.0).
///
/// This is what API Gateway sends a function behind a `AWS_PROXY` integration, and what an HTTP
/// API sends with `payloadFormatVersion` 1.0 (that variant also carries `"version": "1.0"`).
/// The gateway in this repository builds the same document and sends it to the proxy through the
/// Lambda Invoke API.
///
/// Decoding is lenient the way AWS's own events require: every map may be absent or JSON `null`
/// (decoded as empty), unknown keys are ignored, and `requestContext` members are all optional.
/// Encoding writes the maps that AWS writes as `null` when empty (`queryStringParameters`,
/// `multiValueQueryStringParameters`, `pathParameters`, `stageVariables`) as `null`.
public struct APIGatewayRequest: Sendable, Equatable, Codable {
    /// `"1.0"` for HTTP API payload 1.0 events; absent (`nil`) in REST API events.
    public var version: String?
    /// The API resource template that matched, e.g. `"/{proxy+}"` or `"/v1/segment"`.
    public var resource: String
    /// The request path without the stage, e.g. `"/v1/segment"`.
    public var path: String
    /// The request method, e.g. `"POST"`.
    public var httpMethod: String
    /// Request headers, the last value of each name (names as the client sent them).
    public var headers: [String: String]
    /// Request headers with every value of each name.
    public var multiValueHeaders: [String: [String]]
    /// Query parameters, the last value of each name.
    public var queryStringParameters: [String: String]
    /// Query parameters with every value of each name.
    public var multiValueQueryStringParameters: [String: [String]]
    /// Values of the resource template's path variables.
    public var pathParameters: [String: String]
    /// The stage variables of the deployment stage.
    public var stageVariables: [String: String]
    /// Request metadata: ids, stage, caller identity, authorizer context.
    public var requestContext: RequestContext
    /// The request body: text as sent, or base64 when `isBase64Encoded`; `nil` without a body.
    public var body: String?
    /// Whether `body` is base64-encoded binary.
    public var isBase64Encoded: Bool

    /// Creates an event; maps default to empty and the body to none.
    public init(
        version: String? = nil, resource: String, path: String, httpMethod: String,
        headers: [String: String] = [:], multiValueHeaders: [String: [String]] = [:],
        queryStringParameters: [String: String] = [:], multiValueQueryStringParameters: [String: [String]] = [:],
        pathParameters: [String: String] = [:], stageVariables: [String: String] = [:],
        requestContext: RequestContext = RequestContext(), body: String? = nil, isBase64Encoded: Bool = false
    ) {
        self.version = version
        self.resource = resource
        self.path = path
        self.httpMethod = httpMethod
        self.headers = headers
        self.multiValueHeaders = multiValueHeaders
        self.queryStringParameters = queryStringParameters
        self.multiValueQueryStringParameters = multiValueQueryStringParameters
        self.pathParameters = pathParameters
        self.stageVariables = stageVariables
        self.requestContext = requestContext
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    enum CodingKeys: String, CodingKey {
        case version, resource, path, httpMethod, headers, multiValueHeaders, queryStringParameters
        case multiValueQueryStringParameters, pathParameters, stageVariables, requestContext, body, isBase64Encoded
    }

    /// Decodes an event; see the type's documentation for what may be missing.
    /// Throws `DecodingError` when `path` or `httpMethod` is missing or a member has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        path = try c.decode(String.self, forKey: .path)
        resource = try c.decodeIfPresent(String.self, forKey: .resource) ?? path
        httpMethod = try c.decode(String.self, forKey: .httpMethod)
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        multiValueHeaders = try c.decodeIfPresent([String: [String]].self, forKey: .multiValueHeaders) ?? [:]
        queryStringParameters = try c.decodeIfPresent([String: String].self, forKey: .queryStringParameters) ?? [:]
        multiValueQueryStringParameters =
            try c.decodeIfPresent([String: [String]].self, forKey: .multiValueQueryStringParameters) ?? [:]
        pathParameters = try c.decodeIfPresent([String: String].self, forKey: .pathParameters) ?? [:]
        stageVariables = try c.decodeIfPresent([String: String].self, forKey: .stageVariables) ?? [:]
        requestContext = try c.decodeIfPresent(RequestContext.self, forKey: .requestContext) ?? RequestContext()
        body = try c.decodeIfPresent(String.self, forKey: .body)
        isBase64Encoded = try c.decodeIfPresent(Bool.self, forKey: .isBase64Encoded) ?? false
    }

    /// Encodes the event the way API Gateway writes it (empty optional maps as `null`).
    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, includingBody: true)
    }

    /// The event's JSON with `bytes` as its body, written from the bytes themselves: UTF-8 text as
    /// a JSON string, other bytes as base64 with `isBase64Encoded`, no bytes as `null` (`body` and
    /// `isBase64Encoded` of `self` are not used). It decodes equal to the event with that body set.
    ///
    /// The body must travel as a JSON string (the Lambda proxy contract), so escaping it into the
    /// document is the one copy it needs; encoding a `String` made of it first copied it twice more.
    public func encodedJSON(body bytes: [UInt8]) throws -> [UInt8] {
        var event = self
        event.body = nil
        event.isBase64Encoded = false
        guard !bytes.isEmpty, (try? UTF8Span(validating: bytes.span)) != nil else {
            if !bytes.isEmpty {
                event.body = Data(bytes).base64EncodedString()
                event.isBase64Encoded = true
            }
            return [UInt8](try JSONEncoder().encode(event))
        }
        var json = [UInt8](try JSONEncoder().encode(WithoutBody(event: event)))
        json.removeLast()  // the closing brace: the body goes in as the last member
        json.reserveCapacity(json.count + bytes.count + bytes.count / 8 + 16)
        json.append(contentsOf: #","body":""#.utf8)
        JSONStringEscaping.append(bytes, to: &json)
        json.append(contentsOf: #""}"#.utf8)
        return json
    }

    /// The event's members without `body`.
    private struct WithoutBody: Encodable {
        var event: APIGatewayRequest
        func encode(to encoder: any Encoder) throws { try event.encode(to: encoder, includingBody: false) }
    }

    private func encode(to encoder: any Encoder, includingBody: Bool) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(version, forKey: .version)
        try c.encode(resource, forKey: .resource)
        try c.encode(path, forKey: .path)
        try c.encode(httpMethod, forKey: .httpMethod)
        try c.encode(headers, forKey: .headers)
        try c.encode(multiValueHeaders, forKey: .multiValueHeaders)
        try c.encodeNullIfEmpty(queryStringParameters, forKey: .queryStringParameters)
        try c.encodeNullIfEmpty(multiValueQueryStringParameters, forKey: .multiValueQueryStringParameters)
        try c.encodeNullIfEmpty(pathParameters, forKey: .pathParameters)
        try c.encodeNullIfEmpty(stageVariables, forKey: .stageVariables)
        try c.encode(requestContext, forKey: .requestContext)
        if includingBody {
            if let body { try c.encode(body, forKey: .body) } else { try c.encodeNil(forKey: .body) }
        }
        try c.encode(isBase64Encoded, forKey: .isBase64Encoded)
    }

    /// The `requestContext` of a payload 1.0 event. Every member is optional: which ones API
    /// Gateway fills depends on the API's features; unknown members are ignored.
    public struct RequestContext: Sendable, Equatable, Codable {
        /// The AWS account that owns the API.
        public var accountId: String?
        /// The API's identifier.
        public var apiId: String?
        /// The resource's identifier.
        public var resourceId: String?
        /// The resource template, e.g. `"/{proxy+}"`.
        public var resourcePath: String?
        /// The deployment stage, e.g. `"prod"`.
        public var stage: String?
        /// The request id API Gateway assigned (the gateway here copies `X-Request-Id` into it).
        public var requestId: String?
        /// API Gateway's extended request id.
        public var extendedRequestId: String?
        /// The full domain name the client called.
        public var domainName: String?
        /// The first label of `domainName`.
        public var domainPrefix: String?
        /// The request method.
        public var httpMethod: String?
        /// The full request path including the stage.
        public var path: String?
        /// The request protocol, e.g. `"HTTP/1.1"`.
        public var `protocol`: String?
        /// CLF-formatted request time, e.g. `"15/May/2020:06:01:09 +0000"`.
        public var requestTime: String?
        /// Request time in milliseconds since the Unix epoch.
        public var requestTimeEpoch: Int64?
        /// The caller's identity (IAM/Cognito fields and the source address).
        public var identity: Identity?
        /// The authorizer context: `principalId` and the key-value pairs the authorizer returned.
        public var authorizer: Authorizer?

        /// Creates a context; every member is optional.
        public init(
            accountId: String? = nil, apiId: String? = nil, resourceId: String? = nil, resourcePath: String? = nil,
            stage: String? = nil, requestId: String? = nil, extendedRequestId: String? = nil,
            domainName: String? = nil, domainPrefix: String? = nil, httpMethod: String? = nil, path: String? = nil,
            protocol: String? = nil, requestTime: String? = nil, requestTimeEpoch: Int64? = nil,
            identity: Identity? = nil, authorizer: Authorizer? = nil
        ) {
            self.accountId = accountId
            self.apiId = apiId
            self.resourceId = resourceId
            self.resourcePath = resourcePath
            self.stage = stage
            self.requestId = requestId
            self.extendedRequestId = extendedRequestId
            self.domainName = domainName
            self.domainPrefix = domainPrefix
            self.httpMethod = httpMethod
            self.path = path
            self.protocol = `protocol`
            self.requestTime = requestTime
            self.requestTimeEpoch = requestTimeEpoch
            self.identity = identity
            self.authorizer = authorizer
        }
    }

    /// `requestContext.identity`: who called. AWS sends `null` for fields that do not apply.
    public struct Identity: Sendable, Equatable, Codable {
        /// The client's IP address.
        public var sourceIp: String?
        /// The client's `User-Agent`.
        public var userAgent: String?
        /// The API key used, if any.
        public var apiKey: String?
        /// The API key id, if any.
        public var apiKeyId: String?
        /// IAM: the caller's account.
        public var accountId: String?
        /// IAM: the caller principal.
        public var caller: String?
        /// IAM: the user principal.
        public var user: String?
        /// IAM: the user's ARN.
        public var userArn: String?
        /// IAM: the access key used.
        public var accessKey: String?
        /// Cognito: identity pool id.
        public var cognitoIdentityPoolId: String?
        /// Cognito: identity id.
        public var cognitoIdentityId: String?
        /// Cognito: authentication type.
        public var cognitoAuthenticationType: String?
        /// Cognito: authentication provider.
        public var cognitoAuthenticationProvider: String?
        /// AWS Organizations id of the caller.
        public var principalOrgId: String?

        /// Creates an identity with a source address and user agent; the rest stays `nil`.
        public init(sourceIp: String? = nil, userAgent: String? = nil) {
            self.sourceIp = sourceIp
            self.userAgent = userAgent
        }
    }

    /// `requestContext.authorizer` of a REST API event: the principal a Lambda (TOKEN/REQUEST)
    /// authorizer returned, and its `context` key-value pairs flattened next to it.
    ///
    /// AWS allows context values that are strings, numbers or booleans (its own sample event has
    /// `"clientId": 1`), and Cognito authorizers put a `claims` object here; every value is kept as
    /// a `JSONValue`. The gateway in this repository writes `principalId` = the token's `sub` and
    /// every other claim as a string; `string(_:)` reads them back.
    public struct Authorizer: Sendable, Equatable, Codable {
        /// The principal the authorizer identified (the token's subject here), if any.
        public var principalId: String?
        /// Every other member, as sent.
        public var context: [String: JSONValue]

        /// Creates an authorizer context from a principal and string claims.
        public init(principalId: String?, claims: [String: String] = [:]) {
            self.principalId = principalId
            self.context = claims.mapValues { .string($0) }
        }

        /// The member `key` as a string (scalars stringified, see `JSONValue.stringValue`);
        /// `"principalId"` reads `principalId`. `nil` when absent, `null`, or not a scalar.
        public func string(_ key: String) -> String? {
            if key == "principalId" { return principalId }
            return context[key]?.stringValue
        }

        /// Every scalar member as a string, `principalId` included when present.
        public var strings: [String: String] {
            var result = context.compactMapValues(\.stringValue)
            if let principalId { result["principalId"] = principalId }
            return result
        }

        /// Decodes the object; `principalId` must be a string when present and not `null`.
        public init(from decoder: any Decoder) throws {
            var members = try decoder.singleValueContainer().decode([String: JSONValue].self)
            switch members.removeValue(forKey: "principalId") {
            case .string(let value)?: principalId = value
            case .null?, nil: principalId = nil
            case let other?: principalId = other.stringValue
            }
            context = members
        }

        /// Encodes `principalId` and the context members as one flat object.
        public func encode(to encoder: any Encoder) throws {
            var members = context
            if let principalId { members["principalId"] = .string(principalId) }
            var container = encoder.singleValueContainer()
            try container.encode(members)
        }
    }
}

extension KeyedEncodingContainer {
    /// Encodes a dictionary, or `null` when it is empty (API Gateway's convention for query,
    /// path and stage maps).
    mutating func encodeNullIfEmpty<Value: Encodable>(_ value: [String: Value], forKey key: Key) throws {
        if value.isEmpty { try encodeNil(forKey: key) } else { try encode(value, forKey: key) }
    }
}

/// UTF-8 text as the inside of a JSON string (RFC 8259 §7).
enum JSONStringEscaping {
    /// Appends `text` (valid UTF-8) to `out` with `"`, `\` and the control characters escaped; runs
    /// that need no escape are appended whole.
    static func append(_ text: [UInt8], to out: inout [UInt8]) {
        var start = text.startIndex
        for index in text.indices {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: text[start..<index])
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default: out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            }
            start = index + 1
        }
        out.append(contentsOf: text[start...])
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
