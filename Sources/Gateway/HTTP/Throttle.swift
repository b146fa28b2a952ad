import FewClickCore
import Synchronization

/// A per-principal rate limit: a token bucket refilled at ``ratePerSecond`` up to ``burst`` tokens.
public struct ThrottleSettings: Sendable {
    /// Sustained requests per second allowed per principal.
    public var ratePerSecond: Double
    /// Requests a principal may make at once after being idle.
    public var burst: Int

    /// Creates settings; `ratePerSecond` must be > 0 and `burst` ≥ 1.
    public init(ratePerSecond: Double, burst: Int) {
        self.ratePerSecond = max(ratePerSecond, 0.001)
        self.burst = max(burst, 1)
    }
}

/// Token buckets keyed by principal (the token's `sub`).
final class Throttle: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let settings: ThrottleSettings
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Buckets kept before idle (full) ones are dropped.
    private let maxBuckets = 10_000

    init(settings: ThrottleSettings) {
        self.settings = settings
    }

    /// Takes one token for `key`; returns `nil` when allowed, or how long to wait before a token is free.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            let burst = Double(settings.burst)
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = elapsed.seconds
            bucket.tokens = min(burst, bucket.tokens + seconds * settings.ratePerSecond)
            bucket.updated = now
            defer {
                if buckets.count > maxBuckets { Self.dropFull(&buckets, burst: burst, rate: settings.ratePerSecond, now: now) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return .milliseconds(Int64(((1 - bucket.tokens) / settings.ratePerSecond * 1000).rounded(.up)))
        }
    }

    private static func dropFull(_ buckets: inout [String: Bucket], burst: Double, rate: Double, now: ContinuousClock.Instant) {
        buckets = buckets.filter { _, bucket in
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds)
            return bucket.tokens + seconds * rate < burst
        }
    }
}
