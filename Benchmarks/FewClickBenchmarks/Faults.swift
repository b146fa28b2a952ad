import CurlHTTP
import FewClickCore
import Foundation
import ImageCodec
import Proxy
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `fewclick-benchmarks faults`: the stack's failure behaviour, measured. Loopback only, bounded.
///
/// Starts a `redis-server` (no persistence) and `fewclick up --image-store redis://…` (the
/// supervisor: endpoint, proxy, gateway) on free loopback ports, runs simulated labelers at
/// concurrency 8 against the gateway (a first call with the image bytes, then corrective clicks by
/// `image.id`, a resend on 404 `image_not_found` as the UI does), and injects, one phase after the
/// other: SIGSTOP/SIGCONT, SIGKILL and SIGTERM (a restart by the supervisor) of the endpoint and of
/// the proxy, and a Redis stop and restart. Per phase it prints the answers by status, the time from
/// the fault to the first error answer, the time to recover (to the first good answer after the last
/// bad one; an answer slower than 2 s counts as bad), the requests lost (clicks that got no mask,
/// after the 404 resend) and the slowest answer.
///
/// `--soak SECONDS` instead runs the load that long (default 600) and prints every `--interval`
/// seconds (default 30) the RSS and open files of each process.
enum Faults {
    struct Options {
        var concurrency = 8
        var model = "graphcut"
        var stopSeconds = 5.0
        var soakSeconds: Double?
        var interval = 30.0
        var binDir: URL

        init(arguments: [String]) throws {
            binDir = FlagReader.executableFolder
            var flags = FlagReader(arguments)
            while let flag = flags.next() {
                switch flag {
                case "--concurrency": concurrency = max(1, Int(try flags.value(flag)) ?? 8)
                case "--model": model = try flags.value(flag)
                case "--stop-seconds": stopSeconds = max(0.5, Double(try flags.value(flag)) ?? 5)
                case "--soak": soakSeconds = flags.optionalNumber().map { max(30, $0) } ?? 600
                case "--interval": interval = max(1, Double(try flags.value(flag)) ?? 30)
                case "--bin-dir": binDir = try flags.folder(flag)
                default: throw BenchmarkError("unknown argument \(flag)")
                }
            }
        }
    }

    static func run(arguments: [String]) async throws {
        let options = try Options(arguments: arguments)
        try StackProcess.checkExecutables(in: options.binDir)
        let redisPort = try freePort()
        var redis = try RedisProcess(port: redisPort)
        let stack = try await StackProcess.start(binDir: options.binDir, model: options.model, redisPort: redisPort)
        let load = Load(stack: stack, concurrency: options.concurrency)
        let generator = Task { await load.run() }
        // Ctrl-C or SIGTERM: stop what this run started, then exit.
        let redisPid = Mutex(redis.pid)
        let cleanup = SignalCleanup { [stackPid = stack.pid] in
            kill(stackPid, SIGTERM)
            kill(redisPid.withLock { $0 }, SIGKILL)
        }
        defer {
            generator.cancel()
            stack.stop()
            redis.stop()
            cleanup.cancel()
        }
        say("faults: fewclick up (pid \(stack.pid)), redis-server (pid \(redis.pid)), model \(options.model), concurrency \(options.concurrency)")
        try await Task.sleep(for: .seconds(3))  // warm up

        if let soak = options.soakSeconds {
            try await soakRun(seconds: soak, interval: options.interval, stack: stack, redis: redis, load: load)
        } else {
            let stop = options.stopSeconds
            let phases: [(String, () async throws -> Double)] = [
                ("baseline (no fault, 8 s)", { try await Task.sleep(for: .seconds(8)); return 0 }),
                ("endpoint SIGSTOP \(Int(stop)) s, SIGCONT", { try await pause(stack.pid(of: "endpoint"), seconds: stop) }),
                ("endpoint SIGKILL (supervisor restarts)", { kill(stack.pid(of: "endpoint"), SIGKILL); return 0 }),
                ("endpoint SIGTERM (drains, restarted)", { kill(stack.pid(of: "endpoint"), SIGTERM); return 0 }),
                ("proxy SIGSTOP \(Int(stop)) s, SIGCONT", { try await pause(stack.pid(of: "proxy"), seconds: stop) }),
                ("proxy SIGKILL (supervisor restarts)", { kill(stack.pid(of: "proxy"), SIGKILL); return 0 }),
                ("proxy SIGTERM (drains, restarted)", { kill(stack.pid(of: "proxy"), SIGTERM); return 0 }),
                ("redis SIGKILL, restarted empty 10 s later", {
                    redis.stop()
                    try await Task.sleep(for: .seconds(10))
                    redis = try RedisProcess(port: redisPort)
                    redisPid.withLock { $0 = redis.pid }
                    return 10
                }),
            ]
            var rows: [String] = []
            for (name, inject) in phases {
                let start = ContinuousClock.now
                let restoredAfter = try await inject()
                try await load.waitRecovered(after: start + .milliseconds(Int64(restoredAfter * 1000)), timeout: .seconds(60))
                try await Task.sleep(for: .seconds(2))
                let row = load.summary(name, from: start, to: .now)
                say(row)
                rows.append(row)
            }
            say("\n| phase | answers by status | first error after | recovered after | requests lost | slowest answer |")
            say("|---|---|---|---|---|---|")
            for row in rows { say(row) }
            say("\nfewclick up's log of the restarts:")
            for line in stack.output.text.split(separator: "\n") where line.contains("restart #") || line.contains("image store") {
                say("  " + line)
            }
        }
    }

