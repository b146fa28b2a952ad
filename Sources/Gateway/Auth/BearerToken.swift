/// The bearer token of an `Authorization` header value, shared by `gateway serve` and the TOKEN
/// Lambda authorizer so both read the header the same way.
enum BearerToken {
    /// The token of `Bearer <token>` (scheme case-insensitive, the token trimmed of spaces).
    /// - Throws: ``TokenError/missing`` when `header` is absent, empty or of another scheme;
    ///   ``TokenError/malformed`` when the scheme is `Bearer` but no token follows it.
    static func parse(_ header: String?) throws(TokenError) -> String {
        guard let header else { throw TokenError.missing }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count >= 1, parts[0].lowercased() == "bearer" else { throw TokenError.missing }
        let token = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        guard !token.isEmpty else { throw TokenError.malformed }
        return token
    }
}
