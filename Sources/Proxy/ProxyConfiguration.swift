import AWSSigV4
import FewClickCore

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
    }

    /// The defaults overridden by the `FEWCLICK_*` variables documented on each property.
    ///
    /// - Throws: `Invalid` naming the first variable that is not a valid value.
    public static func fromEnvironment(_ environment: [String: String]) throws(Invalid) -> ProxyConfiguration {
        var configuration = ProxyConfiguration()
        func integer(_ name: String, minimum: Int) throws(Invalid) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= minimum else {
                throw Invalid(description: "\(name)=\(text) is not an integer ≥ \(minimum)")
            }
            return value
        }
        if let url = environment["FEWCLICK_ENDPOINT_URL"], !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw Invalid(description: "FEWCLICK_ENDPOINT_URL=\(url) is not an http(s) URL")
            }
            configuration.endpointURL = url
        }
        if let ms = try integer("FEWCLICK_ENDPOINT_TIMEOUT_MS", minimum: 1) {
            configuration.endpointTimeout = .milliseconds(ms)
        }
        if let bytes = try integer("FEWCLICK_IMAGE_CACHE_BYTES", minimum: 0) { configuration.imageCacheBytes = bytes }
        if let bytes = try integer("FEWCLICK_MAX_BODY_BYTES", minimum: 1) { configuration.maxBodyBytes = bytes }
        if let pixels = try integer("FEWCLICK_MAX_IMAGE_PIXELS", minimum: 1) { configuration.maxImagePixels = pixels }
        if let clicks = try integer("FEWCLICK_MAX_CLICKS", minimum: 0) { configuration.maxClicks = clicks }
        if let side = try integer("FEWCLICK_MAX_CROP_SIDE", minimum: 8) { configuration.cropSettings.maxSide = side }
        if let text = environment["FEWCLICK_CROP_MARGIN"], !text.isEmpty {
            guard let fraction = Double(text), fraction.isFinite, fraction >= 0 else {
                throw Invalid(description: "FEWCLICK_CROP_MARGIN=\(text) is not a number ≥ 0")
            }
            configuration.cropSettings.marginFraction = fraction
        }
        if let origin = environment["FEWCLICK_CORS_ORIGIN"], !origin.isEmpty { configuration.allowedOrigin = origin }
        do {
            configuration.sagemaker = try SageMakerRuntimeTarget.fromEnvironment(environment)
        } catch {
            throw Invalid(description: error.message)
        }
        return configuration
    }
}
