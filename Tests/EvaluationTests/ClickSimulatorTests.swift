import Evaluation
import FewClickCore
import Testing

/// A mask of `w`×`h` with the given half-open rectangles set.
func rectMask(_ w: Int, _ h: Int, _ rects: [(Int, Int, Int, Int)]) -> Mask {
    var m = Mask(width: w, height: h)
    for (x0, y0, x1, y1) in rects { for y in y0..<y1 { for x in x0..<x1 { m[x, y] = true } } }
    return m
}

@Suite("Click simulator")
struct ClickSimulatorTests {
    @Test("first click of an empty prediction is the object's deepest pixel, positive")
    func deepestPixel() throws {
        let gt = rectMask(10, 10, [(2, 2, 7, 7)])
        let click = try #require(ClickSimulator(groundTruth: gt).nextClick(prediction: Mask(width: 10, height: 10), clicked: []))
        #expect(click == Click(x: 4.5, y: 4.5, kind: .positive))
    }

    @Test("a perfect prediction leaves nothing to click")
    func perfect() {
        let gt = rectMask(10, 10, [(2, 2, 7, 7)])
        #expect(ClickSimulator(groundTruth: gt).nextClick(prediction: gt, clicked: []) == nil)
    }

    @Test("a false-positive blob gets a negative click at its centre")
    func falsePositive() throws {
        let gt = rectMask(12, 12, [(0, 0, 3, 3)])
        let pred = rectMask(12, 12, [(0, 0, 3, 3), (6, 6, 11, 11)])
        let click = try #require(ClickSimulator(groundTruth: gt).nextClick(prediction: pred, clicked: []))
        #expect(click == Click(x: 8.5, y: 8.5, kind: .negative))
    }

    @Test("equal FN and FP depths give a negative click (ties are negative)")
    func tie() throws {
        // FN: 3x3 block (max squared distance 4); FP: 3x3 block elsewhere (also 4).
        let gt = rectMask(12, 12, [(1, 1, 4, 4)])
        let pred = rectMask(12, 12, [(7, 7, 10, 10)])
        let click = try #require(ClickSimulator(groundTruth: gt).nextClick(prediction: pred, clicked: []))
        #expect(click == Click(x: 8.5, y: 8.5, kind: .negative))
        // One pixel more depth on the FN side flips it.
        let gt2 = rectMask(12, 12, [(0, 0, 5, 5)])
        let click2 = try #require(ClickSimulator(groundTruth: gt2).nextClick(prediction: pred, clicked: []))
        #expect(click2 == Click(x: 2.5, y: 2.5, kind: .positive))
    }

    @Test("among equally deep pixels the first in row-major order wins")
    func rowMajor() throws {
        // A 2-pixel-wide horizontal bar: every pixel has squared distance 1.
        let gt = rectMask(8, 8, [(3, 5, 7, 7)])
        let click = try #require(ClickSimulator(groundTruth: gt).nextClick(prediction: Mask(width: 8, height: 8), clicked: []))
        #expect(click == Click(x: 3.5, y: 5.5, kind: .positive))
    }

    @Test("the image border counts as outside (one pixel of zero padding)")
    func padding() throws {
        // Columns 0…2, all rows: column 1 is deepest (distance 2), rows 1…8 reach it; first is (1, 1).
        let gt = rectMask(10, 10, [(0, 0, 3, 10)])
        let click = try #require(ClickSimulator(groundTruth: gt).nextClick(prediction: Mask(width: 10, height: 10), clicked: []))
        #expect(click == Click(x: 1.5, y: 1.5, kind: .positive))
    }

    @Test("already-clicked pixels are not clicked again")
    func clickedPixelsZeroed() throws {
        let gt = rectMask(9, 9, [(3, 3, 6, 6)])
        let sim = ClickSimulator(groundTruth: gt)
        let empty = Mask(width: 9, height: 9)
        let first = try #require(sim.nextClick(prediction: empty, clicked: []))
        #expect(first == Click(x: 4.5, y: 4.5, kind: .positive))
        let second = try #require(sim.nextClick(prediction: empty, clicked: [first]))
        #expect(second == Click(x: 3.5, y: 3.5, kind: .positive))
        // Only one error pixel, already clicked: nothing left.
        let one = rectMask(9, 9, [(2, 2, 3, 3)])
        #expect(ClickSimulator(groundTruth: one).nextClick(prediction: empty, clicked: [Click(x: 2.2, y: 2.9, kind: .extreme)]) == nil)
    }

