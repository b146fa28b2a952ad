/// Image ids (`imageId` in an answer, `image.id` in a request): `sha256:` followed by the lower-case
/// hex SHA-256 of the image file's bytes, exactly as sent (not of the decoded pixels).
///
/// The proxy makes them (``make(sha256Digest:)`` over its SHA-256) and checks the ones it is sent
/// (``isValid(_:)``: otherwise 422 `invalid_image_id`). A client holding the file may compute the id
/// itself with any SHA-256 and skip the upload; a 404 `image_not_found` then says to send the bytes.
public enum ImageID {
    /// The id's prefix, `sha256:`.
    public static let prefix = "sha256:"
    /// Hex digits after the prefix.
    public static let hexDigits = 64

    /// Whether `text` is `sha256:` followed by 64 hex digits (either case).
    public static func isValid(_ text: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let hex = text.utf8.dropFirst(prefix.utf8.count)
        return hex.count == hexDigits && hex.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
    }

    /// The id for a file whose SHA-256 digest is `digest` (32 bytes): `sha256:` + lower-case hex.
    public static func make(sha256Digest digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Array(prefix.utf8)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
