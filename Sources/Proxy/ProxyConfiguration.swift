import AWSSigV4
import FewClickCore
import Foundation

/// The proxy's settings. `fromEnvironment` reads them the way a Lambda function gets them.
public struct ProxyConfiguration: Sendable, Equatable {
    /// Where the model endpoint listens: a base URL (`/invocations` is appended) or the full
    /// invocation URL. Default `http://127.0.0.1:8080`. Environment: `FEWCLICK_ENDPOINT_URL`.
    public var endpointURL: String
    /// The longest wait for the endpoint's answer; kept below API Gateway's 29 s integration
    /// timeout, and shortened to the invocation's remaining time minus one second when that is less.
    /// Default 25 s. Environment: `FEWCLICK_ENDPOINT_TIMEOUT_MS`.
    public var endpointTimeout: Duration
    /// The longest wait for the endpoint's TCP connection. Default 2 s.
    public var endpointConnectTimeout: Duration
    /// Bytes of decoded pixels the image cache keeps (`width × height × 3` per image). Default
    /// 256 MiB. Environment: `FEWCLICK_IMAGE_CACHE_BYTES`.
    public var imageCacheBytes: Int
    /// Largest request body in bytes (413 `payload_too_large` beyond). Default 6,291,456, the
    /// Lambda payload limit. Environment: `FEWCLICK_MAX_BODY_BYTES`.
    public var maxBodyBytes: Int
    /// Largest image in pixels (413 `image_too_large` beyond). Default 40,000,000.
    /// Environment: `FEWCLICK_MAX_IMAGE_PIXELS`.
    public var maxImagePixels: Int
    /// Most corrective clicks per request (422 `too_many_clicks` beyond). Default 100.
    /// Environment: `FEWCLICK_MAX_CLICKS`.
    public var maxClicks: Int
    /// Crop margin and the longest crop side sent to the model. Default `CropSettings.default`.
    /// Environment: `FEWCLICK_MAX_CROP_SIDE` (pixels), `FEWCLICK_CROP_MARGIN` (fraction).
    public var cropSettings: CropSettings
    /// A SageMaker endpoint called through the Runtime API, signed with SigV4, instead of
    /// `endpointURL`; nil = self-hosted endpoint. Environment: `FEWCLICK_SAGEMAKER_ENDPOINT` with
    /// `AWS_REGION` (and `FEWCLICK_SAGEMAKER_RUNTIME_URL` to override the Runtime API URL).
    public var sagemaker: SageMakerRuntimeTarget? = nil
    /// `Access-Control-Allow-Origin` on every response. Default `*` (behind API Gateway, the
    /// gateway authenticates and applies its own origin allowlist). Environment: `FEWCLICK_CORS_ORIGIN`.
    public var allowedOrigin: String
    /// Which `image.url` values are fetched (see ``ImageURLPolicy``); empty: `image.url` answers
    /// 422 `url_not_enabled`. Environment: `FEWCLICK_IMAGE_URL_ALLOW` (comma-separated prefixes).
    public var imageURLPolicy = ImageURLPolicy.none
    /// Largest image file fetched from `image.url`, bytes, enforced while streaming (413
    /// `image_too_large` beyond). Default 20 MiB. Environment: `FEWCLICK_IMAGE_URL_MAX_BYTES`.
    public var imageURLMaxBytes = 20 << 20
    /// The longest an `image.url` fetch may take, connection included (504 `image_fetch_timeout`
    /// beyond). Default 10 s. Environment: `FEWCLICK_IMAGE_URL_TIMEOUT_MS`.
    public var imageURLTimeout: Duration = .seconds(10)
    /// The longest wait for an `image.url` connection. Default 2 s.
    public var imageURLConnectTimeout: Duration = .seconds(2)
    /// Images decoded at once at most (503 `busy` with `Retry-After` beyond). Default: the CPU
    /// count, at least 2. Environment: `FEWCLICK_MAX_CONCURRENT_DECODES`.
    public var maxConcurrentDecodes = DecodeGate.defaultMaxConcurrent
    /// Pixel memory of the calls in flight at most, bytes: each call reserves
    /// `width × height × DecodeGate.bytesPerPixel` (10) for its whole life; 503 `busy` beyond.
    /// One call is always admitted when none is in flight. Default 1 GiB. Environment:
    /// `FEWCLICK_MAX_DECODE_BYTES`.
    public var maxDecodeBytes = 1 << 30
    /// Consecutive endpoint timeouts or refused connections that open the circuit breaker (503
    /// `model_unavailable` with `Retry-After` at once while open). Default 3. Environment:
    /// `FEWCLICK_BREAKER_THRESHOLD`.
    public var breakerThreshold = 3
    /// How long the open breaker refuses before a probe. Default 5 s. Environment:
    /// `FEWCLICK_BREAKER_COOLDOWN_MS`.
    public var breakerCooldown: Duration = .seconds(5)
    /// Where images live between calls: the in-memory LRU (default) or Redis shared by replicas.
    /// Environment: `FEWCLICK_IMAGE_STORE` (`redis://host:port/db`), `FEWCLICK_IMAGE_STORE_TTL`
    /// (seconds, default 3600), `FEWCLICK_IMAGE_STORE_MAX_IMAGE_BYTES` (default 8 MiB),
    /// `FEWCLICK_IMAGE_STORE_TIMEOUT_MS` (default 500).
    public var imageStore = ImageStoreSettings()

