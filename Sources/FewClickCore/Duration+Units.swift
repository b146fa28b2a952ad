/// `Duration` as a floating-point count of seconds or milliseconds: the one spelling of the conversion
/// that metrics, logs, rate limits and benchmarks share.
extension Duration {
    /// The duration in seconds (`seconds + attoseconds / 1e18`).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in milliseconds (`seconds × 1000 + attoseconds / 1e15`).
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
