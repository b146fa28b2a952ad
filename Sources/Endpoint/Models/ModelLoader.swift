import Segmentation

/// How the endpoint gets one model: a name and a factory. Loading runs on a model thread after the
/// server starts; `/ping` answers 503 until every model is loaded.
public struct ModelLoader: Sendable {
    /// The name clients use (`/v2/models/{name}`); must equal the loaded model's `name`.
    public var name: String
    /// Builds the model. May be slow (weights, tables); it runs off the cooperative pool.
    public var load: @Sendable () throws -> any SegmentationModel

    /// Creates a loader.
    public init(name: String, load: @escaping @Sendable () throws -> any SegmentationModel) {
        self.name = name
        self.load = load
    }

    /// A loader for a `ModelCatalog` model, or nil when the catalog has no model of that name.
    ///
    /// The learned models (`clicknet`, `clicknet-graphcut`) read their weights when the loader runs
    /// (`ClickNetWeights.locate()`); a missing or corrupt file fails that model's load with a
    /// `ModelLoadError`, which the endpoint reports at start-up.
    public static func catalog(_ name: String, graphCutSettings: GraphCutSettings? = nil) -> ModelLoader? {
        guard ModelCatalog.contains(name) else { return nil }
        return ModelLoader(name: name) {
            guard let model = try ModelCatalog.make(name, graphCutSettings: graphCutSettings) else {
                throw ModelLoadError("unknown model '\(name)'")
            }
            return model
        }
    }

    /// A loader that hands out an existing model instance.
    public static func instance(_ model: any SegmentationModel) -> ModelLoader {
        ModelLoader(name: model.name) { model }
    }
}
