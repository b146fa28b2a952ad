import FewClickCore
import Testing

@Suite("FewClickCore errors: kinds compare with ==, descriptions are the messages")
struct ErrorShapeTests {
    @Test("RLEError codes print their names; the description is the message")
    func rle() {
        let codes: [RLEError.Code] = [.invalidSize, .tooLarge, .malformedCounts, .countsMismatch]
        #expect(codes.map(\.description) == ["invalidSize", "tooLarge", "malformedCounts", "countsMismatch"])
        #expect(Set(codes).count == codes.count)
        let result = Result { () throws(RLEError) in try Mask(cocoRLE: COCORLE(size: [2, 2], counts: "3")) }
        guard case .failure(let error) = result else {
            Issue.record("3 runs of a 4-pixel mask were accepted")
            return
        }
        #expect(error.code == .countsMismatch && error.code != .malformedCounts)
        #expect(error.description == "runs cover 3 pixels, size 2x2 has 4")
        #expect(error == RLEError(.countsMismatch, "runs cover 3 pixels, size 2x2 has 4"))
    }

    @Test("StrictJSON.Invalid describes itself by its message")
    func strictJSON() {
        let result = Result { () throws(StrictJSON.Invalid) in try StrictJSON.validateObject(Array(#"{"a":1,}"#.utf8)) }
        guard case .failure(let error) = result else {
            Issue.record("a trailing comma was accepted")
            return
        }
        #expect("\(error)" == error.message && error.message.hasSuffix("at byte \(error.offset)"))
    }
}
