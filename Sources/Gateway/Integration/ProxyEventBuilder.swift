import Foundation
import HTTPTypes
import Hummingbird
import LambdaKit
import Observability

/// Builds the API Gateway REST proxy event (payload 1.0) for a request, as API Gateway would send
/// it to a Lambda proxy integration on resource ``resource``.
struct ProxyEventBuilder: Sendable {
    /// The resource template the gateway serves.
    static let resource = "/v1/segment"

    var stage: String
    var port: Int

    /// The event has no `body`: `LambdaInvoker.invoke` writes the body's bytes into the event JSON
    /// (`APIGatewayRequest.encodedJSON(body:)`: text when valid UTF-8, otherwise base64 with
    /// `isBase64Encoded`).
    ///
    /// - Parameters:
    ///   - request: the incoming request (head only is read).
    ///   - claims: the verified token; becomes `requestContext.authorizer`.
    ///   - requestID: written to `requestContext.requestId` and the `X-Request-Id` header.
    ///   The trace headers (`traceparent`, `tracestate`, `X-Amzn-Trace-Id`) are those of the current
    ///   span (`InstrumentationContext.current`), replacing the client's; none outside a span.
    ///   - sourceIP: the client address (`identity.sourceIp`, `X-Forwarded-For`).
    ///   - now: the request time.
    func event(
        for request: Request, claims: VerifiedClaims?, requestID: String, sourceIP: String?,
        now: Date = Date()
    ) -> APIGatewayRequest {
        // Group header values by name (case-insensitively), keeping the spelling first seen.
        var order: [String] = []
        var spelled: [String: String] = [:]
        var values: [String: [String]] = [:]
        func add(_ name: String, _ value: String) {
            let key = name.lowercased()
            if spelled[key] == nil {
                spelled[key] = name
                order.append(key)
            }
            values[key, default: []].append(value)
        }
        for field in request.headers {
            let key = field.name.canonicalName
            if key == "x-request-id" || key == "x-forwarded-for" || key == "x-forwarded-proto" || key == "x-forwarded-port" {
                continue
            }
            // The client's trace headers are replaced by the gateway span's (same trace id).
            if FewClickTracer.headerNames.contains(key) { continue }
            add(field.name.rawName, field.value)
        }
        add("X-Request-Id", requestID)
        for field in TracePropagation.outgoingHeaders(includeRequestID: false) { add(field.name, field.value) }
        let forwarded = request.headers[values: .init("X-Forwarded-For")!] + (sourceIP.map { [$0] } ?? [])
        if !forwarded.isEmpty { add("X-Forwarded-For", forwarded.joined(separator: ", ")) }
        add("X-Forwarded-Proto", "http")
        add("X-Forwarded-Port", String(port))

        var headers: [String: String] = [:]
        var multiValueHeaders: [String: [String]] = [:]
        for key in order {
            let name = spelled[key]!
            headers[name] = values[key]!.last
            multiValueHeaders[name] = values[key]!
        }

        var query: [String: String] = [:]
        var multiQuery: [String: [String]] = [:]
        for (name, value) in request.uri.queryParameters {
            query[String(name)] = String(value)
            multiQuery[String(name), default: []].append(String(value))
        }

        let path = request.uri.path
        let context = APIGatewayRequest.RequestContext(
            accountId: "000000000000", apiId: "fewclick-local", resourceId: "segment", resourcePath: Self.resource,
            stage: stage, requestId: requestID, domainName: request.head.authority, httpMethod: request.method.rawValue,
            path: "/\(stage)\(path)", protocol: "HTTP/1.1", requestTime: Self.clfTime(now),
            requestTimeEpoch: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)),
            identity: .init(sourceIp: sourceIP, userAgent: request.headers[.userAgent]),
            authorizer: claims?.authorizer)
        return APIGatewayRequest(
            resource: Self.resource, path: path, httpMethod: request.method.rawValue, headers: headers,
            multiValueHeaders: multiValueHeaders, queryStringParameters: query,
            multiValueQueryStringParameters: multiQuery, requestContext: context)
    }

    /// `dd/MMM/yyyy:HH:mm:ss +0000`, the format of `requestContext.requestTime`.
    static func clfTime(_ date: Date) -> String { clfStyle.format(date) }

    /// Built once: a `DateFormatter` per request cost ~80 µs, this style ~2 µs per call.
    private static let clfStyle = Date.VerbatimFormatStyle(
        format: """
            \(day: .twoDigits)/\(month: .abbreviated)/\(year: .padded(4)):\
            \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) +0000
            """,
        locale: Locale(identifier: "en_US_POSIX"), timeZone: TimeZone(identifier: "UTC")!,
        calendar: Calendar(identifier: .gregorian))
}
