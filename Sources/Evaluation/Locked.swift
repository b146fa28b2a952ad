import Synchronization

/// A value behind a lock, as a class so escaping closures and threads can share it
/// (`Mutex` itself is non-copyable and cannot be captured by them).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) throws -> sending R) rethrows -> R {
        try mutex.withLock(body)
    }
}

/// A shared integer counter.
final class Counter: Sendable {
    private let atomic: Atomic<Int>
    init(_ value: Int = 0) { atomic = Atomic(value) }
    /// Adds `delta` and returns the value before the addition.
    func fetchAdd(_ delta: Int) -> Int { atomic.wrappingAdd(delta, ordering: .acquiringAndReleasing).oldValue }
    /// The current value.
    var value: Int { atomic.load(ordering: .acquiring) }
}
