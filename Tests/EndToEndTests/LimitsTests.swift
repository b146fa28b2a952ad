import CurlHTTP
import FewClickCore
import Foundation
import ImageCodec
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `Scripts/http_probe.py MODE ARGS…` and decodes its one JSON line.
func httpProbe(_ arguments: [String]) async throws -> [String: Any] {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Scripts/http_probe.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script.path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let handle = pipe.fileHandleForReading
    let data: Data = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
    while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return try #require(object, "http_probe.py \(arguments.first ?? "") printed \(String(decoding: data, as: UTF8.self))")
}

/// Runs `body` with a started stack and stops it (by PID) whatever happens.
func withStack(_ stack: Stack, _ body: (Stack) async throws -> Void) async throws {
    do {
        try await body(stack)
    } catch {
        Issue.record("proxy log:\n\(stack.proxy.outputText.suffix(2000))\ngateway log:\n\(stack.gateway.outputText.suffix(2000))")
        await stack.stop()
        throw error
    }
    await stack.stop()
}

/// Whether `python3` runs here (the probes need it).
let pythonAvailable: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import http.client, selectors"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()

/// Peak and current resident memory of a process, from `/proc/PID/status`, in bytes.
func memory(of pid: Int32) -> (peak: Int, current: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    func field(_ name: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
    }
    guard let peak = field("VmHWM"), let current = field("VmRSS") else { return nil }
    return (peak, current)
}

@Suite("Limits and timeouts of the real executables", .serialized)
struct LimitsTests {
    static let folder = ServiceProcess.executableFolder()
    static let enabled = folder != nil && pythonAvailable

