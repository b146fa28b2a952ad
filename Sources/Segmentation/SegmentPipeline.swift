import FewClickCore

/// The pre- and post-processing around a model, in image space, as plain functions: the crop plan
/// and the model input for a call, the full-resolution mask for the model's answer, and the
/// next-click hint.
///
/// The proxy's handler calls exactly these (its extension in the Proxy module adds the client-facing
/// errors and the response's mask member), and in-process evaluation does too, so that both give
/// the same masks bit for bit (README "Evaluation and load tests").
public enum SegmentPipeline {
    /// The model input for one call.
    ///
    /// - Parameters:
    ///   - image: the full image.
    ///   - clicks: every click in image pixels, extreme points first, then corrective clicks in
    ///     the order they were made.
    ///   - previousMask: the previous answer at full resolution, if any.
    ///   - settings: crop margin and maximum crop side.
    ///   - sessionKey: passed to the model (the proxy uses the image id).
    /// - Returns: the crop plan (needed again by `fullResolutionMask(from:plan:)`) and the model
    ///   input: the crop, the clicks that fall inside it in crop pixels (`CropPlan.cropClicks`), and
    ///   the previous mask in crop space.
    public static func modelInput(
        image: RGBImage, clicks: [Click], previousMask: Mask?, settings: CropSettings, sessionKey: String?
    ) -> (plan: CropPlan, input: SegmentationInput) {
        let plan = CropPlan(imageWidth: image.width, imageHeight: image.height, clicks: clicks, settings: settings)
        let input = SegmentationInput(
            image: plan.crop(image), clicks: plan.cropClicks(clicks),
            previousMask: previousMask.map { plan.crop($0) }, sessionKey: sessionKey)
        return (plan, input)
    }

    /// The full-resolution mask for the model's probability map: bilinear paste-back into the
    /// crop box, threshold 0.5, background outside the box (`CropPlan.pasteBack`).
    ///
    /// - Throws: `SegmentationError` when the map is not `cropWidth × cropHeight` (a model bug; the
    ///   proxy answers it as 502 `model_error` with this message).
    public static func fullResolutionMask(from probability: GrayImage, plan: CropPlan) throws(SegmentationError)
        -> Mask
    {
        guard probability.width == plan.cropWidth, probability.height == plan.cropHeight else {
            throw SegmentationError(
                "the model returned a \(probability.width)×\(probability.height) map for a "
                    + "\(plan.cropWidth)×\(plan.cropHeight) crop")
        }
        return plan.pasteBack(probability, imageWidth: plan.imageWidth, imageHeight: plan.imageHeight)
    }

    /// The next-click hint for one answer, in image pixels (`NextClickHint` on the crop-space maps,
    /// mapped back with `CropPlan.toImage`, at the pixel's centre).
    ///
    /// - Parameters:
    ///   - answer: the model's probability map (crop space).
    ///   - belief: the model's soft belief (crop space), if it sent one.
    ///   - cropClicks: the clicks the model saw, in crop pixels.
    ///   - plan: the call's crop plan.
    ///   - mask: the full-resolution mask answered.
    /// - Returns: a `.positive` or `.negative` click; nil when the model doubts no pixel, or when the
    ///   suggested pixel's label in the full-resolution mask already is what the click would make it
    ///   (a rounding effect of scaling).
    public static func suggestedClick(
        answer: GrayImage, belief: GrayImage?, cropClicks: [Click], plan: CropPlan, mask: Mask
    ) -> Click? {
        guard let hint = NextClickHint.suggest(answer: answer, belief: belief, clicks: cropClicks) else { return nil }
        let (x, y) = plan.toImage(cropX: hint.x, cropY: hint.y)
        guard x >= 0, y >= 0, x < mask.width, y < mask.height, mask[x, y] != hint.positive else { return nil }
        return Click(x: Double(x) + 0.5, y: Double(y) + 0.5, kind: hint.positive ? .positive : .negative)
    }
}
