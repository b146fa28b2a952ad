/// The `code` of an error answer (`{"error":{"code":…}}`): the API's contract, listed with their
/// statuses in README.md ("API: `POST /v1/segment`", the error table).
///
/// An open set: new codes may be added, existing ones keep their meaning, and a client decodes any
/// code (compare with the constants; never switch exhaustively). Clients of the API may also use it
/// for their own failures that have no answer (the evaluation's `GatewayClientError` does).
public struct APIErrorCode: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The code as sent, e.g. `image_not_found`.
    public var rawValue: String

    /// The code `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The code `rawValue`.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The code `value`.
    public init(stringLiteral value: String) { rawValue = value }

    /// The code as sent.
    public var description: String { rawValue }
}

extension APIErrorCode {
    // MARK: 400

    /// 400: not strict RFC 8259 JSON, or the top level is not an object.
    public static let invalidJSON: APIErrorCode = "invalid_json"
    /// 400: a member has the wrong JSON type (the message names it), or the request is not valid HTTP/1.1.
    public static let invalidRequest: APIErrorCode = "invalid_request"
    /// 400: `image.data` is not valid base64.
    public static let invalidBase64: APIErrorCode = "invalid_base64"

    // MARK: 401 / 403

    /// 401: no `Authorization: Bearer` header.
    public static let missingToken: APIErrorCode = "missing_token"
    /// 401: the token's `exp` has passed (beyond the leeway).
    public static let tokenExpired: APIErrorCode = "token_expired"
    /// 401: every other refusal of the token (the message says which).
    public static let invalidToken: APIErrorCode = "invalid_token"
    /// 403: a valid token without the required scope.
    public static let insufficientScope: APIErrorCode = "insufficient_scope"
    /// 403: a browser origin outside the CORS allowlist.
    public static let originNotAllowed: APIErrorCode = "origin_not_allowed"

    // MARK: 404 / 405 / 408

    /// 404: no such route.
    public static let notFound: APIErrorCode = "not_found"
    /// 404: `image.id` is not (or no longer) stored: resend the request with `image.data`.
    public static let imageNotFound: APIErrorCode = "image_not_found"
    /// 405: a known route with another method.
    public static let methodNotAllowed: APIErrorCode = "method_not_allowed"
    /// 408: the request head or body did not arrive in time.
    public static let requestTimeout: APIErrorCode = "request_timeout"

    // MARK: 413 / 415

    /// 413: the request body is over the limit.
    public static let payloadTooLarge: APIErrorCode = "payload_too_large"
    /// 413: the image has more pixels than allowed, or an `image.url` file is over its size limit.
    public static let imageTooLarge: APIErrorCode = "image_too_large"
    /// 415: the body is not JSON.
    public static let unsupportedMediaType: APIErrorCode = "unsupported_media_type"
    /// 415: `image.data` is neither JPEG nor PNG.
    public static let unsupportedImageFormat: APIErrorCode = "unsupported_image_format"

    // MARK: 422

    /// 422: no `image`, or none of `data`, `id`, `url`.
    public static let missingImage: APIErrorCode = "missing_image"
    /// 422: more than one of `image.data`, `image.id`, `image.url`.
    public static let ambiguousImage: APIErrorCode = "ambiguous_image"
    /// 422: `image.url` on a deployment without an allowlist.
    public static let urlNotEnabled: APIErrorCode = "url_not_enabled"
    /// 422: `image.url` is not on the allowlist, malformed, or resolves to a refused address.
    public static let urlNotAllowed: APIErrorCode = "url_not_allowed"
    /// 422: fetching `image.url` failed (another status than 200, a redirect, no such host, refused).
    public static let imageFetchFailed: APIErrorCode = "image_fetch_failed"
    /// 422: `image.id` is not `sha256:` followed by 64 hex digits (``ImageID``).
    public static let invalidImageID: APIErrorCode = "invalid_image_id"
    /// 422: a corrupt JPEG or PNG.
    public static let invalidImage: APIErrorCode = "invalid_image"
    /// 422: `extremePoints` missing, not 4 points, or not finite `[x, y]` pairs.
    public static let invalidExtremePoints: APIErrorCode = "invalid_extreme_points"
    /// 422: an extreme point outside the image.
    public static let extremePointOutsideImage: APIErrorCode = "extreme_point_outside_image"
    /// 422: a click outside the image.
    public static let clickOutsideImage: APIErrorCode = "click_outside_image"
    /// 422: a click without finite `x` and `y`.
    public static let invalidClick: APIErrorCode = "invalid_click"
    /// 422: more clicks than the limit.
    public static let tooManyClicks: APIErrorCode = "too_many_clicks"
    /// 422: `outputs` names none of `rle`, `polygons`, `png`.
    public static let invalidOutputs: APIErrorCode = "invalid_outputs"
    /// 422: `outputs` names an unknown encoding.
    public static let unknownOutput: APIErrorCode = "unknown_output"
    /// 422: `polygonTolerance` is not a number ≥ 0.
    public static let invalidPolygonTolerance: APIErrorCode = "invalid_polygon_tolerance"
    /// 422: `previousMask` is not a valid COCO RLE.
    public static let invalidPreviousMask: APIErrorCode = "invalid_previous_mask"
    /// 422: `previousMask` has another size than the image.
    public static let previousMaskSizeMismatch: APIErrorCode = "previous_mask_size_mismatch"

    // MARK: 429 / 5xx

    /// 429: over the gateway's request rate (`Retry-After`).
    public static let throttled: APIErrorCode = "throttled"
    /// 500: a fault of the service itself; the log has the details under the request id.
    public static let internalError: APIErrorCode = "internal_error"
    /// 502: the model endpoint answered with an error or an unreadable response.
    public static let modelError: APIErrorCode = "model_error"
    /// 502: the gateway's Invoke API call to the proxy failed.
    public static let proxyError: APIErrorCode = "proxy_error"
    /// 503: the proxy is decoding as many images as it may (`Retry-After`).
    public static let busy: APIErrorCode = "busy"
    /// 503: the model endpoint is unreachable or busy, or its circuit breaker is open (`Retry-After`).
    public static let modelUnavailable: APIErrorCode = "model_unavailable"
    /// 503: the proxy is unreachable, or the gateway's circuit breaker is open (`Retry-After`).
    public static let proxyUnavailable: APIErrorCode = "proxy_unavailable"
    /// 503: the identity provider's keys were never fetched (`Retry-After`).
    public static let authUnavailable: APIErrorCode = "auth_unavailable"
    /// 504: the model endpoint did not answer in time.
    public static let modelTimeout: APIErrorCode = "model_timeout"
    /// 504: the proxy did not answer within the gateway's integration timeout.
    public static let integrationTimeout: APIErrorCode = "integration_timeout"
    /// 504: `image.url` did not answer within the fetch timeout.
    public static let imageFetchTimeout: APIErrorCode = "image_fetch_timeout"
}
