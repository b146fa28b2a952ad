#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AWS credentials: an access key pair and, for temporary credentials (Lambda's execution role,
/// STS), a session token.
///
/// `description` never prints the secret key or the token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The access key id (`AKIA…` for long-term keys, `ASIA…` for temporary ones).
    public var accessKeyId: String
    /// The secret access key; only used to derive the signing key.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent (and signed) as `X-Amz-Security-Token`.
    public var sessionToken: String?

    /// Creates credentials from their parts. An empty `sessionToken` is treated as none.
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = (sessionToken?.isEmpty ?? true) ? nil : sessionToken
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`, the
    /// variables Lambda sets from the function's execution role.
    ///
    /// - Parameter environment: the variables to read; the process environment by default.
    /// - Throws: `SigV4Error.missingCredentials` when the key id or the secret is absent or empty.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SigV4Error) -> AWSCredentials {
        guard let keyId = environment["AWS_ACCESS_KEY_ID"], !keyId.isEmpty else {
            throw .missingCredentials("AWS_ACCESS_KEY_ID is not set")
        }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw .missingCredentials("AWS_SECRET_ACCESS_KEY is not set")
        }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
    }

    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "none" : "<redacted>"))"
    }
}
