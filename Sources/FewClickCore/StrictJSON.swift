/// A strict RFC 8259 syntax check, run before `JSONDecoder` (which accepts trailing commas and
/// other JSON5 leniencies on Linux): one value, optionally surrounded by whitespace, with no
/// trailing commas, comments, single quotes, leading zeros, `NaN`/`Infinity`, unescaped control
/// characters in strings or bytes after the value. Nesting is limited to `maxDepth` levels.
public enum StrictJSON {
    /// Why a text is not strict JSON: what is wrong and at which byte offset.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// A message for people, naming the offset.
        public var message: String
        /// The byte offset of the problem.
        public var offset: Int
        /// The ``message``.
        public var description: String { message }
    }

    /// The deepest nesting of arrays and objects accepted.
    public static let maxDepth = 128

    /// Checks that `bytes` is one strict JSON value whose top level is an object.
    /// - Throws: ``Invalid``: not JSON ("… at byte N"), or a top level other than an object.
    public static func validateObject(_ bytes: [UInt8]) throws(Invalid) {
        try validateObject(bytes[...])
    }

    /// Checks that `bytes` (e.g. the JSON part of a longer body, without copying it) is one strict
    /// JSON value whose top level is an object; offsets count from the slice's start.
    /// - Throws: ``Invalid``: not JSON ("… at byte N"), or a top level other than an object.
    public static func validateObject(_ bytes: ArraySlice<UInt8>) throws(Invalid) {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.index < bytes.endIndex, bytes[parser.index] == UInt8(ascii: "{") else {
            throw Invalid(message: "the body must be a JSON object", offset: parser.offset)
        }
        try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.endIndex else { throw parser.fail("unexpected bytes after the JSON value") }
    }

    /// Checks that `bytes` is one strict JSON value of any kind.
    /// - Throws: ``Invalid``.
    public static func validate(_ bytes: [UInt8]) throws(Invalid) {
        var parser = Parser(bytes: bytes[...])
        parser.skipWhitespace()
        try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.endIndex else { throw parser.fail("unexpected bytes after the JSON value") }
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        /// `index` counted from the start of the text.
        var offset: Int { index - bytes.startIndex }

        func fail(_ what: String) -> Invalid {
            Invalid(message: "the body is not valid JSON: \(what) at byte \(offset)", offset: offset)
        }

        mutating func skipWhitespace() {
            while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(Invalid) {
            guard depth <= StrictJSON.maxDepth else { throw fail("nesting deeper than \(StrictJSON.maxDepth) levels") }
            guard index < bytes.endIndex else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail("unexpected character")
            }
        }

        mutating func object(depth: Int) throws(Invalid) {
            index += 1
            skipWhitespace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") else {
                    throw fail("expected a member name in double quotes (trailing commas are not allowed)")
                }
                try string()
                skipWhitespace()
                guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                guard index < bytes.endIndex else { throw fail("unexpected end inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                index += 1
                return
            }
        }

        mutating func array(depth: Int) throws(Invalid) {
            index += 1
            skipWhitespace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if index < bytes.endIndex, bytes[index] == UInt8(ascii: "]") {
                    throw fail("trailing comma in an array")
                }
                try value(depth: depth)
                skipWhitespace()
                guard index < bytes.endIndex else { throw fail("unexpected end inside an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                index += 1
                return
            }
        }

        mutating func string() throws(Invalid) {
            index += 1
            while index < bytes.endIndex {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.endIndex else { throw fail("unexpected end in a string escape") }
                    switch bytes[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        guard index + 4 < bytes.endIndex, bytes[(index + 1)...(index + 4)].allSatisfy(Self.isHexDigit) else {
                            throw fail("\\u must be followed by 4 hex digits")
                        }
                        index += 5
                    default:
                        throw fail("invalid escape in a string")
                    }
                case 0..<0x20:
                    throw fail("unescaped control character in a string")
                default:
                    index += 1
                }
            }
            throw fail("unterminated string")
        }

        mutating func literal(_ word: StaticString) throws(Invalid) {
            let count = word.utf8CodeUnitCount
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
            guard index + count <= bytes.endIndex, bytes[index..<(index + count)].elementsEqual(expected) else {
                throw fail("unexpected word")
            }
            index += count
        }

        mutating func number() throws(Invalid) {
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.endIndex, Self.isDigit(bytes[index]) else { throw fail("a number needs digits") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.endIndex, Self.isDigit(bytes[index]) { throw fail("leading zeros are not allowed") }
            } else {
                while index < bytes.endIndex, Self.isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.endIndex, Self.isDigit(bytes[index]) else { throw fail("a fraction needs digits") }
                while index < bytes.endIndex, Self.isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.endIndex, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.endIndex, Self.isDigit(bytes[index]) else { throw fail("an exponent needs digits") }
                while index < bytes.endIndex, Self.isDigit(bytes[index]) { index += 1 }
            }
        }

        static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66) }
    }
}
