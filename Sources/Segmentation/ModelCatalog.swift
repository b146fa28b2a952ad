/// The models this build ships, by the name clients use to select them.
///
/// Each entry builds a fresh model with its default settings. The endpoint loads the one named by
/// `--model` / `FEWCLICK_MODEL` (default: `ModelCatalog.defaultModelName`), and `fewclick eval`
/// evaluates any of them in-process.
public enum ModelCatalog {
    /// The model the endpoint serves when none is named.
    public static let defaultModelName = "graphcut"

    /// Model factories by name.
    public static let builtIn: [String: @Sendable () -> any SegmentationModel] = [
        "box": { BoxModel() },
        "extreme-polygon": { ExtremePolygonModel() },
        "graphcut": { GraphCutModel() },
    ]

    /// The known model names, sorted.
    public static var names: [String] { builtIn.keys.sorted() }

    /// A new instance of the model called `name`, or nil when there is no such model.
    public static func make(_ name: String) -> (any SegmentationModel)? { builtIn[name]?() }
}
