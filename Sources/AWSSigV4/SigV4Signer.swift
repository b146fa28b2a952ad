import Crypto
import CurlHTTP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The result of signing: the headers to add to the request, plus the intermediate strings of
/// the algorithm (useful in tests and when AWS answers `SignatureDoesNotMatch`, whose message
/// quotes the canonical request and string to sign it computed).
public struct SigV4Signature: Sendable, Hashable {
    /// The canonical request (step 1 of the algorithm).
    public var canonicalRequest: String
    /// The string to sign (step 2).
    public var stringToSign: String
    /// The signature, lower-case hex (step 3).
    public var signature: String
    /// `;`-joined lower-case names of the signed headers.
    public var signedHeaders: String
    /// The `Authorization` header value.
    public var authorization: String
    /// The headers to add to the request: `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256`
    /// when asked for, and `X-Amz-Security-Token` when the credentials carry a session token.
    public var headersToAdd: [HTTPHeaderField]

    /// `headers` without any header of the same name as one in `headersToAdd`
    /// (case-insensitively), followed by `headersToAdd`: the complete header list to send.
    public func applied(to headers: [HTTPHeaderField]) -> [HTTPHeaderField] {
        let replaced = Set(headersToAdd.map { $0.name.lowercased() })
        return headers.filter { !replaced.contains($0.name.lowercased()) } + headersToAdd
    }
}

/// Signs HTTP requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`, header form) for
/// services other than S3: the path is normalised (dot segments and empty segments removed) and
/// percent-encoded a second time, the payload is always hashed.
///
/// The `Host` header is signed with the value an HTTP client derives from the URL (lower-cased
/// host, port only when not the default); it is not in `headersToAdd`, because clients such as
/// libcurl set it themselves. A `Host` header passed in `headers` is signed as given instead.
///
/// ```swift
/// let signer = SigV4Signer(credentials: try .fromEnvironment(), region: "us-east-1", service: "sagemaker")
/// let signature = try signer.sign(method: "POST", url: url, headers: headers, body: body)
/// request.headers = signature.applied(to: headers)
/// ```
public struct SigV4Signer: Sendable {
    /// The algorithm name that starts the string to sign and the `Authorization` header.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// The credentials to sign with.
    public var credentials: AWSCredentials
    /// The region of the credential scope, e.g. `us-east-1`.
    public var region: String
    /// The signing name of the service, e.g. `sagemaker` (also for SageMaker Runtime), `execute-api`.
    public var service: String
    /// Whether to add (and sign) `X-Amz-Content-Sha256` with the payload hash. SageMaker does not
    /// need it; S3-style services do.
    public var addsContentSHA256Header: Bool

    /// Creates a signer for one region and service.
    public init(credentials: AWSCredentials, region: String, service: String, addsContentSHA256Header: Bool = false) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.addsContentSHA256Header = addsContentSHA256Header
    }

    /// Signs a request.
    ///
    /// - Parameters:
    ///   - method: HTTP method, upper-cased for signing.
    ///   - url: the absolute URL exactly as it will be sent (path and query still percent-encoded).
    ///   - headers: the headers that will be sent, except those `headersToAdd` replaces
    ///     (`Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`, which are ignored here). All other
    ///     headers are signed, except hop-by-hop ones, `User-Agent` and `X-Amzn-Trace-Id`. An
    ///     `X-Amz-Content-Sha256` header given here is used as the payload hash.
    ///   - body: the exact body bytes.
    ///   - date: the signing time; AWS rejects signatures more than 5 minutes off its clock.
    /// - Throws: `SigV4Error.invalidURL` when `url` is not an absolute http(s) URL with a host;
    ///   `SigV4Error.invalidConfiguration` when the region or service is empty.
    public func sign(
        method: String, url: String, headers: [HTTPHeaderField] = [], body: [UInt8] = [], date: Date = Date()
    ) throws(SigV4Error) -> SigV4Signature {
        guard !region.isEmpty else { throw .invalidConfiguration("empty region") }
        guard !service.isEmpty else { throw .invalidConfiguration("empty service name") }
        let split = try SplitURL(url)
        let amzDate = AmzDate(date)

        // Headers to sign: the caller's (minus replaced and never-signed ones) plus ours.
        let replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]
        var signed: [(name: String, value: String)] = []
        var givenPayloadHash: String?
        var hasHost = false
        for header in headers {
            let name = Canonical.headerName(header.name)
            if replaced.contains(name) || Canonical.unsignedHeaders.contains(name) { continue }
            if name == "x-amz-content-sha256" {
                if addsContentSHA256Header { continue }
                givenPayloadHash = Canonical.trimAll(header.value)
            }
            if name == "host" { hasHost = true }
            signed.append((name, header.value))
        }
        if !hasHost { signed.append(("host", split.hostHeader)) }

        let payloadHash = givenPayloadHash ?? Array(SHA256.hash(data: body)).hexString
        var added: [HTTPHeaderField] = [HTTPHeaderField("X-Amz-Date", amzDate.timestamp)]
        if addsContentSHA256Header { added.append(HTTPHeaderField("X-Amz-Content-Sha256", payloadHash)) }
        if let token = credentials.sessionToken { added.append(HTTPHeaderField("X-Amz-Security-Token", token)) }
        for header in added { signed.append((Canonical.headerName(header.name), header.value)) }

        // Canonical headers: names sorted by bytes, values of repeated names joined by "," in order.
        var order: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in signed {
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(Canonical.trimAll(value))
        }
        order.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = order.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = order.joined(separator: ";")

        let canonicalRequest = [
            method.uppercased(),
            Canonical.uri(path: split.path),
            Canonical.queryString(split.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(amzDate.dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            Self.algorithm,
            amzDate.timestamp,
            scope,
            Array(SHA256.hash(data: Array(canonicalRequest.utf8))).hexString,
        ].joined(separator: "\n")

        let signature = Array(
            HMAC<SHA256>.authenticationCode(
                for: Array(stringToSign.utf8), using: signingKey(dateStamp: amzDate.dateStamp))
        ).hexString
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            signedHeaders: signedHeaders, authorization: authorization,
            headersToAdd: [HTTPHeaderField("Authorization", authorization)] + added)
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    private func signingKey(dateStamp: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ message: String) -> SymmetricKey {
            SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        return hmac(hmac(hmac(hmac(secret, dateStamp), region), service), "aws4_request")
    }
}
