import Foundation

/// The HTTP request inside an API Gateway event, whichever payload version carried it.
///
/// A handler written against this type answers REST API (1.0) and HTTP API (2.0) events alike;
/// `HTTPEventLambdaHandler` decodes the event, calls the handler, and encodes the
/// `HTTPResponseEvent` in the format of the event that came in.
public struct HTTPRequestEvent: Sendable {
    /// The API Gateway payload format an event used.
    public enum PayloadVersion: String, Sendable, Equatable {
        /// REST API proxy events and HTTP API payload 1.0.
        case v1 = "1.0"
        /// HTTP API payload 2.0.
        case v2 = "2.0"
    }

    /// The payload format the event arrived in (responses are encoded in the same format).
    public var payloadVersion: PayloadVersion
    /// The request method, upper case, e.g. `"POST"`.
    public var method: String
    /// The request path, e.g. `"/v1/segment"`.
    public var path: String
    /// Request headers (case-insensitive lookup). For 2.0 events, `cookies` are folded back into
    /// one `cookie` header.
    public var headers: HeaderFields
    /// Query parameters with every value of each name.
    public var queryParameters: [String: [String]]
    /// The body bytes (base64 already decoded).
    public var body: [UInt8]
    /// `requestContext.requestId`, if present.
    public var requestId: String?
    /// The client's address, if present.
    public var sourceIp: String?
    /// The authenticated principal: 1.0 `authorizer.principalId`; 2.0 the Lambda authorizer's
    /// `principalId`, else the JWT's `sub` claim.
    public var principalId: String?
    /// The authorizer's claims/context as strings (non-scalar values left out), `principalId`
    /// not included.
    public var authorizerClaims: [String: String]

    /// Creates a request directly (tests, in-process callers).
    public init(
        payloadVersion: PayloadVersion = .v1, method: String, path: String, headers: HeaderFields = [:],
        queryParameters: [String: [String]] = [:], body: [UInt8] = [], requestId: String? = nil,
        sourceIp: String? = nil, principalId: String? = nil, authorizerClaims: [String: String] = [:]
    ) {
        self.payloadVersion = payloadVersion
        self.method = method
        self.path = path
        self.headers = headers
        self.queryParameters = queryParameters
        self.body = body
        self.requestId = requestId
        self.sourceIp = sourceIp
        self.principalId = principalId
        self.authorizerClaims = authorizerClaims
    }

    /// The request inside a payload 1.0 event. `multiValueHeaders` win over `headers` for the
    /// same name (API Gateway's merge rule). Throws `LambdaEventError.invalidBase64Body`.
    public init(_ event: APIGatewayRequest) throws(LambdaEventError) {
        let headers = HeaderFields(payload1Headers: event.headers, multiValueHeaders: event.multiValueHeaders)
        var query = event.multiValueQueryStringParameters
        for (name, value) in event.queryStringParameters where query[name] == nil { query[name] = [value] }
        let authorizer = event.requestContext.authorizer
        var claims = authorizer?.strings ?? [:]
        claims.removeValue(forKey: "principalId")
        self.init(
            payloadVersion: .v1, method: event.httpMethod.uppercased(), path: event.path, headers: headers,
            queryParameters: query,
            body: try LambdaEventError.decodeBody(event.body, isBase64Encoded: event.isBase64Encoded),
            requestId: event.requestContext.requestId, sourceIp: event.requestContext.identity?.sourceIp,
            principalId: authorizer?.principalId, authorizerClaims: claims)
    }

