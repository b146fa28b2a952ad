import CurlHTTP
import FewClickAPI
import FewClickCore
import Foundation

/// A failed `POST /v1/segment` as the client sees it (the gateway's own error type is Gateway's `GatewayError`).
public struct GatewayClientError: Error, Sendable, CustomStringConvertible {
    /// HTTP status, or nil when no response came (connection refused, timeout, …).
    public var status: Int?
    /// The API's error code from the answer's ``ErrorResponseBody`` (`image_not_found`, `throttled`, …);
    /// `http_<status>` for an error answer without that body; for failures without an answer, the
    /// transport error's name (`CurlError`'s code) or `encode`, `bad_response`, `empty_mask`.
    public var code: APIErrorCode
    /// Human-readable detail.
    public var message: String

    /// Creates an error.
    public init(status: Int?, code: APIErrorCode, message: String) {
        self.status = status; self.code = code; self.message = message
    }

    /// "HTTP 404 image_not_found: …".
    public var description: String {
        (status.map { "HTTP \($0) " } ?? "") + "\(code): \(message)"
    }
}

/// A client of one gateway's `POST /v1/segment`, on libcurl. Calls never run on threads of their
/// own: `CurlClient` does the waiting on its dedicated threads.
public final class GatewayClient: Sendable {
    /// The full endpoint URL (`…/v1/segment`).
    public let endpoint: String
    let token: String
    let curl: CurlClient
    let timeout: Duration

    /// A client for the gateway at `baseURL` (a URL ending in `/v1/segment` is used as is, anything
    /// else gets `/v1/segment` appended), sending `Authorization: Bearer <token>`.
    public init(baseURL: String, token: String, maxConcurrentRequests: Int = 32, timeout: Duration = .seconds(60)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        endpoint = base.hasSuffix("/v1/segment") ? base : base + "/v1/segment"
        self.token = token
        curl = CurlClient(maxConcurrentRequests: maxConcurrentRequests)
        self.timeout = timeout
    }

    /// Stops the underlying HTTP client.
    public func shutdown() { curl.shutdown() }

    /// One request.
    ///
    /// - Throws: `GatewayClientError` with the status and the API's error code for an error response, or
    ///   with no status for a transport failure.
    public func segment(_ body: SegmentRequestBody) async throws(GatewayClientError) -> SegmentResponseBody {
        let json: [UInt8]
        do { json = try APIJSON.encode(body) } catch {
            throw GatewayClientError(status: nil, code: "encode", message: "\(error)")
        }
        let request = CurlRequest(
            method: "POST", url: endpoint,
            headers: [
                HTTPHeaderField("Authorization", "Bearer \(token)"),
                HTTPHeaderField("Content-Type", "application/json"),
                HTTPHeaderField("Accept", "application/json"),
            ],
            body: json, timeout: timeout)
        let response: CurlResponse
        do { response = try await curl.execute(request) } catch {
            throw GatewayClientError(status: error.status, code: APIErrorCode("\(error.code)"), message: error.message)
        }
        guard response.status < 400 else {
            let detail = try? JSONDecoder().decode(ErrorResponseBody.self, from: Data(response.body))
            throw GatewayClientError(
                status: response.status, code: detail?.error.code ?? APIErrorCode("http_\(response.status)"),
                message: detail?.error.message ?? String(decoding: response.body.prefix(200), as: UTF8.self))
        }
        do { return try JSONDecoder().decode(SegmentResponseBody.self, from: Data(response.body)) } catch {
            throw GatewayClientError(status: response.status, code: "bad_response", message: "undecodable response: \(error)")
        }
    }
}

/// The client side of one object's labeling session against a gateway: the first call uploads the
/// image bytes, later calls send `image.id` with every click so far and the last mask; a 404
/// `image_not_found` (the proxy's cache dropped the image) resends the bytes once.
public final class GatewayObjectSession: @unchecked Sendable {
    // Used by one task or thread at a time (one labeler); not shared.
    let client: GatewayClient
    let imageBytes: [UInt8]
    var imageId: String?
    var lastMask: COCORLE?
    /// Times the image had to be re-uploaded after a 404.
    public private(set) var resends = 0
    /// Whether every call asks for the next-click hint.
    let suggest: Bool

