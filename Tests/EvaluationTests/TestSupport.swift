import Evaluation
import FewClickCore
import Foundation
import ImageCodec
import Segmentation

/// A small deterministic model for tests: the box of the extreme points, plus disks of radius 3 at
/// positive clicks, minus disks at negative clicks (crop coordinates). With no extreme points, the
/// positive disks alone (radius 6).
struct DiskBoxModel: SegmentationModel {
    var name: String { "disk-box" }
    var version: String { "test" }

    func segment(_ input: SegmentationInput) throws -> GrayImage {
        let w = input.image.width, h = input.image.height
        var out = GrayImage(width: w, height: h)
        let extreme = input.extremePoints
        if let box = PixelBox.bounding(extreme.map(\.point)) {
            for y in max(0, box.y0)..<min(h, box.y1) { for x in max(0, box.x0)..<min(w, box.x1) { out[x, y] = 255 } }
        }
        let r = extreme.isEmpty ? 6 : 3
        for c in input.clicks where c.kind != .extreme {
            let (cx, cy) = c.point.pixel
            for y in max(0, cy - r)...min(h - 1, cy + r) where y >= 0 && y < h {
                for x in max(0, cx - r)...min(w - 1, cx + r) where x >= 0 && x < w && (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                    out[x, y] = c.kind == .positive ? 255 : 0
                }
            }
        }
        return out
    }
}

/// Writes a tiny generated dataset (no real images) into a fresh temporary folder: 3 images, 5
/// objects (ellipses and an L-shape on textured backgrounds), JPEG and PNG images, one ignore mask.
func makeGeneratedDataset() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fewclick-eval-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("masks"), withIntermediateDirectories: true)
    var rows = ["instance,image,mask,ignore,category"]
    var rng = SplitMix64(seed: 99)
    for n in 0..<3 {
        let w = 72 + 8 * n, h = 56
        var image = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let noise = UInt8(rng.index(below: 24))
                image[x, y] = (UInt8(40 + x) &+ noise, UInt8(60 + y) &+ noise, 90 &+ noise)
            }
        }
        var objects: [Mask] = []
        // An ellipse and, on image 1, an L-shape.
        var ellipse = Mask(width: w, height: h)
        let cx = 20.0 + Double(10 * n), cy = 26.0, rx = 14.0, ry = 9.0 + Double(n)
        for y in 0..<h { for x in 0..<w where pow((Double(x) - cx) / rx, 2) + pow((Double(y) - cy) / ry, 2) <= 1 { ellipse[x, y] = true } }
        objects.append(ellipse)
        if n == 1 {
            var l = Mask(width: w, height: h)
            for y in 8..<48 { for x in 50..<58 { l[x, y] = true } }
            for y in 40..<48 { for x in 50..<76 { l[x, y] = true } }
            objects.append(l)
        }
        if n == 2 {
            var blob = Mask(width: w, height: h)
            for y in 5..<20 { for x in 60..<80 where (x + y) % 7 != 0 { blob[x, y] = true } }
            objects.append(blob)
        }
        for (k, m) in objects.enumerated() {
            for y in 0..<h { for x in 0..<w where m[x, y] { image[x, y] = (UInt8(200 - 40 * k), 40, UInt8(30 * n)) } }
        }
        let imageName = n == 1 ? "images/img\(n).png" : "images/img\(n).jpg"
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        let bytes = n == 1 ? try ImageFile.encodePNG(image) : try ImageFile.encodeJPEG(image, quality: 92)
        try Data(bytes).write(to: dir.appendingPathComponent(imageName))
        for (k, m) in objects.enumerated() {
            let maskName = "masks/img\(n)_\(k).png"
            try Data(try ImageFile.encodePNG(m.grayImage)).write(to: dir.appendingPathComponent(maskName))
            var ignoreName = ""
            if n == 0 {
                // Ignore a band across the ellipse's right part.
                var ign = Mask(width: w, height: h)
                for y in 0..<h { for x in 28..<31 { ign[x, y] = true } }
                ignoreName = "masks/img\(n)_\(k)_ignore.png"
                try Data(try ImageFile.encodePNG(ign.grayImage)).write(to: dir.appendingPathComponent(ignoreName))
            }
            rows.append("obj\(n)_\(k),\(imageName),\(maskName),\(ignoreName),thing")
        }
    }
    try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("instances.csv"))
    return dir
}