    /// The request inside a payload 2.0 event. Throws `LambdaEventError.invalidBase64Body`.
    public init(_ event: APIGatewayV2Request) throws(LambdaEventError) {
        var headers = HeaderFields()
        for (name, value) in event.headers.sorted(by: { $0.key < $1.key }) { headers.append(name, value) }
        if !event.cookies.isEmpty, !headers.contains("cookie") {
            headers.append("cookie", event.cookies.joined(separator: "; "))
        }
        var query: [String: [String]] = [:]
        for (name, value) in event.queryStringParameters {
            query[name] = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        var claims: [String: String] = [:]
        var principal: String?
        if let authorizer = event.requestContext.authorizer {
            for (key, value) in authorizer.jwt?.claims ?? [:] { if let s = value.stringValue { claims[key] = s } }
            for (key, value) in authorizer.lambda ?? [:] { if let s = value.stringValue { claims[key] = s } }
            principal = claims.removeValue(forKey: "principalId") ?? claims["sub"]
        }
        self.init(
            payloadVersion: .v2, method: event.requestContext.http.method.uppercased(), path: event.rawPath,
            headers: headers, queryParameters: query,
            body: try LambdaEventError.decodeBody(event.body, isBase64Encoded: event.isBase64Encoded),
            requestId: event.requestContext.requestId, sourceIp: event.requestContext.http.sourceIp,
            principalId: principal, authorizerClaims: claims)
    }

    /// Decodes a raw event document of either payload version: `"version": "2.0"` selects 2.0,
    /// anything else with `httpMethod` and `path` is 1.0.
    ///
    /// Throws `LambdaEventError.invalidEvent` when the bytes are not JSON or not an API Gateway
    /// proxy event (the message names the first problem), `.invalidBase64Body` for a bad body.
    public static func decode(_ bytes: [UInt8]) throws(LambdaEventError) -> HTTPRequestEvent {
        // One parse of the bytes, read in place: `Payload` reads `version`, then the event of that
        // version from the same decoder (a separate `version` probe parsed an event of up to 6 MB twice).
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, borrowing: bytes)
        } catch let error as Payload.Failure {
            guard let version = error.version else { throw LambdaEventError(.invalidEvent, "the event is not a JSON object") }
            throw LambdaEventError(
                .invalidEvent, "not an API Gateway proxy event (payload \(version)): \(Self.describe(error.underlying))")
        } catch {
            // JSONDecoder checks the syntax before `Payload` reads anything.
            throw LambdaEventError(.invalidEvent, "the event is not a JSON object")
        }
        switch payload {
        case .v1(let event): return try HTTPRequestEvent(event)
        case .v2(let event): return try HTTPRequestEvent(event)
        }
    }

    /// An event of either payload version, told apart by `version` while decoding.
    private enum Payload: Decodable {
        case v1(APIGatewayRequest)
        case v2(APIGatewayV2Request)

        /// Why decoding failed: `version` is nil when the document is not an object (or its
        /// `version` not a string), else the payload version it was read as.
        struct Failure: Error {
            var version: String?
            var underlying: any Error
        }

        private enum Keys: String, CodingKey { case version }

        init(from decoder: any Decoder) throws {
            let version: String?
            do {
                version = try decoder.container(keyedBy: Keys.self).decodeIfPresent(String.self, forKey: .version)
            } catch {
                throw Failure(version: nil, underlying: error)
            }
            do {
                if version == "2.0" {
                    self = .v2(try APIGatewayV2Request(from: decoder))
                } else {
                    self = .v1(try APIGatewayRequest(from: decoder))
                }
            } catch {
                throw Failure(version: version ?? "1.0", underlying: error)
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "missing key \(at.isEmpty ? "" : at + ".")\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return "invalid JSON at \(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The HTTP response a handler produces; encoded as the proxy response of the event's payload
/// version.
public struct HTTPResponseEvent: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers.
    public var headers: HeaderFields
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: HeaderFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as text when it is valid UTF-8 (sent as is), otherwise base64.
    private var encodedBody: (body: String?, isBase64Encoded: Bool) {
        if body.isEmpty { return ("", false) }
        if let text = String(validating: body, as: UTF8.self) { return (text, false) }
        return (Data(body).base64EncodedString(), true)
    }

    /// The payload 1.0 proxy response: single-valued names in `headers`, names with several
    /// values in `multiValueHeaders`.
    public var apiGatewayResponse: APIGatewayResponse {
        var single: [String: String] = [:]
        var multi: [String: [String]] = [:]
        for field in headers {
            let name = headers.fields.first { HeaderFields.same($0.name, field.name) }!.name
            multi[name, default: []].append(field.value)
        }
        for (name, values) in multi where values.count == 1 {
            single[name] = values[0]
            multi[name] = nil
        }
        let (body, base64) = encodedBody
        return APIGatewayResponse(
            statusCode: status, headers: single, multiValueHeaders: multi.isEmpty ? nil : multi, body: body,
            isBase64Encoded: base64)
    }

    /// The payload 2.0 proxy response: duplicate header values comma-joined, `Set-Cookie`
    /// values moved to `cookies`.
    public var apiGatewayV2Response: APIGatewayV2Response {
        var single: [String: String] = [:]
        var cookies: [String] = []
        for field in headers {
            if HeaderFields.same(field.name, "set-cookie") {
                cookies.append(field.value)
                continue
            }
            let name = field.name.lowercased()
            if let existing = single[name] { single[name] = existing + "," + field.value } else { single[name] = field.value }
        }
        let (body, base64) = encodedBody
        return APIGatewayV2Response(
            statusCode: status, headers: single, cookies: cookies.isEmpty ? nil : cookies, body: body,
            isBase64Encoded: base64)
    }

    /// The proxy response JSON for an event of `version`.
    public func encoded(for version: HTTPRequestEvent.PayloadVersion) -> [UInt8] {
        // The answer's body is copied on its way out, and left so: into a `String` (the result's `body`
        // is a JSON string by the Lambda contract), escaped into the result JSON (`Data`), then into
        // `[UInt8]`. Answers are small next to requests (an RLE and polygons, a few KB; a two-level PNG
        // mask is the largest), and in the hops benchmark (README "Development") the overhead came with
        // the request's image. The gateway's request side escapes from bytes instead
        // (`APIGatewayRequest.encodedJSON(body:)`).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail: they hold only strings, integers and booleans.
        let data: Data
        switch version {
        case .v1: data = (try? encoder.encode(apiGatewayResponse)) ?? Data()
        case .v2: data = (try? encoder.encode(apiGatewayV2Response)) ?? Data()
        }
        return [UInt8](data)
    }
}
