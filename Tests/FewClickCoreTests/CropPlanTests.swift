import FewClickCore
import Foundation
import Testing

@Suite("Crop plan")
struct CropPlanTests {
    private func extremes(_ box: PixelBox) -> [Click] {
        // Leftmost, rightmost, topmost, bottommost pixels of a box.
        let midX = Double((box.x0 + box.x1) / 2), midY = Double((box.y0 + box.y1) / 2)
        return [
            Click(x: Double(box.x0), y: midY, kind: .extreme), Click(x: Double(box.x1 - 1), y: midY, kind: .extreme),
            Click(x: midX, y: Double(box.y0), kind: .extreme), Click(x: midX, y: Double(box.y1 - 1), kind: .extreme),
        ]
    }

    private func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var rng = SplitMix64(seed: seed)
        return RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    @Test("box: clicks' bounding box plus margin, clipped; negative clicks ignored")
    func box() {
        var clicks = extremes(PixelBox(x0: 100, y0: 50, x1: 300, y1: 150))  // 200 x 100
        clicks.append(Click(x: 5, y: 5, kind: .negative))
        // The defaults may be retuned; these figures are for explicit settings.
        let settings = CropSettings(marginFraction: 0.15, minMargin: 16, maxSide: 384)
        let plan = CropPlan(imageWidth: 640, imageHeight: 480, clicks: clicks, settings: settings)
        // margin = max(16, 0.15 * 200) = 30
        #expect(plan.box == PixelBox(x0: 70, y0: 20, x1: 330, y1: 180))
        #expect(plan.scale == 1 && plan.isFullResolution)
        #expect(plan.cropWidth == 260 && plan.cropHeight == 160)

        // A tiny object gets the minimum margin, clipped at the image border.
        let tiny = CropPlan(imageWidth: 640, imageHeight: 480, clicks: [Click(x: 3, y: 470, kind: .extreme), Click(x: 6, y: 472, kind: .positive)], settings: settings)
        #expect(tiny.box == PixelBox(x0: 0, y0: 454, x1: 23, y1: 480))

        // No extreme or positive click: the whole image.
        let whole = CropPlan(imageWidth: 64, imageHeight: 32, clicks: [Click(x: 5, y: 5, kind: .negative)], settings: settings)
        #expect(whole.box == PixelBox(x0: 0, y0: 0, x1: 64, y1: 32))
    }

    @Test("scale: the longer side is brought down to maxSide, never up")
    func scale() {
        let clicks = extremes(PixelBox(x0: 100, y0: 100, x1: 900, y1: 500))
        let plan = CropPlan(imageWidth: 1024, imageHeight: 768, clicks: clicks, settings: CropSettings(marginFraction: 0, minMargin: 0, maxSide: 400))
        #expect(plan.box == PixelBox(x0: 100, y0: 100, x1: 900, y1: 500))
        #expect(plan.scale == 0.5)
        #expect(plan.cropWidth == 400 && plan.cropHeight == 200)
        #expect(plan.scaleX == 0.5 && plan.scaleY == 0.5)
        #expect(!plan.isFullResolution)
        let crop = plan.crop(RGBImage(width: 1024, height: 768, fill: (10, 200, 30)))
        #expect(crop.width == 400 && crop.height == 200)
        #expect(crop.pixels.allSatisfy { $0 == 10 || $0 == 200 || $0 == 30 })
    }

