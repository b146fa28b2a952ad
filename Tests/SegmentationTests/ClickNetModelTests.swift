import FewClickCore
import Foundation
import NeuralNet
import Segmentation
import Testing

/// The released clicknet weights in the repository.
enum ReleasedWeights {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(ClickNetWeights.repositoryPath)

    /// Loaded once for the whole suite (loading builds the oneDNN primitives).
    static let network: ClickNetModel? = try? ClickNetModel(weights: url)
}

@Suite("clicknet and clicknet-graphcut")
struct ClickNetModelTests {
    func models() throws -> [any SegmentationModel] {
        let net = try #require(ReleasedWeights.network, "released weights at \(ReleasedWeights.url.path)")
        return [net, ClickNetGraphCutModel(network: net)]
    }

    /// A textured ellipse on a differently coloured, striped background.
    func scene() -> (RGBImage, Mask) {
        let gt = Scene.mask(width: 140, height: 110) { x, y in
            let dx = Double(x - 70), dy = Double(y - 55)
            return dx * dx / 1600 + dy * dy / 900 <= 1
        }
        let image = Scene.render(
            mask: gt, noise: 12, seed: 7,
            object: { x, y in ((x / 5 + y / 5) % 2 == 0 ? (210, 70, 50) : (180, 100, 40)) },
            background: { x, _ in ((x / 7) % 2 == 0 ? (60, 140, 80) : (70, 110, 160)) })
        return (image, gt)
    }

    @Test("the first mask of a clear object is good, and each answer has the crop's size")
    func firstMask() throws {
        let (image, gt) = scene()
        for model in try models() {
            let p = try model.segment(SegmentationInput(image: image, clicks: Scene.extremePoints(gt)))
            #expect(p.width == image.width && p.height == image.height)
            let iou = Mask(thresholding: p).iou(gt)
            #expect(iou > 0.85, "\(model.name): IoU \(iou)")
        }
    }

    @Test("same input gives the same bytes")
    func deterministic() throws {
        let (image, gt) = scene()
        let clicks = Scene.extremePoints(gt) + [Click(x: 60.5, y: 50.5, kind: .positive), Click(x: 8.5, y: 8.5, kind: .negative)]
        for model in try models() {
            let a = try model.segment(SegmentationInput(image: image, clicks: clicks))
            let b = try model.segment(SegmentationInput(image: image, clicks: clicks, sessionKey: "k"))
            let c = try model.segment(SegmentationInput(image: image, clicks: clicks, sessionKey: "k"))
            #expect(a == b && b == c, "\(model.name)")
        }
    }

    @Test("a positive click inside a missed region adds it")
    func positiveClick() throws {
        // A red square with a purple arm on a green background; the previous mask misses the arm.
        let gt = Scene.mask(width: 120, height: 80) { x, y in
            (x >= 20 && x < 60 && y >= 20 && y < 60) || (x >= 60 && x < 100 && y >= 30 && y < 50)
        }
        let image = Scene.render(
            mask: gt, noise: 6, seed: 4,
            object: { x, _ in x < 60 ? (200, 40, 40) : (150, 60, 140) },
            background: { _, _ in (50, 150, 60) })
        var missed = GrayImage(width: 120, height: 80)
        for y in 20..<60 { for x in 20..<60 { missed[x, y] = 255 } }
        let clicks = Scene.extremePoints(gt) + [Click(x: 80.5, y: 40.5, kind: .positive)]
        for model in try models() {
            let after = Mask(thresholding: try model.segment(SegmentationInput(image: image, clicks: clicks, previousMask: missed)))
            // The arm (x 60..<100, y 30..<50) was all missed; the click must bring a good part of it in.
            var arm = 0
            for y in 30..<50 { for x in 60..<100 where after[x, y] { arm += 1 } }
            #expect(after[80, 40] && after[78, 40] && after[82, 40], "\(model.name)")
            #expect(arm >= 400, "\(model.name): \(arm) of the arm's 800 pixels")
            #expect(after[40, 40], "\(model.name): the square stays")
            #expect(after.iou(gt) > Mask(thresholding: missed).iou(gt) + 0.1, "\(model.name): IoU \(after.iou(gt))")
        }
    }

