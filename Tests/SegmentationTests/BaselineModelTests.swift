import FewClickCore
import Segmentation
import Testing

@Suite("Baseline models")
struct BaselineModelTests {
    static func input(_ clicks: [Click], width: Int = 40, height: Int = 30) -> SegmentationInput {
        SegmentationInput(image: RGBImage(width: width, height: height, fill: (10, 20, 30)), clicks: clicks)
    }

    static let diamond: [Click] = [
        Click(x: 5.2, y: 15.7, kind: .extreme),  // left
        Click(x: 35.9, y: 15.1, kind: .extreme),  // right
        Click(x: 20, y: 3, kind: .extreme),  // top
        Click(x: 20.5, y: 27.5, kind: .extreme),  // bottom
    ]

    @Test("box fills exactly the extreme points' pixel box")
    func boxFill() throws {
        let map = try BoxModel().segment(Self.input(Self.diamond))
        #expect(map.width == 40 && map.height == 30)
        let mask = Mask(thresholding: map)
        #expect(mask.boundingBox == PixelBox(x0: 5, y0: 3, x1: 36, y1: 28))
        #expect(mask.area == 31 * 25)
        #expect(Set(map.pixels) == [0, 255])
    }

    @Test("box: negative disks cut, positive disks add, positive wins on overlap")
    func boxClicks() throws {
        let radius = 3
        var clicks = Self.diamond
        clicks.append(Click(x: 10, y: 10, kind: .negative))
        clicks.append(Click(x: 2, y: 2, kind: .positive))
        let map = try BoxModel(clickRadius: radius).segment(Self.input(clicks))
        #expect(map[10, 10] == 0 && map[13, 10] == 0 && map[14, 10] == 255)
        #expect(map[12, 12] == 0, "distance √8 ≤ 3")
        #expect(map[13, 12] == 255, "distance √13 > 3")
        #expect(map[2, 2] == 255 && map[0, 2] == 255 && map[2, 5] == 255 && map[2, 6] == 0)

        let overlap = try BoxModel(clickRadius: 2).segment(
            Self.input(Self.diamond + [Click(x: 20, y: 15, kind: .positive), Click(x: 20, y: 15, kind: .negative)]))
        #expect(overlap[20, 15] == 255)
    }

    @Test("extreme-polygon is a diamond inside the box, through the extreme pixels")
    func polygonShape() throws {
        let box = Mask(thresholding: try BoxModel().segment(Self.input(Self.diamond)))
        let map = try ExtremePolygonModel().segment(Self.input(Self.diamond))
        let polygon = Mask(thresholding: map)
        #expect(polygon.boundingBox == box.boundingBox)
        for c in Self.diamond { #expect(polygon[Int(c.x), Int(c.y)], "extreme pixel \(c) is inside") }
        #expect(!polygon[5, 3] && !polygon[35, 3] && !polygon[5, 27] && !polygon[35, 27], "corners are cut")
        #expect(polygon[20, 15])
        // A quadrilateral through the midpoints of the box sides covers about half of it.
        let ratio = Double(polygon.area) / Double(box.area)
        #expect(ratio > 0.45 && ratio < 0.6)
        // Every polygon pixel is a box pixel.
        #expect(polygon.iou(box) == ratio)
    }

    @Test("extreme-polygon handles click order and degenerate points")
    func polygonDegenerate() throws {
        let shuffled = [Self.diamond[2], Self.diamond[0], Self.diamond[3], Self.diamond[1]]
        #expect(try ExtremePolygonModel().segment(Self.input(shuffled)) == ExtremePolygonModel().segment(Self.input(Self.diamond)))
        let line = try ExtremePolygonModel().segment(
            Self.input([Click(x: 2, y: 2, kind: .extreme), Click(x: 12, y: 2, kind: .extreme)]))
        #expect(Mask(thresholding: line).area == 11)
        let single = try ExtremePolygonModel().segment(Self.input([Click(x: 7, y: 8, kind: .extreme)]))
        #expect(Mask(thresholding: single).area == 1 && single[7, 8] == 255)
    }

    @Test("both baselines refuse inputs without extreme points")
    func needsExtremePoints() {
        let input = Self.input([Click(x: 3, y: 3, kind: .positive)])
        #expect(throws: SegmentationError.self) { try BoxModel().segment(input) }
        #expect(throws: SegmentationError.self) { try ExtremePolygonModel().segment(input) }
    }

    @Test("clicks outside the crop are clipped, not trapped")
    func outOfBounds() throws {
        let clicks = [Click(x: -5, y: 3, kind: .extreme), Click(x: 100, y: 50, kind: .extreme), Click(x: -1, y: -1, kind: .negative)]
        let map = try BoxModel().segment(Self.input(clicks))
        #expect(map[39, 29] == 255 && map[0, 0] == 0 && map[10, 10] == 255)
        _ = try ExtremePolygonModel().segment(Self.input(clicks))
    }

    @Test("the catalog serves both baselines by name")
    func catalog() throws {
        #expect(try ModelCatalog.make("box")?.name == "box")
        #expect(try ModelCatalog.make("extreme-polygon")?.name == "extreme-polygon")
        #expect(try ModelCatalog.make(ModelCatalog.defaultModelName) != nil)
    }
}
