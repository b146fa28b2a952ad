import Foundation

/// Where the identity provider's signing keys come from, and how they are cached.
///
/// Each URL is a JWKS document (`{"keys": [...]}`, RFC 7517), for example Cognito's
/// `https://cognito-idp.{region}.amazonaws.com/{userPoolId}/.well-known/jwks.json`. Keys are kept
/// for the response's `Cache-Control: max-age` (clamped to ``minimumCacheTime`` … ``maximumCacheTime``;
/// ``defaultCacheTime`` without one), refetched when that time is over, and refetched early when a
/// token names an unknown `kid`, at most once per ``unknownKeyRefreshInterval`` per URL. While a URL
/// cannot be fetched its last keys stay in use (logged once), and a new attempt is made at most every
/// ``retryInterval``.
public struct JWKSSettings: Sendable {
    /// The JWKS URLs: `https://…`, or `http://` only to a loopback host (`127.0.0.1`, `[::1]`, `localhost`).
    public var urls: [String]
    /// The longest a JWKS fetch may take, connection included. Default 5 s.
    public var fetchTimeout: Duration
    /// The largest JWKS document accepted, in bytes. Default 256 KiB.
    public var maxBytes: Int
    /// How long keys are kept when the response has no `max-age`. Default 10 min.
    public var defaultCacheTime: Duration
    /// The shortest cache time, whatever `max-age` says (so `max-age=0` or `no-store` cannot make every
    /// request fetch). Default 1 s.
    public var minimumCacheTime: Duration
    /// The longest cache time, whatever `max-age` says (so a removed key stops working within it). Default 24 h.
    public var maximumCacheTime: Duration
    /// The least time between two refreshes caused by unknown `kid`s, per URL. Default 60 s.
    public var unknownKeyRefreshInterval: Duration
    /// The least time between a failed fetch and the next attempt, per URL. Default 5 s.
    public var retryInterval: Duration

    /// Creates settings with the defaults above.
    public init(
        urls: [String], fetchTimeout: Duration = .seconds(5), maxBytes: Int = 256 * 1024,
        defaultCacheTime: Duration = .seconds(600), minimumCacheTime: Duration = .seconds(1),
        maximumCacheTime: Duration = .seconds(86_400), unknownKeyRefreshInterval: Duration = .seconds(60),
        retryInterval: Duration = .seconds(5)
    ) {
        self.urls = urls
        self.fetchTimeout = fetchTimeout
        self.maxBytes = maxBytes
        self.defaultCacheTime = defaultCacheTime
        self.minimumCacheTime = minimumCacheTime
        self.maximumCacheTime = maximumCacheTime
        self.unknownKeyRefreshInterval = unknownKeyRefreshInterval
        self.retryInterval = retryInterval
    }

    /// Checks the settings.
    /// - Throws: ``TokenConfigurationError`` for no URL, a URL that is not `https` (or `http` to
    ///   loopback), or a non-positive size or time.
    func validate() throws(TokenConfigurationError) {
        guard !urls.isEmpty else { throw TokenConfigurationError(message: "no JWKS URL given") }
        for url in urls {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                let host = components.host, !host.isEmpty
            else {
                throw TokenConfigurationError(message: "the JWKS URL \(url) is not an absolute http(s) URL")
            }
            let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
            guard scheme == "https" || (scheme == "http" && loopback) else {
                throw TokenConfigurationError(
                    message: "the JWKS URL \(url) must use https (plain http only to a loopback host)")
            }
        }
        guard maxBytes > 0, fetchTimeout > .zero, minimumCacheTime > .zero, maximumCacheTime >= minimumCacheTime,
            defaultCacheTime > .zero, unknownKeyRefreshInterval >= .zero, retryInterval >= .zero
        else {
            throw TokenConfigurationError(message: "the JWKS sizes and times must be positive")
        }
    }
}

/// The token configuration is unusable: a secret shorter than 32 bytes, no key source at all, a bad
/// JWKS URL, JWKS without an issuer or audience, or a non-positive limit.
public struct TokenConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong (never the secret itself).
    public var message: String

    /// Creates an error.
    public init(message: String) { self.message = message }

    /// The ``message``.
    public var description: String { message }
}

/// The former name of ``TokenConfigurationError`` (it was only about the secret), kept for callers.
public typealias TokenSecretError = TokenConfigurationError
