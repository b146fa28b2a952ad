import FewClickCore
import Foundation
import LambdaKit
import Synchronization

/// The demo page's bearer tokens: 256 random bits each, known only to this gateway process
/// (never signed with the gateway's JWT secret, so they mean nothing to another gateway, the TOKEN
/// authorizer or `/v1/segment`), valid for a short lifetime from issue, with no clock leeway (the
/// same clock issues and checks them).
///
/// Memory is bounded: expired tokens are kept an hour (so a late call hears `token_expired`, not
/// `invalid_token`), and at most ``capacity`` tokens are held, the oldest dropped first.
final class DemoTokens: Sendable {
    /// The most tokens held at once.
    let capacity: Int
    private let state = Mutex<[String: ContinuousClock.Instant]>([:])
    private let clock = ContinuousClock()

    /// How long an expired token is still recognised as expired.
    static let expiredMemory = Duration.seconds(3600)

    init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// A fresh token valid for `ttl`.
    func issue(ttl: Duration) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = "demo." + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let now = clock.now
        state.withLock { tokens in
            tokens = tokens.filter { $0.value + Self.expiredMemory > now }
            while tokens.count >= capacity, let oldest = tokens.min(by: { $0.value < $1.value }) {
                tokens.removeValue(forKey: oldest.key)
            }
            tokens[token] = now + ttl
        }
        return token
    }

    /// The claims of a valid demo token: subject `demo`, scope `segment demo`.
    ///
    /// - Throws: ``TokenError/expired`` past its lifetime, ``TokenError/invalidSignature`` (401
    ///   `invalid_token`) for a token this process did not issue.
    func verify(_ token: String) throws(TokenError) -> VerifiedClaims {
        let now = clock.now
        guard let expiry = state.withLock({ $0[token] }) else {
            throw TokenError.invalidSignature.with(message: "not a demo token of this gateway (reload the demo page)")
        }
        guard now < expiry else { throw TokenError.expired.with(message: "the demo token has expired (reload the page)") }
        let expiresAt = Date().addingTimeInterval((expiry - now).seconds)
        return VerifiedClaims(
            subject: "demo", scopes: ["segment", "demo"], expiresAt: expiresAt,
            claims: [
                "sub": .string("demo"), "scope": .string("segment demo"),
                "exp": .number(expiresAt.timeIntervalSince1970.rounded(.down)),
            ])
    }
}
