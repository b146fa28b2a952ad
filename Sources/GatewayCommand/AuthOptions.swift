import ArgumentParser
import Foundation
import Gateway

/// The token flags shared by `gateway serve` and `gateway authorizer`, each with an environment
/// variable (used when the flag is not given), so both deployments accept the same tokens.
struct AuthOptions: ParsableArguments {
    @OptionGroup var secret: SecretOptions
    @Option(
        name: .customLong("jwks-url"),
        help: ArgumentHelp(
            "Identity provider JWKS URL (repeatable; https, or http to loopback). Default: $FEWCLICK_JWKS_URL (comma-separated).",
            valueName: "url"))
    var jwksURLs: [String] = []
    @Option(
        name: .customLong("issuer"),
        help: ArgumentHelp(
            "Accepted iss of JWKS tokens (repeatable; required with --jwks-url). Default: $FEWCLICK_JWT_ISSUER (comma-separated).",
            valueName: "iss"))
    var issuers: [String] = []
    @Option(
        name: .customLong("audience"),
        help: ArgumentHelp(
            "Accepted aud of JWKS tokens, or client_id when aud is absent (Cognito access tokens); repeatable, required with --jwks-url. Default: $FEWCLICK_JWT_AUDIENCE (comma-separated).",
            valueName: "aud"))
    var audiences: [String] = []
    @Option(
        name: [.customLong("token-leeway"), .customLong("jwt-leeway")],
        help: "Clock-skew leeway for exp/nbf/iat, in seconds. Default: $FEWCLICK_TOKEN_LEEWAY, else 60.")
    var tokenLeeway: Int?
    @Option(help: "Longest token lifetime accepted (exp − iat, or exp − now): 90s, 15m, 24h, 7d. Default: $FEWCLICK_MAX_TOKEN_LIFETIME, else 24h.")
    var maxTokenLifetime: String?
    @Option(help: "Scope a token must carry; empty accepts any token. Default: $FEWCLICK_REQUIRED_SCOPE, else segment.")
    var requiredScope: String?
    @Option(help: "Longest JWKS fetch, in seconds. Default: $FEWCLICK_JWKS_TIMEOUT, else 5.")
    var jwksTimeout: Double?
    @Option(help: "Largest JWKS document, in bytes. Default: $FEWCLICK_JWKS_MAX_BYTES, else 262144.")
    var jwksMaxBytes: Int?

    /// The verifier configuration from the flags and, where a flag is absent, the environment.
    /// - Throws: `ValidationError` for unusable values (the verifier checks the rest at start-up).
    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> TokenVerifier.Configuration
    {
        func list(_ flags: [String], _ name: String) -> [String] {
            let values = flags.isEmpty ? (environment[name] ?? "").split(separator: ",").map(String.init) : flags
            return values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func number<Value: LosslessStringConvertible>(_ flag: Value?, _ name: String) throws -> Value? {
            if let flag { return flag }
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Value(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("$\(name) is not a number: \(text)")
            }
            return value
        }
        let urls = list(jwksURLs, "FEWCLICK_JWKS_URL")
        var jwks: JWKSSettings?
        if !urls.isEmpty {
            var settings = JWKSSettings(urls: urls)
            if let seconds = try number(jwksTimeout, "FEWCLICK_JWKS_TIMEOUT") {
                guard seconds > 0 else { throw ValidationError("--jwks-timeout must be positive") }
                settings.fetchTimeout = .milliseconds(Int64(seconds * 1000))
            }
            if let bytes = try number(jwksMaxBytes, "FEWCLICK_JWKS_MAX_BYTES") {
                guard bytes > 0 else { throw ValidationError("--jwks-max-bytes must be positive") }
                settings.maxBytes = bytes
            }
            jwks = settings
        }
        let leeway = try number(tokenLeeway, "FEWCLICK_TOKEN_LEEWAY") ?? 60
        guard leeway >= 0 else { throw ValidationError("--token-leeway must be ≥ 0") }
        let scope = requiredScope ?? environment["FEWCLICK_REQUIRED_SCOPE"] ?? "segment"
        return TokenVerifier.Configuration(
            secret: try secret.secret(required: jwks == nil), jwks: jwks, issuers: list(issuers, "FEWCLICK_JWT_ISSUER"),
            audiences: list(audiences, "FEWCLICK_JWT_AUDIENCE"), leeway: .seconds(leeway),
            maxLifetime: try Self.maxLifetime(maxTokenLifetime, environment: environment),
            requiredScope: scope.isEmpty ? nil : scope)
    }

    /// `--max-token-lifetime`, else `$FEWCLICK_MAX_TOKEN_LIFETIME`, else 24 h.
    /// - Throws: `ValidationError` when the value is not a lifetime (`90s`, `15m`, `24h`, `7d`, seconds).
    static func maxLifetime(_ flag: String?, environment: [String: String]) throws -> Duration {
        guard let text = flag ?? environment["FEWCLICK_MAX_TOKEN_LIFETIME"], !text.isEmpty else {
            return TokenVerifier.Configuration.defaultMaxLifetime
        }
        guard let lifetime = Duration(ttl: text) else {
            throw ValidationError("--max-token-lifetime must look like 90s, 15m, 24h, 7d or a number of seconds")
        }
        return lifetime
    }
}
