/// `exp` and `log` for `Float` written as straight-line arithmetic (Cephes' range reductions and
/// minimax polynomials, Moshier 1984–2000), so that loops calling them auto-vectorise; the C library
/// calls they replace do not. Relative error within a few units in the last place of `Float` over
/// the documented domains (checked against `Foundation.exp` / `log` in the tests).
public enum FastMath {
    /// e^x. Inputs above 88 return e^88; inputs below -87 return e^-87 (about 1.6e-38), which is
    /// what a probability sum or an edge weight needs (no infinities, no denormals). NaN is not
    /// expected and gives an unspecified finite value.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87), 88)
        // n = round(x / ln 2) by the 1.5·2^23 trick (round to nearest even, vectorisable on SSE2).
        let magic: Float = 12_582_912
        let n = (x * 1.442_695_04 + magic) - magic
        // r = x - n ln 2, with ln 2 split in two for exactness.
        let r = (x - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let e = p * (r * r) + r + 1
        let bits = UInt32(bitPattern: Int32(n) &+ 127) &<< 23
        return e * Float(bitPattern: bits)
    }

    /// Natural logarithm for finite x ≥ `Float.leastNormalMagnitude` (positive normal numbers).
    @inlinable @inline(__always)
    public static func log(_ x: Float) -> Float {
        let bits = x.bitPattern
        // x = 2^e · m with m in [1, 2), then m in [√½, √2) by moving one factor of 2.
        var e = Float(Int32(bitPattern: (bits &>> 23) & 0xFF) &- 127)
        var m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
        let big = m > 1.414_213_56
        m = big ? m * 0.5 : m
        e = big ? e + 1 : e
        let f = m - 1
        let z = f * f
        var y: Float = 7.037_683_629_2e-2
        y = y * f - 1.151_461_031_0e-1
        y = y * f + 1.167_699_874_0e-1
        y = y * f - 1.242_014_084_6e-1
        y = y * f + 1.424_932_278_7e-1
        y = y * f - 1.666_805_766_5e-1
        y = y * f + 2.000_071_476_5e-1
        y = y * f - 2.499_999_399_3e-1
        y = y * f + 3.333_333_117_4e-1
        y = y * f * z
        y += -2.121_944_4e-4 * e
        y += -0.5 * z
        return (f + y) + 0.693_359_375 * e
    }
}
