#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which `image.url` values the proxy fetches: an allowlist of URL prefixes
/// (`proxy serve --image-url-allow PREFIX`, `FEWCLICK_IMAGE_URL_ALLOW`), plus a check of the
/// address actually connected to, so that an allowed name that resolves to an internal address
/// is still refused (SSRF).
///
/// An entry is `scheme://host[:port]/path-prefix`:
/// - `scheme` is `https`, or `http` only when the entry says so;
/// - `host` is matched exactly (case-insensitively): a name, an IPv4 literal or a bracketed IPv6
///   literal; S3 virtual-host buckets are `https://my-bucket.s3.us-east-1.amazonaws.com/`;
/// - `port` defaults to the scheme's (443, 80) and must then match exactly;
/// - the URL's path must start with the entry's path (at least `/`); the query string
///   (presigned-URL signatures) is not part of the match.
///
/// A URL is refused before any request when it has user info, a fragment, a backslash, spaces,
/// control or non-ASCII bytes, dot segments (`/../`, `/./`, also percent-encoded), or an invalid
/// host or port. The connected address must be a public unicast address (no loopback, private,
/// link-local including the 169.254.169.254 metadata service, CGNAT, multicast, reserved or
/// documentation ranges, nor their IPv6 equivalents and IPv4-mapped forms) unless the matching
/// entry's host is that very IP literal.
public struct ImageURLPolicy: Sendable, Equatable {
    /// One allowlist entry.
    public struct Rule: Sendable, Equatable, CustomStringConvertible {
        /// `http` or `https`.
        public var scheme: String
        /// Lower-cased host; IPv6 literals without brackets.
        public var host: String
        /// The port, explicit or the scheme's default.
        public var port: Int
        /// The path prefix, starting with `/`.
        public var pathPrefix: String
        /// Whether `host` is an IP literal (then exactly that address may be connected to).
        public var hostIsIPLiteral: Bool

        /// The entry as written back (`scheme://host:port/prefix`).
        public var description: String {
            "\(scheme)://\(hostIsIPLiteral && host.contains(":") ? "[\(host)]" : host):\(port)\(pathPrefix)"
        }
    }

    /// The entries; empty: `image.url` is refused with 422 `url_not_enabled`.
    public var rules: [Rule]

    /// A policy from allowlist entries.
    /// - Throws: ``Invalid`` naming the first entry that is not `http(s)://host[:port][/prefix]`.
    public init(entries: [String]) throws(Invalid) {
        rules = []
        for entry in entries {
            guard let url = ParsedURL(entry), url.query == nil else {
                throw Invalid(description: "image URL allowlist entry '\(entry)' is not scheme://host[:port][/path-prefix]")
            }
            rules.append(
                Rule(
                    scheme: url.scheme, host: url.host, port: url.port, pathPrefix: url.path,
                    hostIsIPLiteral: IPAddress(url.host) != nil))
        }
    }

    /// Why an allowlist entry was refused.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
        /// The same text as ``description``: every library error has a `message` (README "Development").
        public var message: String { description }
    }

    /// No entries: every `image.url` is refused.
    public static let none = ImageURLPolicy(rules: [])

    private init(rules: [Rule]) { self.rules = rules }

    /// Whether any URL is allowed at all.
    public var isEnabled: Bool { !rules.isEmpty }

    /// A URL that passed the allowlist: what to fetch, and which connected addresses are acceptable.
    public struct Target: Sendable {
        /// The URL to fetch (as given: it passed the strict syntax check).
        public var url: String
        /// The rule it matched.
        public var rule: Rule

        /// Whether connecting to `address` (libcurl's text form) is acceptable for this target.
        public func allows(address: String) -> Bool {
            guard let ip = IPAddress(address) else { return false }
            if rule.hostIsIPLiteral, let named = IPAddress(rule.host) { return ip == named }
            return ip.isPublicUnicast
        }
    }

    /// The allowlist decision for `url`.
    /// - Returns: the target to fetch, or `nil` when no entry allows it (or it is malformed).
    public func match(_ url: String) -> Target? {
        guard let parsed = ParsedURL(url) else { return nil }
        for rule in rules
        where rule.scheme == parsed.scheme && rule.host == parsed.host && rule.port == parsed.port
            && parsed.path.hasPrefix(rule.pathPrefix)
        {
            return Target(url: url, rule: rule)
        }
        return nil
    }
}

/// The parts of a strictly checked absolute `http(s)` URL.
struct ParsedURL: Equatable {
    var scheme: String
    var host: String
    var port: Int
    var path: String
    var query: String?

