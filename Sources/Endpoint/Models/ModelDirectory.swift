import Foundation
import Segmentation

/// Optional model parameters from a model directory: SageMaker unpacks an endpoint's `ModelDataUrl`
/// (`model.tar.gz`) into `/opt/ml/model`, and the endpoint reads `fewclick.json` there:
///
/// ```json
/// {"model": "graphcut", "settings": {"smoothness": 12, "iterations": 5}}
/// ```
///
/// - `model`: a `ModelCatalog` name (`clicknet-graphcut`, `clicknet`, `graphcut`, `box`,
///   `extreme-polygon`); optional, default `ModelCatalog.defaultModelName`.
/// - `settings`: optional; for `graphcut` and `clicknet-graphcut`, any subset of `GraphCutSettings`'
///   fields (the rest keep their defaults); other models take no settings. `clicknet` and
///   `clicknet-graphcut` read `clicknet.safetensors` from this directory (see `ClickNetWeights`).
///
/// `endpoint serve` uses it when neither `--model` nor `$FEWCLICK_MODEL` names a model. The
/// directory is `$FEWCLICK_MODEL_DIR` when set, else `/opt/ml/model`; a directory without
/// `fewclick.json` (or no directory) means the built-in defaults.
public struct ModelDirectory: Sendable, Equatable {
    /// Where SageMaker puts the unpacked model data.
    public static let sagemakerPath = "/opt/ml/model"
    /// Environment variable overriding ``sagemakerPath`` (local runs, tests).
    public static let environmentVariable = "FEWCLICK_MODEL_DIR"
    /// The parameter file's name inside the directory.
    public static let fileName = "fewclick.json"

    /// The model name from the file (or the default name).
    public var model: String
    /// The `settings` object as JSON, or nil when absent.
    public var settingsJSON: Data?

    /// An error in `fewclick.json`; the message names the file and the problem.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// The ``message``.
        public var description: String { message }
    }

    /// The directory to read: `$FEWCLICK_MODEL_DIR`, else `/opt/ml/model`.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? sagemakerPath
    }

    /// Reads `fewclick.json` in `directory`.
    /// - Returns: nil when the file does not exist.
    /// - Throws: ``Error`` when the file cannot be read, is not a JSON object, has unknown keys, or
    ///   names an unknown model.
    public static func load(directory: String) throws(Error) -> ModelDirectory? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(message: "cannot read \(path)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Error(message: "\(path) is not a JSON object")
        }
        let unknown = Set(object.keys).subtracting(["model", "settings"])
        guard unknown.isEmpty else {
            throw Error(message: "\(path): unknown keys \(unknown.sorted().joined(separator: ", ")) (expected model, settings)")
        }
        let model: String
        switch object["model"] {
        case nil: model = ModelCatalog.defaultModelName
        case let name as String where ModelCatalog.contains(name): model = name
        case let name as String:
            throw Error(message: "\(path): unknown model '\(name)'; known models: \(ModelCatalog.names.joined(separator: ", "))")
        default: throw Error(message: "\(path): model must be a string")
        }
        var settingsJSON: Data?
        if let settings = object["settings"] {
            guard let settings = settings as? [String: Any] else {
                throw Error(message: "\(path): settings must be a JSON object")
            }
            settingsJSON = try? JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys])
        }
        let directory = ModelDirectory(model: model, settingsJSON: settingsJSON)
        _ = try directory.makeLoader()  // validate the settings now, not on a model thread later
        return directory
    }

    /// A loader for the named model with the file's settings.
    /// - Throws: ``Error`` when the settings do not fit the model.
    public func makeLoader() throws(Error) -> ModelLoader {
        guard let settingsJSON else {
            guard let loader = ModelLoader.catalog(model) else { throw Error(message: "unknown model '\(model)'") }
            return loader
        }
        guard ModelCatalog.takesGraphCutSettings(model) else {
            throw Error(message: "\(Self.fileName): model '\(model)' takes no settings")
        }
        let settings = try Self.graphCutSettings(overriding: settingsJSON, base: ModelCatalog.baseGraphCutSettings(for: model))
        guard let loader = ModelLoader.catalog(model, graphCutSettings: settings) else {
            throw Error(message: "unknown model '\(model)'")
        }
        return loader
    }

    /// `base` with the fields present in `json` replaced (checked against their ranges).
    static func graphCutSettings(overriding json: Data, base: GraphCutSettings = .default) throws(Error) -> GraphCutSettings {
        do {
            return try GraphCutSettings.overriding(json: json, base: base)
        } catch {
            throw Error(message: "\(fileName): \(error.message)")
        }
    }
}
