import ServerLimits
import Testing

@testable import Gateway

@Suite("Gateway: request bodies that cannot be read")
struct GatewayBodyRefusalTests {
    @Test("413 payload_too_large, 408 request_timeout, 400 invalid_request; each closes the connection")
    func refusals() {
        let cases: [(BodyReadError, Int, String, String)] = [
            (.tooLarge(limit: 100), 413, "payload_too_large", "the request body exceeds 100 bytes"),
            (.timedOut(.seconds(30)), 408, "request_timeout", "the request body did not arrive within 30.0 seconds"),
            (.malformed("bad chunk"), 400, "invalid_request", "the request body's framing is invalid (bad chunk)"),
            (.failed("reset"), 400, "invalid_request", "the request body could not be read (reset)"),
        ]
        for (error, status, code, message) in cases {
            let refusal = RequestBodyLimit.refusal(error, limit: 100)
            #expect(refusal.status.code == status && refusal.code.rawValue == code && refusal.message == message, "\(error.code)")
            #expect(refusal.headers[.connection] == "close", "\(error.code)")
        }
    }
}
