#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ServerLimits

/// Settings of the inference server. Units: bytes, pixels, clicks, threads, requests.
public struct EndpointConfiguration: Sendable {
    /// Address to bind (`0.0.0.0` in containers, `127.0.0.1` in tests).
    public var host: String
    /// TCP port; 0 picks any free port (the bound one is passed to `onServerRunning`).
    public var port: Int
    /// Largest accepted request body in bytes (SageMaker's real-time limit: 6,291,456). Larger → 413,
    /// detected while streaming, so oversized bodies are never buffered.
    public var maxBodyBytes: Int
    /// Largest accepted image, in pixels (height × width). Larger → 400.
    public var maxImagePixels: Int
    /// Largest accepted number of click rows. More → 400.
    public var maxClicks: Int
    /// Threads that run models (off Swift's cooperative pool). Default: the CPU count.
    public var workerThreads: Int
    /// How many requests may wait for a model thread when all are busy; beyond that → 503.
    public var queueLimit: Int
    /// Name reported by `GET /v2` and in the `Server` header.
    public var serverName: String
    /// Version reported by `GET /v2`.
    public var serverVersion: String
    /// Connection limits and timeouts (header, idle, body; open connections; header size).
    public var limits = ServerLimits()

    /// SageMaker's limit on a real-time invocation payload: 6 MB.
    public static let sagemakerMaxBodyBytes = 6_291_456

    /// Creates a configuration; every argument has the production default.
    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        maxBodyBytes: Int = EndpointConfiguration.sagemakerMaxBodyBytes,
        maxImagePixels: Int = 4096 * 4096,
        maxClicks: Int = 1024,
        workerThreads: Int = EndpointConfiguration.cpuCount,
        queueLimit: Int = 64,
        serverName: String = "fewclick-endpoint",
        serverVersion: String = "1.0"
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxImagePixels = maxImagePixels
        self.maxClicks = maxClicks
        self.workerThreads = workerThreads
        self.queueLimit = queueLimit
        self.serverName = serverName
        self.serverVersion = serverVersion
    }

    /// Number of CPUs this process may use (at least 1).
    public static var cpuCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
