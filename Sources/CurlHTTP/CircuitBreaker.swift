import Synchronization

/// A circuit breaker for calls to one upstream (gateway → proxy, proxy → endpoint): after
/// `threshold` consecutive failures it opens, and calls are refused at once (the caller answers
/// 503 with `Retry-After`) instead of each waiting for its own timeout; after `cooldown` one call
/// at a time is let through as a probe (half-open), and the first success closes the breaker again.
///
/// What counts as a failure is the caller's choice: timeouts and refused connections, not client
/// errors. Thread-safe.
public final class CircuitBreaker: Sendable {
    /// Whether a call may go ahead.
    public enum Decision: Sendable, Equatable {
        /// Closed (or a half-open probe): make the call, then report ``recordSuccess()`` or ``recordFailure()``.
        case proceed
        /// Open: refuse now; the breaker lets a probe through after `retryAfter`.
        case reject(retryAfter: Duration)
    }

    private struct State {
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        var probeInFlight = false
    }

    /// Consecutive failures that open the breaker (at least 1).
    public let threshold: Int
    /// How long the breaker stays open before a probe.
    public let cooldown: Duration
    private let state = Mutex(State())

    /// Creates a closed breaker.
    /// - Parameters:
    ///   - threshold: consecutive failures that open it; default 3.
    ///   - cooldown: time open before a probe; default 5 s.
    public init(threshold: Int = 3, cooldown: Duration = .seconds(5)) {
        self.threshold = max(1, threshold)
        self.cooldown = max(.milliseconds(1), cooldown)
    }

    /// Whether a call may start now (see ``Decision``).
    public func acquire(now: ContinuousClock.Instant = .now) -> Decision {
        state.withLock { state in
            guard let openedAt = state.openedAt else { return .proceed }
            let reopen = openedAt + cooldown
            if now >= reopen, !state.probeInFlight {
                state.probeInFlight = true
                return .proceed
            }
            return .reject(retryAfter: max(.seconds(1), reopen - now))
        }
    }

    /// The call succeeded (or the upstream answered at all): closes the breaker.
    public func recordSuccess() {
        state.withLock { state in
            state = State()
        }
    }

    /// The call failed: counts towards opening; a failed probe re-opens for another `cooldown`.
    public func recordFailure(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.consecutiveFailures += 1
            if state.probeInFlight || state.consecutiveFailures >= threshold {
                state.openedAt = now
                state.probeInFlight = false
            }
        }
    }

    /// The call was abandoned without an answer either way (e.g. cancelled): frees a probe slot.
    public func recordNeutral() {
        state.withLock { state in state.probeInFlight = false }
    }

    /// The call failed with `error`: a timeout or an unreachable peer (``CurlError/isTimeout``,
    /// ``CurlError/isUnreachable``) is a failure of the peer (``recordFailure(now:)``); any other
    /// error (a bad answer, a cancelled call) is neutral (``recordNeutral()``).
    public func record(_ error: CurlError, now: ContinuousClock.Instant = .now) {
        if error.isTimeout || error.isUnreachable { recordFailure(now: now) } else { recordNeutral() }
    }

    /// Whether the breaker is open now (refusing calls).
    public var isOpen: Bool { state.withLock { $0.openedAt != nil } }

    /// `Retry-After` seconds for a refusal: the wait rounded up, at least 1.
    public static func retryAfterSeconds(_ wait: Duration) -> Int {
        let (seconds, attoseconds) = wait.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
