import FewClickCore
import Segmentation

/// One prediction of the simulated labeling loop.
public struct Prediction: Sendable {
    /// The full-resolution mask the labeler would see.
    public var mask: Mask
    /// How long the call took: the model call in-process, the whole HTTP request in gateway mode.
    public var latency: Duration
    /// The answer's next-click hint (image pixels), when asked for and the model doubts some pixel.
    public var suggestion: Click?

    /// Creates a prediction.
    public init(mask: Mask, latency: Duration, suggestion: Click? = nil) {
        self.mask = mask
        self.latency = latency
        self.suggestion = suggestion
    }
}

/// Where predictions come from: the model in-process (through the proxy's crop pipeline) or a
/// deployed gateway over HTTP. Sessions are created and used on one worker thread each.
public protocol InteractiveSegmenter: Sendable {
    /// The model or service being evaluated, for reports.
    var label: String { get }
    /// Starts the labeling session of one object on `image` (`width` × `height` pixels).
    /// `key` is unique per object within a run. With `suggest`, every prediction asks for the
    /// next-click hint.
    func makeSession(key: String, image: LoadedImage, width: Int, height: Int, suggest: Bool) -> any SegmenterSession
}

/// The labeling session of one object: every call sends all clicks so far (extreme points first,
/// in image pixel coordinates) and gets the new mask. The session keeps the previous mask and passes
/// it along, as a labeling UI does.
///
/// Calls block the calling thread (gateway mode waits for HTTP): use worker threads, never Swift's
/// cooperative pool.
public protocol SegmenterSession: AnyObject {
    /// The next mask for `clicks`.
    ///
    /// - Throws: `SegmentationError` from the model, `GatewayClientError` from the gateway, or a
    ///   `DatasetError` when the image cannot be used.
    func predict(clicks: [Click]) throws -> Prediction
}

/// Runs a `SegmentationModel` in-process through exactly the pre- and post-processing the proxy
/// uses — the `SegmentPipeline` functions the proxy calls (`CropPlan`: crop and scale around the extreme
/// points and positive clicks, clicks inside the crop and the previous mask to crop coordinates,
/// paste back bilinearly and threshold at 0.5) — so the masks are the ones the deployed stack would
/// return. Latency = the `segment` call alone.
///
/// With no extreme points (the click-only protocol), `CropPlan` boxes the positive clicks plus its
/// margin; a model that needs extreme points throws, and the run reports it.
public struct InProcessSegmenter: InteractiveSegmenter {
    /// The model.
    public let model: any SegmentationModel
    /// The proxy's crop settings.
    public let cropSettings: CropSettings

    /// Creates a segmenter for `model` with the proxy's crop settings (default: `.default`).
    public init(model: any SegmentationModel, cropSettings: CropSettings = .default) {
        self.model = model
        self.cropSettings = cropSettings
    }

    /// "name version".
    public var label: String { "\(model.name) \(model.version)" }

    /// A session on the decoded image (`image.rgb` must be set).
    public func makeSession(key: String, image: LoadedImage, width: Int, height: Int, suggest: Bool) -> any SegmenterSession {
        Session(model: model, settings: cropSettings, key: key, image: image.rgb, suggest: suggest)
    }

    final class Session: SegmenterSession {
        let model: any SegmentationModel
        let settings: CropSettings
        let key: String
        let image: RGBImage?
        let suggest: Bool
        var previous: Mask?

        init(model: any SegmentationModel, settings: CropSettings, key: String, image: RGBImage?, suggest: Bool) {
            self.model = model; self.settings = settings; self.key = key; self.image = image; self.suggest = suggest
        }

        func predict(clicks: [Click]) throws -> Prediction {
            guard let image else { throw DatasetError("image not decoded for in-process evaluation") }
            let p = try InProcessSegmenter.predict(
                model: model, settings: settings, image: image, clicks: clicks, previous: previous, sessionKey: key,
                suggest: suggest)
            previous = p.mask
            return p
        }
    }

    /// One call through the proxy's own pipeline (`SegmentPipeline`): `CropPlan` for `clicks`
    /// (image coordinates), the crop, the clicks inside it and the previous mask in crop space, the
    /// model, and the paste-back to a full-size mask thresholded at 0.5; with `suggest`, the model's
    /// belief too and the proxy's next-click hint (`SegmentPipeline.suggestedClick`).
    ///
    /// - Returns: the mask, the hint, and the duration of the model call alone.
    /// - Throws: the model's `SegmentationError`, also when the model returns a map of the wrong
    ///   size (the proxy answers that as 502 `model_error`).
    public static func predict(
        model: any SegmentationModel, settings: CropSettings, image: RGBImage, clicks: [Click], previous: Mask?,
        sessionKey: String?, suggest: Bool = false
    ) throws -> Prediction {
        let (plan, input) = SegmentPipeline.modelInput(
            image: image, clicks: clicks, previousMask: previous, settings: settings, sessionKey: sessionKey)
        let clock = ContinuousClock()
        let start = clock.now
        let output = suggest ? try model.segmentWithBelief(input) : SegmentationOutput(answer: try model.segment(input))
        let latency = clock.now - start
        let mask = try SegmentPipeline.fullResolutionMask(from: output.answer, plan: plan)
        let hint = suggest
            ? SegmentPipeline.suggestedClick(
                answer: output.answer, belief: output.belief, cropClicks: input.clicks, plan: plan, mask: mask)
            : nil
        return Prediction(mask: mask, latency: latency, suggestion: hint)
    }
}
