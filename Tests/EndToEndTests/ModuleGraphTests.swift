import Foundation
import Testing

/// README's module graph against Package.swift (`.ci/check_module_graph.py`, which `.ci/run` also
/// runs): a target or a dependency added without its README line fails `swift test`, and so does
/// an arrow that points up a layer.
@Suite("Module graph")
struct ModuleGraphTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../..").standardized

    @Test(
        "README.md's module graph lists exactly Package.swift's targets and arrows, none pointing up",
        .enabled(if: pythonAvailable, "python3 missing"))
    func readmeMatchesPackage() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root.appending(path: ".ci/check_module_graph.py").path]
        // Output to a file, not a pipe: nothing blocks on a read while the wait below stays bounded.
        let log = FileManager.default.temporaryDirectory.appending(path: "fewclick-module-graph-\(UUID().uuidString).txt")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            Issue.record("cannot create \(log.path)")
            return
        }
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // The script runs `swift package dump-package` (a few seconds); bounded all the same.
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(output)")
    }
}
