/// Why an image could not be read or written.
///
/// Decoding never crashes and never prints: every failure of the underlying libraries
/// (libjpeg-turbo, libspng) surfaces as one of these, with the library's message attached.
///
/// A struct whose ``Code`` wraps a private enum (as `InferenceProtocolError`), so a new kind breaks
/// no caller: compare codes with `==`, or `switch` over ``code`` with a `default`.
public struct ImageCodecError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, for callers that map it to a response (for example HTTP 415/413/422).
    /// New kinds may be added: compare with `==` or switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable { case unsupportedFormat, tooLarge, corrupt, encodeFailed }
        private let kind: Kind

        /// The bytes are neither a JPEG nor a PNG (for example GIF, WebP, BMP, or empty data).
        public static let unsupportedFormat = Code(kind: .unsupportedFormat)
        /// The image is larger than allowed: more pixels than `maxPixels`, or a side longer than
        /// ``ImageFile/maxSide``. Refused after reading the header, before any pixel memory is allocated.
        public static let tooLarge = Code(kind: .tooLarge)
        /// The data claims to be a JPEG or PNG but is truncated, corrupt, or has impossible
        /// dimensions (zero width or height).
        public static let corrupt = Code(kind: .corrupt)
        /// Encoding failed (invalid image dimensions or parameters, or a library failure).
        public static let encodeFailed = Code(kind: .encodeFailed)

        /// The kind's name, e.g. `tooLarge`.
        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation (includes the library's own message where there is one).
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `"<code>: <message>"`.
    public var description: String { "\(code): \(message)" }
}
