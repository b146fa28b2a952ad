/// Strict base64url without padding (RFC 4648 §5), as RFC 7515 requires for the three parts of a JWS.
///
/// Refused: `=` padding, the standard alphabet's `+` and `/`, whitespace or any other byte, a length
/// of 4n + 1 characters, and a last character whose unused low bits are not zero (so every byte
/// string has exactly one accepted spelling and a signature cannot be altered without changing
/// its bytes).
enum Base64URL {
    /// The bytes `text` spells, or `nil` when it is not canonical unpadded base64url.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var pending = 0
        for character in text.utf8 {
            guard let value = sextet(character) else { return nil }
            accumulator = (accumulator << 6) | value
            pending += 6
            if pending >= 8 {
                pending -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(pending)))
                accumulator &= (1 << UInt32(pending)) - 1
            }
        }
        // 4n + 1 characters leave 6 bits: not a whole byte. Otherwise the leftover bits must be zero.
        guard pending != 6, accumulator == 0 else { return nil }
        return bytes
    }

    private static func sextet(_ character: UInt8) -> UInt32? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(character - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(character - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(character - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