    /// SIGSTOP, `seconds`, SIGCONT; returns when the process runs again (seconds after the fault).
    static func pause(_ pid: Int32, seconds: Double) async throws -> Double {
        kill(pid, SIGSTOP)
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        kill(pid, SIGCONT)
        return seconds
    }

    static func soakRun(seconds: Double, interval: Double, stack: StackProcess, redis: RedisProcess, load: Load) async throws {
        say("\n| t (s) | requests ok | errors | " + ["fewclick up", "endpoint", "proxy", "gateway", "redis"].map { "\($0) RSS MiB / files" }.joined(separator: " | ") + " |")
        say("|---|---|---|---|---|---|---|---|")
        let start = ContinuousClock.now
        var next = 0.0
        while true {
            let elapsed = (ContinuousClock.now - start).seconds
            if elapsed >= next {
                let pids = [stack.pid, stack.pid(of: "endpoint"), stack.pid(of: "proxy"), stack.pid(of: "gateway"), redis.pid]
                let cells = pids.map { pid in
                    let (rss, files) = usage(pid)
                    return String(format: "%.1f / %d", rss, files)
                }
                let (ok, bad) = load.totals()
                say("| \(Int(elapsed)) | \(ok) | \(bad) | " + cells.joined(separator: " | ") + " |")
                next += interval
            }
            if elapsed >= seconds { break }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// RSS in MiB (VmRSS of /proc/PID/status) and open file descriptors (/proc/PID/fd).
    static func usage(_ pid: Int32) -> (Double, Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        var rss = 0.0
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            rss = (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        return (rss, files)
    }


    /// A loopback port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw BenchmarkError("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Output of a child process, collected from a Dispatch thread.
final class CollectedOutput: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

/// `redis-server` on a loopback port, no persistence.
struct RedisProcess {
    let process = Process()
    var pid: Int32 { process.processIdentifier }

    init(port: Int) throws {
        process.executableURL = URL(filePath: "/usr/bin/redis-server")
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.3)
        guard process.isRunning else { throw BenchmarkError("redis-server did not start on port \(port)") }
    }

    /// SIGKILL by PID (no persistence, nothing to lose). Not SIGTERM: a child started from one of
    /// Swift's worker threads inherits their blocked signals, and redis-server then never sees SIGTERM.
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }
}

/// Runs `action` on SIGINT or SIGTERM, then exits with status 130.
final class SignalCleanup {
    private let sources: [any DispatchSourceSignal]

    init(_ action: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                action()
                exit(130)
            }
            source.resume()
            return source
        }
    }

    func cancel() { for source in sources { source.cancel() } }
}

/// A line on standard output at once (unbuffered: progress shows when redirected to a file too).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `fewclick up` (with the Redis image store when given a port) on free loopback ports.
final class StackProcess: Sendable {
    let process: Process
    let output: CollectedOutput
    let gatewayURL: String
    let token: String
    var pid: Int32 { process.processIdentifier }

    private init(process: Process, output: CollectedOutput, gatewayURL: String, token: String) {
        self.process = process
        self.output = output
        self.gatewayURL = gatewayURL
        self.token = token
    }