    @Test("a negative click removes a leak")
    func negativeClick() throws {
        // A red disc; a red patch of background touches it, and the previous mask leaked into it.
        let gt = Scene.mask(width: 100, height: 100) { x, y in (x - 50) * (x - 50) + (y - 50) * (y - 50) <= 35 * 35 }
        let patch = { (x: Int, y: Int) in x >= 62 && x < 85 && y >= 15 && y < 38 }
        let image = Scene.render(
            mask: gt, noise: 6, seed: 5,
            object: { _, _ in (200, 40, 40) },
            background: { x, y in patch(x, y) ? (200, 40, 40) : (40, 60, 170) })
        var leaked = GrayImage(width: 100, height: 100)
        for y in 0..<100 { for x in 0..<100 where gt[x, y] || patch(x, y) { leaked[x, y] = 255 } }
        let clicks = Scene.extremePoints(gt) + [Click(x: 78.5, y: 22.5, kind: .negative)]
        for model in try models() {
            let after = Mask(thresholding: try model.segment(SegmentationInput(image: image, clicks: clicks, previousMask: leaked)))
            // The leak: the patch pixels outside the disc (about 300); the click must remove most of them.
            var leak = 0, patchOutside = 0
            for y in 15..<38 {
                for x in 62..<85 where !gt[x, y] {
                    patchOutside += 1
                    if after[x, y] { leak += 1 }
                }
            }
            #expect(!after[78, 22] && !after[80, 20], "\(model.name)")
            #expect(leak * 2 <= patchOutside, "\(model.name): \(leak) of \(patchOutside) leaked pixels left")
            #expect(after[50, 50], "\(model.name): the disc stays")
            #expect(after.iou(gt) > Mask(thresholding: leaked).iou(gt), "\(model.name): IoU \(after.iou(gt))")
        }
    }

    @Test("input without extreme points or with absurd clicks is refused, tiny crops work")
    func badInput() throws {
        let (image, gt) = scene()
        for model in try models() {
            #expect(throws: SegmentationError.self) {
                try model.segment(SegmentationInput(image: image, clicks: [Click(x: 5, y: 5, kind: .positive)]))
            }
            #expect(throws: SegmentationError.self) {
                try model.segment(SegmentationInput(image: image, clicks: Scene.extremePoints(gt) + [Click(x: .nan, y: 1, kind: .positive)]))
            }
            // Corrective clicks far outside the crop (the proxy passes negative ones through) draw nothing.
            for (x, y) in [(5000.5, 40.5), (40.5, 5000.5), (-5000.5, -40.5), (9_000_000.5, 9_000_000.5)] {
                let clicks = Scene.extremePoints(gt) + [Click(x: x, y: y, kind: .negative)]
                let p = try model.segment(SegmentationInput(image: image, clicks: clicks))
                #expect(p.width == image.width && p.height == image.height, "\(model.name) click (\(x), \(y))")
            }
            let tiny = RGBImage(width: 3, height: 2, pixels: [UInt8](repeating: 90, count: 18))
            let p = try model.segment(SegmentationInput(image: tiny, clicks: [Click(x: 1, y: 1, kind: .extreme)]))
            #expect(p.width == 3 && p.height == 2)
        }
    }

    @Test("missing, corrupt or non-clicknet weights are a typed load error")
    func loadErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clicknet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadError.self) { try ClickNetModel(weights: dir.appendingPathComponent("absent.safetensors")) }
        let garbage = dir.appendingPathComponent("garbage.safetensors")
        try Data("not a weights file at all".utf8).write(to: garbage)
        #expect(throws: ModelLoadError.self) { try ClickNetModel(weights: garbage) }
        // Truncated copy of the real file.
        let real = try Data(contentsOf: ReleasedWeights.url)
        let truncated = dir.appendingPathComponent("truncated.safetensors")
        try real.prefix(real.count / 2).write(to: truncated)
        #expect(throws: ModelLoadError.self) { try ClickNetModel(weights: truncated) }
        // A valid graph that is not a clicknet (the parity fixture has no click-plane recipe).
        let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NeuralNetTests/Fixtures/tiny.safetensors")
        #expect(throws: ModelLoadError.self) { try ClickNetModel(weights: tiny) }
        #expect(throws: ModelLoadError.self) { try ClickNetModel(weights: ReleasedWeights.url, size: 100) }
        // The catalog reports a missing file through $FEWCLICK_CLICKNET_WEIGHTS.
        #expect(throws: ModelLoadError.self) {
            try ClickNetWeights.locate(environment: [ClickNetWeights.environmentVariable: dir.appendingPathComponent("x").path])
        }
    }
}
