import Foundation

/// Where the endpoint and `fewclick eval` find clicknet's weights.
///
/// In order, the first file that exists:
/// 1. `$FEWCLICK_CLICKNET_WEIGHTS` (a file path);
/// 2. `clicknet.safetensors` in the model directory (`$FEWCLICK_MODEL_DIR`, else `/opt/ml/model`,
///    where SageMaker unpacks the endpoint's model data);
/// 3. `Models/clicknet/clicknet.safetensors` in the current directory (a checkout);
/// 4. the same path relative to the running executable's checkout (`.build/<config>/<exe>`);
/// 5. `/opt/fewclick/models/clicknet.safetensors` (the endpoint's Docker image).
public enum ClickNetWeights {
    /// Environment variable naming the weights file.
    public static let environmentVariable = "FEWCLICK_CLICKNET_WEIGHTS"
    /// The weights file's name in a model directory.
    public static let fileName = "clicknet.safetensors"
    /// The path of the released weights inside the repository.
    public static let repositoryPath = "Models/clicknet/clicknet.safetensors"
    /// Where the Docker image puts them.
    public static let imagePath = "/opt/fewclick/models/clicknet.safetensors"

    /// The paths searched, in order (see the type's documentation).
    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var paths: [String] = []
        if let explicit = environment[environmentVariable], !explicit.isEmpty { paths.append(explicit) }
        let modelDirectory = environment["FEWCLICK_MODEL_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/opt/ml/model"
        paths.append((modelDirectory as NSString).appendingPathComponent(fileName))
        paths.append((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(repositoryPath))
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        // .build/<triple>/<config>/<exe> or .build/<config>/<exe>: look a few folders up.
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            paths.append(folder.appendingPathComponent(repositoryPath).path)
        }
        paths.append(imagePath)
        return paths
    }

    /// The weights to load: the first candidate that exists, or with `$FEWCLICK_CLICKNET_WEIGHTS`
    /// set, exactly that file (so a wrong path is an error, not a silent fallback).
    ///
    /// - Throws: `ModelLoadError` listing the paths tried when none exists.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelLoadError) -> URL {
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw ModelLoadError("\(environmentVariable)=\(explicit): no such file")
            }
            return URL(fileURLWithPath: explicit)
        }
        let paths = candidates(environment: environment)
        guard let found = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ModelLoadError(
                "clicknet weights not found; tried \(paths.joined(separator: ", ")) (set \(environmentVariable))")
        }
        return URL(fileURLWithPath: found)
    }
}
