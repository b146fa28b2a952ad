import CurlHTTP
import LambdaKit
import Logging

/// The proxy as a Lambda function: the handler wrapped for raw events, plus the HTTP client it
/// owns. The three ways of running it (Runtime API, local Invoke API, one local invocation) all
/// start here.
public struct ProxyFunction: Sendable {
    /// The Lambda handler: API Gateway event JSON in, proxy response JSON out.
    public let lambdaHandler: HTTPEventLambdaHandler<ProxyHandler>
    /// The HTTP client the handler uses for the endpoint; `shutdown()` it when done.
    public let client: CurlClient

    /// The HTTP handler inside `lambdaHandler`.
    public var handler: ProxyHandler { lambdaHandler.handler }

    /// Builds the function with its own `CurlClient`.
    public init(configuration: ProxyConfiguration, logger: Logger, maxConcurrentRequests: Int = 32) {
        let client = CurlClient(maxConcurrentRequests: maxConcurrentRequests)
        self.client = client
        self.lambdaHandler = HTTPEventLambdaHandler(ProxyHandler(configuration: configuration, client: client, logger: logger))
    }

    /// Stops the HTTP client.
    public func shutdown() { client.shutdown() }
}
