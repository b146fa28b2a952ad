import Foundation
import LambdaKit
import Testing

/// Reads a fixture from `Tests/LambdaKitTests/Fixtures/` by path.
func fixture(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return [UInt8](try Data(contentsOf: url))
}

@Suite("API Gateway events decode AWS's published samples")
struct EventDecodingTests {
    @Test("REST proxy event (aws-lambda-go apigw-request.json)")
    func restEvent() throws {
        let event = try JSONDecoder().decode(APIGatewayRequest.self, from: Data(try fixture("apigw-request.json")))
        #expect(event.resource == "/{proxy+}")
        #expect(event.path == "/hello/world")
        #expect(event.httpMethod == "POST")
        #expect(event.headers["Content-Type"] == "application/json")
        #expect(event.multiValueHeaders["X-Forwarded-For"] == ["54.240.196.186, 54.182.214.83"])
        #expect(event.queryStringParameters == ["name": "me"])
        #expect(event.multiValueQueryStringParameters == ["name": ["me"]])
        #expect(event.pathParameters == ["proxy": "hello/world"])
        #expect(event.stageVariables == ["stageVariableName": "stageVariableValue"])
        #expect(event.requestContext.requestId == "deef4878-7910-11e6-8f14-25afc3e9ae33")
        #expect(event.requestContext.requestTimeEpoch == 1_589_522_469_693)
        #expect(event.requestContext.identity?.sourceIp == "192.168.196.186")
        let authorizer = try #require(event.requestContext.authorizer)
        #expect(authorizer.principalId == "admin")
        #expect(authorizer.string("clientId") == "1")  // a number in AWS's sample
        #expect(authorizer.string("clientName") == "Exata")
        #expect(event.body == "{\r\n\t\"a\": 1\r\n}")
        #expect(event.isBase64Encoded == false)  // the key is absent in this sample

        let request = try HTTPRequestEvent.decode(try fixture("apigw-request.json"))
        #expect(request.payloadVersion == .v1)
        #expect(request.method == "POST")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["CACHE-CONTROL"] == "no-cache")
        #expect(request.body == Array("{\r\n\t\"a\": 1\r\n}".utf8))
        #expect(request.principalId == "admin")
        #expect(request.authorizerClaims == ["clientId": "1", "clientName": "Exata"])
        #expect(request.queryParameters == ["name": ["me"]])
        #expect(request.sourceIp == "192.168.196.186")
    }

    @Test("HTTP API payload 1.0 from the AWS docs: null maps, null authorizer members")
    func httpAPIPayload1() throws {
        let event = try JSONDecoder().decode(
            APIGatewayRequest.self, from: Data(try fixture("aws-docs-http-api-payload-1.0.json")))
        #expect(event.version == "1.0")
        #expect(event.pathParameters.isEmpty)
        #expect(event.stageVariables.isEmpty)
        #expect(event.requestContext.authorizer?.principalId == nil)
        #expect(event.requestContext.authorizer?.context["claims"] == .null)
        let request = try HTTPRequestEvent.decode(try fixture("aws-docs-http-api-payload-1.0.json"))
        #expect(request.payloadVersion == .v1)
        #expect(request.headers.values("header2") == ["value1", "value2"])  // multiValueHeaders win
        #expect(request.queryParameters["parameter1"] == ["value1", "value2"])
        #expect(request.body == Array("Hello from Lambda!".utf8))
    }

    @Test(
        "HTTP API payload 2.0 samples",
        arguments: [
            "aws-docs-http-api-payload-2.0.json", "apigw-v2-request-jwt-authorizer.json",
            "apigw-v2-request-iam.json", "apigw-v2-request-lambda-authorizer.json",
            "apigw-v2-request-no-authorizer.json",
        ])
    func httpAPIPayload2(name: String) throws {
        let bytes = try fixture(name)
        let event = try JSONDecoder().decode(APIGatewayV2Request.self, from: Data(bytes))
        #expect(event.version == "2.0")
        #expect(event.routeKey == "$default")
        let request = try HTTPRequestEvent.decode(bytes)
        #expect(request.payloadVersion == .v2)
        #expect(request.method == event.requestContext.http.method)
        #expect(request.path == event.rawPath)
    }

