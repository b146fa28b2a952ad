import CurlHTTP
import Testing

@Suite("CurlError: kinds compare with ==, callers need no exhaustive switch")
struct CurlErrorTests {
    static let allCodes: [CurlError.Code] = [
        .connectionRefused, .couldNotResolve, .timedOut, .responseTooLarge, .invalidRequest, .httpStatus,
        .addressNotAllowed, .transport,
    ]

    @Test("each code prints its name; the description is \"<code>: <message>\" as before")
    func names() {
        #expect(Self.allCodes.map(\.description) == [
            "connectionRefused", "couldNotResolve", "timedOut", "responseTooLarge", "invalidRequest", "httpStatus",
            "addressNotAllowed", "transport",
        ])
        #expect(Set(Self.allCodes).count == Self.allCodes.count)
        let error = CurlError(code: .httpStatus, message: "HTTP 404: nope", status: 404)
        #expect(error.description == "httpStatus: HTTP 404: nope")
        #expect("\(error.code)" == "httpStatus")
    }

    @Test("codes compare by kind; message and status are the error's own")
    func comparison() {
        let a = CurlError(code: .timedOut, message: "Connection timed out after 5 ms")
        let b = CurlError(code: .timedOut, message: "Operation timed out after 9 ms")
        #expect(a.code == b.code)
        #expect(a.code != .transport)
        let matched: String = switch a.code {
        case .connectionRefused: "refused"
        case .timedOut: "timeout"
        default: "other"
        }
        #expect(matched == "timeout")
    }

    @Test("isTimeout and isUnreachable: what a circuit breaker counts as the peer failing")
    func classification() {
        for code in Self.allCodes {
            let error = CurlError(code: code, message: "m")
            #expect(error.isTimeout == (code == .timedOut), "\(code)")
            #expect(error.isUnreachable == (code == .connectionRefused || code == .couldNotResolve), "\(code)")
        }
    }
}