    /// Creates a configuration.
    public init(
        endpointURL: String = "http://127.0.0.1:8080", endpointTimeout: Duration = .seconds(25),
        endpointConnectTimeout: Duration = .seconds(2), imageCacheBytes: Int = 256 << 20,
        maxBodyBytes: Int = 6_291_456, maxImagePixels: Int = 40_000_000, maxClicks: Int = 100,
        cropSettings: CropSettings = .default, allowedOrigin: String = "*"
    ) {
        self.endpointURL = endpointURL
        self.endpointTimeout = endpointTimeout
        self.endpointConnectTimeout = endpointConnectTimeout
        self.imageCacheBytes = imageCacheBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxImagePixels = maxImagePixels
        self.maxClicks = maxClicks
        self.cropSettings = cropSettings
        self.allowedOrigin = allowedOrigin
    }

    /// Why a configuration value was refused.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong, naming the variable.
        public var description: String
        /// The same text as ``description``: every library error has a `message` (README "Development").
        public var message: String { description }
    }

    /// The defaults overridden by the `FEWCLICK_*` variables documented on each property.
    ///
    /// - Throws: `Invalid` naming the first variable that is not a valid value.
    public static func fromEnvironment(_ environment: [String: String]) throws(Invalid) -> ProxyConfiguration {
        var configuration = ProxyConfiguration()
        for setting in IntegerSetting.all {
            guard let text = environment[setting.variable], !text.isEmpty else { continue }
            guard let value = Int(text), value >= setting.minimum else {
                throw Invalid(description: "\(setting.variable)=\(text) is not an integer ≥ \(setting.minimum)")
            }
            setting.apply(&configuration, value)
        }
        if let url = environment["FEWCLICK_ENDPOINT_URL"], !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw Invalid(description: "FEWCLICK_ENDPOINT_URL=\(url) is not an http(s) URL")
            }
            configuration.endpointURL = url
        }
        if let text = environment["FEWCLICK_CROP_MARGIN"], !text.isEmpty {
            guard let fraction = Double(text), fraction.isFinite, fraction >= 0 else {
                throw Invalid(description: "FEWCLICK_CROP_MARGIN=\(text) is not a number ≥ 0")
            }
            configuration.cropSettings.marginFraction = fraction
        }
        if let origin = environment["FEWCLICK_CORS_ORIGIN"], !origin.isEmpty { configuration.allowedOrigin = origin }
        if let list = environment["FEWCLICK_IMAGE_URL_ALLOW"], !list.isEmpty {
            let entries = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            do {
                configuration.imageURLPolicy = try ImageURLPolicy(entries: entries)
            } catch {
                throw Invalid(description: "FEWCLICK_IMAGE_URL_ALLOW: \(error.description)")
            }
        }
        if let url = environment["FEWCLICK_IMAGE_STORE"] { try configuration.setImageStore(url, source: "FEWCLICK_IMAGE_STORE") }
        do {
            configuration.sagemaker = try SageMakerRuntimeTarget.fromEnvironment(environment)
        } catch {
            throw Invalid(description: error.message)
        }
        return configuration
    }
}

extension ProxyConfiguration {
    /// An integer setting: its `FEWCLICK_*` variable, the smallest value it takes and the property it
    /// sets. `fromEnvironment` reads every one; a command-line flag for the same setting goes through
    /// ``ProxyConfiguration/set(_:to:flag:)``, so a variable and its flag follow one rule.
    public struct IntegerSetting: Sendable {
        /// The environment variable.
        public let variable: String
        /// The smallest value accepted.
        public let minimum: Int
        fileprivate let apply: @Sendable (inout ProxyConfiguration, Int) -> Void

        fileprivate init(_ variable: String, minimum: Int, _ apply: @escaping @Sendable (inout ProxyConfiguration, Int) -> Void) {
            self.variable = variable
            self.minimum = minimum
            self.apply = apply
        }