    @Test("payload 2.0 details: cookies, comma-joined values, authorizer claims")
    func httpAPIPayload2Details() throws {
        let event = try JSONDecoder().decode(
            APIGatewayV2Request.self, from: Data(try fixture("aws-docs-http-api-payload-2.0.json")))
        #expect(event.cookies == ["cookie1", "cookie2"])
        #expect(event.rawQueryString == "parameter1=value1&parameter1=value2&parameter2=value")
        #expect(event.requestContext.http == .init(method: "POST", path: "/my/path", sourceIp: "IP", userAgent: "agent"))
        #expect(event.requestContext.authorizer?.jwt?.scopes == ["scope1", "scope2"])
        #expect(event.requestContext.authorizer?.lambda?["exampleKey1"] == .string("exampleValue1"))
        #expect(event.requestContext.timeEpoch == 1_583_348_638_390)
        let request = try HTTPRequestEvent(event)
        #expect(request.headers["cookie"] == "cookie1; cookie2")
        #expect(request.headers["header2"] == "value1,value2")
        #expect(request.queryParameters["parameter1"] == ["value1", "value2"])
        #expect(request.authorizerClaims["claim1"] == "value1")
        #expect(request.authorizerClaims["exampleKey2"] == "exampleValue2")
        #expect(request.body == Array("Hello from Lambda".utf8))

        let noBody = try HTTPRequestEvent.decode(try fixture("apigw-v2-request-no-authorizer.json"))
        #expect(noBody.body.isEmpty)
        #expect(noBody.principalId == nil)
        #expect(noBody.headers["User-Agent"] == "curl/7.58.0")
    }

    @Test("REST proxy response sample (apigw-response.json)")
    func restResponse() throws {
        let response = try JSONDecoder().decode(
            APIGatewayResponse.self, from: Data(try fixture("apigw-response.json")))
        #expect(response.statusCode == 200)
        #expect(response.body == "Hello World")
        #expect(try response.bodyBytes() == Array("Hello World".utf8))
        #expect(response.headers?["X-Forwarded-Port"] == "443")
        #expect(response.multiValueHeaders?["Accept-Language"] == ["en-US,en;q=0.8"])
        // multiValueHeaders win over headers of the same name: each name appears once here.
        let names = response.headerFields.map(\.name)
        #expect(names.count == Set(names).count)
        #expect(names.count == response.multiValueHeaders?.count)
    }

    @Test("events that are not API Gateway proxy events are rejected with a reason")
    func rejectsOtherDocuments() throws {
        for document in ["not json", "[1,2]", #"{"version":"2.0","rawPath":"/"}"#, #"{"path":"/"}"#] {
            #expect { try HTTPRequestEvent.decode(Array(document.utf8)) } throws: { error in
                (error as? LambdaEventError).map { $0.code == .invalidEvent && "\($0)".hasPrefix("invalidEvent: ") } == true
            }
        }
        // The messages of the one-parse decoder are those of the former version probe + full decode.
        let messages = [
            "not json": "the event is not a JSON object",
            "[1,2]": "the event is not a JSON object",
            #"{"version":2,"path":"/","httpMethod":"GET"}"#: "the event is not a JSON object",
            #"{"path":"/"}"#: "not an API Gateway proxy event (payload 1.0): missing key httpMethod",
            #"{"version":"1.0","path":"/","httpMethod":7}"#: "not an API Gateway proxy event (payload 1.0): wrong type at httpMethod",
            #"{"version":"2.0","rawPath":"/"}"#: "not an API Gateway proxy event (payload 2.0): missing key requestContext",
        ]
        for (document, message) in messages {
            do {
                _ = try HTTPRequestEvent.decode(Array(document.utf8))
                Issue.record("\(document) was accepted")
            } catch {
                #expect(error.code == .invalidEvent)
                #expect(error.message == message, "\(document)")
            }
        }
        let bad = #"{"httpMethod":"POST","path":"/","body":"%%%","isBase64Encoded":true}"#
        do {
            _ = try HTTPRequestEvent.decode(Array(bad.utf8))
            Issue.record("invalid base64 was accepted")
        } catch {
            #expect(error.code == .invalidBase64Body && error.code != .invalidEvent)
            #expect(error.description == "invalidBase64Body: body is marked isBase64Encoded but is not valid base64")
        }
    }
}

