import Foundation

/// An event or response document that LambdaKit could not interpret.
///
/// A struct whose ``Code`` wraps a private enum (as `InferenceProtocolError`), so a new kind breaks
/// no caller: compare codes with `==`, or `switch` over ``code`` with a `default`.
public struct LambdaEventError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. New kinds may be added: compare with `==` or switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable { case invalidEvent, invalidBase64Body }
        private let kind: Kind

        /// The document is not JSON, or not an API Gateway event of either payload version.
        public static let invalidEvent = Code(kind: .invalidEvent)
        /// `isBase64Encoded` is true but `body` is not valid base64.
        public static let invalidBase64Body = Code(kind: .invalidBase64Body)

        /// The kind's name, e.g. `invalidEvent`.
        public var description: String { kind.rawValue }
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
        // The body is a JSON string in the event (the Lambda proxy contract), so decoding the event
        // made a String of it; handlers read [UInt8], and an Array cannot adopt a String's storage:
        // this is the one copy out of it (the base64 form: Foundation decodes into Data, copied once).
        guard isBase64Encoded else { return Array(body.utf8) }
        guard let data = Data(base64Encoded: body) else {
            throw LambdaEventError(.invalidBase64Body, "body is marked isBase64Encoded but is not valid base64")
        }
        return [UInt8](data)
    }
}
