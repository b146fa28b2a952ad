import FewClickCore
import Foundation
import ImageCodec
import Segmentation

/// The proxy's pre- and post-processing around the model, as plain functions.
///
/// The HTTP handler calls exactly these, and in-process evaluation can too, so that both give the
/// same masks bit for bit (README "Evaluation and load tests").
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
    /// - Returns: the crop plan (needed again by `mask(from:plan:)`) and the model input: the crop,
    ///   the clicks that fall inside it in crop pixels (`CropPlan.cropClicks`), and the previous
    ///   mask in crop space.
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
    /// - Throws: `ProxyError` 502 `model_error` when the map is not `cropWidth × cropHeight`.
    public static func mask(from probability: GrayImage, plan: CropPlan) throws(ProxyError) -> Mask {
        guard probability.width == plan.cropWidth, probability.height == plan.cropHeight else {
            throw .modelError(
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
    /// - Returns: nil when the model doubts no pixel, or when the suggested pixel's label in the
    ///   full-resolution mask already is what the click would make it (a rounding effect of scaling).
    public static func suggestion(
        answer: GrayImage, belief: GrayImage?, cropClicks: [Click], plan: CropPlan, mask: Mask
    ) -> SegmentResponseBody.Suggestion? {
        guard let hint = NextClickHint.suggest(answer: answer, belief: belief, clicks: cropClicks) else { return nil }
        let (x, y) = plan.toImage(cropX: hint.x, cropY: hint.y)
        guard x >= 0, y >= 0, x < mask.width, y < mask.height, mask[x, y] != hint.positive else { return nil }
        return SegmentResponseBody.Suggestion(x: Double(x) + 0.5, y: Double(y) + 0.5, positive: hint.positive)
    }

    /// The response's mask member: the encodings in `outputs`, plus `bbox` and `area`.
    ///
    /// - Parameters:
    ///   - mask: the full-resolution mask.
    ///   - outputs: which encodings to include.
    ///   - polygonTolerance: Douglas–Peucker tolerance in pixels for `polygons`.
    /// - Throws: `ProxyError` 500 when PNG encoding fails (a bug, not a client error).
    public static func maskBody(mask: Mask, outputs: Set<MaskOutput>, polygonTolerance: Double)
        throws(ProxyError) -> SegmentResponseBody.MaskBody
    {
        let rle = outputs.contains(.rle) ? mask.cocoRLE() : nil
        let polygons = outputs.contains(.polygons) ? mask.polygons(tolerance: polygonTolerance).map(\.flatRings) : nil
        var png: String?
        if outputs.contains(.png) {
            do {
                png = Data(try ImageFile.encodePNG(mask.grayImage)).base64EncodedString()
            } catch {
                throw .internalError()
            }
        }
        let bbox = mask.boundingBox.map { [$0.x0, $0.y0, $0.width, $0.height] } ?? [0, 0, 0, 0]
        return SegmentResponseBody.MaskBody(rle: rle, polygons: polygons, png: png, bbox: bbox, area: mask.area)
    }
}
