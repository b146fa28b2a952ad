import Foundation

/// An event or response document that LambdaKit could not interpret.
public struct LambdaEventError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// The document is not JSON, or not an API Gateway event of either payload version.
        case invalidEvent
        /// `isBase64Encoded` is true but `body` is not valid base64.
        case invalidBase64Body
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation (never contains body bytes).
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    static func decodeBody(_ body: String?, isBase64Encoded: Bool) throws(LambdaEventError) -> [UInt8] {
        guard let body else { return [] }
        guard isBase64Encoded else { return Array(body.utf8) }
        guard let data = Data(base64Encoded: body) else {
            throw LambdaEventError(.invalidBase64Body, "body is marked isBase64Encoded but is not valid base64")
        }
        return [UInt8](data)
    }
}
