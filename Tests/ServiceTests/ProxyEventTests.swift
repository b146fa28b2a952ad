import CurlHTTP
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import LambdaKit
import Logging
import Proxy
import Testing

/// One sample event of `events/` with its expectation.
struct SampleEvent: Sendable, CustomStringConvertible {
    struct Expected: Decodable, Sendable {
        struct Body: Decodable, Sendable {
            var imageId: String?
            var width: Int?
            var height: Int?
            var maskKeys: [String]?
        }
        struct Error: Decodable, Sendable { var code: String }
        var statusCode: Int
        var requires: [String]?
        var body: Body?
        var error: Error?
    }

    var version: String
    var name: String
    var expected: Expected

    var description: String { "\(version)/\(name)" }
    var url: URL { Self.folder.appendingPathComponent("\(version)/\(name).json") }
    var prerequisites: [URL] {
        (expected.requires ?? []).map { Self.folder.appendingPathComponent("\(version)/\($0)") }
    }

    static let folder = ProxyFixture.repositoryRoot.appendingPathComponent("events")

    /// Every `*.json` event with a sibling `*.expected.json`, both payload versions.
    static func all() -> [SampleEvent] {
        var events: [SampleEvent] = []
        for version in ["v1", "v2"] {
            let dir = folder.appendingPathComponent(version)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for file in names.sorted() where file.hasSuffix(".expected.json") {
                let name = String(file.dropLast(".expected.json".count))
                guard let data = try? Data(contentsOf: dir.appendingPathComponent(file)),
                    let expected = try? JSONDecoder().decode(Expected.self, from: data)
                else { continue }
                events.append(SampleEvent(version: version, name: name, expected: expected))
            }
        }
        return events
    }

    /// Checks one proxy response (either payload version) against the expectation.
    func check(_ result: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        struct Response: Decodable {
            var statusCode: Int
            var headers: [String: String]?
            var body: String?
        }
        let response = try JSONDecoder().decode(Response.self, from: Data(result))
        #expect(response.statusCode == expected.statusCode, "\(self)", sourceLocation: sourceLocation)
        let headers = Dictionary(uniqueKeysWithValues: (response.headers ?? [:]).map { ($0.key.lowercased(), $0.value) })
        #expect(headers["access-control-allow-origin"] == "*", "\(self): CORS header", sourceLocation: sourceLocation)
        let body = try JSONSerialization.jsonObject(with: Data((response.body ?? "").utf8)) as? [String: Any] ?? [:]
        if let error = expected.error {
            let code = (body["error"] as? [String: Any])?["code"] as? String
            #expect(code == error.code, "\(self)", sourceLocation: sourceLocation)
        }
        if let want = expected.body {
            if let id = want.imageId { #expect(body["imageId"] as? String == id, "\(self)", sourceLocation: sourceLocation) }
            if let w = want.width { #expect(body["width"] as? Int == w, "\(self)", sourceLocation: sourceLocation) }
            if let h = want.height { #expect(body["height"] as? Int == h, "\(self)", sourceLocation: sourceLocation) }
            if let keys = want.maskKeys {
                let mask = body["mask"] as? [String: Any] ?? [:]
                #expect(mask.keys.sorted() == keys, "\(self)", sourceLocation: sourceLocation)
                if let rle = mask["rle"] as? [String: Any], let counts = rle["counts"] as? String,
                    let size = rle["size"] as? [Int]
                {
                    let decoded = try Mask(cocoRLE: COCORLE(size: size, counts: counts))
                    #expect(decoded.area == mask["area"] as? Int, "\(self)", sourceLocation: sourceLocation)
                }
            }
        }
    }
}

@Suite("events/ samples")
struct ProxyEventTests {
    static let events = SampleEvent.all()

    @Test("the samples are all there, both payload versions")
    func inventory() {
        #expect(Self.events.count >= 30)
        #expect(Set(Self.events.map(\.version)) == ["v1", "v2"])
        #expect(Self.events.contains { $0.expected.statusCode == 200 && $0.expected.requires != nil })
    }

    @Test("through `proxy serve` (Invoke API over loopback, CurlHTTP)")
    func throughServe() async throws {
        try await ProxyFixture.withEndpoint { url in
            let function = ProxyFixture.function(endpoint: url)
            defer { function.shutdown() }
            let app = buildInvokeApplication(
                handler: function.lambdaHandler,
                configuration: .init(host: "127.0.0.1", port: 0, functionName: "proxy", serviceName: "proxy"),
                logger: Logger(label: "serve-test"))
            try await app.test(.live) { client in
                let invoke = "http://127.0.0.1:\(try #require(client.port))/2015-03-31/functions/proxy/invocations"
                let curl = CurlClient(maxConcurrentRequests: 1)
                defer { curl.shutdown() }
                for event in Self.events {
                    for file in event.prerequisites + [event.url] {
                        let response = try await curl.execute(
                            CurlRequest(method: "POST", url: invoke, body: [UInt8](try Data(contentsOf: file))))
                        #expect(response.status == 200)
                        #expect(response.header("X-Amz-Function-Error") == nil, "\(event)")
                        if file == event.url { try event.check(response.body) }
                    }
                }
            }
        }
    }

    static let proxyExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("proxy")

    @Test(
        "through `proxy invoke` (the real executable)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: proxyExecutable.path), "proxy executable not built"))
    func throughInvoke() async throws {
        try await ProxyFixture.withEndpoint { url in
            for event in Self.events {
                let files = event.prerequisites + [event.url]
                let (status, stdout) = try await runProcess(
                    Self.proxyExecutable,
                    ["invoke", "--endpoint-url", url] + files.flatMap { ["--event", $0.path] })
                #expect(status == 0, "\(event)")
                let lines = stdout.split(separator: 0x0A)
                try #require(lines.count == files.count, "\(event): one result line per event")
                try event.check(Array(lines.last!))
            }
            // A document that is not an API Gateway event: function error, exit status 1.
            let bad = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-bad-event-\(UUID()).json")
            try Data("[1]".utf8).write(to: bad)
            defer { try? FileManager.default.removeItem(at: bad) }
            let (status, stdout) = try await runProcess(Self.proxyExecutable, ["invoke", "--event", bad.path])
            #expect(status == 1)
            let error = try JSONDecoder().decode(LambdaFunctionError.self, from: Data(stdout))
            #expect(error.errorType == "LambdaEventError")
        }
    }
}
