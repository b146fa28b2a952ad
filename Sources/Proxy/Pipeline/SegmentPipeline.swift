import FewClickAPI
import FewClickCore
import Foundation
import ImageCodec
import Segmentation

/// The proxy's side of `SegmentPipeline` (the model-space steps live in Segmentation, shared with
/// in-process evaluation): the model's errors as client-facing `ProxyError`s, the hint as the
/// response's `suggestion`, and the response's mask member.
extension SegmentPipeline {
    /// The full-resolution mask for the model's probability map (`fullResolutionMask(from:plan:)`).
    ///
    /// - Throws: `ProxyError` 502 `model_error` when the map is not `cropWidth × cropHeight`.
    public static func mask(from probability: GrayImage, plan: CropPlan) throws(ProxyError) -> Mask {
        // The size is checked twice on the proxy's path on purpose: `ModelClient.infer` checks the
        // tensor's shape first (with its own message); this check is in-process callers' (evaluation),
        // whose models hand over a map directly.
        do {
            return try fullResolutionMask(from: probability, plan: plan)
        } catch {
            throw .modelError(error.description)
        }
    }

    /// The next-click hint for one answer as the response's `suggestion` (`suggestedClick`, in
    /// image pixels at the pixel's centre); nil when there is none.
    public static func suggestion(
        answer: GrayImage, belief: GrayImage?, cropClicks: [Click], plan: CropPlan, mask: Mask
    ) -> SegmentResponseBody.Suggestion? {
        suggestedClick(answer: answer, belief: belief, cropClicks: cropClicks, plan: plan, mask: mask).map(
            SegmentResponseBody.Suggestion.init)
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