    @Test("ignore pixels are neither errors nor click targets")
    func ignorePixels() throws {
        // Big FN block that is ignored, small FN block that is not.
        let gt = rectMask(20, 20, [(0, 0, 9, 9), (14, 14, 17, 17)])
        let ignore = rectMask(20, 20, [(0, 0, 10, 10)])
        let sim = ClickSimulator(groundTruth: gt, ignore: ignore)
        let click = try #require(sim.nextClick(prediction: Mask(width: 20, height: 20), clicked: []))
        #expect(click == Click(x: 15.5, y: 15.5, kind: .positive))
        // A false positive entirely inside the ignore region is not an error either.
        let pred = rectMask(20, 20, [(14, 14, 17, 17), (1, 1, 3, 3)])
        let gtSmall = rectMask(20, 20, [(14, 14, 17, 17)])
        #expect(ClickSimulator(groundTruth: gtSmall, ignore: ignore).nextClick(prediction: pred, clicked: []) == nil)
    }

    @Test("extreme points lie on the extreme rows and columns and are reproducible")
    func extremePoints() throws {
        // A plus-shaped object: left/right arms 3 rows tall, top/bottom arms 3 columns wide.
        let gt = rectMask(20, 20, [(2, 8, 18, 11), (8, 2, 11, 18)])
        let sim = ClickSimulator(groundTruth: gt)
        var rng = SplitMix64(seed: 7, instance: "plus")
        let points = try #require(sim.extremePoints(perturbation: 0, rng: &rng))
        #expect(points.count == 4)
        #expect(points.allSatisfy { $0.kind == .extreme && gt[Int($0.x), Int($0.y)] })
        #expect(points[0].x == 2.5 && (8...10).contains(Int(points[0].y)))
        #expect(points[1].x == 17.5 && (8...10).contains(Int(points[1].y)))
        #expect(points[2].y == 2.5 && (8...10).contains(Int(points[2].x)))
        #expect(points[3].y == 17.5 && (8...10).contains(Int(points[3].x)))
        var again = SplitMix64(seed: 7, instance: "plus")
        #expect(sim.extremePoints(perturbation: 0, rng: &again) == points)
        // Over many seeds every candidate row of the left arm gets picked.
        var rows = Set<Int>()
        for seed in 0..<64 {
            var r = SplitMix64(seed: UInt64(seed), instance: "plus")
            rows.insert(Int(sim.extremePoints(rng: &r)![0].y))
        }
        #expect(rows == [8, 9, 10])
    }

    @Test("perturbed extreme points stay within pert pixels of the extreme column")
    func perturbation() throws {
        let gt = rectMask(30, 30, [(5, 5, 25, 25)])
        let sim = ClickSimulator(groundTruth: gt)
        var xs = Set<Int>()
        for seed in 0..<200 {
            var r = SplitMix64(seed: UInt64(seed), instance: "square")
            let p = try #require(sim.extremePoints(perturbation: 3, rng: &r))
            #expect((5...8).contains(Int(p[0].x)))
            #expect((21...24).contains(Int(p[1].x)))
            #expect((5...8).contains(Int(p[2].y)))
            #expect((21...24).contains(Int(p[3].y)))
            xs.insert(Int(p[0].x))
        }
        #expect(xs == [5, 6, 7, 8])
    }

    @Test("an empty object has no extreme points")
    func emptyObject() {
        var rng = SplitMix64(seed: 0)
        #expect(ClickSimulator(groundTruth: Mask(width: 4, height: 4)).extremePoints(rng: &rng) == nil)
    }

    @Test("the per-instance RNG is stable (FNV-1a + SplitMix64, not Swift's Hasher)")
    func stableRNG() {
        var a = SplitMix64(seed: 0)
        // SplitMix64's published first output for seed 0.
        #expect(a.next() == 0xe220_a839_7b1d_cdaf)
        var b = SplitMix64(seed: 3, instance: "x"), c = SplitMix64(seed: 3, instance: "x"), d = SplitMix64(seed: 3, instance: "y")
        let vb = b.next(), vc = c.next(), vd = d.next()
        #expect(vb == vc)
        #expect(vb != vd)
    }
}
