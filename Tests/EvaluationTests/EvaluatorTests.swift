import Evaluation
import FewClickCore
import Foundation
import Segmentation
import Testing

@Suite("Evaluation runs")
struct EvaluatorTests {
    @Test("reads instances.csv with quoting, optional ignore and extra columns")
    func csv() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fewclick-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("extra,mask,instance,image\r\n\"a,b\",m1.png,one,\"i 1.jpg\"\r\nx,m2.png,two,i2.jpg\r\n".utf8)
            .write(to: dir.appendingPathComponent("instances.csv"))
        let d = try EvaluationDataset(contentsOf: dir)
        #expect(d.instances == [
            EvaluationInstance(id: "one", image: "i 1.jpg", mask: "m1.png"),
            EvaluationInstance(id: "two", image: "i2.jpg", mask: "m2.png"),
        ])
        try Data("instance,image\nx,y\n".utf8).write(to: dir.appendingPathComponent("instances.csv"))
        #expect(throws: DatasetError.self) { try EvaluationDataset(contentsOf: dir) }
        try Data("instance,image,mask\nx,y,z\nx,y,z\n".utf8).write(to: dir.appendingPathComponent("instances.csv"))
        #expect(throws: DatasetError.self) { try EvaluationDataset(contentsOf: dir) }
    }

    @Test("extreme protocol on a generated dataset: full curves, identical for 1 and 2 jobs")
    func deterministicAcrossJobs() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        #expect(dataset.instances.count == 5)
        #expect(dataset.instances[0].ignore != nil)
        var reports: [EvaluationReport] = []
        for jobs in [1, 2] {
            let options = EvaluationOptions(proto: .extreme, maxClicks: 8, perturbation: 1, seed: 5, jobs: jobs)
            reports.append(try await Evaluator.run(
                dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()), options: options))
        }
        // Everything but the timings is identical.
        #expect(reports[0].instances.map(\.iou) == reports[1].instances.map(\.iou))
        #expect(reports[0].instances.map(\.clicks) == reports[1].instances.map(\.clicks))
        #expect(reports[0].instances.map(\.exhaustedAt) == reports[1].instances.map(\.exhaustedAt))
        #expect(reports[0].markdown.split(separator: "\n").filter { $0.contains("mIoU@") || $0.contains("NoC") }
            == reports[1].markdown.split(separator: "\n").filter { $0.contains("mIoU@") || $0.contains("NoC") })
        let r = reports[0]
        #expect(r.count == 5)
        #expect(r.instances.map(\.instance) == dataset.instances.map(\.id))
        for inst in r.instances {
            #expect(inst.iou.count == 9)
            #expect(inst.iou.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(inst.clicks.prefix(4).allSatisfy { $0.kind == "extreme" })
            #expect(inst.clicks.count == 4 + (inst.exhaustedAt ?? 8))
            #expect(inst.correctiveLatencyMicros.count == inst.clicks.count - 4)
        }
        // The box of the extreme points already covers most of an ellipse; clicks add to it.
        #expect(r.meanIoU[0].percent > 50)
        #expect(r.noc90 <= 8)
        // A different seed moves the (perturbed) extreme points.
        let other = try await Evaluator.run(
            dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()),
            options: EvaluationOptions(proto: .extreme, maxClicks: 8, perturbation: 1, seed: 6, jobs: 2))
        #expect(other.instances.map(\.clicks) != r.instances.map(\.clicks))
    }

    @Test("click-only protocol starts from the deepest object pixel and counts all clicks")
    func clickOnly() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        let r = try await Evaluator.run(
            dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()),
            options: EvaluationOptions(proto: .clicks, maxClicks: 5, jobs: 2))
        #expect(r.meanIoU.map(\.clicks) == [1, 2, 3, 4, 5])
        for inst in r.instances {
            #expect(inst.iou[0] == 0)
            #expect(inst.clicks.first?.kind == "positive")
            #expect(!inst.clicks.contains { $0.kind == "extreme" })
        }
        // The first click is the deepest pixel of the ground truth (ignore pixels excluded).
        let first = try #require(r.instances.first { $0.instance == "obj1_0" })
        let gt = try dataset.loadMask(dataset.instances[1].mask)
        let expected = try #require(ClickSimulator(groundTruth: gt).nextClick(prediction: Mask(width: gt.width, height: gt.height), clicked: []))
        #expect(first.clicks[0] == ClickRecord(expected))
    }

    @Test("a missing mask file fails the run with the file's name")
    func missingFile() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        var dataset = try EvaluationDataset(contentsOf: dir)
        dataset.instances[2].mask = "masks/nope.png"
        await #expect { _ = try await Evaluator.run(dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()), options: EvaluationOptions(jobs: 2)) }
            throws: { e in
                guard let f = e as? InstanceFailure else { return false }
                return f.instance == "obj1_1" && (f.underlying as? DatasetError)?.description.contains("nope.png") == true
            }
    }
}

