import CurlHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Testing

/// Answers API Gateway events: `/ok` → 200 with the body echoed, `/throw` → a thrown error.
struct EchoHTTPHandler: HTTPEventHandler {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

    func handle(_ request: HTTPRequestEvent, context: LambdaContext) async throws -> HTTPResponseEvent {
        if request.path == "/throw" { throw Boom() }
        var headers: HeaderFields = ["Content-Type": "application/octet-stream"]
        headers.append("X-Principal", request.principalId ?? "-")
        return HTTPResponseEvent(status: 201, headers: headers, body: request.body)
    }
}

@Suite("Lambda Invoke API server")
struct InvokeServerTests {
    static let path = "/2015-03-31/functions/proxy/invocations"

    func app(functionName: String? = "proxy", maxPayloadBytes: Int = LambdaInvokeServerConfiguration.lambdaPayloadLimit)
        -> some ApplicationProtocol
    {
        buildInvokeApplication(
            handler: HTTPEventLambdaHandler(EchoHTTPHandler()),
            configuration: .init(host: "127.0.0.1", port: 0, functionName: functionName, maxPayloadBytes: maxPayloadBytes),
            logger: Logger(label: "test"))
    }

    func event(path: String, body: [UInt8]) throws -> ByteBuffer {
        let event = APIGatewayRequest(
            resource: path, path: path, httpMethod: "POST",
            requestContext: .init(requestId: "r", authorizer: .init(principalId: "alice")),
            body: Data(body).base64EncodedString(), isBase64Encoded: true)
        return ByteBuffer(data: try JSONEncoder().encode(event))
    }

    @Test("an event in, the proxy response out; binary bodies survive base64 both ways")
    func invoke() async throws {
        try await app().test(.router) { client in
            let body: [UInt8] = [0, 255, 1, 254]
            try await client.execute(uri: Self.path, method: .post, body: try event(path: "/ok", body: body)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Amz-Function-Error")!] == nil)
                let result = try JSONDecoder().decode(APIGatewayResponse.self, from: Data(buffer: response.body))
                #expect(result.statusCode == 201)
                #expect(result.headers?["X-Principal"] == "alice")
                #expect(try result.bodyBytes() == body)
            }
        }
    }

    @Test("a handler error is 200 + X-Amz-Function-Error: Unhandled with errorMessage/errorType")
    func functionError() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: Self.path, method: .post, body: try event(path: "/throw", body: [])) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Amz-Function-Error")!] == "Unhandled")
                let error = try JSONDecoder().decode(LambdaFunctionError.self, from: Data(buffer: response.body))
                #expect(error == .init(errorMessage: "boom", errorType: "Boom"))
            }
            // Not an API Gateway event at all: a function error too, naming the problem.
            try await client.execute(uri: Self.path, method: .post, body: ByteBuffer(string: "[]")) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Amz-Function-Error")!] == "Unhandled")
                let error = try JSONDecoder().decode(LambdaFunctionError.self, from: Data(buffer: response.body))
                #expect(error.errorType == "LambdaEventError")
            }
        }
    }

    @Test("events over the payload limit are 413; unknown functions 404; the limit itself passes")
    func limits() async throws {
        try await app(maxPayloadBytes: 2000).test(.router) { client in
            let big = try event(path: "/ok", body: [UInt8](repeating: 7, count: 2000))
            try await client.execute(uri: Self.path, method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[HTTPField.Name("X-Amzn-ErrorType")!] == "RequestEntityTooLargeException")
            }
            let small = try event(path: "/ok", body: [1])
            try await client.execute(uri: "/2015-03-31/functions/other/invocations", method: .post, body: small) {
                #expect($0.status == .notFound)
            }
            let arn = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aproxy/invocations"
            try await client.execute(uri: arn, method: .post, body: small) { #expect($0.status == .ok) }
        }
    }

    @Test("exactly 6,291,456 bytes is accepted, one more is 413 (real socket, CurlHTTP)")
    func sixMegabytes() async throws {
        let limit = LambdaInvokeServerConfiguration.lambdaPayloadLimit
        try await app().test(.live) { client in
            let port = try #require(client.port)
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            let url = "http://127.0.0.1:\(port)\(Self.path)"
            // A JSON string of exactly `limit` bytes: not an API Gateway event, so a function error.
            let exact = [UInt8](#"""#.utf8) + [UInt8](repeating: 0x61, count: limit - 2) + [UInt8](#"""#.utf8)
            let ok = try await curl.execute(CurlRequest(method: "POST", url: url, body: exact))
            #expect(ok.status == 200)
            #expect(ok.header("X-Amz-Function-Error") == "Unhandled")
            let over = try await curl.execute(CurlRequest(method: "POST", url: url, body: exact + [0x20]))
            #expect(over.status == 413)
        }
    }
}
