import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation
import Testing

/// Measures what the gateway and proxy hops add to a by-id segment call. Off by default (it is a
/// measurement, not a check); run with `FEWCLICK_HOP_CALLS=200` (and `FEWCLICK_BIN_DIR` pointing
/// at release executables for meaningful figures).
@Suite("Hop overhead", .serialized)
struct HopOverheadTests {
    static let calls = ProcessInfo.processInfo.environment["FEWCLICK_HOP_CALLS"].flatMap(Int.init) ?? 0

    @Test(
        "p50/p90 of a by-id call through gateway and proxy, minus the endpoint's model time",
        .enabled(if: calls > 0 && EndToEndTests.folder != nil, "set FEWCLICK_HOP_CALLS to measure"))
    func measure() async throws {
        let stack = try await Stack.start(folder: try #require(EndToEndTests.folder))
        do {
            try await run(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    func run(_ stack: Stack) async throws {
        let scene = try Scene.disk()
        let token = try await stack.token()
        let upload = try await stack.segment(
            Body.json(["image": ["data": Data(scene.png).base64EncodedString()], "extremePoints": scene.extremePoints]),
            token: token)
        try #require(upload.status == 200, "\(upload.text)")
        let imageId = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(upload.body)).imageId
        let body = try Body.json([
            "image": ["id": imageId], "extremePoints": scene.extremePoints,
            "clicks": [["x": 84, "y": 58, "positive": true]], "outputs": ["rle"],
        ])
        // Warm-up: connections, caches, lazy initialisation.
        for _ in 0..<10 { _ = try await stack.segment(body, token: token) }

        var wall: [Double] = [], model: [Double] = [], proxyTotal: [Double] = []
        for _ in 0..<Self.calls {
            let start = ContinuousClock.now
            let response = try await stack.segment(body, token: token)
            let elapsed = ContinuousClock.now - start
            try #require(response.status == 200)
            let timings = try JSONDecoder().decode(SegmentResponseBody.self, from: Data(response.body)).timingsMs
            wall.append(elapsed.milliseconds)
            model.append(timings.model)
            proxyTotal.append(timings.total)
        }
        let hops = zip(wall, model).map { $0 - $1 }
        let transport = zip(wall, proxyTotal).map { $0 - $1 }
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        func line(_ name: String, _ values: [Double]) -> String {
            String(format: "%@ p50 %.2f ms, p90 %.2f ms", name, percentile(values, 0.5), percentile(values, 0.9))
        }
        print(
            """
            hop overhead over \(Self.calls) by-id calls (client wall time, keep-alive, sequential):
              \(line("wall (client → gateway → proxy → endpoint → back)", wall))
              \(line("model (endpoint timingsMs.model)", model))
              \(line("wall − model  (gateway + proxy hops, incl. proxy pre/post-processing)", hops))
              \(line("wall − proxy total (gateway + Invoke API transport only)", transport))
            """)
        #expect(hops.allSatisfy { $0 > 0 })
    }
}
