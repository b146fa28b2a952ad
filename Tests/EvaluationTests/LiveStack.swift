import CurlHTTP
import Endpoint
import Foundation
import Gateway
import HummingbirdTesting
import LambdaKit
import Logging
import Proxy
import Segmentation
import Testing

/// The real stack in-process, as `fewclick up` wires it: the endpoint library serving `model`, the
/// proxy function behind the local Lambda Invoke API, and the gateway (HS256 bearer tokens) in
/// front, each a real server on 127.0.0.1, port 0. The evaluation's `GatewayClient` talks to the
/// gateway over HTTP, so the client, the gateway and the proxy must agree on FewClickAPI's types.
enum LiveStack {
    /// The gateway's HS256 secret (at least 32 bytes).
    static let secret = Array("evaluation-tests-gateway-secret-0123456789".utf8)
    /// The function name the gateway invokes and the Invoke API answers for.
    static let functionName = "segment-fn"

    /// Loggers that keep the test output quiet (warnings and errors only).
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// Runs the stack for the duration of `body`, which gets the gateway's base URL and a valid token.
    ///
    /// - Parameters:
    ///   - model: what the endpoint serves.
    ///   - configureProxy: changes to the proxy's configuration (the endpoint URL is set already).
    static func run<T: Sendable>(
        model: any SegmentationModel, configureProxy: @Sendable (inout ProxyConfiguration) -> Void = { _ in },
        _ body: @Sendable (_ gatewayURL: String, _ token: String) async throws -> T
    ) async throws -> T {
        let endpoint = try Endpoint.buildApplication(
            configuration: EndpointConfiguration(host: "127.0.0.1", port: 0, workerThreads: 1),
            models: [ModelLoader.instance(model)], logger: logger("endpoint"))
        return try await endpoint.test(.live) { endpointClient in
            let endpointURL = "http://127.0.0.1:\(try #require(endpointClient.port))"
            let curl = CurlClient(maxConcurrentRequests: 8)
            defer { curl.shutdown() }
            try await waitUntilReady(endpointURL + "/ping", curl)

            var proxyConfiguration = ProxyConfiguration(endpointURL: endpointURL)
            configureProxy(&proxyConfiguration)
            let function = ProxyFunction(configuration: proxyConfiguration, logger: logger("proxy"))
            defer { function.shutdown() }
            let invokeAPI = buildInvokeApplication(
                handler: function.lambdaHandler,
                configuration: LambdaInvokeServerConfiguration(
                    host: "127.0.0.1", port: 0, functionName: functionName, serviceName: "proxy"),
                logger: logger("proxy"))
            return try await invokeAPI.test(.live) { invokeClient in
                let invokeURL = "http://127.0.0.1:\(try #require(invokeClient.port))"
                let gateway = try await Gateway.buildApplication(
                    configuration: GatewayConfiguration(
                        host: "127.0.0.1", port: 0, token: .init(secret: secret),
                        integration: .init(invokeURL: invokeURL, functionName: functionName, stage: "test")),
                    client: curl, logger: logger("gateway"))
                return try await gateway.test(.live) { gatewayClient in
                    let gatewayURL = "http://127.0.0.1:\(try #require(gatewayClient.port))"
                    let token = try await TokenIssuer(secret: secret).issue(subject: "evaluator", ttl: .seconds(600))
                    return try await body(gatewayURL, token)
                }
            }
        }
    }

    /// Polls `url` until it answers 200 (at most 5 s).
    static func waitUntilReady(_ url: String, _ curl: CurlClient) async throws {
        for _ in 0..<200 {
            if (try? await curl.execute(CurlRequest(url: url)).status) == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("\(url) did not answer 200 within 5 s")
        throw CancellationError()
    }
}