/// Wraps the disk-box model with hints made from the ground truth: the standard click itself
/// (`truthful`), or the same pixel with the wrong sign.
private struct OracleHintSegmenter: InteractiveSegmenter {
    let dataset: EvaluationDataset
    let truthful: Bool
    var label: String { "oracle-hints" }

    func makeSession(key: String, image: LoadedImage, width: Int, height: Int, suggest: Bool) -> any SegmenterSession {
        let id = String(key.split(separator: "/").last ?? "")
        let instance = dataset.instances.first { $0.id == id }!
        let simulator = ClickSimulator(
            groundTruth: try! dataset.loadMask(instance.mask), ignore: instance.ignore.map { try! dataset.loadMask($0) })
        return Session(
            inner: InProcessSegmenter(model: DiskBoxModel()).makeSession(
                key: key, image: image, width: width, height: height, suggest: suggest),
            simulator: simulator, truthful: truthful)
    }

    final class Session: SegmenterSession {
        let inner: any SegmenterSession
        let simulator: ClickSimulator
        let truthful: Bool
        init(inner: any SegmenterSession, simulator: ClickSimulator, truthful: Bool) {
            self.inner = inner; self.simulator = simulator; self.truthful = truthful
        }

        func predict(clicks: [Click]) throws -> Prediction {
            var p = try inner.predict(clicks: clicks)
            if let c = simulator.nextClick(prediction: p.mask, clicked: clicks) {
                p.suggestion = truthful ? c : Click(x: c.x, y: c.y, kind: c.kind == .positive ? .negative : .positive)
            }
            return p
        }
    }
}

@Suite("Hint-following labeler")
struct HintFollowingTests {
    @Test("hints that agree with the true error are followed, hints of the wrong sign never")
    func followsOnlyAgreeingHints() async throws {
        let dir = try makeGeneratedDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try EvaluationDataset(contentsOf: dir)
        let standard = try await Evaluator.run(
            dataset: dataset, segmenter: InProcessSegmenter(model: DiskBoxModel()),
            options: EvaluationOptions(maxClicks: 6, jobs: 1))
        #expect(standard.hintsFollowed == nil && standard.instances.allSatisfy { $0.hintsFollowed == nil })
        for truthful in [true, false] {
            let r = try await Evaluator.run(
                dataset: dataset, segmenter: OracleHintSegmenter(dataset: dataset, truthful: truthful),
                options: EvaluationOptions(maxClicks: 6, jobs: 1, followHints: true))
            // The oracle's hint is the standard click (or its sign flipped): the same clicks either way.
            #expect(r.instances.map(\.iou) == standard.instances.map(\.iou))
            let corrective = standard.instances.reduce(0) { $0 + $1.clicks.count - 4 }
            #expect(corrective > 0 && r.correctiveClicks == corrective)
            #expect(r.hintsFollowed == (truthful ? corrective : 0))
            #expect(r.markdown.contains("hints followed"))
        }
    }

    @Test("a hint agrees only on an unclicked error pixel of its own sign")
    func agreement() {
        var truth = Mask(width: 10, height: 10)
        for y in 2..<8 { for x in 2..<8 { truth[x, y] = true } }
        var prediction = Mask(width: 10, height: 10)
        for y in 0..<6 { for x in 0..<6 { prediction[x, y] = true } }
        let simulator = ClickSimulator(groundTruth: truth)
        // (6, 6): object, predicted background → a false negative.
        #expect(simulator.agrees(hint: Click(x: 6.5, y: 6.5, kind: .positive), prediction: prediction, clicked: []))
        #expect(!simulator.agrees(hint: Click(x: 6.5, y: 6.5, kind: .negative), prediction: prediction, clicked: []))
        // (0, 0): background, predicted object → a false positive.
        #expect(simulator.agrees(hint: Click(x: 0.5, y: 0.5, kind: .negative), prediction: prediction, clicked: []))
        // (3, 3) is right already; (9, 9) too; outside the image never agrees.
        #expect(!simulator.agrees(hint: Click(x: 3.5, y: 3.5, kind: .negative), prediction: prediction, clicked: []))
        #expect(!simulator.agrees(hint: Click(x: 9.5, y: 9.5, kind: .positive), prediction: prediction, clicked: []))
        #expect(!simulator.agrees(hint: Click(x: 12, y: 1, kind: .positive), prediction: prediction, clicked: []))
        // Already clicked there.
        #expect(!simulator.agrees(
            hint: Click(x: 6.5, y: 6.5, kind: .positive), prediction: prediction,
            clicked: [Click(x: 6.2, y: 6.9, kind: .positive)]))
    }
}
