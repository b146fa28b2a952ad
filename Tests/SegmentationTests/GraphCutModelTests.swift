import Evaluation
import FewClickCore
import Segmentation
import Testing

extension SplitMix64 {
    /// A value in `range`: `next() % count` (biased for huge ranges, which tests do not use), the
    /// draw the scenes were made with.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

/// Generated scenes with known masks, for running the model directly (clicks from the evaluation's
/// `ClickSimulator`).
enum Scene {
    /// Paints `mask` pixels with `object(x, y)` and the rest with `background(x, y)`; adds seeded noise.
    static func render(
        mask: Mask, noise: Int, seed: UInt64,
        object: (Int, Int) -> (Double, Double, Double), background: (Int, Int) -> (Double, Double, Double)
    ) -> RGBImage {
        var rng = SplitMix64(seed: seed)
        var image = RGBImage(width: mask.width, height: mask.height)
        for y in 0..<mask.height {
            for x in 0..<mask.width {
                let c = mask[x, y] ? object(x, y) : background(x, y)
                func channel(_ v: Double) -> UInt8 {
                    UInt8(max(0, min(255, Int(v.rounded()) + rng.int(-noise...noise))))
                }
                image[x, y] = (channel(c.0), channel(c.1), channel(c.2))
            }
        }
        return image
    }

    static func mask(width: Int, height: Int, _ inside: (Int, Int) -> Bool) -> Mask {
        var m = Mask(width: width, height: height)
        for y in 0..<height { for x in 0..<width where inside(x, y) { m[x, y] = true } }
        return m
    }

    /// The four extreme points of a mask (middle pixel of each extreme row/column).
    static func extremePoints(_ m: Mask) -> [Click] {
        let box = m.boundingBox!
        func mid(_ pts: [(Int, Int)]) -> Click {
            let p = pts[pts.count / 2]
            return Click(x: Double(p.0) + 0.5, y: Double(p.1) + 0.5, kind: .extreme)
        }
        let left = (0..<m.height).filter { m[box.x0, $0] }.map { (box.x0, $0) }
        let right = (0..<m.height).filter { m[box.x1 - 1, $0] }.map { (box.x1 - 1, $0) }
        let top = (0..<m.width).filter { m[$0, box.y0] }.map { ($0, box.y0) }
        let bottom = (0..<m.width).filter { m[$0, box.y1 - 1] }.map { ($0, box.y1 - 1) }
        return [mid(left), mid(top), mid(right), mid(bottom)]
    }

    /// Runs the extreme-points call then up to `maxClicks` corrective clicks (warm start from the
    /// previous answer); returns the IoU after each call and the last probability map.
    static func interact(_ model: GraphCutModel, image: RGBImage, gt: Mask, maxClicks: Int) throws -> (ious: [Double], last: GrayImage) {
        var clicks = extremePoints(gt)
        var previous: GrayImage?
        let simulator = ClickSimulator(groundTruth: gt)
        var placed: [Click] = []
        var ious: [Double] = []
        var last = GrayImage(width: 0, height: 0)
        for k in 0...maxClicks {
            let prob = try model.segment(SegmentationInput(image: image, clicks: clicks, previousMask: previous))
            let prediction = Mask(thresholding: prob)
            ious.append(prediction.iou(gt))
            previous = prob
            last = prob
            if k == maxClicks || ious[k] >= 0.9 { break }
            guard let c = simulator.nextClick(prediction: prediction, clicked: placed) else { break }
            placed.append(c)
            clicks.append(c)
        }
        return (ious, last)
    }
}

@Suite("Graph-cut model")
struct GraphCutModelTests {
    let model = GraphCutModel()

    /// A textured disc-and-blob object on a textured, differently coloured background.
    func texturedScene() -> (RGBImage, Mask) {
        let gt = Scene.mask(width: 120, height: 100) { x, y in
            let dx = Double(x - 55), dy = Double(y - 50)
            return dx * dx / 900 + dy * dy / 625 <= 1 || (x >= 70 && x < 95 && y >= 30 && y < 60)
        }
        let image = Scene.render(
            mask: gt, noise: 20, seed: 1,
            object: { x, y in ((x / 4 + y / 4) % 2 == 0 ? (200, 60, 50) : (170, 90, 40)) },
            background: { x, y in ((x / 6) % 2 == 0 ? (60, 140, 70) : (80, 110, 150)) })
        return (image, gt)
    }

