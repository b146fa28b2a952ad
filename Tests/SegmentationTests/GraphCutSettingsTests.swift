import Foundation
import Segmentation
import Testing

@Suite("Graph-cut settings")
struct GraphCutSettingsTests {
    @Test("a JSON subset overrides those fields and keeps the other defaults")
    func overridesSubset() throws {
        let s = try GraphCutSettings.overriding(json: Data(#"{"smoothness": 12, "iterations": 3}"#.utf8))
        #expect(s.smoothness == 12 && s.iterations == 3)
        var expected = GraphCutSettings.default
        expected.smoothness = 12
        expected.iterations = 3
        #expect(s == expected)
        #expect(try GraphCutSettings.overriding(json: Data("{}".utf8)) == .default)
    }

    @Test("the defaults are valid")
    func defaultsValid() throws {
        try GraphCutSettings.default.validate()
    }

    @Test("bad input names the problem", arguments: [
        ("[1]", "not a JSON object"),
        ("not json", "not a JSON object"),
        (#"{"smoothnes": 3}"#, "unknown graphcut settings smoothnes"),
        (#"{"iterations": "many"}"#, "wrong type"),
        (#"{"components": 0}"#, "components must be 1…8"),
        (#"{"components": 9}"#, "components must be 1…8"),
        (#"{"iterations": 0}"#, "iterations must be 1…20"),
        (#"{"smoothness": -1}"#, "smoothness must be a number in 0…1000"),
        (#"{"clickEdgeWeight": -2}"#, "clickEdgeWeight"),
        (#"{"probabilityRamp": 0}"#, "probabilityRamp must be a number in 0.1…100"),
        (#"{"clickRegionFraction": 1.5}"#, "clickRegionFraction"),
        (#"{"maxHoleArea": -1}"#, "maxHoleArea"),
        (#"{"flowScale": 1e9}"#, "flowScale"),
    ])
    func rejects(json: String, message: String) {
        do {
            _ = try GraphCutSettings.overriding(json: Data(json.utf8))
            Issue.record("\(json) was accepted")
        } catch {
            #expect(error.message.contains(message), "\(json): \(error.message)")
        }
    }
}
