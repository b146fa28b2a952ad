import Endpoint
import Foundation
import Segmentation
import Testing

/// `/opt/ml/model/fewclick.json`: model parameters delivered through SageMaker's ModelDataUrl.
@Suite("Model directory (/opt/ml/model)")
struct ModelDirectoryTests {
    /// A fresh directory holding `fewclick.json` with `contents` (or no file when nil).
    func directory(_ contents: String?) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fewclick-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if let contents {
            try Data(contents.utf8).write(to: url.appendingPathComponent(ModelDirectory.fileName))
        }
        return url.path
    }

    @Test("no file means built-in defaults")
    func absent() throws {
        let path = try directory(nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ModelDirectory.load(directory: path) == nil)
        #expect(try ModelDirectory.load(directory: path + "/does-not-exist") == nil)
    }

    @Test("graphcut settings override only the fields given")
    func graphcutSettings() throws {
        let path = try directory(#"{"model": "graphcut", "settings": {"smoothness": 12.5, "iterations": 6, "boundaryPaths": false}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parsed = try #require(try ModelDirectory.load(directory: path))
        #expect(parsed.model == "graphcut")
        let loader = try parsed.makeLoader()
        #expect(loader.name == "graphcut")
        let model = try #require(try loader.load() as? GraphCutModel)
        var expected = GraphCutSettings.default
        expected.smoothness = 12.5
        expected.iterations = 6
        expected.boundaryPaths = false
        #expect(model.settings == expected)
        #expect(model.settings != GraphCutSettings.default)
    }

    @Test("a model without settings uses the catalog entry")
    func modelOnly() throws {
        let path = try directory(#"{"model": "extreme-polygon"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loader = try #require(try ModelDirectory.load(directory: path)).makeLoader()
        #expect(loader.name == "extreme-polygon")
        #expect(try loader.load().name == "extreme-polygon")
        let empty = try directory("{}")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(try ModelDirectory.load(directory: empty)?.model == ModelCatalog.defaultModelName)
    }

    @Test("mistakes in the file are reported, naming the problem", arguments: [
        ("[1, 2]", "not a JSON object"),
        (#"{"model": "sam2"}"#, "unknown model 'sam2'"),
        (#"{"model": 3}"#, "model must be a string"),
        (#"{"modle": "graphcut"}"#, "unknown keys modle"),
        (#"{"model": "graphcut", "settings": {"smoothnes": 3}}"#, "unknown graphcut settings smoothnes"),
        (#"{"model": "graphcut", "settings": {"iterations": "many"}}"#, "wrong type"),
        (#"{"model": "graphcut", "settings": [1]}"#, "settings must be a JSON object"),
        (#"{"model": "box", "settings": {"smoothness": 3}}"#, "takes no settings"),
    ])
    func mistakes(_ contents: String, _ expected: String) throws {
        let path = try directory(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try ModelDirectory.load(directory: path)
            Issue.record("accepted \(contents)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("the directory is $FEWCLICK_MODEL_DIR, else /opt/ml/model")
    func path() {
        #expect(ModelDirectory.path(environment: [:]) == "/opt/ml/model")
        #expect(ModelDirectory.path(environment: ["FEWCLICK_MODEL_DIR": ""]) == "/opt/ml/model")
        #expect(ModelDirectory.path(environment: ["FEWCLICK_MODEL_DIR": "/tmp/m"]) == "/tmp/m")
    }
}
