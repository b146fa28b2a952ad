import Foundation
import ImageCodec
import Testing

/// The dev data set lives outside the repository (research licence): `../shared/datasets/coco128-dev`.
enum DevSet {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/datasets/coco128-dev").standardizedFileURL
    static var available: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("instances.csv").path) }
}

@Suite("Dev set files", .enabled(if: DevSet.available, "needs ../shared/datasets/coco128-dev (not in the repository)"))
struct DevSetTests {
    @Test("every dev-set image and mask decodes at its listed size")
    func decodeAll() throws {
        let csv = try String(contentsOf: DevSet.root.appendingPathComponent("instances.csv"), encoding: .utf8)
        var rows = csv.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        let header = rows.removeFirst()
        let (imageColumn, maskColumn) = (try #require(header.firstIndex(of: "image")), try #require(header.firstIndex(of: "mask")))
        let (widthColumn, heightColumn) = (try #require(header.firstIndex(of: "width")), try #require(header.firstIndex(of: "height")))
        var seenImages = Set<String>()
        for (index, row) in rows.prefix(400).enumerated() {
            let mask = try ImageFile.decodeGray(Array(Data(contentsOf: DevSet.root.appendingPathComponent(row[maskColumn]))))
            #expect(mask.width == Int(row[widthColumn]) && mask.height == Int(row[heightColumn]))
            // Values checked on a few masks only: a full scan of all of them is slow in debug builds.
            if index < 5 { #expect(mask.pixels.allSatisfy { $0 == 0 || $0 == 255 }) }
            guard seenImages.insert(row[imageColumn]).inserted else { continue }
            let image = try ImageFile.decodeRGB(Array(Data(contentsOf: DevSet.root.appendingPathComponent(row[imageColumn]))))
            #expect(image.width == mask.width && image.height == mask.height)
        }
        #expect(seenImages.count > 50)
    }
}
