import FewClickCore
import Logging
import Observability
import Synchronization

/// The image store shared by proxy replicas: each image's encoded file in Redis under
/// `fewclick:image:<imageId>` with a TTL, and the decoded image in a local ``ImageCache`` in front.
///
/// A lookup tries the local cache, then Redis (`GET`); a file from Redis is checked against its id
/// (SHA-256) and handed to the caller, which decodes it as it decodes uploads (pixel limit, decode
/// bound) and inserts it, so it is cached locally. An insert
/// caches locally and writes Redis (`SET … PX ttl`) when the file is at most `maxImageBytes`.
///
/// Redis failures never fail a call: the store falls back to the local cache (an insert is kept
/// locally, a lookup answers from the local cache or misses), logs a warning once when Redis stops
/// answering and a notice once when it answers again, and counts every operation that fell back in
/// `fewclick_image_store_fallbacks_total`. The client fails fast while Redis is down (see
/// ``RedisClient``), so a dead Redis costs a call no waiting.
public final class RedisImageStore: ImageStore {
    /// The decoded images of this process, in front of Redis.
    public let local: ImageCache
    /// The Redis connections.
    public let redis: RedisClient
    /// The settings (TTL, per-image size cap).
    public let settings: ImageStoreSettings
    private let logger: Logger
    private let degraded = Atomic<Bool>(false)
    private let fallbackCount = Atomic<Int>(0)

    /// The Redis key prefix before the image id.
    public static let keyPrefix = "fewclick:image:"

    /// Creates the store; nothing connects until the first call.
    ///
    /// - Throws: ``RedisError`` `invalidURL` when `settings.url` is missing or not a `redis://` URL.
    public init(settings: ImageStoreSettings, localCapacityBytes: Int, logger: Logger) throws(RedisError) {
        var configuration = try RedisConfiguration(url: settings.url ?? "")
        configuration.connectTimeout = settings.timeout
        configuration.commandTimeout = settings.timeout
        self.redis = RedisClient(configuration: configuration)
        self.local = ImageCache(capacityBytes: localCapacityBytes)
        self.settings = settings
        self.logger = logger
    }

    deinit { redis.shutdown() }

    /// Operations that fell back to the local cache because Redis did not answer (also counted in
    /// the `fewclick_image_store_fallbacks_total` metric).
    public var fallbacks: Int { fallbackCount.load(ordering: .relaxed) }

    /// Whether the last Redis operation failed (the store is answering from the local cache alone).
    public var isDegraded: Bool { degraded.load(ordering: .relaxed) }

    /// The Redis key of an image id.
    public static func key(for id: String) -> [UInt8] { Array((keyPrefix + id).utf8) }

    /// The locally cached image.
    public func localImage(for id: String) -> RGBImage? { local.image(for: id) }

    /// The file Redis holds under `id`, when its SHA-256 matches the id; nil when Redis does not
    /// have it, is unreachable (counted as a fallback), or holds a file that does not match.
    public func sharedFile(for id: String) async -> [UInt8]? {
        let reply: RedisReply
        do {
            reply = try await redis.command([Array("GET".utf8), Self.key(for: id)])
        } catch {
            fellBack(error)
            return nil
        }
        let bytes: [UInt8]
        switch reply {
        case .bulk(let stored): bytes = stored
        case .null:
            recovered()
            return nil
        default:
            fellBack(RedisError(.connection, "unexpected GET reply: \(Self.describe(reply))"))
            return nil
        }
        recovered()
        let matches = (try? await Offload.run { () -> Bool in ImageCache.imageID(of: bytes) == id }) ?? false
        guard matches else {
            logger.warning("image store: the file stored under an id does not match it; ignored", metadata: ["image": "\(id)"])
            return nil
        }
        return bytes
    }

    /// Caches locally; writes Redis when `encoded` is given and within `maxImageBytes`.
    public func insert(_ image: RGBImage, encoded: [UInt8]?, for id: String) async {
        local.insert(image, for: id)
        guard let encoded else { return }
        guard encoded.count <= settings.maxImageBytes else {
            logger.debug(
                "image store: not shared (larger than the cap)",
                metadata: ["image": "\(id)", "bytes": "\(encoded.count)", "cap": "\(settings.maxImageBytes)"])
            return
        }
        let milliseconds = max(1, settings.ttl.components.seconds * 1000 + settings.ttl.components.attoseconds / 1_000_000_000_000_000)
        do {
            let reply = try await redis.command([
                Array("SET".utf8), Self.key(for: id), encoded, Array("PX".utf8), Array(String(milliseconds).utf8),
            ])
            guard case .status = reply else {
                fellBack(RedisError(.connection, "unexpected SET reply: \(Self.describe(reply))"))
                return
            }
            recovered()
        } catch {
            fellBack(error)
        }
    }

    /// Counts a fallback; logs only the first of an outage.
    private func fellBack(_ error: RedisError) {
        ProxyMetrics.imageStoreFallback()
        fallbackCount.add(1, ordering: .relaxed)
        if !degraded.exchange(true, ordering: .relaxed) {
            logger.warning(
                "image store: Redis is not answering; using this process's cache until it does",
                metadata: ["redis": "\(redis.configuration.redactedURL)", "error": "\(error.message)"])
        }
    }

    private func recovered() {
        if degraded.exchange(false, ordering: .relaxed) {
            logger.notice("image store: Redis answers again", metadata: ["redis": "\(redis.configuration.redactedURL)"])
        }
    }

    private static func describe(_ reply: RedisReply) -> String {
        switch reply {
        case .error(let text): return String(text.prefix(200))
        case .status(let text): return String(text.prefix(200))
        case .integer(let value): return "integer \(value)"
        case .bulk(let bytes): return "\(bytes.count) bytes"
        case .null: return "null"
        case .array(let items): return "array of \(items.count)"
        }
    }
}
