import FewClickCore
import Testing

@Suite("PixelBox")
struct PixelBoxTests {
    @Test("intersection keeps the shared pixels; disjoint boxes give an empty box")
    func intersection() {
        let a = PixelBox(x0: 2, y0: 3, x1: 10, y1: 8)
        #expect(a.intersection(PixelBox(x0: 5, y0: 0, x1: 20, y1: 6)) == PixelBox(x0: 5, y0: 3, x1: 10, y1: 6))
        #expect(a.intersection(a) == a)
        #expect(a.intersection(PixelBox(x0: 12, y0: 0, x1: 20, y1: 6)).isEmpty)
        #expect(a.clipped(width: 6, height: 5) == PixelBox(x0: 2, y0: 3, x1: 6, y1: 5))
        #expect(PixelBox(x0: -4, y0: -1, x1: 3, y1: 2).clipped(width: 6, height: 5) == PixelBox(x0: 0, y0: 0, x1: 3, y1: 2))
    }

    @Test("around is the (2r + 1)-pixel square centred on the pixel")
    func around() {
        let b = PixelBox.around(x: 5, y: 7, radius: 2)
        #expect(b == PixelBox(x0: 3, y0: 5, x1: 8, y1: 10))
        #expect(b.width == 5 && b.height == 5 && b.contains(x: 5, y: 7))
        #expect(PixelBox.around(x: 0, y: 0, radius: 0) == PixelBox(x0: 0, y0: 0, x1: 1, y1: 1))
    }
}