    /// Throws unless `fewclick`, `endpoint`, `proxy` and `gateway` are executables in `binDir`.
    static func checkExecutables(in binDir: URL) throws {
        for name in ["fewclick", "endpoint", "proxy", "gateway"]
        where !FileManager.default.isExecutableFile(atPath: binDir.appending(path: name).path) {
            throw BenchmarkError("\(name) not found in \(binDir.path); build first (swift build -c release)")
        }
    }

    static func start(binDir: URL, model: String, redisPort: Int?) async throws -> StackProcess {
        let ports = try (0..<3).map { _ in try Faults.freePort() }
        let process = Process()
        process.executableURL = binDir.appending(path: "fewclick")
        process.arguments = [
            "up", "--bin-dir", binDir.path, "--no-demo", "--endpoint-port", String(ports[0]),
            "--proxy-port", String(ports[1]), "--gateway-port", String(ports[2]), "--max-restart-delay", "5",
        ] + (redisPort.map { ["--image-store", "redis://127.0.0.1:\($0)/0"] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["FEWCLICK_MODEL"] = model
        environment["LOG_LEVEL"] = "warning"
        process.environment = environment
        let output = CollectedOutput()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        try process.run()
        for _ in 0..<1200 {
            let text = output.text
            if text.contains("fewclick is up"), let match = text.firstMatch(of: #/export FEWCLICK_TOKEN='([^']+)'/#) {
                return StackProcess(
                    process: process, output: output, gatewayURL: "http://127.0.0.1:\(ports[2])", token: String(match.output.1))
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        throw BenchmarkError("fewclick up did not come up:\n\(output.text.suffix(3000))")
    }

    /// The PID of the latest `started NAME (pid N)` line.
    func pid(of name: String) -> Int32 {
        let matches = output.text.matches(of: try! Regex("started \(name) \\(pid ([0-9]+)\\)"))
        return matches.last.flatMap { $0.output[1].substring.flatMap { Int32($0) } } ?? -1
    }

    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        process.waitUntilExit()
    }
}

/// Simulated labelers against the gateway; every request's start, end and status recorded.
final class Load: Sendable {
    struct Record {
        var start: ContinuousClock.Instant
        var end: ContinuousClock.Instant
        /// HTTP status; 0 = no answer (connection refused, timeout).
        var status: Int
        /// The click got no mask (after the one resend on 404).
        var lost: Bool
    }

    let stack: StackProcess
    let concurrency: Int
    let client: CurlClient
    private let records = Mutex<[Record]>([])
    /// (image file, extreme points, clicks) per generated image.
    private let scenes: [(bytes: [UInt8], extreme: [[Double]], clicks: [(x: Double, y: Double, positive: Bool)])]
    static let slow = Duration.seconds(2)

    init(stack: StackProcess, concurrency: Int) {
        self.stack = stack
        self.concurrency = concurrency
        client = CurlClient(maxConcurrentRequests: concurrency + 2)
        var scenes: [([UInt8], [[Double]], [(x: Double, y: Double, positive: Bool)])] = []
        for seed in 0..<12 {
            let width = 480, height = 360
            let cx = 150.0 + Double(seed * 17 % 180), cy = 120.0 + Double(seed * 29 % 120), rx = 70.0, ry = 50.0
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let dx = (Double(x) + 0.5 - cx) / rx, dy = (Double(y) + 0.5 - cy) / ry
                    let inside = dx * dx + dy * dy <= 1
                    let noise = UInt8((x * 7 + y * 13 + seed) % 23)
                    let i = (y * width + x) * 3
                    pixels[i] = inside ? 200 + noise : 40 + noise
                    pixels[i + 1] = inside ? 60 : 90 + noise
                    pixels[i + 2] = inside ? 50 + noise : 110
                }
            }
            let bytes = (try? ImageFile.encodeJPEG(RGBImage(width: width, height: height, pixels: pixels))) ?? []
            let extreme = [[cx - rx + 1, cy], [cx + rx - 1, cy], [cx, cy - ry + 1], [cx, cy + ry - 1]]
            let clicks = [
                (x: cx, y: cy, positive: true), (x: cx - rx - 8, y: cy - ry - 8, positive: false),
                (x: cx + rx / 2, y: cy, positive: true), (x: cx, y: cy + ry / 2, positive: true),
            ]
            scenes.append((bytes, extreme, clicks))
        }
        self.scenes = scenes
    }

    func run() async {
        await withDiscardingTaskGroup { group in
            for labeler in 0..<concurrency {
                group.addTask {
                    var session = labeler
                    while !Task.isCancelled {
                        await self.session(session % self.scenes.count)
                        session += self.concurrency
                    }
                }
            }
        }
        client.shutdown()
    }

    /// One labeler on one image: the first mask with the bytes, then 4 corrective clicks by id.
    private func session(_ index: Int) async {
        let scene = scenes[index]
        let imageId = ImageCache.imageID(of: scene.bytes)
        for step in 0...scene.clicks.count where !Task.isCancelled {
            var body: [String: Any] = ["extremePoints": scene.extreme, "clicks": scene.clicks.prefix(step).map { ["x": $0.x, "y": $0.y, "positive": $0.positive] as [String: Any] }, "outputs": ["rle"]]
            body["image"] = step == 0 ? ["data": Data(scene.bytes).base64EncodedString()] : ["id": imageId]
            let start = ContinuousClock.now
            var status = await post(body)
            if status == 404 {
                record(Record(start: start, end: .now, status: 404, lost: false))
                body["image"] = ["data": Data(scene.bytes).base64EncodedString()]
                let again = ContinuousClock.now
                status = await post(body)
                record(Record(start: again, end: .now, status: status, lost: status != 200))
            } else {
                record(Record(start: start, end: .now, status: status, lost: status != 200))
            }
            if status != 200 {
                try? await Task.sleep(for: .milliseconds(50))  // a labeler clicks again, not in a tight loop
                return
            }
        }
    }

    private func post(_ body: [String: Any]) async -> Int {
        guard let json = try? JSONSerialization.data(withJSONObject: body) else { return 0 }
        let request = CurlRequest(
            method: "POST", url: stack.gatewayURL + "/v1/segment",
            headers: [HTTPHeaderField("Authorization", "Bearer \(stack.token)"), HTTPHeaderField("Content-Type", "application/json")],
            body: [UInt8](json), connectTimeout: .seconds(1), timeout: .seconds(35))
        return (try? await client.execute(request).status) ?? 0
    }

    private func record(_ record: Record) { records.withLock { $0.append(record) } }

    /// Requests answered 200, and the others, so far.
    func totals() -> (Int, Int) {
        records.withLock { records in
            let ok = records.filter { $0.status == 200 }.count
            return (ok, records.count - ok)
        }
    }

    /// Waits until 20 answers in a row, to requests started at least a second after `instant`, were
    /// good (200, fast). The second lets a fault show: right after a SIGKILL the gateway still
    /// answers for a few hundred milliseconds, and those answers must not count as the recovery.
    func waitRecovered(after instant: ContinuousClock.Instant, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let judged = instant + .seconds(1)
        while ContinuousClock.now < deadline {
            let good = records.withLock { records -> Bool in
                let recent = records.filter { $0.start >= judged }.suffix(20)
                return recent.count == 20 && recent.allSatisfy { $0.status == 200 && $0.end - $0.start < Self.slow }
            }
            if good { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// One table row for the requests that ended in [from, to].
    func summary(_ name: String, from: ContinuousClock.Instant, to: ContinuousClock.Instant) -> String {
        let phase = records.withLock { $0.filter { $0.end >= from && $0.end <= to } }
        var byStatus: [Int: Int] = [:]
        for r in phase { byStatus[r.status, default: 0] += 1 }
        let statuses = byStatus.sorted { $0.key < $1.key }
            .map { "\($0.key == 0 ? "no answer" : String($0.key)): \($0.value)" }.joined(separator: ", ")
        func bad(_ r: Record) -> Bool { r.status != 200 || r.end - r.start >= Self.slow }
        let firstError = phase.filter { $0.status != 200 }.map(\.end).min()
        let lastBad = phase.filter(bad).map(\.start).max()
        var recovered = "—"
        if let lastBad, let good = phase.filter({ !bad($0) && $0.start > lastBad }).map(\.end).min() {
            recovered = String(format: "%.2f s", (good - from).seconds)
        }
        let slowest = phase.map { $0.end - $0.start }.max().map { String(format: "%.2f s", $0.seconds) } ?? "—"
        let first = firstError.map { String(format: "%.2f s", ($0 - from).seconds) } ?? "none"
        return "| \(name) | \(statuses) | \(first) | \(recovered) | \(phase.filter(\.lost).count) | \(slowest) |"
    }
}
