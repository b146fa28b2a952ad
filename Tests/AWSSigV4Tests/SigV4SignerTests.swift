import AWSSigV4
import CurlHTTP
import Foundation
import Testing

@Suite("SigV4 signer behaviour")
struct SigV4SignerTests {
    let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "tok")
    let date = Date(timeIntervalSince1970: 1_764_181_805)  // 2025-11-26T18:30:05Z

    @Test("X-Amz-Date is UTC and drops fractional seconds")
    func amzDate() {
        #expect(AmzDate(Date(timeIntervalSince1970: 0)).timestamp == "19700101T000000Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 1_440_938_160)).timestamp == "20150830T123600Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 1_709_251_199.999)).timestamp == "20240229T235959Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 951_782_400)).timestamp == "20000229T000000Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 4_102_444_800)).timestamp == "21000101T000000Z")
        #expect(AmzDate(Date(timeIntervalSince1970: -1)).timestamp == "19691231T235959Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 1_440_938_160)).dateStamp == "20150830")
        #expect(AmzDate(timestamp: "20150830T123600Z")?.dateStamp == "20150830")
        #expect(AmzDate(timestamp: "2015-08-30T12:36:00Z") == nil)
    }

    @Test("applied(to:) replaces stale signing headers and keeps the others in order")
    func appliedReplaces() throws {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sagemaker")
        let given = [
            HTTPHeaderField("Content-Type", "application/json"),
            HTTPHeaderField("authorization", "stale"),
            HTTPHeaderField("x-amz-date", "19990101T000000Z"),
            HTTPHeaderField("X-AMZ-SECURITY-TOKEN", "old"),
        ]
        let signature = try signer.sign(
            method: "POST", url: "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/e/invocations",
            headers: given, body: Array("{}".utf8), date: date)
        let sent = signature.applied(to: given)
        #expect(sent.map(\.name) == ["Content-Type", "Authorization", "X-Amz-Date", "X-Amz-Security-Token"])
        #expect(sent[2].value == "20251126T183005Z")
        #expect(sent[3].value == "tok")
        #expect(signature.signedHeaders == "content-type;host;x-amz-date;x-amz-security-token")
        // The stale values were not signed.
        #expect(!signature.canonicalRequest.contains("stale"))
        #expect(!signature.canonicalRequest.contains("19990101"))
    }

    @Test("the signature changes with the body, the region, the service and the secret")
    func signatureCoversInputs() throws {
        let url = "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/e/invocations"
        func sign(_ signer: SigV4Signer, _ body: String) throws -> String {
            try signer.sign(method: "POST", url: url, body: Array(body.utf8), date: date).signature
        }
        let base = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sagemaker")
        let reference = try sign(base, "a")
        #expect(try sign(base, "a") == reference)
        #expect(try sign(base, "b") != reference)
        var other = base
        other.region = "us-west-2"
        #expect(try sign(other, "a") != reference)
        other = base
        other.service = "execute-api"
        #expect(try sign(other, "a") != reference)
        other = base
        other.credentials.secretAccessKey = "secreT"
        #expect(try sign(other, "a") != reference)
    }

    @Test("a caller's Host header is signed as given")
    func explicitHost() throws {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sagemaker")
        let signature = try signer.sign(
            method: "GET", url: "http://127.0.0.1:9000/x", headers: [HTTPHeaderField("Host", "proxy.internal")], date: date)
        #expect(signature.canonicalRequest.contains("\nhost:proxy.internal\n"))
        #expect(!signature.canonicalRequest.contains("127.0.0.1"))
    }

    @Test("bad URLs and empty scope parts are errors, not crashes")
    func errors() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sagemaker")
        for url in ["runtime.sagemaker.us-east-1.amazonaws.com/x", "ftp://host/x", "https:///x", "https://h:port/x", "https://[::1/x"] {
            #expect(throws: SigV4Error.self, "\(url)") { try signer.sign(method: "GET", url: url) }
        }
        #expect(throws: SigV4Error.self) {
            try SigV4Signer(credentials: credentials, region: "", service: "s").sign(method: "GET", url: "https://h/")
        }
        #expect(throws: SigV4Error.self) {
            try SigV4Signer(credentials: credentials, region: "r", service: "").sign(method: "GET", url: "https://h/")
        }
    }

    @Test("IPv6 hosts keep their brackets and non-default port")
    func ipv6() throws {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sagemaker")
        let signature = try signer.sign(method: "GET", url: "http://[::1]:8080/ping", date: date)
        #expect(signature.canonicalRequest.contains("\nhost:[::1]:8080\n"))
    }
}

@Suite("AWS credentials")
struct AWSCredentialsTests {
    @Test("read from the variables Lambda sets")
    func fromEnvironment() throws {
        let full = try AWSCredentials.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "AWS_SESSION_TOKEN": "token",
        ])
        #expect(full == AWSCredentials(accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s3cr3t", sessionToken: "token"))
        let noToken = try AWSCredentials.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "AWS_SESSION_TOKEN": "",
        ])
        #expect(noToken.sessionToken == nil)
    }

    @Test("missing keys are reported")
    func missing() {
        #expect(throws: SigV4Error.self) { try AWSCredentials.fromEnvironment([:]) }
        #expect(throws: SigV4Error.self) { try AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "A"]) }
        #expect(throws: SigV4Error.self) {
            try AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "s"])
        }
    }

    @Test("description never shows the secret or the token")
    func redacted() {
        let text = AWSCredentials(accessKeyId: "AKIAX", secretAccessKey: "very-secret", sessionToken: "tkn").description
        #expect(text.contains("AKIAX"))
        #expect(!text.contains("very-secret"))
        #expect(!text.contains("tkn"))
    }
}
