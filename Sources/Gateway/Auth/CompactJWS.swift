import Foundation
import LambdaKit

/// A compact-serialised JWS (`header.payload.signature`) split and decoded, before any signature check.
///
/// Every part must be strict base64url (``Base64URL``); the header and the payload must be JSON
/// objects; the header's `alg` must be a string, its `kid` (if any) a string, and it must not carry
/// `crit` (no JWS extension is implemented, so every critical one is unknown, RFC 7515 §4.1.11).
/// Header parameters that point at keys (`jku`, `jwk`, `x5u`, `x5c`) are never used: keys come
/// only from the gateway's configuration.
struct CompactJWS {
    /// The largest token accepted, in bytes (identity providers' access tokens are a few KB).
    static let maximumLength = 16 * 1024

    /// The decoded header.
    let header: [String: JSONValue]
    /// The decoded claims.
    let claims: [String: JSONValue]
    /// The decoded signature bytes.
    let signature: [UInt8]
    /// `header.payload` as sent: the bytes the signature covers.
    let signingInput: [UInt8]
    /// The header's `alg`.
    let algorithm: String
    /// The header's `kid`, if any.
    let keyID: String?

    /// Splits and decodes `token`.
    /// - Throws: ``TokenError/malformed`` (not three strict base64url parts of JSON objects, `alg` not
    ///   a string, `kid` not a string, too long) or ``TokenError/unsupportedCritical`` (`crit` present).
    init(_ token: String) throws(TokenError) {
        guard token.utf8.count <= Self.maximumLength else {
            throw TokenError.malformed.with(message: "the token is longer than \(Self.maximumLength) bytes")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        // An empty signature is well-formed (an unsecured JWS); its `alg` is refused below.
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw TokenError.malformed.with(message: "the token is not a compact JWT (header.payload.signature)")
        }
        guard let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else {
            throw TokenError.malformed.with(
                message: "the token is not strict base64url (no padding, no + or /, canonical last character)")
        }
        guard let header = Self.object(headerBytes) else {
            throw TokenError.malformed.with(message: "the token header is not a JSON object")
        }
        guard let claims = Self.object(payloadBytes) else {
            throw TokenError.malformed.with(message: "the token payload is not a JSON object")
        }
        guard case .string(let algorithm)? = header["alg"] else {
            throw TokenError.malformed.with(message: "the token header has no alg")
        }
        if header["crit"] != nil { throw TokenError.unsupportedCritical }
        switch header["kid"] {
        case nil: keyID = nil
        case .string(let kid)?: keyID = kid
        default: throw TokenError.malformed.with(message: "the token header's kid is not a string")
        }
        self.header = header
        self.claims = claims
        self.signature = signature
        self.signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        self.algorithm = algorithm
    }

    private static func object(_ bytes: [UInt8]) -> [String: JSONValue]? {
        try? JSONDecoder().decode([String: JSONValue].self, from: Data(bytes))
    }
}

/// The JWS algorithms the gateway verifies, by key family: a token is checked only against keys of
/// its own family, so an HS256 token is never verified with a JWKS key's bytes, nor an RS256 token
/// with the shared secret.
enum SignatureFamily: Sendable {
    /// HS256 with the shared secret.
    case sharedSecret
    /// RS*/PS*/ES*/EdDSA with the JWKS keys.
    case keySet

    /// The family of `alg`, or `nil` for every other algorithm (`none`, HS384, HS512, …).
    init?(algorithm: String) {
        if algorithm == "HS256" {
            self = .sharedSecret
        } else if KeySetAlgorithm(rawValue: algorithm) != nil {
            self = .keySet
        } else {
            return nil
        }
    }
}

/// The asymmetric JWS algorithms a JWKS key can be used with (those jwt-kit implements).
enum KeySetAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
    case es256 = "ES256", es384 = "ES384", es512 = "ES512"
    case eddsa = "EdDSA"
}
