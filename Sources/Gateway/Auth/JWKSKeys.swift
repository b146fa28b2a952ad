import Foundation
import JWTKit
import LambdaKit

/// One verification key from a JWKS, with the single algorithm it may be used with.
struct SigningKey: Sendable {
    /// The key's `kid`, if it has one.
    let keyID: String?
    /// The algorithm: the key's own `alg`, else the one its `kty` (and `crv`) implies. A token whose
    /// header names another algorithm is refused, so the token never chooses how its key is used.
    let algorithm: KeySetAlgorithm
    /// jwt-kit's verifier for this key and algorithm.
    let verifier: any JWTAlgorithm
}

/// Reads JWKS documents into ``SigningKey``s.
enum JWKSDocument {
    /// A document that is not a JWKS at all (the fetch counts as failed and earlier keys stay).
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The usable keys of a JWKS document, and why the others were skipped (for the log).
    ///
    /// Skipped: keys whose `use` is not `sig`, whose `key_ops` lacks `verify`, symmetric (`oct`) and unknown
    /// key types, an `alg` this gateway does not verify or that does not fit the key (`ES256` on a P-384 key),
    /// RSA keys under 2048 bits, and keys jwt-kit cannot read. Private parameters are never used.
    /// - Throws: ``Invalid`` when `bytes` is not a JSON object with a `keys` array.
    static func keys(from bytes: [UInt8]) async throws(Invalid) -> (keys: [SigningKey], skipped: [String]) {
        guard let document = try? JSONDecoder().decode([String: JSONValue].self, from: Data(bytes)),
            case .array(let entries)? = document["keys"]
        else {
            throw Invalid(description: "the response is not a JWKS document (a JSON object with a keys array)")
        }
        var keys: [SigningKey] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry else {
                skipped.append("key \(index): not an object")
                continue
            }
            do {
                keys.append(try await key(from: fields))
            } catch {
                let kid = fields["kid"]?.stringValue.map { "kid \($0)" } ?? "key \(index)"
                skipped.append("\(kid): \(error.description)")
            }
        }
        return (keys, skipped)
    }

    private static func key(from fields: [String: JSONValue]) async throws(Invalid) -> SigningKey {
        func string(_ name: String) -> String? {
            if case .string(let value)? = fields[name] { value } else { nil }
        }
        if let use = string("use"), use != "sig" { throw Invalid(description: "use is \(use), not sig") }
        if case .array(let operations)? = fields["key_ops"], !operations.contains(.string("verify")) {
            throw Invalid(description: "key_ops does not include verify")
        }
        let kid = string("kid")
        let declared: KeySetAlgorithm?
        if let alg = string("alg") {
            guard let known = KeySetAlgorithm(rawValue: alg) else {
                throw Invalid(description: "alg \(alg) is not one this gateway verifies")
            }
            declared = known
        } else {
            declared = nil
        }
        let identifier = JWKIdentifier(string: "key")
        let algorithm: KeySetAlgorithm
        let jwk: JWK
        switch string("kty") ?? "(none)" {
        case "RSA":
            algorithm = declared ?? .rs256
            guard [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512].contains(algorithm) else {
                throw Invalid(description: "alg \(algorithm.rawValue) does not fit an RSA key")
            }
            jwk = .rsa(
                JWK.Algorithm(rawValue: algorithm.rawValue), identifier: identifier, modulus: string("n"),
                exponent: string("e"))
        case "EC":
            let curves: [String: KeySetAlgorithm] = ["P-256": .es256, "P-384": .es384, "P-521": .es512]
            guard let crv = string("crv"), let implied = curves[crv] else {
                throw Invalid(description: "EC curve \(string("crv") ?? "(none)") is not P-256, P-384 or P-521")
            }
            algorithm = declared ?? implied
            guard algorithm == implied else {
                throw Invalid(description: "alg \(algorithm.rawValue) does not fit curve \(crv)")
            }
            jwk = .ecdsa(
                JWK.Algorithm(rawValue: algorithm.rawValue), identifier: identifier, x: string("x"), y: string("y"),
                curve: ECDSACurve(rawValue: crv))
        case "OKP":
            guard string("crv") == "Ed25519" else {
                throw Invalid(description: "OKP curve \(string("crv") ?? "(none)") is not Ed25519")
            }
            algorithm = declared ?? .eddsa
            guard algorithm == .eddsa else { throw Invalid(description: "alg \(algorithm.rawValue) does not fit an Ed25519 key") }
            jwk = .octetKeyPair(.eddsa, identifier: identifier, x: string("x"), y: nil, curve: .ed25519)
        case let kty:
            throw Invalid(description: "kty \(kty) is not used for token signatures here")
        }
        do {
            let collection = JWTKeyCollection()
            try await collection.add(jwk: jwk)
            let verifier = try await collection.getKey(for: identifier, alg: algorithm.rawValue)
            guard verifier.name == algorithm.rawValue else {
                throw Invalid(description: "jwt-kit made a \(verifier.name) verifier for \(algorithm.rawValue)")
            }
            return SigningKey(keyID: kid, algorithm: algorithm, verifier: verifier)
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(description: "unreadable key (\(error))")
        }
    }
}

/// The `max-age` of a `Cache-Control` header value: `nil` without one; 0 for `no-store` or `no-cache`.
enum JWKSCacheControl {
    static func maxAge(_ value: String?) -> Duration? {
        guard let value else { return nil }
        var result: Duration?
        for directive in value.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard let name = parts.first else { continue }
            switch name {
            case "no-store", "no-cache": return .zero
            case "max-age" where parts.count == 2:
                let digits = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if let seconds = Int64(digits), seconds >= 0 { result = .seconds(seconds) }
            default: break
            }
        }
        return result
    }
}