    @Test("same input gives the same bytes, with or without a session cache")
    func deterministic() throws {
        let (image, gt) = texturedScene()
        let clicks = Scene.extremePoints(gt) + [Click(x: 80, y: 40, kind: .positive), Click(x: 10, y: 10, kind: .negative)]
        let a = try model.segment(SegmentationInput(image: image, clicks: clicks))
        let b = try model.segment(SegmentationInput(image: image, clicks: clicks, sessionKey: "s"))
        let c = try model.segment(SegmentationInput(image: image, clicks: clicks, sessionKey: "s"))
        let d = try GraphCutModel().segment(SegmentationInput(image: image, clicks: clicks))
        #expect(a == b && b == c && c == d)
        #expect(a.width == image.width && a.height == image.height)
    }

    @Test("a session's cache (contour, click distances) never changes a click sequence's answers")
    func sessionCacheIsInvisible() throws {
        let (image, gt) = texturedScene()
        let cached = GraphCutModel()
        var clicks = Scene.extremePoints(gt)
        var previous: GrayImage?
        let simulator = ClickSimulator(groundTruth: gt)
        var placed: [Click] = []
        // Alternate positive and negative corrections, some repeated at the same pixel.
        let extra = [
            Click(x: 80, y: 40, kind: .positive), Click(x: 10, y: 10, kind: .negative),
            Click(x: 80, y: 40, kind: .positive), Click(x: 30, y: 52, kind: .negative),
        ]
        for k in 0..<8 {
            let withSession = try cached.segment(SegmentationInput(image: image, clicks: clicks, previousMask: previous, sessionKey: "object-1"))
            let fresh = try GraphCutModel().segment(SegmentationInput(image: image, clicks: clicks, previousMask: previous))
            #expect(withSession == fresh, "call \(k)")
            previous = withSession
            if k < extra.count {
                clicks.append(extra[k])
            } else if let c = simulator.nextClick(prediction: Mask(thresholding: withSession), clicked: placed) {
                placed.append(c)
                clicks.append(c)
            }
        }
    }

    @Test("rejects input without extreme points")
    func needsExtremePoints() {
        let image = RGBImage(width: 10, height: 10)
        #expect(throws: SegmentationError.self) {
            try model.segment(SegmentationInput(image: image, clicks: [Click(x: 5, y: 5, kind: .positive)]))
        }
    }

