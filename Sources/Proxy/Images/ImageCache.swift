import Crypto
import FewClickAPI
import FewClickCore
import Observability
import Synchronization

/// Decoded images by id, least recently used first out, bounded in bytes.
///
/// The key is the image id (`sha256:<hex>` of the encoded file), the value the decoded RGB image;
/// its cost is its pixel buffer (`width × height × 3` bytes). An image larger than the whole
/// capacity is not kept. Thread-safe; lookups and inserts are O(1) amortised.
public final class ImageCache: Sendable {
    private struct Entry {
        var image: RGBImage
        var cost: Int
        var stamp: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Recency order: stamp → id; the smallest stamp is the least recently used.
        var order: [UInt64: String] = [:]
        var nextStamp: UInt64 = 0
        var oldestStamp: UInt64 = 0
        var bytes = 0
    }

    /// The most bytes of decoded pixels kept.
    public let capacityBytes: Int
    private let state = Mutex(State())

    /// Creates a cache that keeps at most `capacityBytes` of decoded pixels (0 keeps nothing).
    public init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    /// The id of an encoded image file: `sha256:` + lower-case hex SHA-256 of `bytes` (FewClickAPI's ``ImageID``).
    public static func imageID(of bytes: [UInt8]) -> String {
        ImageID.make(sha256Digest: SHA256.hash(data: bytes))
    }

    /// The image stored under `id`, marking it most recently used; `nil` when absent.
    public func image(for id: String) -> RGBImage? {
        state.withLock { state in
            guard var entry = state.entries[id] else { return nil }
            state.order[entry.stamp] = nil
            entry.stamp = state.nextStamp
            state.nextStamp += 1
            state.order[entry.stamp] = id
            state.entries[id] = entry
            return entry.image
        }
    }

    /// Stores `image` under `id` (replacing any previous one) and evicts least recently used
    /// images until the total fits. Images larger than the capacity are not stored.
    public func insert(_ image: RGBImage, for id: String) {
        let cost = image.pixels.count
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: id) {
                state.order[old.stamp] = nil
                state.bytes -= old.cost
            }
            guard cost <= capacityBytes else { return }
            while state.bytes + cost > capacityBytes, let victim = Self.popOldest(&state) {
                if let entry = state.entries.removeValue(forKey: victim) {
                    state.bytes -= entry.cost
                    ProxyMetrics.imageStoreEvicted()
                }
            }
            let stamp = state.nextStamp
            state.nextStamp += 1
            state.entries[id] = Entry(image: image, cost: cost, stamp: stamp)
            state.order[stamp] = id
            state.bytes += cost
        }
    }

    /// Bytes of decoded pixels held now.
    public var bytesUsed: Int { state.withLock { $0.bytes } }

    /// Number of images held now.
    public var count: Int { state.withLock { $0.entries.count } }

    private static func popOldest(_ state: inout State) -> String? {
        while state.oldestStamp < state.nextStamp {
            let stamp = state.oldestStamp
            state.oldestStamp += 1
            if let id = state.order.removeValue(forKey: stamp) { return id }
        }
        return nil
    }
}
