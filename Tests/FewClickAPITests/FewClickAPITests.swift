import FewClickAPI
import FewClickCore
import Foundation
import Testing

@Suite("FewClickAPI: the public API's wire types")
struct FewClickAPITests {
    @Test("the error body's bytes: keys sorted, slashes unescaped, nothing else")
    func errorBodyBytes() throws {
        let body = ErrorResponseBody(code: .imageNotFound, message: "image a/b is not cached")
        #expect(String(decoding: body.json, as: UTF8.self) == #"{"error":{"code":"image_not_found","message":"image a/b is not cached"}}"#)
        let decoded = try JSONDecoder().decode(ErrorResponseBody.self, from: Data(body.json))
        #expect(decoded == body)
        #expect(decoded.error.code == .imageNotFound && decoded.error.code == "image_not_found")
    }

    @Test("a code the client does not know still decodes (the set of codes is open)")
    func unknownCode() throws {
        let decoded = try JSONDecoder().decode(
            ErrorResponseBody.self, from: Data(#"{"error":{"code":"added_later","message":"m"}}"#.utf8))
        #expect(decoded.error.code == APIErrorCode("added_later"))
        #expect(decoded.error.code.description == "added_later")
    }

    @Test("an answer's bytes: sorted keys, absent encodings and hint left out")
    func responseBytes() throws {
        let body = SegmentResponseBody(
            imageId: "sha256:" + String(repeating: "0", count: 64), width: 3, height: 2,
            mask: .init(rle: COCORLE(size: [2, 3], counts: "12"), polygons: nil, png: nil, bbox: [1, 0, 2, 2], area: 4),
            model: .init(name: "box", version: "1"),
            timingsMs: .init(decode: 1.25, preprocess: 0.5, model: 7.75, postprocess: 0.25, total: 10.5))
        let text = String(decoding: try APIJSON.encode(body), as: UTF8.self)
        #expect(text == #"{"height":2,"imageId":"sha256:\#(String(repeating: "0", count: 64))","mask":{"area":4,"bbox":[1,0,2,2],"rle":{"counts":"12","size":[2,3]}},"model":{"name":"box","version":"1"},"timingsMs":{"decode":1.25,"model":7.75,"postprocess":0.25,"preprocess":0.5,"total":10.5},"width":3}"#)
        #expect(try JSONDecoder().decode(SegmentResponseBody.self, from: Data(text.utf8)) == body)
    }

    @Test("a client's request from session clicks: extreme points apart, RLE only, suggest only when asked")
    func requestFromClicks() throws {
        let clicks = [
            Click(x: 1, y: 2, kind: .extreme), Click(x: 9, y: 2, kind: .extreme), Click(x: 5, y: 0, kind: .extreme),
            Click(x: 5, y: 8, kind: .extreme), Click(x: 4, y: 4, kind: .positive), Click(x: 6.5, y: 3, kind: .negative),
        ]
        let body = SegmentRequestBody(image: .init(fileBytes: [0xFF, 0xD8, 0xFF]), clicks: clicks, previousMask: nil)
        #expect(body.image == .init(data: "/9j/"))
        #expect(body.extremePoints == [[1, 2], [9, 2], [5, 0], [5, 8]])
        #expect(body.clicks == [.init(x: 4, y: 4, positive: true), .init(x: 6.5, y: 3, positive: false)])
        #expect(body.clicks?.map(\.click) == Array(clicks.suffix(2)))
        #expect(body.outputs == ["rle"])
        #expect(body.suggest == nil)
        let text = String(decoding: try APIJSON.encode(body), as: UTF8.self)
        #expect(!text.contains("suggest") && !text.contains("previousMask") && text.contains(#""data":"/9j/""#))
        let asking = SegmentRequestBody(image: .init(id: "x"), clicks: [], previousMask: nil, outputs: [.png], suggest: true)
        #expect(asking.suggest == true && asking.outputs == ["png"] && asking.clicks == [] && asking.extremePoints == [])
    }

    @Test("image ids: sha256: and 64 hex digits; made from a digest in lower case")
    func imageIDs() {
        let id = ImageID.make(sha256Digest: (0..<32).map { UInt8($0 * 8) })
        #expect(id == "sha256:0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0f8")
        #expect(ImageID.isValid(id))
        #expect(ImageID.isValid(id.uppercased().replacingOccurrences(of: "SHA256:", with: "sha256:")))
        #expect(!ImageID.isValid("sha256:" + String(repeating: "g", count: 64)))
        #expect(!ImageID.isValid(String(id.dropLast())))
        #expect(!ImageID.isValid(id + "0"))
        #expect(!ImageID.isValid("md5:" + String(repeating: "0", count: 64)))
    }
}
