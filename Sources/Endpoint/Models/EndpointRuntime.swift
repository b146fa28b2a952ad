import FewClickCore
import Logging
import Segmentation
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The long-running part of the endpoint besides the HTTP server: starts the model threads, loads
/// the models on them (the server already answers `/ping` with 503 meanwhile), then waits for
/// shutdown and lets queued work drain.
///
/// A model that fails to load stops the service with an error, which stops the process: a
/// container that can never become healthy should fail fast and say why.
struct EndpointRuntime: Service {
    let pool: ModelWorkerPool
    let registry: ModelRegistry
    let loaders: [ModelLoader]
    let logger: Logger

    func run() async throws {
        pool.start()
        defer { pool.shutdown() }
        var models: [String: any SegmentationModel] = [:]
        for loader in loaders {
            let start = ContinuousClock.now
            do {
                let model = try await pool.run(loader.load)
                guard model.name == loader.name else {
                    throw ModelLoadError("loader '\(loader.name)' produced a model named '\(model.name)'")
                }
                models[loader.name] = model
                logger.info(
                    "model loaded",
                    metadata: [
                        "model": "\(model.name)", "version": "\(model.version)",
                        "load_ms": "\((ContinuousClock.now - start).milliseconds)",
                    ])
            } catch {
                registry.markFailed("\(error)")
                logger.critical("model failed to load", metadata: ["model": "\(loader.name)", "error": "\(error)"])
                throw error
            }
        }
        registry.markReady(models)
        logger.info("endpoint ready", metadata: ["models": "\(registry.names.joined(separator: ","))"])
        // Run until shutdown; cancellation ends the wait just as well.
        try? await gracefulShutdown()
    }
}

/// Milliseconds with three decimals, for headers and logs ("12.345").
func formatMilliseconds(_ ms: Double) -> String {
    let micros = max(0, Int((ms * 1000).rounded()))
    let frac = micros % 1000
    let pad = frac < 10 ? "00" : frac < 100 ? "0" : ""
    return "\(micros / 1000).\(pad)\(frac)"
}