    /// A session for one object on the image given by its file bytes; with `suggest`, every call
    /// asks for the next-click hint.
    public init(client: GatewayClient, imageBytes: [UInt8], suggest: Bool = false) {
        self.client = client
        self.imageBytes = imageBytes
        self.suggest = suggest
    }

    /// The mask for all `clicks` so far (extreme points first).
    ///
    /// - Parameter since: the instant the request was due (open-loop load tests pass their
    ///   schedule, so queueing delays count); nil: when this call starts.
    /// - Returns: the mask, the hint when asked for and given, and the latency from `since` to the
    ///   arrival of the (last) response, including a 404 resend, excluding RLE decoding.
    /// - Throws: `GatewayClientError` for an error response (other than one recovered 404), a transport
    ///   failure, or a response without an RLE / with an undecodable one.
    public func predict(clicks: [Click], since: ContinuousClock.Instant? = nil) async throws(GatewayClientError)
        -> (mask: Mask, latency: Duration, suggestion: Click?)
    {
        let clock = ContinuousClock()
        let start = since ?? clock.now
        var body = SegmentRequestBody(
            image: imageId.map { .init(id: $0) } ?? .init(fileBytes: imageBytes), clicks: clicks, previousMask: lastMask,
            suggest: suggest)
        var response: SegmentResponseBody
        do {
            response = try await client.segment(body)
        } catch where error.status == 404 && error.code == .imageNotFound && imageId != nil {
            resends += 1
            body.image = .init(fileBytes: imageBytes)
            response = try await client.segment(body)
        }
        let latency = clock.now - start
        guard let rle = response.mask.rle else {
            throw GatewayClientError(status: 200, code: "bad_response", message: "response has no mask.rle")
        }
        let mask: Mask
        do { mask = try Mask(cocoRLE: rle) } catch {
            throw GatewayClientError(status: 200, code: "bad_response", message: "undecodable RLE: \(error)")
        }
        guard mask.width == response.width, mask.height == response.height else {
            throw GatewayClientError(status: 200, code: "bad_response", message: "RLE size differs from width/height")
        }
        imageId = response.imageId
        lastMask = rle
        let suggestion = response.suggestion?.click
        return (mask, latency, suggestion)
    }
}

/// Evaluates a deployed stack through its gateway: every prediction is a real `POST /v1/segment`.
/// Latency = the whole request (including a 404 resend). Throttling (429) and 503 are retried with
/// exponential backoff, up to 5 times, outside the measured time of the final attempt.
public struct GatewaySegmenter: InteractiveSegmenter {
    /// The client.
    public let client: GatewayClient

    /// A segmenter on `client`.
    public init(client: GatewayClient) { self.client = client }

    /// The endpoint URL.
    public var label: String { client.endpoint }

    /// A session that uploads `image.bytes`.
    public func makeSession(key: String, image: LoadedImage, width: Int, height: Int, suggest: Bool) -> any SegmenterSession {
        Session(remote: GatewayObjectSession(client: client, imageBytes: image.bytes, suggest: suggest))
    }

    final class Session: SegmenterSession {
        let remote: GatewayObjectSession
        init(remote: GatewayObjectSession) { self.remote = remote }

        func predict(clicks: [Click]) throws -> Prediction {
            let remote = self.remote
            return try BlockingBridge.wait { () async throws -> Prediction in
                var attempt = 0
                while true {
                    do {
                        let (mask, latency, suggestion) = try await remote.predict(clicks: clicks)
                        return Prediction(mask: mask, latency: latency, suggestion: suggestion)
                    } catch let error as GatewayClientError where (error.status == 429 || error.status == 503) && attempt < 5 {
                        attempt += 1
                        try? await Task.sleep(for: .milliseconds(100 << attempt))
                    }
                }
            }
        }
    }
}

/// Waits on the calling (dedicated, non-cooperative) thread for async work.
enum BlockingBridge {
    static func wait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Locked<Result<T, any Error>?>(nil)
        Task {
            let r: Result<T, any Error>
            do { r = .success(try await operation()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
            semaphore.signal()
        }
        semaphore.wait()
        return try result.withLock { $0! }.get()
    }
}
