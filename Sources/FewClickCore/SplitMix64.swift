/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, well-mixed generator whose whole state is one
/// `UInt64`, so a stream is reproducible from its seed on every platform and Swift version.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state.
    public private(set) var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// A generator for one evaluation instance: seeded from the run's `seed` and a stable 64-bit
    /// FNV-1a hash of the instance id, so the stream depends on nothing else (not the job count,
    /// not the scheduling order, not Swift's per-process randomized `Hasher`).
    public init(seed: UInt64, instance: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in instance.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        var mixer = SplitMix64(seed: seed)
        self.init(seed: h ^ mixer.next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform index in `0..<count` (`count` > 0), by Lemire's multiply-shift with rejection, so the
    /// result does not depend on the standard library's `random(in:)` algorithm.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "empty range")
        let n = UInt64(count)
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = next().multipliedFullWidth(by: n) }
        }
        return Int(m.high)
    }
}