@Suite("API Gateway events and responses round-trip")
struct EventEncodingTests {
    @Test("a gateway-built 1.0 event survives encoding: authorizer context, null maps, base64 body")
    func restRoundTrip() throws {
        let event = APIGatewayRequest(
            resource: "/v1/segment", path: "/v1/segment", httpMethod: "POST",
            headers: ["Content-Type": "application/json", "X-Request-Id": "r1"],
            multiValueHeaders: ["Content-Type": ["application/json"], "X-Request-Id": ["r1"]],
            requestContext: .init(
                stage: "local", requestId: "r1", identity: .init(sourceIp: "127.0.0.1"),
                authorizer: .init(principalId: "alice", claims: ["scope": "segment", "exp": "1900000000"])),
            body: Data([0, 1, 2, 255]).base64EncodedString(), isBase64Encoded: true)
        let json = try JSONEncoder().encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["pathParameters"] is NSNull)
        #expect(object["queryStringParameters"] is NSNull)
        let authorizer = try #require((object["requestContext"] as? [String: Any])?["authorizer"] as? [String: Any])
        #expect(authorizer["principalId"] as? String == "alice")
        #expect(authorizer["scope"] as? String == "segment")
        let decoded = try JSONDecoder().decode(APIGatewayRequest.self, from: json)
        #expect(decoded == event)
        let request = try HTTPRequestEvent.decode([UInt8](json))
        #expect(request.body == [0, 1, 2, 255])
        #expect(request.principalId == "alice")
        #expect(request.authorizerClaims == ["scope": "segment", "exp": "1900000000"])
        #expect(request.requestId == "r1")
    }

    @Test(
        "encodedJSON(body:) decodes equal to the event encoded with its body as a String",
        arguments: [
            Array(#"{"image":{"data":"iVBORw0KGgo+/="},"clicks":[]}"#.utf8),
            Array("quote \" backslash \\ slash / tab \t newline \n cr \r nul \u{0} bell \u{7} del \u{7F}".utf8),
            Array("é ü € 😀 \u{2028} \u{2029} \u{1F}".utf8),
            [0x00, 0x01, 0xFF, 0xFE, 0x22],  // not UTF-8: base64
            [0xC3],  // a truncated UTF-8 sequence: base64
            [],
        ] as [[UInt8]])
    func encodedJSONBody(body: [UInt8]) throws {
        let event = APIGatewayRequest(
            resource: "/v1/segment", path: "/v1/segment", httpMethod: "POST",
            headers: ["Content-Type": "application/json"], multiValueHeaders: ["Content-Type": ["application/json"]],
            requestContext: .init(stage: "local", requestId: "r1", authorizer: .init(principalId: "alice")))
        // What the gateway sent before: the body as a String (base64 unless UTF-8), JSONEncoder.
        var expected = event
        if !body.isEmpty {
            if let text = String(validating: body, as: UTF8.self) {
                expected.body = text
            } else {
                expected.body = Data(body).base64EncodedString()
                expected.isBase64Encoded = true
            }
        }
        let json = try event.encodedJSON(body: body)
        #expect(try JSONDecoder().decode(APIGatewayRequest.self, from: Data(json)) == expected)
        // The same JSON document as the former encoding, member for member (re-serialised with sorted keys).
        func canonical(_ json: Data) throws -> String {
            let object = try JSONSerialization.jsonObject(with: json)
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(try canonical(Data(json)) == canonical(JSONEncoder().encode(expected)))
        #expect(try HTTPRequestEvent.decode(json).body == body)
    }

    @Test("responses: text bodies as text, binary as base64, repeated headers kept")
    func responses() throws {
        var headers: HeaderFields = ["Content-Type": "application/json"]
        headers.append("Set-Cookie", "a=1")
        headers.append("Set-Cookie", "b=2")
        let text = HTTPResponseEvent(status: 422, headers: headers, body: Array(#"{"x":"é"}"#.utf8))
        let v1 = text.apiGatewayResponse
        #expect(v1.statusCode == 422)
        #expect(v1.isBase64Encoded == false)
        #expect(v1.body == #"{"x":"é"}"#)
        #expect(v1.headers?["Content-Type"] == "application/json")
        #expect(v1.multiValueHeaders?["Set-Cookie"] == ["a=1", "b=2"])
        let v2 = text.apiGatewayV2Response
        #expect(v2.cookies == ["a=1", "b=2"])
        #expect(v2.headers == ["content-type": "application/json"])

        let binary = HTTPResponseEvent(status: 200, body: [0x89, 0x50, 0xFF, 0x00])
        let encoded = try JSONDecoder().decode(APIGatewayResponse.self, from: Data(binary.encoded(for: .v1)))
        #expect(encoded.isBase64Encoded == true)
        #expect(try encoded.bodyBytes() == [0x89, 0x50, 0xFF, 0x00])
    }

    @Test("header lookup ignores case and keeps every value")
    func headerFields() {
        var fields: HeaderFields = ["Accept": "a", "accept": "b", "X-One": "1"]
        #expect(fields["ACCEPT"] == "a")
        #expect(fields.values("accept") == ["a", "b"])
        fields["x-one"] = "2"
        #expect(fields.values("X-One") == ["2"])
        fields["accept"] = nil
        #expect(!fields.contains("Accept"))
        #expect(fields.count == 1)
    }
}
