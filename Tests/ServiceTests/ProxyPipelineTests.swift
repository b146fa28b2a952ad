import FewClickAPI
import FewClickCore
import Proxy
import Segmentation
import Testing

/// The proxy's side of `SegmentPipeline` (Proxy/Pipeline/SegmentPipeline.swift) over the shared
/// model-space steps in Segmentation.
@Suite("Proxy SegmentPipeline steps")
struct ProxyPipelineTests {
    static let clicks = ProxyFixture.extremePoints.map { Click(x: $0[0], y: $0[1], kind: .extreme) }

    @Test("a map of the wrong size is 502 model_error with the model layer's message")
    func wrongSizeMap() throws {
        let (plan, _) = SegmentPipeline.modelInput(
            image: ProxyFixture.image(), clicks: Self.clicks, previousMask: nil, settings: .default, sessionKey: nil)
        let wrong = GrayImage(width: plan.cropWidth, height: plan.cropHeight + 2)
        let message = "the model returned a \(plan.cropWidth)×\(plan.cropHeight + 2) map for a "
            + "\(plan.cropWidth)×\(plan.cropHeight) crop"
        #expect(throws: ProxyError(status: 502, code: "model_error", message: message)) {
            try SegmentPipeline.mask(from: wrong, plan: plan)
        }
        #expect(throws: SegmentationError(message)) { try SegmentPipeline.fullResolutionMask(from: wrong, plan: plan) }
        let right = GrayImage(width: plan.cropWidth, height: plan.cropHeight, fill: 200)
        #expect(try SegmentPipeline.mask(from: right, plan: plan) == SegmentPipeline.fullResolutionMask(from: right, plan: plan))
    }

    @Test("the response's suggestion is the shared suggested click")
    func suggestion() throws {
        let (plan, input) = SegmentPipeline.modelInput(
            image: ProxyFixture.image(), clicks: Self.clicks, previousMask: nil, settings: .default, sessionKey: nil)
        let answer = GrayImage(width: plan.cropWidth, height: plan.cropHeight, fill: 255)
        var belief = answer
        for y in plan.cropHeight / 3..<plan.cropHeight * 2 / 3 {
            for x in plan.cropWidth / 3..<plan.cropWidth * 2 / 3 { belief[x, y] = 20 }
        }
        let mask = try SegmentPipeline.mask(from: answer, plan: plan)
        let click = try #require(SegmentPipeline.suggestedClick(
            answer: answer, belief: belief, cropClicks: input.clicks, plan: plan, mask: mask))
        #expect(click.kind == .negative)
        #expect(SegmentPipeline.suggestion(
            answer: answer, belief: belief, cropClicks: input.clicks, plan: plan, mask: mask)
            == SegmentResponseBody.Suggestion(x: click.x, y: click.y, positive: false))
    }
}
