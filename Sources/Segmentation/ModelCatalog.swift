import Foundation

/// The models this build ships, by the name clients use to select them.
///
/// The endpoint loads the ones named by `--model` / `FEWCLICK_MODEL` (default:
/// `ModelCatalog.defaultModelName`), and `fewclick eval` evaluates any of them in-process. The learned
/// models read their weights from `ClickNetWeights.locate()` unless given a file.
public enum ModelCatalog {
    /// The model the endpoint serves when none is named.
    public static let defaultModelName = "clicknet-graphcut"

    /// The known model names, sorted.
    public static let names = ["box", "clicknet", "clicknet-graphcut", "extreme-polygon", "graphcut"]

    /// Whether `name` is a model of this build.
    public static func contains(_ name: String) -> Bool { names.contains(name) }

    /// Whether the model reads a weights file (and so can fail to load).
    public static func needsWeights(_ name: String) -> Bool { name.hasPrefix("clicknet") }

    /// Whether the model takes `GraphCutSettings` (`fewclick.json` settings, `fewclick eval --settings`).
    public static func takesGraphCutSettings(_ name: String) -> Bool { name == "graphcut" || name == "clicknet-graphcut" }

    /// The graph-cut settings a model starts from: `ClickNetGraphCutModel.defaultSettings` for
    /// `clicknet-graphcut`, `GraphCutSettings.default` otherwise (`fewclick.json` and
    /// `fewclick eval --settings` override fields of these).
    public static func baseGraphCutSettings(for name: String) -> GraphCutSettings {
        name == "clicknet-graphcut" ? ClickNetGraphCutModel.defaultSettings : .default
    }

    /// A new instance of the model called `name` with its default settings, or nil when there is no
    /// such model.
    ///
    /// - Parameters:
    ///   - weights: the clicknet weights file; nil: `ClickNetWeights.locate()`.
    ///   - clicknetSize: S for the learned models (see `ClickNetModel.init`); nil: the trained size.
    ///   - graphCutSettings: settings of the graph cut (`graphcut`, `clicknet-graphcut`); nil: the
    ///     model's defaults (`baseGraphCutSettings(for:)`).
    /// - Throws: `ModelLoadError` when a learned model's weights are missing or unusable.
    public static func make(
        _ name: String, weights: URL? = nil, clicknetSize: Int? = nil, graphCutSettings: GraphCutSettings? = nil
    ) throws(ModelLoadError) -> (any SegmentationModel)? {
        let settings = graphCutSettings ?? baseGraphCutSettings(for: name)
        switch name {
        case "box": return BoxModel()
        case "extreme-polygon": return ExtremePolygonModel()
        case "graphcut": return GraphCutModel(settings: settings)
        case "clicknet":
            return try ClickNetModel(weights: weightsURL(weights), size: clicknetSize)
        case "clicknet-graphcut":
            let network = try ClickNetModel(weights: weightsURL(weights), size: clicknetSize)
            return ClickNetGraphCutModel(network: network, settings: settings)
        default: return nil
        }
    }

    private static func weightsURL(_ given: URL?) throws(ModelLoadError) -> URL {
        if let given { return given }
        return try ClickNetWeights.locate()
    }
}
