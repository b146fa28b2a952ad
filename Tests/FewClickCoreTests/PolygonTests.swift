import FewClickCore
import Testing

@Suite("Mask polygons")
struct PolygonTests {
    private func roundTrip(_ mask: Mask, tolerance: Double = 0, connectivity: Connectivity = .eight) -> Mask {
        Mask(rasterizing: mask.polygons(tolerance: tolerance, connectivity: connectivity), width: mask.width, height: mask.height)
    }

    @Test("a single pixel is a unit square on its corners, clockwise on screen")
    func singlePixel() {
        var mask = Mask(width: 4, height: 3)
        mask[2, 1] = true
        let polygons = mask.polygons()
        #expect(polygons == [MaskPolygon(outer: [
            Point(x: 2, y: 1), Point(x: 3, y: 1), Point(x: 3, y: 2), Point(x: 2, y: 2),
        ])])
        #expect(MaskPolygon.signedArea(polygons[0].outer) == 1)
        #expect(polygons[0].flatRings == [[2, 1, 3, 1, 3, 2, 2, 2]])
        #expect(MaskPolygon(flatRings: polygons[0].flatRings) == polygons[0])
        #expect(roundTrip(mask) == mask)
    }

    @Test("an empty mask has no polygons")
    func empty() {
        #expect(Mask(width: 5, height: 5).polygons().isEmpty)
        #expect(Mask(width: 0, height: 0).polygons().isEmpty)
    }

    @Test("a square with a hole: one outer ring, one hole of opposite orientation")
    func squareWithHole() {
        let mask = TestMasks.ascii([
            "#####",
            "#...#",
            "#...#",
            "#####",
        ])
        let polygons = mask.polygons()
        #expect(polygons.count == 1)
        let p = polygons[0]
        #expect(p.outer == [Point(x: 0, y: 0), Point(x: 5, y: 0), Point(x: 5, y: 4), Point(x: 0, y: 4)])
        #expect(p.holes.count == 1)
        #expect(MaskPolygon.signedArea(p.outer) == 20)
        #expect(MaskPolygon.signedArea(p.holes[0]) == -6)
        #expect(Set(p.holes[0]) == [Point(x: 1, y: 1), Point(x: 4, y: 1), Point(x: 4, y: 3), Point(x: 1, y: 3)])
        #expect(roundTrip(mask) == mask)
    }

    @Test("an object inside a hole is a part of its own")
    func nested() {
        let mask = TestMasks.ascii([
            "#######",
            "#.....#",
            "#.###.#",
            "#.#.#.#",
            "#.###.#",
            "#.....#",
            "#######",
        ])
        let polygons = mask.polygons()
        #expect(polygons.count == 2)
        #expect(polygons.map(\.holes.count) == [1, 1])
        #expect(polygons[1].outer.first == Point(x: 2, y: 2))
        #expect(roundTrip(mask) == mask)
    }

    @Test("diagonal neighbours: one part with 8-connectivity, two with 4")
    func diagonal() {
        let mask = TestMasks.ascii([
            "#..",
            ".#.",
            "..#",
        ])
        let eight = mask.polygons(connectivity: .eight)
        #expect(eight.count == 1)
        #expect(eight[0].outer.count == 12)
        #expect(eight[0].holes.isEmpty)
        #expect(mask.polygons(connectivity: .four).count == 3)
        #expect(roundTrip(mask, connectivity: .eight) == mask)
        #expect(roundTrip(mask, connectivity: .four) == mask)
    }

    @Test("diagonal-only background cells are holes with 8-connectivity objects")
    func diagonalHoles() {
        // The two background pixels touch only at a corner: with 8-connected objects they are two
        // separate (4-connected) holes.
        let mask = TestMasks.ascii([
            "####",
            "#.##",
            "##.#",
            "####",
        ])
        let eight = mask.polygons(connectivity: .eight)
        #expect(eight.count == 1)
        #expect(eight[0].holes.count == 2)
        let four = mask.polygons(connectivity: .four)
        #expect(four.count == 1)
        #expect(four[0].holes.count == 1)
        #expect(roundTrip(mask, connectivity: .eight) == mask)
        #expect(roundTrip(mask, connectivity: .four) == mask)
    }

    @Test("checkerboards and noise survive the round trip at tolerance 0", arguments: Connectivity.allCases)
    func noiseRoundTrip(connectivity: Connectivity) {
        var rng = SplitMix64(seed: 7)
        for (w, h) in [(1, 1), (1, 9), (9, 1), (8, 8), (33, 17), (64, 64)] {
            for p in [0.1, 0.5, 0.9] {
                let mask = TestMasks.noise(width: w, height: h, p: p, rng: &rng)
                #expect(roundTrip(mask, connectivity: connectivity) == mask, "\(w)x\(h) p=\(p)")
            }
            var checker = Mask(width: w, height: h)
            for y in 0..<h { for x in 0..<w where (x + y) % 2 == 0 { checker[x, y] = true } }
            #expect(roundTrip(checker, connectivity: connectivity) == checker)
        }
    }

    @Test("blobby masks with holes: exact at tolerance 0, IoU stays high at tolerance 1")
    func blobs() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<12 {
            let mask = TestMasks.blobs(width: 120, height: 90, count: 4, rng: &rng)
            let exact = mask.polygons(tolerance: 0)
            #expect(Mask(rasterizing: exact, width: 120, height: 90) == mask)
            // One polygon per 8-connected part, holes = enclosed background parts.
            #expect(exact.count == mask.connectedComponents(.eight).count)
            for p in exact {
                #expect(MaskPolygon.signedArea(p.outer) > 0)
                for hole in p.holes { #expect(MaskPolygon.signedArea(hole) < 0) }
            }
            let simplified = mask.polygons(tolerance: 1)
            #expect(simplified.count == exact.count)
            let vertices = simplified.reduce(0) { $0 + $1.vertexCount }
            #expect(vertices < exact.reduce(0) { $0 + $1.vertexCount })
        }
    }

    @Test("object-sized blobs keep IoU ≥ 0.97 at tolerance 1 with far fewer vertices")
    func simplification() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<8 {
            let mask = TestMasks.blobs(width: 320, height: 240, count: 3, minRadius: 15, rng: &rng)
            let exact = mask.polygons(tolerance: 0)
            let simplified = mask.polygons(tolerance: 1)
            let iou = Mask(rasterizing: simplified, width: 320, height: 240).iou(mask)
            #expect(iou >= 0.97, "IoU \(iou) at tolerance 1")
            let before = exact.reduce(0) { $0 + $1.vertexCount }, after = simplified.reduce(0) { $0 + $1.vertexCount }
            #expect(after * 2 < before, "\(before) -> \(after) vertices")
        }
    }

    @Test("tolerance keeps tiny parts instead of collapsing them")
    func tinyPartsSurvive() {
        var mask = Mask(width: 50, height: 5)
        mask[3, 3] = true
        for x in 10..<45 { mask[x, 1] = true }
        let polygons = mask.polygons(tolerance: 2)
        #expect(polygons.count == 2)
        #expect(polygons.allSatisfy { $0.outer.count >= 3 })
        #expect(Mask(rasterizing: polygons, width: 50, height: 5) == mask)
    }

    @Test("rasteriser: pixel centres decide, overlapping polygons unite, junk coordinates are ignored")
    func rasterizer() {
        // A triangle covering the centres of pixels below the diagonal of a 4x4 square.
        let triangle = MaskPolygon(outer: [Point(x: 0, y: 0), Point(x: 4, y: 4), Point(x: 0, y: 4)])
        let mask = Mask(rasterizing: [triangle], width: 4, height: 4)
        #expect(mask == TestMasks.ascii(["....", "#...", "##..", "###."]))
        // Two overlapping squares unite (no even-odd between polygons).
        let a = MaskPolygon(outer: [Point(x: 0, y: 0), Point(x: 3, y: 0), Point(x: 3, y: 3), Point(x: 0, y: 3)])
        let b = MaskPolygon(outer: [Point(x: 1, y: 1), Point(x: 4, y: 1), Point(x: 4, y: 4), Point(x: 1, y: 4)])
        #expect(Mask(rasterizing: [a, b], width: 4, height: 4).area == 14)
        // Out-of-frame, infinite and NaN coordinates neither crash nor paint outside.
        let wild = MaskPolygon(outer: [
            Point(x: -1e300, y: -1e300), Point(x: 1e300, y: -5), Point(x: .infinity, y: 2), Point(x: .nan, y: 3),
            Point(x: 2, y: 1e300),
        ])
        _ = Mask(rasterizing: [wild], width: 4, height: 4)
        #expect(Mask(rasterizing: [MaskPolygon(outer: [])], width: 3, height: 3).area == 0)
        #expect(Mask(rasterizing: [a], width: 0, height: 0).area == 0)
    }
}