        /// `FEWCLICK_ENDPOINT_TIMEOUT_MS` → ``ProxyConfiguration/endpointTimeout``.
        public static let endpointTimeoutMs = Self("FEWCLICK_ENDPOINT_TIMEOUT_MS", minimum: 1) { $0.endpointTimeout = .milliseconds($1) }
        /// `FEWCLICK_IMAGE_CACHE_BYTES` → ``ProxyConfiguration/imageCacheBytes``.
        public static let imageCacheBytes = Self("FEWCLICK_IMAGE_CACHE_BYTES", minimum: 0) { $0.imageCacheBytes = $1 }
        /// `FEWCLICK_MAX_BODY_BYTES` → ``ProxyConfiguration/maxBodyBytes``.
        public static let maxBodyBytes = Self("FEWCLICK_MAX_BODY_BYTES", minimum: 1) { $0.maxBodyBytes = $1 }
        /// `FEWCLICK_MAX_IMAGE_PIXELS` → ``ProxyConfiguration/maxImagePixels``.
        public static let maxImagePixels = Self("FEWCLICK_MAX_IMAGE_PIXELS", minimum: 1) { $0.maxImagePixels = $1 }
        /// `FEWCLICK_MAX_CLICKS` → ``ProxyConfiguration/maxClicks``.
        public static let maxClicks = Self("FEWCLICK_MAX_CLICKS", minimum: 0) { $0.maxClicks = $1 }
        /// `FEWCLICK_MAX_CROP_SIDE` → ``ProxyConfiguration/cropSettings``' `maxSide`.
        public static let maxCropSide = Self("FEWCLICK_MAX_CROP_SIDE", minimum: 8) { $0.cropSettings.maxSide = $1 }
        /// `FEWCLICK_IMAGE_URL_MAX_BYTES` → ``ProxyConfiguration/imageURLMaxBytes``.
        public static let imageURLMaxBytes = Self("FEWCLICK_IMAGE_URL_MAX_BYTES", minimum: 1) { $0.imageURLMaxBytes = $1 }
        /// `FEWCLICK_IMAGE_URL_TIMEOUT_MS` → ``ProxyConfiguration/imageURLTimeout``.
        public static let imageURLTimeoutMs = Self("FEWCLICK_IMAGE_URL_TIMEOUT_MS", minimum: 1) { $0.imageURLTimeout = .milliseconds($1) }
        /// `FEWCLICK_MAX_CONCURRENT_DECODES` → ``ProxyConfiguration/maxConcurrentDecodes``.
        public static let maxConcurrentDecodes = Self("FEWCLICK_MAX_CONCURRENT_DECODES", minimum: 1) { $0.maxConcurrentDecodes = $1 }
        /// `FEWCLICK_MAX_DECODE_BYTES` → ``ProxyConfiguration/maxDecodeBytes``.
        public static let maxDecodeBytes = Self("FEWCLICK_MAX_DECODE_BYTES", minimum: 1) { $0.maxDecodeBytes = $1 }
        /// `FEWCLICK_BREAKER_THRESHOLD` → ``ProxyConfiguration/breakerThreshold``.
        public static let breakerThreshold = Self("FEWCLICK_BREAKER_THRESHOLD", minimum: 1) { $0.breakerThreshold = $1 }
        /// `FEWCLICK_BREAKER_COOLDOWN_MS` → ``ProxyConfiguration/breakerCooldown``.
        public static let breakerCooldownMs = Self("FEWCLICK_BREAKER_COOLDOWN_MS", minimum: 1) { $0.breakerCooldown = .milliseconds($1) }
        /// `FEWCLICK_IMAGE_STORE_TTL` (seconds) → ``ProxyConfiguration/imageStore``'s `ttl`.
        public static let imageStoreTTL = Self("FEWCLICK_IMAGE_STORE_TTL", minimum: 1) { $0.imageStore.ttl = .seconds($1) }
        /// `FEWCLICK_IMAGE_STORE_MAX_IMAGE_BYTES` → ``ProxyConfiguration/imageStore``'s `maxImageBytes`.
        public static let imageStoreMaxImageBytes = Self("FEWCLICK_IMAGE_STORE_MAX_IMAGE_BYTES", minimum: 0) {
            $0.imageStore.maxImageBytes = $1
        }
        /// `FEWCLICK_IMAGE_STORE_TIMEOUT_MS` → ``ProxyConfiguration/imageStore``'s `timeout`.
        public static let imageStoreTimeoutMs = Self("FEWCLICK_IMAGE_STORE_TIMEOUT_MS", minimum: 1) {
            $0.imageStore.timeout = .milliseconds($1)
        }

        /// Every integer setting, in the order `fromEnvironment` reads them.
        public static let all: [IntegerSetting] = [
            endpointTimeoutMs, imageCacheBytes, maxBodyBytes, maxImagePixels, maxClicks, maxCropSide,
            imageURLMaxBytes, imageURLTimeoutMs, maxConcurrentDecodes, maxDecodeBytes, breakerThreshold,
            breakerCooldownMs, imageStoreTTL, imageStoreMaxImageBytes, imageStoreTimeoutMs,
        ]
    }

    /// Sets `setting` from a command-line flag, checked as its variable is.
    /// - Throws: `Invalid` ("`flag` must be ≥ minimum") below the setting's minimum.
    public mutating func set(_ setting: IntegerSetting, to value: Int, flag: String) throws(Invalid) {
        guard value >= setting.minimum else { throw Invalid(description: "\(flag) must be ≥ \(setting.minimum)") }
        setting.apply(&self, value)
    }

    /// Sets where images live from `FEWCLICK_IMAGE_STORE` or its flag (`source` names it in the error):
    /// `memory` (or empty) is the in-process LRU, anything else must be a valid `redis://` URL.
    public mutating func setImageStore(_ text: String, source: String) throws(Invalid) {
        guard !text.isEmpty, text != "memory" else {
            imageStore.url = nil
            return
        }
        do { _ = try RedisConfiguration(url: text) } catch { throw Invalid(description: "\(source): \(error.message)") }
        imageStore.url = text
    }
}
