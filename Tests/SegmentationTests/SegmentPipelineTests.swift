import FewClickCore
import Segmentation
import Testing

/// The model-space steps the proxy and in-process evaluation share (`SegmentPipeline`).
@Suite("SegmentPipeline")
struct SegmentPipelineTests {
    /// A 120×80 image, extreme points around (30…90, 20…60), one corrective click.
    static let image = RGBImage(width: 120, height: 80, fill: (10, 20, 30))
    static let clicks = [
        Click(x: 30, y: 40, kind: .extreme), Click(x: 60, y: 20, kind: .extreme),
        Click(x: 90, y: 40, kind: .extreme), Click(x: 60, y: 60, kind: .extreme),
        Click(x: 50, y: 45, kind: .negative),
    ]

    @Test("the model input is CropPlan's crop, crop-space clicks and cropped previous mask")
    func modelInput() {
        var previous = Mask(width: 120, height: 80)
        previous[60, 40] = true
        let (plan, input) = SegmentPipeline.modelInput(
            image: Self.image, clicks: Self.clicks, previousMask: previous, settings: .default, sessionKey: "k")
        let expected = CropPlan(imageWidth: 120, imageHeight: 80, clicks: Self.clicks, settings: .default)
        #expect(plan == expected)
        #expect(input.image == expected.crop(Self.image))
        #expect(input.clicks == expected.cropClicks(Self.clicks))
        #expect(input.previousMask == expected.crop(previous))
        #expect(input.sessionKey == "k")
    }

    @Test("the full-resolution mask is the paste-back; a map of another size is a SegmentationError")
    func fullResolutionMask() throws {
        let (plan, _) = SegmentPipeline.modelInput(
            image: Self.image, clicks: Self.clicks, previousMask: nil, settings: .default, sessionKey: nil)
        var map = GrayImage(width: plan.cropWidth, height: plan.cropHeight)
        for y in plan.cropHeight / 4..<plan.cropHeight * 3 / 4 {
            for x in plan.cropWidth / 4..<plan.cropWidth * 3 / 4 { map[x, y] = 255 }
        }
        let mask = try SegmentPipeline.fullResolutionMask(from: map, plan: plan)
        #expect(mask == plan.pasteBack(map, imageWidth: 120, imageHeight: 80))
        #expect(mask.area > 0 && mask.width == 120 && mask.height == 80)

        let wrong = GrayImage(width: plan.cropWidth + 1, height: plan.cropHeight)
        #expect(throws: SegmentationError(
            "the model returned a \(plan.cropWidth + 1)×\(plan.cropHeight) map for a "
                + "\(plan.cropWidth)×\(plan.cropHeight) crop")) {
            try SegmentPipeline.fullResolutionMask(from: wrong, plan: plan)
        }
    }

    @Test("the suggested click is NextClickHint's pixel in image coordinates, at its centre")
    func suggestedClick() throws {
        let (plan, input) = SegmentPipeline.modelInput(
            image: Self.image, clicks: Self.clicks, previousMask: nil, settings: .default, sessionKey: nil)
        // The answer says background everywhere; the belief thinks a square may be object.
        let answer = GrayImage(width: plan.cropWidth, height: plan.cropHeight)
        var belief = answer
        for y in plan.cropHeight / 3..<plan.cropHeight * 2 / 3 {
            for x in plan.cropWidth / 3..<plan.cropWidth * 2 / 3 { belief[x, y] = 230 }
        }
        let mask = try SegmentPipeline.fullResolutionMask(from: answer, plan: plan)
        let hint = try #require(NextClickHint.suggest(answer: answer, belief: belief, clicks: input.clicks))
        let (x, y) = plan.toImage(cropX: hint.x, cropY: hint.y)
        let click = SegmentPipeline.suggestedClick(
            answer: answer, belief: belief, cropClicks: input.clicks, plan: plan, mask: mask)
        #expect(click == Click(x: Double(x) + 0.5, y: Double(y) + 0.5, kind: .positive))
        // No doubt, no hint.
        #expect(SegmentPipeline.suggestedClick(
            answer: answer, belief: nil, cropClicks: input.clicks, plan: plan, mask: mask) == nil)
    }
}
