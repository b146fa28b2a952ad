import Evaluation
import Testing

@Suite("Evaluation metrics")
struct MetricsTests {
    @Test("NoC counts the first index reaching the threshold, max clicks when never")
    func noc() {
        let curve = [0.80, 0.86, 0.89, 0.91, 0.95]
        #expect(CurveMetrics.clicksToReach(0.85, curve: curve, maxClicks: 4, protocol: .extreme) == 1)
        #expect(CurveMetrics.clicksToReach(0.90, curve: curve, maxClicks: 4, protocol: .extreme) == 3)
        #expect(CurveMetrics.clicksToReach(0.96, curve: curve, maxClicks: 4, protocol: .extreme) == 4)
        #expect(CurveMetrics.fails(0.96, curve: curve, maxClicks: 4, protocol: .extreme))
        #expect(!CurveMetrics.fails(0.95, curve: curve, maxClicks: 4, protocol: .extreme))
        // Reached by the extreme points alone: 0 corrective clicks.
        #expect(CurveMetrics.clicksToReach(0.85, curve: [0.9, 0.9], maxClicks: 1, protocol: .extreme) == 0)
        // Click-only: index 0 is the empty mask and never counts.
        #expect(CurveMetrics.clicksToReach(0.85, curve: [0.9, 0.7, 0.88], maxClicks: 2, protocol: .clicks) == 2)
        #expect(CurveMetrics.fails(0.85, curve: [0.9, 0.7, 0.8], maxClicks: 2, protocol: .clicks))
    }

    @Test("report figures: mIoU in percent, NoC means, NoF counts")
    func report() {
        let options = EvaluationOptions(proto: .extreme, maxClicks: 20, jobs: 1)
        let a = InstanceResult(instance: "a", iou: [0.5] + Array(repeating: 0.95, count: 20), clicks: [],
                               exhaustedAt: nil, firstLatencyMicros: 1000, correctiveLatencyMicros: Array(repeating: 2000, count: 20))
        let b = InstanceResult(instance: "b", iou: Array(repeating: 0.7, count: 21), clicks: [],
                               exhaustedAt: 3, firstLatencyMicros: 3000, correctiveLatencyMicros: [4000, 4000, 4000])
        let r = EvaluationReport(dataset: "d", label: "m", options: options, instances: [a, b], wallSeconds: 1)
        #expect(r.meanIoU.map(\.clicks) == [0, 1, 2, 3, 4, 5, 10, 20])
        #expect(abs(r.meanIoU[0].percent - 60) < 1e-9)
        #expect(abs(r.meanIoU[1].percent - 82.5) < 1e-9)
        #expect(r.noc85 == 10.5)   // (1 + 20) / 2
        #expect(r.noc90 == 10.5)
        #expect(r.nof90 == 1)
        #expect(r.firstMaskLatency.count == 2)
        #expect(r.correctiveLatency.count == 23)
        #expect(abs(r.firstMaskLatency.p50 - 1.0) < 0.01)
        #expect(abs(r.correctiveLatency.p99 - 4.0) < 0.01)
        #expect(r.markdown.contains("| NoC@90 (corrective clicks) | 10.50 |"))
        #expect(r.markdown.contains("| mIoU@1 | 82.5 |"))
    }

    @Test("latency summary percentiles come from an HdrHistogram in ms")
    func latency() {
        let s = LatencySummary(microseconds: (1...1000).map { UInt64($0) * 1000 })
        #expect(s.count == 1000)
        #expect(abs(s.p50 - 500) < 1)
        #expect(abs(s.p90 - 900) < 1)
        #expect(abs(s.p99 - 990) < 1)
        #expect(abs(s.max - 1000) < 1)
        #expect(LatencySummary(microseconds: []).count == 0)
    }
}
