import Hummingbird
import ServerLimits
import Testing

@Suite("BodyReadError: each refusal's status and client message")
struct BodyReadErrorTests {
    @Test("413, 408 and 400 with the messages every service answers")
    func refusals() {
        let cases: [(BodyReadError, BodyReadError.Code, HTTPResponse.Status, String)] = [
            (.tooLarge(limit: 4000), .tooLarge, .contentTooLarge, "request body exceeds the limit of 4000 bytes"),
            (.timedOut(.seconds(30)), .timedOut, .requestTimeout, "the request body did not arrive within 30.0 seconds"),
            (.malformed("invalid chunk size"), .malformed, .badRequest, "the request body's framing is invalid (invalid chunk size)"),
            (.failed("connection reset"), .failed, .badRequest, "the request body could not be read (connection reset)"),
        ]
        for (error, code, status, message) in cases {
            #expect(error.code == code)
            #expect(error.status == status, "\(code)")
            #expect(error.message == message)
            #expect(error.description == message)
        }
        #expect(cases.map(\.1.description) == ["tooLarge", "timedOut", "malformed", "failed"])
        #expect(Set(cases.map(\.1)).count == 4)
    }
}
