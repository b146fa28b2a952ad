/// Why an inference message could not be encoded or decoded.
///
/// Messages are precise and safe to return to a client (they name tensors, shapes and sizes, never
/// tensor contents). The endpoint maps `.unsupportedMediaType` to HTTP 415 and every other code to 400.
public struct InferenceProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidJSON, invalidTensor, invalidFraming, unsupportedMediaType, encodingFailed
        }
        private let base: Base

        /// The JSON part of the message is not valid JSON or does not have the V2 schema.
        public static let invalidJSON = Code(base: .invalidJSON)
        /// A tensor's datatype, shape or data do not agree (element count, byte size, ranges).
        public static let invalidTensor = Code(base: .invalidTensor)
        /// The binary framing is wrong: header length out of range, binary sizes that do not add up.
        public static let invalidFraming = Code(base: .invalidFraming)
        /// The `Content-Type` is not one the protocol defines (HTTP 415).
        public static let unsupportedMediaType = Code(base: .unsupportedMediaType)
        /// A value cannot be written in the requested form (e.g. NaN in JSON, FP16 as JSON).
        public static let encodingFailed = Code(base: .encodingFailed)

        /// The code's name, e.g. `invalidTensor`.
        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// A human-readable, client-safe explanation.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    static func json(_ message: String) -> Self { .init(.invalidJSON, message) }
    static func tensor(_ message: String) -> Self { .init(.invalidTensor, message) }
    static func framing(_ message: String) -> Self { .init(.invalidFraming, message) }
}
