import FewClickCore
import Gateway
import ImageCodec

/// The demo page's sample images, generated here so the Gateway library encodes no images itself
/// (`DemoSettings.samples`).
enum DemoSamples {
    /// Two deterministic scenes: a textured ellipse on a textured background, and a ring-shaped
    /// object (with a hole) beside a shadow-like weak boundary.
    static func make() throws -> [DemoSample] {
        [
            try makeSample(
                name: "ellipse", description: "an orange textured ellipse on a green-grey textured background",
                width: 480, height: 360,
                inside: { x, y in
                    let dx = (Double(x) + 0.5 - 230) / 120, dy = (Double(y) + 0.5 - 180) / 80
                    return dx * dx + dy * dy <= 1
                },
                object: { x, y, n in (UInt8(200 + n / 4), UInt8(110 + n / 3), UInt8(40 + n / 4)) },
                background: { x, y, n in (UInt8(70 + n / 2), UInt8(110 + n / 2), UInt8(80 + n / 3)) }),
            try makeSample(
                name: "ring", description: "a blue ring (an object with a hole) on a light, shaded background",
                width: 400, height: 300,
                inside: { x, y in
                    let dx = Double(x) + 0.5 - 200, dy = Double(y) + 0.5 - 150
                    let r2 = dx * dx + dy * dy
                    return r2 <= 100 * 100 && r2 >= 40 * 40
                },
                object: { x, y, n in (UInt8(40 + n / 4), UInt8(70 + n / 4), UInt8(180 + n / 4)) },
                background: { x, y, n in
                    let shade = x > 200 ? 60 : 0
                    return (UInt8(210 - shade + n / 4), UInt8(205 - shade + n / 4), UInt8(190 - shade + n / 4))
                }),
        ]
    }

    private static func makeSample(
        name: String, description: String, width: Int, height: Int,
        inside: (Int, Int) -> Bool,
        object: (Int, Int, Int) -> (UInt8, UInt8, UInt8),
        background: (Int, Int, Int) -> (UInt8, UInt8, UInt8)
    ) throws -> DemoSample {
        var image = RGBImage(width: width, height: height)
        var mask = Mask(width: width, height: height)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Int(state >> 58)  // 0..63
                if inside(x, y) {
                    mask[x, y] = true
                    image[x, y] = object(x, y, noise)
                } else {
                    image[x, y] = background(x, y, noise)
                }
            }
        }
        let png = try ImageFile.encodePNG(image)
        return DemoSample(
            name: name, description: description, png: png, width: width, height: height, truth: mask.cocoRLE())
    }
}