@Suite("Mask components")
struct ComponentTests {
    @Test("parts are numbered in row-major order of their first pixel")
    func labelling() {
        let mask = TestMasks.ascii([
            "..#..#",
            "#.#...",
            "#...##",
            "...#..",
        ])
        let four = mask.connectedComponents(.four)
        #expect(four.count == 5)
        #expect(four[2, 0] == 1 && four[2, 1] == 1)
        #expect(four[5, 0] == 2)
        #expect(four[0, 1] == 3)
        #expect(four[4, 2] == 4 && four[5, 2] == 4)
        #expect(four[3, 3] == 5)
        #expect(four.areas() == [2, 1, 2, 2, 1])
        let eight = mask.connectedComponents(.eight)
        #expect(eight.count == 4)
        #expect(eight[3, 3] == eight[4, 2])
        #expect(eight.boundingBoxes()[3] == PixelBox(x0: 3, y0: 2, x1: 6, y1: 4))
    }

    @Test("U shapes merge late in the scan and still get one label")
    func mergingShapes() {
        let mask = TestMasks.ascii([
            "#.#.#",
            "#.#.#",
            "#####",
        ])
        let parts = mask.connectedComponents(.four)
        #expect(parts.count == 1)
        #expect(parts.mask(of: 1) == mask)
    }

