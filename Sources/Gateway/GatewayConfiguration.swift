import ServerLimits

/// Everything the gateway needs to run; the `gateway serve` command fills it from flags and environment.
public struct GatewayConfiguration: Sendable {
    /// Address to bind, e.g. `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 picks a free port (the chosen one is logged as `gateway listening on HOST:PORT`).
    public var port: Int
    /// Bearer token rules (secret, leeway, required scope).
    public var token: TokenVerifier.Configuration
    /// CORS policy (allowed origins, preflight cache time).
    public var cors: CORSPolicy
    /// Where the proxy function is invoked.
    public var integration: Integration
    /// Largest request body accepted, in bytes (API Gateway's 10 MB); larger gets 413.
    public var maxBodyBytes: Int
    /// Per-principal rate limit; `nil` disables throttling.
    public var throttle: ThrottleSettings?
    /// Whether `GET /healthz` also checks that the proxy's Invoke API answers (503 when it does not).
    public var healthChecksProxy: Bool
    /// The labeling UI this gateway serves (`/ui/fewclick-ui.js`, and `/demo` when enabled); `nil`: none.
    public var ui: DemoSettings?
    /// Connection limits and timeouts (header, idle, body; open connections; header size).
    public var limits = ServerLimits()
    /// Consecutive proxy failures (timeouts, unreachable) that open the circuit breaker; while it is
    /// open, calls answer 503 `proxy_unavailable` with `Retry-After` at once. Default 3.
    public var breakerThreshold = 3
    /// How long the breaker stays open before one call probes the proxy again. Default 5 s.
    public var breakerCooldown: Duration = .seconds(5)

    /// The proxy integration: a Lambda Invoke API endpoint and a function name.
    public struct Integration: Sendable {
        /// Base URL of the Invoke API, e.g. `http://127.0.0.1:9001`.
        public var invokeURL: String
        /// Function name in `/2015-03-31/functions/{name}/invocations`.
        public var functionName: String
        /// API Gateway stage name written into events (`requestContext.stage`).
        public var stage: String
        /// Integration timeout (API Gateway's 29 s); no answer in time gets 504.
        public var timeout: Duration
        /// Connect timeout to the Invoke API; failing to connect gets 503.
        public var connectTimeout: Duration

        /// Creates an integration; defaults: function `fewclick-proxy`, stage `local`, 29 s timeout, 2 s connect timeout.
        public init(
            invokeURL: String, functionName: String = "fewclick-proxy", stage: String = "local",
            timeout: Duration = .seconds(29), connectTimeout: Duration = .seconds(2)
        ) {
            self.invokeURL = invokeURL
            self.functionName = functionName
            self.stage = stage
            self.timeout = timeout
            self.connectTimeout = connectTimeout
        }
    }

    /// Creates a configuration. Defaults: `127.0.0.1:8000`, 10 MB bodies, no throttling, health without proxy check.
    public init(
        host: String = "127.0.0.1", port: Int = 8000, token: TokenVerifier.Configuration, cors: CORSPolicy = CORSPolicy(),
        integration: Integration, maxBodyBytes: Int = 10 * 1024 * 1024, throttle: ThrottleSettings? = nil,
        healthChecksProxy: Bool = false, ui: DemoSettings? = nil
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.cors = cors
        self.integration = integration
        self.maxBodyBytes = maxBodyBytes
        self.throttle = throttle
        self.healthChecksProxy = healthChecksProxy
        self.ui = ui
    }
}