    @Test(
        "a 6 MB + 1 byte body from a client that writes it all before reading gets its 413, on all three services",
        .enabled(if: enabled, "executables not built or python3 missing"))
    func earlyRefusalDoesNotHang() async throws {
        try await withStack(try await Stack.start(folder: try #require(Self.folder))) { stack in
            let token = try await stack.token()
            let size = 6_291_456 + 1
            let cases: [(String, String, [String], Int)] = [
                ("endpoint", stack.endpoint.baseURL + "/invocations", [], 413),
                ("proxy", stack.proxy.baseURL + "/2015-03-31/functions/fewclick-proxy/invocations", [], 413),
                // Under the gateway's 10 MB limit: the function's 6 MB payload limit refuses it.
                ("gateway", stack.segmentURL, ["Authorization:Bearer \(token)"], 413),
                // Over the gateway's own limit: refused from Content-Length before reading.
                ("gateway 10 MB + 1", stack.segmentURL, ["Authorization:Bearer \(token)"], 413),
                // No token: 401 before the body is read, the connection is not left hanging either.
                ("gateway no token", stack.segmentURL, [], 401),
            ]
            for (name, url, headers, status) in cases {
                let bytes = name == "gateway 10 MB + 1" ? 10 * 1024 * 1024 + 1 : size
                let result = try await httpProbe(["big", url, String(bytes)] + headers)
                #expect(result["status"] as? Int == status, "\(name): \(result)")
                #expect(result["error"] is NSNull, "\(name): \(result)")
                #expect((result["seconds"] as? Double ?? 99) < 10, "\(name): \(result)")
                #expect((result["body"] as? String ?? "").contains("\""), "\(name): a JSON body, got \(result)")
            }
        }
    }

    @Test(
        "malformed chunked framing and bad headers get a 400 JSON answer (with CORS at the gateway), never 500, 413 or an empty body",
        .enabled(if: enabled, "executables not built or python3 missing"))
    func framingErrors() async throws {
        try await withStack(try await Stack.start(folder: try #require(Self.folder))) { stack in
            let token = try await stack.token()
            let targets: [(String, ServiceProcess, String)] = [
                ("gateway", stack.gateway, "/v1/segment"),
                ("proxy", stack.proxy, "/2015-03-31/functions/fewclick-proxy/invocations"),
                ("endpoint", stack.endpoint, "/invocations"),
            ]
            let longValue = String(repeating: "a", count: 20_000)
            for (name, service, path) in targets {
                let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Origin: \(Stack.origin)\r\nAuthorization: Bearer \(token)\r\n"
                let requests: [(String, String)] = [
                    ("chunk size ZZ", head + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n"),
                    ("xchunked", head + "Transfer-Encoding: xchunked\r\n\r\n{}"),
                    ("NUL in a header", head + "X-Bad: a\u{0}b\r\nContent-Length: 2\r\n\r\n{}"),
                    ("over-long header", head + "X-Long: \(longValue)\r\nContent-Length: 2\r\n\r\n{}"),
                    ("space before colon", head + "X-Bad : b\r\nContent-Length: 2\r\n\r\n{}"),
                ]
                for (label, request) in requests {
                    let result = try await httpProbe([
                        "raw", "127.0.0.1", String(service.port), Data(request.utf8).base64EncodedString(),
                    ])
                    let headers = result["headers"] as? [String: String] ?? [:]
                    let body = result["body"] as? String ?? ""
                    #expect(result["status"] as? Int == 400, "\(name), \(label): \(result)")
                    #expect(headers["content-type"]?.contains("json") == true, "\(name), \(label): \(result)")
                    let parsed = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                    // The Invoke API answers in AWS's shape {"Type","message"}, the others {"error": …}.
                #expect(parsed?[name == "proxy" ? "message" : "error"] != nil, "\(name), \(label): \(result)")
                    if name == "gateway" {
                        #expect(headers["access-control-allow-origin"] != nil, "\(name), \(label): \(result)")
                    }
                }
            }
        }
    }

    @Test(
        "300 connections trickling their request heads are closed after the header timeout while others are served",
        .enabled(if: enabled, "executables not built or python3 missing"))
    func slowClients() async throws {
        try await withStack(try await Stack.start(
            folder: try #require(Self.folder), gatewayArguments: ["--header-timeout", "2", "--idle-timeout", "2"])) { stack in
            let result = try await httpProbe(["slow", "127.0.0.1", String(stack.gateway.port), "300", "8", "/healthz"])
            #expect(result["closed"] as? Int == 300, "\(result)")
            // Opened within about a second, closed 2 s after: before the 8 s the probe waits (slack for a loaded machine).
            #expect((result["last_close"] as? Double ?? 99) < 7.5, "\(result)")
            #expect((result["first_close"] as? Double ?? 0) >= 1.5, "\(result)")
            let tried = result["health_tried"] as? Int ?? 0
            #expect(tried >= 3 && result["health_ok"] as? Int == tried, "\(result)")
            #expect(stack.gateway.isRunning)
        }
    }

    @Test(
        "--max-connections caps open connections: a client beyond the cap waits until a held one is closed",
        .enabled(if: enabled, "executables not built or python3 missing"))
    func connectionCap() async throws {
        try await withStack(try await Stack.start(
            folder: try #require(Self.folder),
            gatewayArguments: ["--max-connections", "5", "--header-timeout", "2", "--idle-timeout", "2"])) { stack in
            // 5 trickling connections hold every slot until their header timeout (2 s) closes them.
            let result = try await httpProbe(["slow", "127.0.0.1", String(stack.gateway.port), "5", "6", "/healthz"])
            #expect(result["closed"] as? Int == 5, "\(result)")
            let tried = result["health_tried"] as? Int ?? 0
            #expect(tried >= 1 && result["health_ok"] as? Int == tried, "\(result)")
            // The first health check (at 0.5 s) is accepted only once the slow ones are closed (2 s).
            #expect((result["health_max_seconds"] as? Double ?? 0) >= 1.0, "\(result)")
        }
    }

    @Test(
        "8 concurrent near-limit PNGs: the proxy's RSS stays under its bound and the extra decodes get 503 busy",
        .enabled(if: enabled, "executables not built or python3 missing"))
    func concurrentLargeDecodes() async throws {
        try await withStack(try await Stack.start(
            folder: try #require(Self.folder), proxyArguments: ["--max-concurrent-decodes", "2", "--max-decode-bytes", String(512 << 20)])) { stack in
            let side = 6300  // 39.7 MP: just under the 40 MP limit
            let pngs = try NearLimitPNG.variants(side: side, count: 8)
            let before = try #require(memory(of: stack.proxy.pid))
            let client = CurlClient(maxConcurrentRequests: 8)
            defer { client.shutdown() }
            let url = stack.proxy.baseURL + "/2015-03-31/functions/fewclick-proxy/invocations"
            let points = [[10.0, 3000.0], [3000.0, 10.0], [6000.0, 3000.0], [3000.0, 6000.0]]
            let results = try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
                for png in pngs {
                    group.addTask {
                        let body = try Body.json(["image": ["data": Data(png).base64EncodedString()], "extremePoints": points])
                        let event = try NearLimitPNG.event(body)
                        let answer = try await client.execute(
                            CurlRequest(method: "POST", url: url, body: event, timeout: .seconds(120)))
                        let result = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
                        let status = result?["statusCode"] as? Int ?? answer.status
                        let headers = result?["headers"] as? [String: String]
                        let inner = (result?["body"] as? String).flatMap {
                            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                        }
                        let code = (inner?["error"] as? [String: Any])?["code"] as? String
                        return (status, code, headers?["Retry-After"])
                    }
                }
                var all: [(Int, String?, String?)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let after = try #require(memory(of: stack.proxy.pid))
            let busy = results.filter { $0.0 == 503 && $0.1 == "busy" }
            let served = results.filter { $0.0 == 200 }
            print(
                "near-limit PNGs: \(served.count) served, \(busy.count) busy; proxy RSS \(before.current >> 20) MiB before, "
                    + "peak \(after.peak >> 20) MiB")
            #expect(busy.count >= 1, "\(results)")
            #expect(busy.allSatisfy { $0.2 != nil }, "503 busy carries Retry-After: \(results)")
            #expect(served.count >= 1, "\(results)")
            #expect(served.count + busy.count == 8, "\(results)")
            // Bound: 2 decodes × 238 MB counted + the 256 MiB cache + the process before.
            #expect(after.peak < before.current + 800 << 20, "peak \(after.peak >> 20) MiB")
        }
    }
}

/// Large, highly compressible PNGs that differ in their bytes (so each has its own image id)
/// but decode to the same pixels.
enum NearLimitPNG {
    static func variants(side: Int, count: Int) throws -> [[UInt8]] {
        var pixels = [UInt8](repeating: 40, count: side * side)
        for y in (side / 4)..<(3 * side / 4) {
            for x in (side / 4)..<(3 * side / 4) { pixels[y * side + x] = 200 }
        }
        let png = try ImageFile.encodePNG(GrayImage(width: side, height: side, pixels: pixels))
        // A tEXt chunk after IHDR (8-byte signature + 25-byte IHDR chunk) makes each copy unique.
        return (0..<count).map { i in
            let payload = Array("Comment\u{0}copy \(i)".utf8)
            let type = Array("tEXt".utf8)
            var chunk = bigEndian(UInt32(payload.count)) + type + payload
            chunk += bigEndian(crc32(type + payload))
            return Array(png[..<33]) + chunk + Array(png[33...])
        }
    }

    static func event(_ body: [UInt8]) throws -> [UInt8] {
        let event: [String: Any] = [
            "resource": "/v1/segment", "path": "/v1/segment", "httpMethod": "POST",
            "headers": ["Content-Type": "application/json"], "multiValueHeaders": ["Content-Type": ["application/json"]],
            "requestContext": ["requestId": "limits", "identity": ["sourceIp": "127.0.0.1"]],
            "body": String(decoding: body, as: UTF8.self), "isBase64Encoded": false,
        ]
        return [UInt8](try JSONSerialization.data(withJSONObject: event))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// CRC-32 (ISO-HDLC), as PNG chunks carry it.
    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
