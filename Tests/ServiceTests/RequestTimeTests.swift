import Foundation
import Testing

@testable import Gateway

@Suite("Proxy event requestTime")
struct RequestTimeTests {
    @Test("requestTime is dd/MMM/yyyy:HH:mm:ss +0000 in UTC, as API Gateway writes it")
    func format() {
        // The AWS sample event: requestTimeEpoch 1589522469693 ↔ requestTime "15/May/2020:06:01:09 +0000".
        #expect(ProxyEventBuilder.clfTime(Date(timeIntervalSince1970: 1_589_522_469.693)) == "15/May/2020:06:01:09 +0000")
        let reference = DateFormatter()
        reference.locale = Locale(identifier: "en_US_POSIX")
        reference.timeZone = TimeZone(identifier: "UTC")
        reference.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        for t in stride(from: 0.0, to: 4_000_000_000, by: 7_654_321.5) {
            let date = Date(timeIntervalSince1970: t)
            #expect(ProxyEventBuilder.clfTime(date) == reference.string(from: date), "t = \(t)")
        }
    }
}
