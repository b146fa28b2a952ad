import Foundation

/// The HS256 secret's one loader, shared by `gateway serve`/`token`/`authorizer` and `fewclick up`:
/// the text of `--jwt-secret-file`, else `$FEWCLICK_JWT_SECRET`, trimmed of surrounding white space and at
/// least ``TokenVerifier/minimumSecretLength`` bytes.
public enum JWTSecret {
    /// The secret from `file`, else from a non-empty `FEWCLICK_JWT_SECRET` in `environment`; `nil` when neither
    /// is set (an empty variable counts as unset).
    /// - Throws: ``TokenConfigurationError`` when `file` cannot be read or the secret is too short (the
    ///   message never holds the secret).
    public static func load(file: String?, environment: [String: String]) throws(TokenConfigurationError) -> [UInt8]? {
        let text: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw TokenConfigurationError(message: "cannot read --jwt-secret-file \(file)")
            }
            text = String(decoding: data, as: UTF8.self)
        } else if let value = environment["FEWCLICK_JWT_SECRET"], !value.isEmpty {
            text = value
        } else {
            return nil
        }
        let secret = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard secret.count >= TokenVerifier.minimumSecretLength else {
            throw TokenConfigurationError(
                message: "the JWT secret must be at least \(TokenVerifier.minimumSecretLength) bytes")
        }
        return secret
    }
}