    @Test("degenerate inputs: tiny crops, repeated or outside clicks give a map, absurd ones an error")
    func degenerateInputs() throws {
        let tiny = RGBImage(width: 1, height: 1, fill: (10, 20, 30))
        let one = Click(x: 0.5, y: 0.5, kind: .extreme)
        let p1 = try model.segment(SegmentationInput(image: tiny, clicks: [one, one, one, one]))
        #expect(p1.width == 1 && p1.height == 1 && p1[0, 0] >= 128)
        let (image, _) = texturedScene()
        let outside = [Click(x: -50, y: -50, kind: .extreme), Click(x: -40, y: -45, kind: .extreme),
                       Click(x: 500, y: 400, kind: .negative)]
        let p2 = try model.segment(SegmentationInput(image: image, clicks: outside))
        #expect(p2.width == image.width && p2.pixels.allSatisfy { $0 < 128 })
        let previous = GrayImage(width: 3, height: 3, fill: 255)  // wrong size: ignored
        let p3 = try model.segment(SegmentationInput(
            image: image, clicks: [Click(x: 10, y: 10, kind: .extreme), Click(x: 10, y: 10, kind: .positive)],
            previousMask: previous))
        #expect(p3[10, 10] >= 128)
        #expect(throws: SegmentationError.self) {
            try model.segment(SegmentationInput(image: image, clicks: [Click(x: 1e300, y: 3, kind: .extreme)]))
        }
        #expect(throws: SegmentationError.self) {
            try model.segment(SegmentationInput(image: image, clicks: [Click(x: .nan, y: 3, kind: .extreme)]))
        }
    }

    @Test("probability map is confident far from the cut and near 0.5 at it")
    func probabilityRamp() throws {
        let (image, gt) = texturedScene()
        let prob = try model.segment(SegmentationInput(image: image, clicks: Scene.extremePoints(gt)))
        #expect(prob[55, 50] >= 240)   // deep inside
        #expect(prob[2, 2] <= 15)      // far outside
        let mask = Mask(thresholding: prob)
        // Pixels next to the boundary are neither 0 nor 255.
        var boundaryValues: [UInt8] = []
        for y in 1..<(mask.height - 1) {
            for x in 1..<(mask.width - 1) where mask[x, y] && !mask[x + 1, y] {
                boundaryValues.append(prob[x, y]); boundaryValues.append(prob[x + 1, y])
            }
        }
        #expect(!boundaryValues.isEmpty)
        #expect(boundaryValues.allSatisfy { $0 > 20 && $0 < 235 })
    }

    @Test("textured object on textured background reaches IoU 0.9 within 3 clicks")
    func texturedObject() throws {
        let (image, gt) = texturedScene()
        let ious = try Scene.interact(model, image: image, gt: gt, maxClicks: 3).ious
        #expect(ious.contains { $0 >= 0.9 }, "IoUs \(ious)")
    }

    @Test("object with a weak, shadow-like boundary reaches IoU 0.9 within 5 clicks")
    func weakBoundary() throws {
        // A grey object whose lower-right part fades into a slightly darker "shadow" background.
        let gt = Scene.mask(width: 110, height: 90) { x, y in
            let dx = Double(x - 50), dy = Double(y - 45)
            return dx * dx / 1225 + dy * dy / 900 <= 1
        }
        let image = Scene.render(
            mask: gt, noise: 8, seed: 2,
            object: { _, _ in (150, 150, 145) },
            background: { x, y in x + y > 110 ? (118, 118, 115) : (70, 90, 60) })
        let ious = try Scene.interact(model, image: image, gt: gt, maxClicks: 5).ious
        #expect(ious.contains { $0 >= 0.9 }, "IoUs \(ious)")
    }

    @Test("object with a hole keeps the hole and reaches IoU 0.9 within 4 clicks")
    func objectWithHole() throws {
        let gt = Scene.mask(width: 100, height: 100) { x, y in
            let d2 = (x - 50) * (x - 50) + (y - 50) * (y - 50)
            return d2 <= 40 * 40 && d2 > 16 * 16
        }
        let image = Scene.render(
            mask: gt, noise: 15, seed: 3,
            object: { _, _ in (220, 180, 40) }, background: { x, _ in x % 10 < 5 ? (40, 60, 160) : (60, 50, 120) })
        let (ious, last) = try Scene.interact(model, image: image, gt: gt, maxClicks: 4)
        #expect(ious.contains { $0 >= 0.9 }, "IoUs \(ious)")
        // The hole (centre) ends up background.
        #expect(last[50, 50] < 128)
    }

    @Test("a positive click inside a missed region adds that region")
    func positiveClickAddsRegion() throws {
        // Object: a red square plus a green arm the colour of the background, so the first mask
        // misses the arm.
        let gt = Scene.mask(width: 120, height: 80) { x, y in
            (x >= 20 && x < 60 && y >= 20 && y < 60) || (x >= 60 && x < 100 && y >= 30 && y < 50)
        }
        let image = Scene.render(
            mask: gt, noise: 6, seed: 4,
            object: { x, _ in x < 60 ? (200, 40, 40) : (50, 150, 60) },
            background: { _, _ in (50, 150, 60) })
        let first = try model.segment(SegmentationInput(image: image, clicks: Scene.extremePoints(gt)))
        let clicks = Scene.extremePoints(gt) + [Click(x: 80.5, y: 40.5, kind: .positive)]
        let second = try model.segment(SegmentationInput(image: image, clicks: clicks, previousMask: first))
        let before = Mask(thresholding: first), after = Mask(thresholding: second)
        #expect(!before[80, 40])
        #expect(after[80, 40] && after[70, 40] && after[90, 40])
        #expect(after.iou(gt) > before.iou(gt))
        // Far from the click (the square's interior) nothing changed.
        for y in 25..<55 { for x in 25..<55 { #expect(after[x, y] == before[x, y]) } }
    }

    @Test("a negative click removes a leaked region")
    func negativeClickRemovesLeak() throws {
        // Object: a red disc; a red patch of background touches it inside the box, so it leaks in.
        let gt = Scene.mask(width: 100, height: 100) { x, y in
            (x - 50) * (x - 50) + (y - 50) * (y - 50) <= 35 * 35
        }
        let image = Scene.render(
            mask: gt, noise: 6, seed: 5,
            object: { _, _ in (200, 40, 40) },
            background: { x, y in (x >= 62 && x < 85 && y >= 15 && y < 38) ? (200, 40, 40) : (40, 60, 170) })
        let first = try model.segment(SegmentationInput(image: image, clicks: Scene.extremePoints(gt)))
        let before = Mask(thresholding: first)
        #expect(before[80, 20], "the scene is meant to leak into the red patch")
        let clicks = Scene.extremePoints(gt) + [Click(x: 80.5, y: 20.5, kind: .negative)]
        let second = try model.segment(SegmentationInput(image: image, clicks: clicks, previousMask: first))
        let after = Mask(thresholding: second)
        #expect(!after[80, 20] && !after[75, 22])
        #expect(after.iou(gt) >= before.iou(gt))
        #expect(after[50, 50])
    }
}
