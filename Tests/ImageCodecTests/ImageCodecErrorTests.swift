import FewClickCore
import ImageCodec
import Testing

@Suite("ImageCodecError: kinds compare with ==, descriptions unchanged")
struct ImageCodecErrorTests {
    @Test("codes print their names and are distinct")
    func names() {
        let codes: [ImageCodecError.Code] = [.unsupportedFormat, .tooLarge, .corrupt, .encodeFailed]
        #expect(codes.map(\.description) == ["unsupportedFormat", "tooLarge", "corrupt", "encodeFailed"])
        #expect(Set(codes).count == 4)
    }

    @Test("a decoder's refusal reads \"<code>: <message>\"")
    func description() {
        do {
            _ = try ImageFile.decodeRGB(Array("GIF89a".utf8))
            Issue.record("GIF bytes decoded")
        } catch {
            #expect(error.code == .unsupportedFormat && error.code != .corrupt)
            #expect(error.description == "unsupportedFormat: \(error.message)")
        }
        #expect(ImageCodecError(.corrupt, "premature end of data").description == "corrupt: premature end of data")
    }
}
