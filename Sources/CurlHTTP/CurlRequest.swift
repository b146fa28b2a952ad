/// One HTTP header line: a name and a value, kept as given (names are matched case-insensitively
/// where this module looks them up).
public struct HTTPHeaderField: Sendable, Hashable {
    /// The header name, for example `Content-Type`.
    public var name: String
    /// The header value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request for ``CurlClient``.
///
/// The body is sent as is with a `Content-Length`; no `Content-Type` is added unless given in
/// `headers`. No `Expect: 100-continue` is ever sent (a given `Expect` header is dropped), and
/// redirects are not followed: a 3xx is returned like any other response.
public struct CurlRequest: Sendable {
    /// The method, for example `GET`, `POST`, `PUT`, `DELETE`, `HEAD`.
    public var method: String
    /// An absolute `http://` or `https://` URL (other schemes are ``CurlError/Code/invalidRequest``).
    public var url: String
    /// Request headers, sent in this order. Names and values must not contain CR, LF or NUL.
    public var headers: [HTTPHeaderField]
    /// The request body (may be empty).
    public var body: [UInt8]
    /// The longest wait for the TCP (and TLS) connection to be set up. Default 2 s.
    public var connectTimeout: Duration
    /// The longest the whole request may take, connection included. Default 30 s.
    public var timeout: Duration
    /// The largest response body accepted, in bytes; a larger one aborts the transfer with
    /// ``CurlError/Code/responseTooLarge``. Default 64 MiB.
    public var maxResponseBytes: Int
    /// When set, the address actually connected to (after DNS resolution, for new and reused
    /// connections alike; IPv4 dotted or IPv6 text, as libcurl reports it) must pass this check
    /// before the request is sent, else the transfer stops with
    /// ``CurlError/Code/addressNotAllowed``; proxies from the environment are then not used, so the
    /// address checked is the origin's. For fetching user-supplied URLs (SSRF protection). Default nil.
    public var addressFilter: (@Sendable (String) -> Bool)?

    /// Creates a request.
    public init(
        method: String = "GET", url: String, headers: [HTTPHeaderField] = [], body: [UInt8] = [],
        connectTimeout: Duration = .seconds(2), timeout: Duration = .seconds(30), maxResponseBytes: Int = 64 << 20,
        addressFilter: (@Sendable (String) -> Bool)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.addressFilter = addressFilter
    }
}

/// An HTTP response: status, the headers of the final response (not those of interim `1xx`
/// responses), and the body bytes.
public struct CurlResponse: Sendable {
    /// The HTTP status code, for example 200.
    public var status: Int
    /// Response headers in the order received.
    public var headers: [HTTPHeaderField]
    /// The response body.
    public var body: [UInt8]

    /// Creates a response (the client builds these; tests and adapters may too).
    public init(status: Int, headers: [HTTPHeaderField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header called `name`, compared case-insensitively; `nil` if absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The response itself when its status is below 400.
    ///
    /// - Throws: ``CurlError`` with code ``CurlError/Code/httpStatus``, `status` set, and the
    ///   start of the body (up to 200 bytes, as UTF-8) in the message.
    public func checked() throws(CurlError) -> CurlResponse {
        guard status >= 400 else { return self }
        let snippet = String(decoding: body.prefix(200), as: UTF8.self)
        throw CurlError(code: .httpStatus, message: "HTTP \(status): \(snippet)", status: status)
    }
}

/// Why a request failed.
///
/// A struct whose ``Code`` wraps a private enum (the swift-service-lifecycle style, as
/// `InferenceProtocolError`), so a new kind of failure breaks no caller: compare codes with `==`
/// (`error.code == .timedOut`), use ``isTimeout`` / ``isUnreachable``, or `switch` over ``code``
/// with a `default`.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New kinds may be added: compare with `==` or switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case connectionRefused, couldNotResolve, timedOut, responseTooLarge, invalidRequest, httpStatus
            case addressNotAllowed, transport
        }
        private let kind: Kind

        /// Nothing accepted the connection (refused, or the host is unreachable).
        public static let connectionRefused = Code(kind: .connectionRefused)
        /// The host name did not resolve.
        public static let couldNotResolve = Code(kind: .couldNotResolve)
        /// The connect timeout or the whole-request timeout passed.
        public static let timedOut = Code(kind: .timedOut)
        /// The response body was larger than ``CurlRequest/maxResponseBytes``.
        public static let responseTooLarge = Code(kind: .responseTooLarge)
        /// The request cannot be sent: malformed URL, unsupported scheme, invalid method or header.
        public static let invalidRequest = Code(kind: .invalidRequest)
        /// The server answered with status 400 or above (only from ``CurlResponse/checked()``).
        public static let httpStatus = Code(kind: .httpStatus)
        /// The connected address was refused by ``CurlRequest/addressFilter``; nothing was sent.
        public static let addressNotAllowed = Code(kind: .addressNotAllowed)
        /// Any other failure: connection reset, protocol error, TLS failure, the calling task was
        /// cancelled, or the client was shut down. The message says which.
        public static let transport = Code(kind: .transport)

        /// The kind's name, e.g. `timedOut`.
        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation, including libcurl's message where there is one.
    public var message: String
    /// The HTTP status, for ``Code/httpStatus``.
    public var status: Int?

    /// Creates an error.
    public init(code: Code, message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// Whether the connect timeout or the whole-request timeout passed (``Code/timedOut``).
    public var isTimeout: Bool { code == .timedOut }

    /// Whether nothing could be reached: the connection was refused or the host did not resolve
    /// (``Code/connectionRefused``, ``Code/couldNotResolve``). Together with ``isTimeout``, what a
    /// circuit breaker counts as a failure of the peer.
    public var isUnreachable: Bool { code == .connectionRefused || code == .couldNotResolve }

    /// `"<code>: <message>"`.
    public var description: String { "\(code): \(message)" }
}
