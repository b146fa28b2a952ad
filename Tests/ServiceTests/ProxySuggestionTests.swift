import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import InferenceProtocol
import LambdaKit
import Proxy
import Segmentation
import Testing

@Suite("Next-click hint through the proxy and the endpoint (clicknet-graphcut, in-process)")
struct ProxySuggestionTests {
    @Test("the endpoint sends mask_belief when asked; suggest gives the in-process pipeline's hint, exactly")
    func suggestionMatchesInProcess() async throws {
        try await ProxyFixture.withEndpoint(model: "clicknet-graphcut") { url in
            let clicks = ProxyFixture.extremePoints.map { Click(x: $0[0], y: $0[1], kind: .extreme) }
                + [Click(x: 30.5, y: 20.5, kind: .negative)]
            let (plan, input) = SegmentPipeline.modelInput(
                image: ProxyFixture.image(), clicks: clicks, previousMask: nil, settings: .default, sessionKey: nil)

            // The endpoint: mask_belief only when asked; for the hybrid it is the network's map, not the cut's.
            let curl = CurlClient(maxConcurrentRequests: 1)
            defer { curl.shutdown() }
            let client = ModelClient(url: url, client: curl)
            let plain = try await client.infer(
                try ModelClient.encode(input, requestId: nil), cropWidth: plan.cropWidth, cropHeight: plan.cropHeight,
                timeout: .seconds(60))
            #expect(plain.belief == nil)
            let both = try await client.infer(
                try ModelClient.encode(input, requestId: nil, belief: true), cropWidth: plan.cropWidth,
                cropHeight: plan.cropHeight, timeout: .seconds(60))
            let belief = try #require(both.belief)
            #expect(both.probability == plain.probability)
            #expect(belief != both.probability)

            // The proxy: a suggestion only with "suggest": true, identical to the in-process evaluation's.
            let function = ProxyFixture.function(endpoint: url)
            defer { function.shutdown() }
            let png = try ProxyFixture.png()
            var request = SegmentRequestBody(
                image: .init(data: Data(png).base64EncodedString()), extremePoints: ProxyFixture.extremePoints,
                clicks: [.init(x: 30.5, y: 20.5, positive: false)], outputs: ["rle"])
            let without = try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(request)))
            #expect(without.statusCode == 200)
            #expect(!String(decoding: try without.bodyBytes(), as: UTF8.self).contains("suggestion"))
            request.suggest = true
            let with = try await ProxyFixture.invoke(function, try ProxyFixture.event(try ProxyFixture.json(request)))
            #expect(with.statusCode == 200)
            let body = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(try with.bodyBytes()))

            // What `fewclick eval --follow-hints` computes in-process: the same functions.
            let model = try #require(try ModelCatalog.make("clicknet-graphcut"))
            let output = try model.segmentWithBelief(input)
            let mask = try SegmentPipeline.mask(from: output.answer, plan: plan)
            #expect(try Mask(cocoRLE: try #require(body.mask.rle)) == mask)
            #expect(body.suggestion == SegmentPipeline.suggestion(
                answer: output.answer, belief: output.belief, cropClicks: input.clicks, plan: plan, mask: mask))
            if let s = body.suggestion {
                // A hint points at a pixel its click would flip.
                #expect(mask[Int(s.x), Int(s.y)] != s.positive)
                #expect(s.x >= 0 && s.y >= 0 && s.x < 96 && s.y < 64)
            }
        }
    }
}
