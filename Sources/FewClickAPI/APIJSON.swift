import Foundation

/// How the API writes JSON: every answer of the proxy and the gateway (success and error bodies)
/// goes through ``encode(_:)``, so the bytes on the wire have one format: keys sorted, `/` not
/// escaped, no whitespace.
public enum APIJSON {
    /// A fresh encoder with the API's output format.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The JSON bytes of `value` in the API's format.
    ///
    /// - Throws: `EncodingError` when `value` cannot be encoded (a non-finite number, for instance).
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        [UInt8](try encoder().encode(value))
    }
}
