import FewClickCore
import Foundation
import NeuralNet
import Testing

@testable import Segmentation

@Suite("clicknet input planes")
struct ClickNetPlanesTests {
    @Test("the Swift wrapper draws the planes exactly as the training code does")
    func planesMatchTraining() throws {
        // Made by `python3 -m clicknet.fixtures` (infra/training): a random 50 × 40 crop, a random
        // previous mask, 4 extreme points and 3 corrective clicks, and the planes at S = 96.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clicknet-planes.safetensors")
        let file = try SafeTensors(contentsOf: url)
        let m = file.metadata
        let pre = ClickNetModel.Preprocessing(
            size: try #require(Int(m["size"] ?? "")),
            mean: (m["mean"] ?? "").split(separator: ",").compactMap { Float($0) },
            std: (m["std"] ?? "").split(separator: ",").compactMap { Float($0) },
            heatmapSigma: try #require(Double(m["heatmap_sigma"] ?? "")),
            clickRadius: try #require(Double(m["click_radius"] ?? "")))
        let crop = try file.floats("crop"), previous = try file.floats("previous"), rows = try file.floats("clicks")
        let w = 50, h = 40
        let image = RGBImage(width: w, height: h, pixels: crop.map { UInt8($0) })
        let mask = GrayImage(width: w, height: h, pixels: previous.map { UInt8($0 * 255) })
        var clicks: [Click] = []
        for r in stride(from: 0, to: rows.count, by: 3) {
            let kind: ClickKind = rows[r + 2] == 2 ? .extreme : rows[r + 2] == 1 ? .positive : .negative
            clicks.append(Click(x: Double(rows[r]), y: Double(rows[r + 1]), kind: kind))
        }
        let planes = ClickNetModel.inputPlanes(
            SegmentationInput(image: image, clicks: clicks, previousMask: mask), preprocessing: pre)
        let expected = try file.floats("planes")
        try #require(planes.count == expected.count)
        let s = pre.size * pre.size
        for plane in 0..<7 {
            var worst: Float = 0
            for i in (plane * s)..<((plane + 1) * s) { worst = max(worst, abs(planes[i] - expected[i])) }
            // Colour and mask planes: fp32 rounding of the same bilinear formula; guidance: identical
            // but for Gaussian tails below 4 sigma (< 4e-4).
            #expect(worst < 1e-3, "plane \(plane): max abs difference \(worst)")
        }
    }
}
