import CurlHTTP
import FewClickAPI
import Logging

/// Fetches `image.url` through the project's HTTP client, within the allowlist
/// (``ImageURLPolicy``): only `GET`, no redirects followed, the connected address checked after
/// DNS resolution, the file size capped while streaming, connect and total timeouts.
///
/// Logs name the URL's host only: query strings of presigned URLs are credentials.
struct ImageFetcher: Sendable {
    let policy: ImageURLPolicy
    let client: CurlClient
    let maxBytes: Int
    let timeout: Duration
    let connectTimeout: Duration

    init(configuration: ProxyConfiguration, client: CurlClient) {
        policy = configuration.imageURLPolicy
        self.client = client
        maxBytes = configuration.imageURLMaxBytes
        timeout = configuration.imageURLTimeout
        connectTimeout = configuration.imageURLConnectTimeout
    }

    /// The image file at `url`.
    ///
    /// - Throws: `ProxyError` 422 `url_not_enabled` (no allowlist), 422 `url_not_allowed` (not on
    ///   the allowlist, malformed, or resolving to a refused address), 422 `image_fetch_failed`
    ///   (a status other than 200, redirects included, or a failed connection), 413
    ///   `image_too_large` (larger than `maxBytes`), 504 `image_fetch_timeout`.
    func fetch(_ url: String, logger: Logger) async throws(ProxyError) -> [UInt8] {
        guard policy.isEnabled else {
            throw .unprocessable(
                .urlNotEnabled, "image.url is not enabled on this deployment; send image.data or image.id")
        }
        guard let target = policy.match(url) else {
            throw .urlNotAllowed(
                "image.url is not allowed here: it must start with one of the deployment's allowed prefixes "
                    + "(scheme, host, port and path), without user info, fragments or dot segments")
        }
        let host = target.rule.host
        let request = CurlRequest(
            method: "GET", url: target.url, headers: [HTTPHeaderField("Accept", "image/jpeg, image/png")],
            connectTimeout: connectTimeout, timeout: timeout, maxResponseBytes: maxBytes,
            addressFilter: { target.allows(address: $0) })
        let response: CurlResponse
        do {
            response = try await client.execute(request)
        } catch {
            logger.info("image.url fetch failed", metadata: ["host": "\(host)", "error": "\(error.code)"])
            switch error.code {
            case .addressNotAllowed:
                throw .urlNotAllowed(
                    "image.url's host resolves to an address that is not allowed (loopback, private, link-local, "
                        + "metadata, multicast or reserved)")
            case .timedOut:
                throw .imageFetchTimeout("image.url did not answer within \(timeout)")
            case .responseTooLarge:
                throw .imageTooLarge("the file at image.url is larger than \(maxBytes) bytes")
            case .couldNotResolve:
                throw .imageFetchFailed("image.url's host \(host) does not resolve")
            case .connectionRefused:
                throw .imageFetchFailed("image.url's host \(host) refused the connection")
            default:
                throw .imageFetchFailed("fetching image.url failed: \(error.message)")
            }
        }
        guard response.status == 200 else {
            let redirect = (300..<400).contains(response.status) ? " (redirects are not followed)" : ""
            throw .imageFetchFailed("image.url answered HTTP \(response.status)\(redirect)")
        }
        guard !response.body.isEmpty else { throw .imageFetchFailed("image.url answered an empty body") }
        return response.body
    }
}
