import Hummingbird
import InferenceProtocol
import Logging
import Observability
import Segmentation
import SegmentationWire
import ServerLimits

/// Why `buildApplication` refused a configuration.
public struct EndpointSetupError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public let description: String
    /// The same text as ``description``: every library error has a `message` (README "Development").
    public var message: String { description }
}

/// Builds the inference server: the SageMaker container contract and the KServe V2 HTTP API in front
/// of the given models.
///
/// Routes: `GET /ping`, `POST /invocations`, `POST /endpoints/{name}/invocations` (SageMaker Runtime
/// path; the endpoint name is not checked, `X-Amzn-SageMaker-Target-Model` may name a model);
/// `GET /v2/health/live`, `GET /v2/health/ready`, `GET /v2`, `GET /v2/models/{name}`,
/// `GET /v2/models/{name}/ready`, `POST /v2/models/{name}/infer` (each `/v2/models/{name}` route also
/// under `/versions/{version}`), `GET /metrics` (Prometheus text). Every request is traced (W3C
/// `traceparent`, `X-Request-Id` taken from the caller), counted and access-logged. Errors are V2 bodies `{"error": "..."}`: 400, 404, 405, 413, 415,
/// 500, 503.
///
/// Run it with `try await app.runService()` (SIGTERM/SIGINT drain in-flight requests), or inside a
/// `ServiceGroup`, or in tests with `app.test(.router)` / `.live`.
///
/// - Parameters:
///   - configuration: address, limits and thread counts.
///   - models: what to serve; the first is the default for `/invocations`. Loaded after start-up on
///     the model threads; `/ping` is 503 until all are loaded.
///   - logger: the server's logger (requests log with an `hb.request.id`; never tensor data).
///   - onServerRunning: called with the host and the actually bound port once listening (useful with
///     port 0).
/// - Throws: `EndpointSetupError` for no models, duplicate names, or non-positive limits.
public func buildApplication(
    configuration: EndpointConfiguration,
    models: [ModelLoader],
    logger: Logger = Logger(label: "endpoint"),
    onServerRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
) throws(EndpointSetupError) -> some ApplicationProtocol {
    guard !models.isEmpty else { throw EndpointSetupError(description: "no model to serve") }
    let names = models.map(\.name)
    guard Set(names).count == names.count else {
        throw EndpointSetupError(description: "model names must be unique, got \(names)")
    }
    guard configuration.maxBodyBytes > 0, configuration.maxImagePixels > 0, configuration.maxClicks >= 0,
        configuration.workerThreads > 0, configuration.queueLimit >= 0
    else {
        throw EndpointSetupError(description: "limits and thread counts must be positive")
    }
    let registry = ModelRegistry(names: names)
    EndpointMetrics.register(models: names)
    let pool = ModelWorkerPool(workerCount: configuration.workerThreads, queueLimit: configuration.queueLimit)
    let runtime = EndpointRuntime(pool: pool, registry: registry, loaders: models, logger: logger)
    let router = buildRouter(
        configuration: configuration,
        handler: InferenceHandler(configuration: configuration, registry: registry, pool: pool))
    let host = configuration.host
    var server = ApplicationConfiguration(
        address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName)
    configuration.limits.apply(to: &server, logger: logger)
    return Application(
        router: router,
        server: configuration.limits.http1(errorBody: { _, _, message in v2ErrorBody(message) }),
        configuration: server,
        services: [runtime],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.info("endpoint listening on \(host):\(port)")
            await onServerRunning(host, port)
        },
        logger: logger)
}

/// The routes (see `buildApplication`).
func buildRouter(configuration: EndpointConfiguration, handler: InferenceHandler) -> Router<BasicRequestContext> {
    let router = Router()
    // Outside the error middleware, so error answers are logged with their size.
    router.add(middleware: ObservabilityMiddleware(service: "endpoint"))
    router.add(middleware: V2ErrorMiddleware())
    let registry = handler.registry
    var routes: [(path: String, methods: [HTTPRequest.Method])] = []
    func route(
        _ path: String, _ method: HTTPRequest.Method,
        _ body: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: method, use: body)
        if let i = routes.firstIndex(where: { $0.path == path }) {
            routes[i].methods.append(method)
        } else {
            routes.append((path, [method]))
        }
    }

    // SageMaker container contract.
    route("/ping", .get) { _, _ in
        guard registry.isReady else { throw EndpointError.unavailable("model is still loading") }
        return try jsonResponse(["status": "healthy"])
    }
    route("/invocations", .post) { request, context in
        try await handler.infer(
            request, context: context, modelName: request.headers[InferenceHandler.targetModelHeader],
            family: .sagemaker)
    }
    route("/endpoints/:endpoint/invocations", .post) { request, context in
        try await handler.infer(
            request, context: context, modelName: request.headers[InferenceHandler.targetModelHeader],
            family: .sagemaker)
    }

    // Prometheus metrics of this process (no authentication, like /ping).
    route("/metrics", .get) { _, _ in FewClickMetrics.response() }

    // KServe V2.
    route("/v2/health/live", .get) { _, _ in try jsonResponse(["live": true]) }
    route("/v2/health/ready", .get) { _, _ in
        try jsonResponse(["ready": registry.isReady], status: registry.isReady ? .ok : .serviceUnavailable)
    }
    route("/v2", .get) { _, _ in
        try jsonResponse(
            ServerMetadata(
                name: configuration.serverName, version: configuration.serverVersion,
                extensions: ["binary_tensor_data"]))
    }
    for prefix in ["/v2/models/:name", "/v2/models/:name/versions/:version"] {
        route(prefix, .get) { _, context in
            let model = try handler.model(context)
            return try jsonResponse(
                ModelMetadata(
                    name: model.name, versions: [model.version], platform: "fewclick-swift",
                    inputs: SegmentationTensors.inputMetadata, outputs: SegmentationTensors.outputMetadata))
        }
        route(prefix + "/ready", .get) { _, context in
            let model = try handler.model(context)
            return try jsonResponse(ModelReady(name: model.name, ready: true))
        }
        route(prefix + "/infer", .post) { request, context in
            _ = try handler.model(context)
            return try await handler.infer(
                request, context: context, modelName: context.parameters.get("name"), family: .kserve)
        }
    }

    // Known paths with another method: 405 with Allow, rather than 404.
    let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
    for (path, allowed) in routes {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        for method in methods where !allowed.contains(method) {
            router.on(RouterPath(path), method: method) { request, _ -> Response in
                throw EndpointError(
                    .methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(allow)",
                    headers: [.allow: allow])
            }
        }
    }
    return router
}

private struct ModelReady: Encodable {
    var name: String
    var ready: Bool
}

extension InferenceHandler {
    /// The model of a `/v2/models/{name}[/versions/{version}]` route; a version other than the
    /// model's is unknown (404).
    func model(_ context: BasicRequestContext) throws(EndpointError) -> any SegmentationModel {
        let model = try model(named: context.parameters.get("name") ?? registry.defaultName)
        if let version = context.parameters.get("version"), version != model.version {
            throw .notFound("model '\(model.name)' has no version '\(version)'; it is version \(model.version)")
        }
        return model
    }
}
