import FewClickCore
import Testing

@Suite("Next-click hint")
struct NextClickHintTests {
    /// A map of `value(x, y)` over `width × height`.
    private func map(_ width: Int, _ height: Int, _ value: (Int, Int) -> UInt8) -> GrayImage {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { pixels[y * width + x] = value(x, y) } }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    private func inDisk(_ x: Int, _ y: Int, _ cx: Double, _ cy: Double, _ r: Double) -> Bool {
        let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
        return dx * dx + dy * dy <= r * r
    }

    /// The answer: a disk of radius 20 at (40, 40) on an 100 × 80 map, hard 0/255.
    private var disk: GrayImage { map(100, 80) { x, y in inDisk(x, y, 40, 40, 20) ? 255 : 0 } }

    @Test("a belief that extends the object outside the answer gives a positive hint in the middle of it")
    func positiveWhereBeliefAddsObject() throws {
        // The model half-believes in a second blob at (80, 40), radius 10, that the answer left out.
        let belief = map(100, 80) { x, y in
            inDisk(x, y, 40, 40, 20) ? 250 : (inDisk(x, y, 80, 40, 10) ? 170 : 5)
        }
        let hint = try #require(NextClickHint.suggest(answer: disk, belief: belief, clicks: []))
        #expect(hint.positive)
        #expect(abs(hint.x - 80) <= 1 && abs(hint.y - 40) <= 1, "hint at \(hint.x), \(hint.y)")
        #expect(abs(hint.doubt - 170.0 / 255) < 1e-9)
    }

    @Test("a belief that doubts part of the answer gives a negative hint inside that part")
    func negativeWhereBeliefRemovesObject() throws {
        // The left third of the disk is believed background (probability 0.2).
        let belief = map(100, 80) { x, y in
            guard inDisk(x, y, 40, 40, 20) else { return 0 }
            return x < 30 ? 51 : 240
        }
        let hint = try #require(NextClickHint.suggest(answer: disk, belief: belief, clicks: []))
        #expect(!hint.positive)
        #expect(hint.x < 30 && inDisk(hint.x, hint.y, 40, 40, 20), "hint at \(hint.x), \(hint.y)")
    }

    @Test("the stronger of two doubtful regions wins, weighted by doubt and size")
    func strongerRegionWins() throws {
        // Two equal blobs left out of the answer: the one believed more strongly is suggested.
        let belief = map(100, 80) { x, y in
            if inDisk(x, y, 40, 40, 20) { return 255 }
            if inDisk(x, y, 85, 15, 8) { return 120 }
            if inDisk(x, y, 85, 65, 8) { return 220 }
            return 0
        }
        let hint = try #require(NextClickHint.suggest(answer: disk, belief: belief, clicks: []))
        #expect(hint.positive && abs(hint.x - 85) <= 1 && abs(hint.y - 65) <= 1, "hint at \(hint.x), \(hint.y)")
    }

    @Test("no hint when the belief agrees with the answer; a certain map has none either")
    func noHintWhenSure() {
        #expect(NextClickHint.suggest(answer: disk, belief: disk, clicks: []) == nil)
        #expect(NextClickHint.suggest(answer: disk, belief: nil, clicks: []) == nil)
        let mild = map(100, 80) { x, y in inDisk(x, y, 40, 40, 20) ? 200 : 60 }  // doubt 0.22 / 0.24
        #expect(NextClickHint.suggest(answer: disk, belief: mild, clicks: []) == nil)
        #expect(NextClickHint.suggest(answer: mild, belief: nil, clicks: [], minimumDoubt: 0.2) != nil)
    }

    @Test("pixels next to earlier clicks are never suggested")
    func avoidsClickedPixels() throws {
        let belief = map(100, 80) { x, y in
            inDisk(x, y, 40, 40, 20) ? 255 : (inDisk(x, y, 80, 40, 3) ? 200 : 0)
        }
        let first = try #require(NextClickHint.suggest(answer: disk, belief: belief, clicks: []))
        let clicked = [Click(x: Double(first.x) + 0.5, y: Double(first.y) + 0.5, kind: .positive)]
        // The small blob (radius 3) lies within the click radius (5 px) of the click: nothing left to suggest.
        #expect(NextClickHint.suggest(answer: disk, belief: belief, clicks: clicked) == nil)
        #expect(NextClickHint.suggest(answer: disk, belief: belief, clicks: clicked, clickRadius: 0, minimumDepth: 0) != nil)
    }

    @Test("slivers thinner than the minimum depth are not suggested")
    func ignoresSlivers() throws {
        // A 2-pixel-wide ring of doubt around the answer (a boundary sliver), and a 7-pixel-wide blob.
        let sliver = map(100, 80) { x, y in
            inDisk(x, y, 40, 40, 20) ? 255 : (inDisk(x, y, 40, 40, 22) ? 200 : 0)
        }
        #expect(NextClickHint.suggest(answer: disk, belief: sliver, clicks: []) == nil)
        #expect(NextClickHint.suggest(answer: disk, belief: sliver, clicks: [], minimumDepth: 1) != nil)
        let blob = map(100, 80) { x, y in
            if inDisk(x, y, 40, 40, 20) { return 255 }
            return inDisk(x, y, 40, 40, 22) || inDisk(x, y, 85, 40, 3.5) ? 200 : 0
        }
        let hint = try #require(NextClickHint.suggest(answer: disk, belief: blob, clicks: []))
        #expect(abs(hint.x - 85) <= 1 && abs(hint.y - 40) <= 1, "hint at \(hint.x), \(hint.y)")
    }

    @Test("maps of different sizes or empty maps give no hint")
    func sizeMismatch() {
        #expect(NextClickHint.suggest(answer: disk, belief: GrayImage(width: 10, height: 10), clicks: []) == nil)
        #expect(NextClickHint.suggest(answer: GrayImage(width: 0, height: 0), belief: nil, clicks: []) == nil)
    }
}
