import FewClickCore
import Foundation
import ImageCodec

/// A generated test scene: a red disk on a textured grey background, encoded as PNG.
struct Scene {
    let image: RGBImage
    let truth: Mask
    let png: [UInt8]

    /// Extreme points of the truth mask (leftmost, rightmost, topmost, bottommost pixel), `[[x, y], ...]`.
    var extremePoints: [[Int]] {
        var left = (Int.max, 0), right = (Int.min, 0), top = (0, Int.max), bottom = (0, Int.min)
        for y in 0..<truth.height {
            for x in 0..<truth.width where truth[x, y] {
                if x < left.0 { left = (x, y) }
                if x > right.0 { right = (x, y) }
                if y < top.1 { top = (x, y) }
                if y > bottom.1 { bottom = (x, y) }
            }
        }
        return [[left.0, left.1], [right.0, right.1], [top.0, top.1], [bottom.0, bottom.1]]
    }

    static func disk(width: Int = 160, height: Int = 120, cx: Double = 84, cy: Double = 58, radius: Double = 30) throws -> Scene {
        var image = RGBImage(width: width, height: height)
        var bits = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                let inside = dx * dx + dy * dy <= radius * radius
                let noise = UInt8((x * 7 + y * 13) % 17)
                let offset = (y * width + x) * 3
                if inside {
                    bits[y * width + x] = 1
                    image.pixels[offset] = 200 + noise
                    image.pixels[offset + 1] = 30 + noise
                    image.pixels[offset + 2] = 40 + noise
                } else {
                    let shade = UInt8(100 + (x / 8 + y / 8) % 2 * 20) + noise
                    image.pixels[offset] = shade
                    image.pixels[offset + 1] = shade
                    image.pixels[offset + 2] = shade
                }
            }
        }
        let truth = Mask(width: width, height: height, bits: bits)
        return Scene(image: image, truth: truth, png: try ImageFile.encodePNG(image))
    }
}

extension Mask {
    /// The number of pixels that differ from `other`.
    func differences(from other: Mask) -> Int {
        zip(bits, other.bits).reduce(0) { $0 + (($1.0 != 0) != ($1.1 != 0) ? 1 : 0) }
    }
}

/// JSON request bodies.
enum Body {
    static func json(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}