    @Test("keeping parts that contain seeds, and the largest part")
    func selection() {
        let mask = TestMasks.ascii([
            "##...",
            "##..#",
            ".....",
            "..###",
        ])
        #expect(mask.keepingComponents(containing: [(x: 4, y: 1), (x: 9, y: 9), (x: 2, y: 0)]) ==
            TestMasks.ascii([".....", "....#", ".....", "....."]))
        #expect(mask.largestComponent() == TestMasks.ascii(["##...", "##...", ".....", "....."]))
        #expect(Mask(width: 2, height: 2).largestComponent().area == 0)
    }

    @Test("cropping and placing are inverse inside the frame")
    func cropAndPlace() {
        var rng = SplitMix64(seed: 3)
        let mask = TestMasks.noise(width: 20, height: 15, p: 0.5, rng: &rng)
        let box = PixelBox(x0: 4, y0: 3, x1: 13, y1: 11)
        let crop = mask.cropped(to: box)
        #expect(crop.width == 9 && crop.height == 8)
        #expect(crop[0, 0] == mask[4, 3] && crop[8, 7] == mask[12, 10])
        let back = crop.placed(atX: 4, y: 3, inWidth: 20, height: 15)
        #expect(back == mask.cropped(to: box).placed(atX: 4, y: 3, inWidth: 20, height: 15))
        #expect(back.cropped(to: box) == crop)
        #expect(back.area == crop.area)
        #expect(mask.cropped(to: PixelBox(x0: 18, y0: 14, x1: 40, y1: 40)).width == 2)
        #expect(mask.cropped(to: PixelBox(x0: 30, y0: 0, x1: 40, y1: 5)).width == 0)
    }
}
