import CurlHTTP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A SageMaker real-time endpoint reached through the SageMaker Runtime API:
/// `POST https://runtime.sagemaker.{region}.amazonaws.com/endpoints/{name}/invocations`,
/// signed with SigV4 under the service name `sagemaker`.
///
/// ```swift
/// if let target = try SageMakerRuntimeTarget.fromEnvironment() {
///     let headers = try target.signedHeaders(body: body, contentType: "application/json",
///                                            credentials: try .fromEnvironment())
///     // POST body to target.invocationsURL with headers
/// }
/// ```
public struct SageMakerRuntimeTarget: Sendable, Hashable {
    /// The signing name of SageMaker Runtime.
    public static let signingService = "sagemaker"
    /// Environment variable naming the endpoint.
    public static let endpointVariable = "FEWCLICK_SAGEMAKER_ENDPOINT"
    /// Environment variable that replaces the Runtime API's base URL (tests, VPC endpoints,
    /// LocalStack); requests are still signed for `region`.
    public static let baseURLVariable = "FEWCLICK_SAGEMAKER_RUNTIME_URL"

    /// The endpoint name (`[a-zA-Z0-9](-*[a-zA-Z0-9])*`, up to 63 characters on AWS).
    public var endpointName: String
    /// The region, e.g. `eu-west-1`.
    public var region: String
    /// Scheme and authority of the Runtime API, without a trailing slash.
    public var baseURL: String

    /// A target in `region`; the base URL defaults to the public Runtime API host of the region's
    /// partition (`amazonaws.com`, or `amazonaws.com.cn` for `cn-` regions).
    ///
    /// - Throws: `SigV4Error.invalidConfiguration` when the name or region is empty, or the region
    ///   is not of the form `xx-name-1`.
    public init(endpointName: String, region: String, baseURL: String? = nil) throws(SigV4Error) {
        guard !endpointName.isEmpty else { throw .invalidConfiguration("empty SageMaker endpoint name") }
        guard !region.isEmpty,
            region.utf8.allSatisfy({ Canonical.isUnreserved($0) && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "~") })
        else { throw .invalidConfiguration("bad AWS region \(region)") }
        self.endpointName = endpointName
        self.region = region
        if let baseURL {
            var trimmed = Substring(baseURL)
            while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            self.baseURL = String(trimmed)
        } else {
            let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            self.baseURL = "https://runtime.sagemaker.\(region).\(suffix)"
        }
    }

    /// The target configured by `FEWCLICK_SAGEMAKER_ENDPOINT` with `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`), and optionally `FEWCLICK_SAGEMAKER_RUNTIME_URL`; nil when
    /// `FEWCLICK_SAGEMAKER_ENDPOINT` is unset or empty.
    ///
    /// - Throws: `SigV4Error.invalidConfiguration` when the endpoint is set but no region is.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SigV4Error) -> SageMakerRuntimeTarget? {
        guard let name = environment[endpointVariable], !name.isEmpty else { return nil }
        let region = [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        guard let region else {
            throw .invalidConfiguration("\(endpointVariable) is set but AWS_REGION is not")
        }
        let base = environment[baseURLVariable].flatMap { $0.isEmpty ? nil : $0 }
        return try SageMakerRuntimeTarget(endpointName: name, region: region, baseURL: base)
    }

    /// `{baseURL}/endpoints/{name}/invocations`, the name percent-encoded as one path segment
    /// (everything but RFC 3986 unreserved characters), as the AWS SDKs serialise it.
    public var invocationsURL: String {
        "\(baseURL)/endpoints/\(Canonical.uriEncode(endpointName.utf8))/invocations"
    }

    /// The complete header list for `POST invocationsURL` with `body`: `Content-Type`, `Accept`
    /// (when given), then `Authorization`, `X-Amz-Date` and, for temporary credentials,
    /// `X-Amz-Security-Token`.
    ///
    /// - Parameters:
    ///   - body: the exact request body (the payload hash covers it).
    ///   - contentType: sent as `Content-Type` (SageMaker passes it to the container).
    ///   - accept: sent as `Accept` when not nil.
    ///   - extraHeaders: further headers to send and sign (e.g. `X-Amzn-SageMaker-Custom-Attributes`).
    ///   - credentials: the credentials to sign with.
    ///   - date: the signing time.
    /// - Throws: `SigV4Error.invalidURL` when `baseURL` is not an http(s) URL.
    public func signedHeaders(
        body: [UInt8], contentType: String, accept: String? = nil, extraHeaders: [HTTPHeaderField] = [],
        credentials: AWSCredentials, date: Date = Date()
    ) throws(SigV4Error) -> [HTTPHeaderField] {
        var headers = [HTTPHeaderField("Content-Type", contentType)]
        if let accept { headers.append(HTTPHeaderField("Accept", accept)) }
        headers += extraHeaders
        let signer = SigV4Signer(credentials: credentials, region: region, service: Self.signingService)
        return try signer.sign(method: "POST", url: invocationsURL, headers: headers, body: body, date: date)
            .applied(to: headers)
    }
}