    @Test("settings decode with defaults for missing keys")
    func settingsCodable() throws {
        let s = try JSONDecoder().decode(CropSettings.self, from: Data(#"{"maxSide": 512}"#.utf8))
        var expected = CropSettings.default
        expected.maxSide = 512
        #expect(s == expected)
        #expect(try JSONDecoder().decode(CropSettings.self, from: JSONEncoder().encode(CropSettings.default)) == .default)
    }

    @Test("identity when the box fits at scale 1")
    func identity() {
        let image = randomImage(width: 120, height: 90, seed: 1)
        let plan = CropPlan(imageWidth: 120, imageHeight: 90, clicks: extremes(PixelBox(x0: 30, y0: 20, x1: 80, y1: 60)),
                            settings: CropSettings(marginFraction: 0.15, minMargin: 16, maxSide: 384))
        #expect(plan.scale == 1)
        let crop = plan.crop(image)
        for y in 0..<crop.height {
            for x in 0..<crop.width { #expect(crop[x, y] == image[x + plan.box.x0, y + plan.box.y0]) }
        }
        let click = plan.toCrop(Click(x: 40, y: 33, kind: .positive))
        #expect(click == Click(x: Double(40 - plan.box.x0), y: Double(33 - plan.box.y0), kind: .positive))
        var rng = SplitMix64(seed: 2)
        let mask = TestMasks.blobs(width: 120, height: 90, count: 3, rng: &rng)
        let prob = plan.crop(mask)
        #expect(prob.pixels.allSatisfy { $0 == 0 || $0 == 255 })
        let back = plan.pasteBack(prob, imageWidth: 120, imageHeight: 90)
        #expect(back == mask.cropped(to: plan.box).placed(atX: plan.box.x0, y: plan.box.y0, inWidth: 120, height: 90))
    }

    @Test("paste-back of a half-scale crop reproduces the mask", arguments: [UInt64(1), 2, 3, 4])
    func pasteBackHalf(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let mask = TestMasks.blobs(width: 800, height: 600, count: 3, minRadius: 40, rng: &rng)
        let plan = CropPlan(imageWidth: 800, imageHeight: 600, clicks: extremes(PixelBox(x0: 0, y0: 0, x1: 800, y1: 600)),
                            settings: CropSettings(maxSide: 400))
        #expect(plan.scale == 0.5 && plan.cropWidth == 400 && plan.cropHeight == 300)
        let back = plan.pasteBack(plan.crop(mask), imageWidth: 800, imageHeight: 600)
        let iou = back.iou(mask)
        #expect(iou >= 0.98, "IoU \(iou)")
    }

    @Test("paste-back is background outside the box and thresholds at one half")
    func pasteBackOutside() {
        let plan = CropPlan(imageWidth: 200, imageHeight: 100, clicks: extremes(PixelBox(x0: 50, y0: 30, x1: 90, y1: 60)),
                            settings: CropSettings(marginFraction: 0, minMargin: 10, maxSide: 30))
        #expect(plan.box == PixelBox(x0: 40, y0: 20, x1: 100, y1: 70))
        let high = plan.pasteBack(GrayImage(width: plan.cropWidth, height: plan.cropHeight, fill: 128), imageWidth: 200, imageHeight: 100)
        #expect(high.area == plan.box.area)
        #expect(high.boundingBox == plan.box)
        let low = plan.pasteBack(GrayImage(width: plan.cropWidth, height: plan.cropHeight, fill: 127), imageWidth: 200, imageHeight: 100)
        #expect(low.area == 0)
        // A map of another size is still resampled to the box; an empty one gives an empty mask.
        #expect(plan.pasteBack(GrayImage(width: 3, height: 2, fill: 255), imageWidth: 200, imageHeight: 100).area == plan.box.area)
        #expect(plan.pasteBack(GrayImage(width: 0, height: 0), imageWidth: 200, imageHeight: 100).area == 0)
    }

    @Test("clicks map into the crop, onto the crop pixel holding their centre")
    func clicksInside() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<200 {
            let w = Int.random(in: 20...2000, using: &rng), h = Int.random(in: 20...2000, using: &rng)
            let clicks = (0..<Int.random(in: 1...8, using: &rng)).map { i in
                Click(x: Double(Int.random(in: 0..<w, using: &rng)), y: Double(Int.random(in: 0..<h, using: &rng)),
                      kind: i < 4 ? .extreme : .positive)
            }
            let plan = CropPlan(imageWidth: w, imageHeight: h, clicks: clicks)
            #expect(max(plan.cropWidth, plan.cropHeight) <= CropSettings.default.maxSide)
            for click in clicks {
                let c = plan.toCrop(click)
                #expect(c.x >= 0 && c.x < Double(plan.cropWidth) && c.y >= 0 && c.y < Double(plan.cropHeight))
                #expect(c.kind == click.kind)
                // The crop pixel's image footprint contains the clicked pixel's centre.
                let left = Double(plan.box.x0) + c.x / plan.scaleX, right = Double(plan.box.x0) + (c.x + 1) / plan.scaleX
                #expect(left <= click.x + 0.5 + 1e-9 && click.x + 0.5 < right + 1e-9)
                let back = plan.toImage(cropX: Int(c.x), cropY: Int(c.y))
                #expect(abs(back.x - Int(click.x)) <= Int((1 / plan.scaleX).rounded(.up)))
                #expect(abs(back.y - Int(click.y)) <= Int((1 / plan.scaleY).rounded(.up)))
            }
            #expect(plan.cropClicks(clicks).count == clicks.count)
        }
    }

    @Test("hostile clicks and sizes neither crash nor escape the image")
    func hostile() {
        let clicks = [
            Click(x: .nan, y: 3, kind: .extreme), Click(x: -1e300, y: 1e300, kind: .positive),
            Click(x: .infinity, y: 5, kind: .extreme), Click(x: 1e18, y: -4, kind: .extreme),
        ]
        let plan = CropPlan(imageWidth: 50, imageHeight: 40, clicks: clicks)
        #expect(plan.box.x0 >= 0 && plan.box.y0 >= 0 && plan.box.x1 <= 50 && plan.box.y1 <= 40)
        #expect(!plan.box.isEmpty)
        #expect(plan.cropClicks(clicks).count <= 4)
        let empty = CropPlan(imageWidth: 0, imageHeight: 0, clicks: clicks)
        #expect(empty.box.isEmpty && empty.cropWidth == 0)
        #expect(empty.pasteBack(GrayImage(width: 1, height: 1, fill: 255), imageWidth: 0, imageHeight: 0).area == 0)
        // A previous mask of the wrong size is read where it overlaps.
        let odd = plan.crop(Mask(width: 3, height: 3))
        #expect(odd.width == plan.cropWidth && odd.height == plan.cropHeight)
    }
}
