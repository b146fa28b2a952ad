import FewClickCore

/// Where the proxy keeps images by id between the calls of a labeling session (`image.id`).
///
/// Two stores: ``ImageCache`` (the in-memory LRU of one process, the default) and
/// ``RedisImageStore`` (the encoded files in Redis, shared by every proxy replica, with the same
/// LRU in front). Stores never throw: a store that cannot reach its backend behaves as a miss and
/// the caller answers 404 `image_not_found` for an id it cannot find, so the client resends the bytes.
public protocol ImageStore: Sendable {
    /// The decoded image under `id` when this process holds it (no I/O, no decoding); nil otherwise.
    func localImage(for id: String) -> RGBImage?

    /// The encoded file stored under `id` by the shared backend, checked against the id (its
    /// SHA-256); nil when there is no shared backend, the file is not there, or it does not match.
    /// The caller decodes it (within the proxy's pixel limit and decode bound) and ``insert(_:encoded:for:)``s it.
    func sharedFile(for id: String) async -> [UInt8]?

    /// Keeps `image`, which was decoded from the file `encoded` whose id is `id`
    /// (``ImageCache/imageID(of:)``); replaces what was stored under `id` and refreshes its lifetime.
    /// `encoded` nil: the file came from ``sharedFile(for:)``; keep the decoded image in this process only.
    func insert(_ image: RGBImage, encoded: [UInt8]?, for id: String) async
}

extension ImageCache: ImageStore {
    /// The cached image (see ``image(for:)``).
    public func localImage(for id: String) -> RGBImage? { image(for: id) }

    /// No shared backend: always nil.
    public func sharedFile(for id: String) async -> [UInt8]? { nil }

    /// Caches `image`; the encoded bytes are not kept (the decoded pixels are what a call needs).
    public func insert(_ image: RGBImage, encoded: [UInt8]?, for id: String) async { insert(image, for: id) }
}

/// How the proxy stores images (`--image-store`, `FEWCLICK_IMAGE_STORE`).
public struct ImageStoreSettings: Sendable, Equatable {
    /// `redis://[:password@]host:port/db`, or nil for the in-memory LRU alone. Default nil.
    public var url: String?
    /// How long Redis keeps an image after its last upload. Default 1 hour.
    public var ttl: Duration
    /// Largest encoded image shared through Redis, bytes; larger ones stay in this process's LRU
    /// only. Default 8 MiB.
    public var maxImageBytes: Int
    /// Redis connect and command timeout. Default 500 ms.
    public var timeout: Duration

    /// Creates settings.
    public init(url: String? = nil, ttl: Duration = .seconds(3600), maxImageBytes: Int = 8 << 20, timeout: Duration = .milliseconds(500)) {
        self.url = url
        self.ttl = ttl
        self.maxImageBytes = maxImageBytes
        self.timeout = timeout
    }
}
