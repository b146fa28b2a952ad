import Synchronization

/// A flag that is set once and read from any thread.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// Whether ``set()`` has been called.
    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Sets the flag.
    func set() { value.store(true, ordering: .releasing) }
}