    /// `nil` for anything outside the strict subset described on ``ImageURLPolicy``.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        // Printable ASCII only; no spaces, backslashes, fragments.
        guard !bytes.isEmpty, bytes.count <= 8192,
            bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "#") })
        else { return nil }
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains("%") else { return nil }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard let ip = IPAddress(String(hostPart)), ip.isIPv6 else { return nil }
        } else if let colon = authority.firstIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        let host = hostPart.lowercased()
        guard !host.isEmpty, host.count <= 253 else { return nil }
        if !authority.hasPrefix("[") {
            // A DNS name or dotted IPv4: letters, digits, '-', '.'; no empty labels.
            guard host.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }),
                !host.hasPrefix("."), !host.contains("..")
            else { return nil }
            // Numeric-looking hosts must be canonical dotted quads (no 0x7f.1, 2130706433, 010.0.0.1).
            if host.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }) || host.hasPrefix("0x") {
                guard let ip = IPAddress(host), !ip.isIPv6, ip.canonicalText == host else { return nil }
            }
        }
        self.host = host.hasSuffix(".") ? String(host.dropLast()) : host
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isNumber), let port = Int(portText),
                (1...65535).contains(port)
            else { return nil }
            self.port = port
        } else {
            port = scheme == "https" ? 443 : 80
        }
        let tail = rest[authorityEnd...]
        let queryStart = tail.firstIndex(of: "?")
        let pathPart = queryStart.map { tail[..<$0] } ?? tail
        path = pathPart.isEmpty ? "/" : String(pathPart)
        query = queryStart.map { String(tail[tail.index(after: $0)...]) }
        // Dot segments (libcurl would squash them, escaping the prefix), also percent-encoded.
        let segments = path.lowercased().replacingDotEscapes().split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
    }
}

extension String {
    /// `%2e` → `.` (any case), for the dot-segment check only.
    fileprivate func replacingDotEscapes() -> String {
        var result = ""
        var index = startIndex
        while index < endIndex {
            if self[index] == "%", let end = self.index(index, offsetBy: 3, limitedBy: endIndex),
                self[index..<end].lowercased() == "%2e"
            {
                result.append(".")
                index = end
            } else {
                result.append(self[index])
                index = self.index(after: index)
            }
        }
        return result
    }
}

/// An IPv4 or IPv6 address parsed with `inet_pton` (strict forms only), with the range checks
/// that decide whether the proxy may connect to it.
struct IPAddress: Equatable {
    /// 4 bytes (IPv4) or 16 (IPv6).
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    var isIPv6: Bool { bytes.count == 16 }

    /// Dotted decimal for IPv4 (to spot non-canonical spellings); empty for IPv6.
    var canonicalText: String { isIPv6 ? "" : bytes.map(String.init).joined(separator: ".") }

    /// Whether the address is globally routable unicast: not loopback, unspecified, private
    /// (RFC 1918, IPv6 ULA), link-local (169.254/16 with the metadata service, fe80::/10),
    /// CGNAT (100.64/10), multicast, broadcast, reserved, benchmarking or documentation ranges;
    /// IPv4-mapped, NAT64 and 6to4 IPv6 forms are judged by the IPv4 address they carry.
    var isPublicUnicast: Bool {
        if !isIPv6 { return Self.isPublicIPv4(bytes) }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return Self.isPublicIPv4(Array(b[12...])) }  // ::ffff:a.b.c.d
        if b[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::, ::1, deprecated IPv4-compatible
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return false }  // 64:ff9b::/96 NAT64 (and /48 local use)
        if b[0] == 0x20 && b[1] == 0x02 { return Self.isPublicIPv4(Array(b[2..<6])) }  // 2002::/16 6to4
        if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local (AWS fd00:ec2::254 metadata)
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local (deprecated)
        if b[0] == 0xFF { return false }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }  // 2001:db8::/32 documentation
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00 { return false }  // 2001::/32 Teredo (embeds IPv4)
        if b[0] == 0x01 && b[1] == 0x00 && b[2..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
        return b[0] & 0xE0 == 0x20  // 2000::/3 global unicast only
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1], b[2]) {
        case (0, _, _), (10, _, _), (127, _, _): return false  // this network, private, loopback
        case (100, 64...127, _): return false  // CGNAT
        case (169, 254, _): return false  // link-local, 169.254.169.254 metadata
        case (172, 16...31, _): return false  // private
        case (192, 0, 0), (192, 0, 2), (192, 88, 99): return false  // IETF protocol, TEST-NET-1, 6to4 relay
        case (192, 168, _): return false  // private
        case (198, 18...19, _), (198, 51, 100), (203, 0, 113): return false  // benchmarking, TEST-NET-2/3
        case (224...255, _, _): return false  // multicast, reserved, broadcast
        default: return true
        }
    }
}
