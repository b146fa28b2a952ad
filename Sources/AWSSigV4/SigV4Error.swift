/// An error from signing a request or from finding credentials.
///
/// A struct wrapping a private code (as swift-service-lifecycle does), so new cases do not break
/// callers; compare with the static values (`error == .missingCredentials`).
public struct SigV4Error: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidURL
        case missingCredentials
        case invalidConfiguration
    }

    private let code: Code
    /// A human-readable explanation, safe to log (it never contains a secret).
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The URL to sign is not an absolute `http`/`https` URL with a host.
    public static func invalidURL(_ message: String) -> SigV4Error { SigV4Error(.invalidURL, message) }
    /// `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` is missing or empty.
    public static func missingCredentials(_ message: String) -> SigV4Error {
        SigV4Error(.missingCredentials, message)
    }
    /// A region, service or endpoint name is missing or malformed.
    public static func invalidConfiguration(_ message: String) -> SigV4Error {
        SigV4Error(.invalidConfiguration, message)
    }

    /// Whether two errors are of the same kind (messages are ignored).
    public func isSameKind(as other: SigV4Error) -> Bool { code == other.code }

    public var description: String {
        switch code {
        case .invalidURL: "invalid URL: \(message)"
        case .missingCredentials: "missing AWS credentials: \(message)"
        case .invalidConfiguration: "invalid configuration: \(message)"
        }
    }
}
