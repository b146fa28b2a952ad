import AWSSigV4
import CurlHTTP
import Foundation
import Testing

/// One case of `Fixtures/sigv4_vectors.json`, written by `Fixtures/make_sigv4_vectors.py` with
/// botocore's signer (and, for `aws-suite/*`, checked there against the AWS SigV4 test suite).
struct SigV4Vector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var url: String
    var headers: [[String]]
    var bodyBase64: String
    var timestamp: String
    var region: String
    var service: String
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String?
    var addContentSHA256: Bool
    var canonicalRequest: String
    var stringToSign: String
    var authorization: String
    var addedHeaders: [[String]]
    var source: String?

    var testDescription: String { name }

    var date: Date {
        var components = DateComponents()
        let digits = Array(timestamp)
        func number(_ range: Range<Int>) -> Int { Int(String(digits[range]))! }
        components.year = number(0..<4)
        components.month = number(4..<6)
        components.day = number(6..<8)
        components.hour = number(9..<11)
        components.minute = number(11..<13)
        components.second = number(13..<15)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)!
    }

    static let all: [SigV4Vector] = {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sigv4_vectors.json")
        struct File: Decodable { var cases: [SigV4Vector] }
        do {
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: fixture)).cases
        } catch {
            fatalError("cannot read \(fixture.path): \(error)")
        }
    }()
}

@Suite("SigV4 against botocore and the AWS test suite")
struct SigV4VectorTests {
    @Test("the fixture holds the cases the generator writes")
    func fixtureIsComplete() {
        #expect(SigV4Vector.all.count >= 40)
        #expect(SigV4Vector.all.contains { $0.name == "aws-suite/get-vanilla" })
        #expect(SigV4Vector.all.contains { $0.sessionToken != nil })
        #expect(SigV4Vector.all.filter { $0.source == "aws-sigv4-test-suite" }.count >= 15)
    }

    @Test("canonical request, string to sign and Authorization match", arguments: SigV4Vector.all)
    func matchesVector(_ vector: SigV4Vector) throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyId: vector.accessKeyId, secretAccessKey: vector.secretAccessKey,
                sessionToken: vector.sessionToken),
            region: vector.region, service: vector.service, addsContentSHA256Header: vector.addContentSHA256)
        let headers = vector.headers.map { HTTPHeaderField($0[0], $0[1]) }
        let body = try #require(Data(base64Encoded: vector.bodyBase64))
        let signature = try signer.sign(
            method: vector.method, url: vector.url, headers: headers, body: Array(body), date: vector.date)

        #expect(signature.canonicalRequest == vector.canonicalRequest)
        #expect(signature.stringToSign == vector.stringToSign)
        #expect(signature.authorization == vector.authorization)

        // The headers added are Authorization plus exactly those botocore added, with its values.
        var expectedAdded = [HTTPHeaderField("Authorization", vector.authorization)]
        expectedAdded += vector.addedHeaders.filter { $0[0] == "X-Amz-Date" }.map { HTTPHeaderField($0[0], $0[1]) }
        if vector.addContentSHA256 {
            let hash = try #require(vector.canonicalRequest.split(separator: "\n").last)
            expectedAdded.append(HTTPHeaderField("X-Amz-Content-Sha256", String(hash)))
        }
        expectedAdded += vector.addedHeaders.filter { $0[0] == "X-Amz-Security-Token" }.map {
            HTTPHeaderField($0[0], $0[1])
        }
        #expect(signature.headersToAdd == expectedAdded)
    }
}
