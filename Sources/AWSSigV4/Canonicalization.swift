// The canonical-request rules of Signature Version 4 for services other than S3, written to
// agree byte for byte with botocore's `SigV4Auth` (the vectors in Tests/AWSSigV4Tests/Fixtures
// were produced by it). Everything here works on UTF-8 bytes, never on `String` comparison,
// because SigV4 sorts and encodes bytes.

/// The parts of an absolute URL that signing needs, split as Python's `urlsplit` does.
struct SplitURL: Sendable, Equatable {
    /// Lower-cased scheme (`http` or `https`).
    var scheme: String
    /// The `Host` header value: lower-cased host, `:port` only when not the scheme's default.
    var hostHeader: String
    /// The raw (still percent-encoded) path, possibly empty.
    var path: String
    /// The raw query without the `?`, possibly empty.
    var query: String

    init(_ url: String) throws(SigV4Error) {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw .invalidURL("no scheme in \(url)")
        }
        let scheme = url[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidURL("unsupported scheme \(scheme)") }
        var rest = url[url.index(colon, offsetBy: 3)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let pathAndQuery = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }

        var host = Substring(authority)
        var port: Int?
        if host.hasPrefix("[") {
            // IPv6 literal: keep the brackets, a port may follow "]:".
            guard let close = host.firstIndex(of: "]") else { throw .invalidURL("unterminated IPv6 host") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()) else { throw .invalidURL("bad port in \(url)") }
                port = value
            } else if !after.isEmpty {
                throw .invalidURL("bad authority in \(url)")
            }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            let portText = host[host.index(after: colon)...]
            if !portText.isEmpty {
                guard let value = Int(portText) else { throw .invalidURL("bad port in \(url)") }
                port = value
            }
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .invalidURL("no host in \(url)") }
        let defaultPort = scheme == "https" ? 443 : 80
        var hostHeader = host.lowercased()
        if let port, port != defaultPort { hostHeader += ":\(port)" }

        let path: Substring
        let query: Substring
        if let questionMark = pathAndQuery.firstIndex(of: "?") {
            path = pathAndQuery[..<questionMark]
            query = pathAndQuery[pathAndQuery.index(after: questionMark)...]
        } else {
            path = pathAndQuery
            query = ""
        }
        self.scheme = scheme
        self.hostHeader = hostHeader
        self.path = String(path)
        self.query = String(query)
    }
}

enum Canonical {
    /// RFC 3986 unreserved characters: never percent-encoded.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes every byte of the UTF-8 form except unreserved ones (and `/` when
    /// `keepSlash`), with upper-case hex digits.
    static func uriEncode<S: Sequence<UInt8>>(_ bytes: S, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays literal. In a query,
    /// `+` means a space: botocore and the AWS SDKs send spaces as `+` and AWS services decode them
    /// so (a literal plus travels as `%2B`).
    static func percentDecodeQueryComponent(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index] == UInt8(ascii: "+") ? UInt8(ascii: " ") : bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 section 5.2.4 dot-segment removal plus collapsing of empty segments (`//`), as AWS
    /// services other than S3 expect; an empty path becomes `/`.
    static func normalizedPath(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
                continue
            }
            output.append(segment)
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// The canonical URI for non-S3 services: the raw path normalised, then URI-encoded again with
    /// `/` kept, so an already-encoded `%20` becomes `%2520` ("double encoding").
    static func uri(path: String) -> String {
        uriEncode(normalizedPath(path).utf8, keepSlash: true)
    }

    /// The canonical query string: each `name=value` pair decoded (`+` as space), re-encoded with RFC 3986 rules,
    /// sorted by encoded name then encoded value (byte order), joined with `&`. Repeated names are
    /// kept; a name without `=` gets an empty value; empty pairs (`&&`) are dropped.
    static func queryString(_ query: String) -> String {
        if query.isEmpty { return "" }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = pair.firstIndex(of: "=") {
                name = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                name = pair
                value = ""
            }
            pairs.append(
                (Array(uriEncode(percentDecodeQueryComponent(name)).utf8), Array(uriEncode(percentDecodeQueryComponent(value)).utf8)))
        }
        pairs.sort { left, right in
            if left.name != right.name { return left.name.lexicographicallyPrecedes(right.name) }
            return left.value.lexicographicallyPrecedes(right.value)
        }
        return pairs.map { String(decoding: $0.name + [UInt8(ascii: "=")] + $0.value, as: UTF8.self) }
            .joined(separator: "&")
    }

    /// Trims leading/trailing whitespace and collapses every run of whitespace to one space (the
    /// spec's `Trimall`, as botocore applies it with Python's `str.split()`).
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Lower-cased, trimmed header name.
    static func headerName(_ name: String) -> String {
        trimAll(name).lowercased()
    }

    /// Headers that are never signed: hop-by-hop headers a proxy may change, plus `user-agent`
    /// and `x-amzn-trace-id` (botocore's `SIGNED_HEADERS_BLACKLIST`).
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]
}

extension Array where Element == UInt8 {
    /// Lower-case hex of the bytes.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
