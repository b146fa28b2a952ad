import FewClickCore
import Tracing
import Metrics
import Prometheus

/// The process's metrics: one Prometheus registry holds everything fewclick records, and `GET /metrics`
/// renders it (Prometheus text exposition format 0.0.4).
///
/// Metrics are recorded through swift-metrics (`Counter`, `Timer`, `Meter`) with ``factory`` passed
/// explicitly, so a service built several times in one process (the in-process tests) needs no global
/// bootstrap and every copy records into the same registry. `MetricsSystem.bootstrap` may run only once
/// per process: the executables call ``bootstrapProcess()`` (idempotent), which points swift-metrics'
/// global factory (and the global tracing instrument) at the same registry and tracer, for any library
/// that records through the globals.
///
/// Names and label sets are fixed here (``MetricName``): the registry refuses (traps on) one name used
/// with and without labels, so record only through ``RequestMetrics``, ``EndpointMetrics``,
/// ``ProxyMetrics`` and ``GatewayMetrics``.
public enum FewClickMetrics {
    /// The registry `GET /metrics` renders.
    public static let registry = PrometheusCollectorRegistry()

    /// Upper bounds of every histogram's buckets: 1 ms to 30 s, about three per decade (plus `+Inf`).
    public static let bucketBounds: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// The swift-metrics factory writing into ``registry``; timers become histograms in seconds with
    /// ``bucketBounds``.
    public static let factory: PrometheusMetricsFactory = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = bucketBounds
        factory.defaultValueHistogramBuckets = bucketBounds.map(\.seconds)
        return factory
    }()

    /// The `Content-Type` of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The registry in Prometheus text format.
    public static func exposition() -> [UInt8] { registry.emitToBuffer() }

    /// Points swift-metrics' `MetricsSystem` at ``factory`` and swift-distributed-tracing's
    /// `InstrumentationSystem` at ``FewClickTracer``, once per process; later calls do nothing. For
    /// executables (`main`), not for libraries or tests.
    public static func bootstrapProcess() { _ = bootstrapped }

    private static let bootstrapped: Bool = {
        MetricsSystem.bootstrap(factory)
        InstrumentationSystem.bootstrap(FewClickTracer.shared)
        return true
    }()
}

/// The metric names fewclick exports (see README.md, "Monitoring").
public enum MetricName {
    /// Counter `{service, route, status}`: answered requests.
    public static let requests = "fewclick_requests_total"
    /// Histogram `{service, route}`, seconds: time from the request's arrival to its answer.
    public static let requestDuration = "fewclick_request_duration_seconds"
    /// Histogram `{model}`, seconds (endpoint): time inside the model (SageMaker's ModelLatency).
    public static let modelLatency = "fewclick_model_latency_seconds"
    /// Gauge (endpoint): requests waiting for a model thread.
    public static let modelQueueDepth = "fewclick_model_queue_depth"
    /// Histogram, seconds (proxy): a segment call's time not spent in the model (SageMaker's OverheadLatency).
    public static let overheadLatency = "fewclick_overhead_latency_seconds"
    /// Counter (proxy): image lookups answered from the image store.
    public static let imageStoreHits = "fewclick_image_store_hits_total"
    /// Counter (proxy): image lookups the image store could not answer.
    public static let imageStoreMisses = "fewclick_image_store_misses_total"
    /// Counter (proxy): images dropped from the image store to make room.
    public static let imageStoreEvictions = "fewclick_image_store_evictions_total"
    /// Counter (proxy): image store operations that fell back to the local cache because the shared
    /// store (Redis) failed.
    public static let imageStoreFallbacks = "fewclick_image_store_fallbacks_total"
    /// Histogram, seconds (proxy): JPEG/PNG decoding of `image.data`.
    public static let imageDecode = "fewclick_image_decode_seconds"
    /// Counter `{reason}` (gateway): refused bearer tokens (401/403), by error code.
    public static let authFailures = "fewclick_auth_failures_total"
    /// Counter (gateway): requests refused with 429 by the per-principal throttle.
    public static let throttled = "fewclick_throttled_total"
}

/// `fewclick_requests_total` and `fewclick_request_duration_seconds`, recorded once per answered request.
public enum RequestMetrics {
    /// The route label of a request that matched no route (bounded cardinality: never the raw path).
    public static let unmatchedRoute = "unmatched"

    /// Counts one answered request and records its duration.
    ///
    /// - Parameters:
    ///   - service: `gateway`, `proxy` or `endpoint`.
    ///   - route: the route template (`/v2/models/{name}/infer`), or ``unmatchedRoute``.
    ///   - status: the HTTP status answered.
    ///   - duration: arrival to answer.
    public static func record(service: String, route: String, status: Int, duration: Duration) {
        Counter(
            label: MetricName.requests, dimensions: [("service", service), ("route", route), ("status", String(status))],
            factory: FewClickMetrics.factory
        ).increment()
        Timer(
            label: MetricName.requestDuration, dimensions: [("service", service), ("route", route)],
            factory: FewClickMetrics.factory
        ).record(duration: duration)
    }
}

/// The endpoint's own metrics.
public enum EndpointMetrics {
    private static let queueDepth = Meter(label: MetricName.modelQueueDepth, factory: FewClickMetrics.factory)

    /// Creates the endpoint's series (at zero) so they are scraped before the first request.
    public static func register(models: [String]) {
        queueDepth.set(0)
        for model in models { _ = modelTimer(model) }
    }

    /// Records the time one model call took.
    public static func modelLatency(model: String, _ duration: Duration) {
        modelTimer(model).record(duration: duration)
    }

    /// Sets the number of requests waiting for a model thread.
    public static func setQueueDepth(_ depth: Int) { queueDepth.set(depth) }

    private static func modelTimer(_ model: String) -> Timer {
        Timer(label: MetricName.modelLatency, dimensions: [("model", model)], factory: FewClickMetrics.factory)
    }
}

/// The proxy's own metrics.
public enum ProxyMetrics {
    private static let overhead = Timer(label: MetricName.overheadLatency, factory: FewClickMetrics.factory)
    private static let hits = Counter(label: MetricName.imageStoreHits, factory: FewClickMetrics.factory)
    private static let misses = Counter(label: MetricName.imageStoreMisses, factory: FewClickMetrics.factory)
    private static let evictions = Counter(label: MetricName.imageStoreEvictions, factory: FewClickMetrics.factory)
    private static let fallbacks = Counter(label: MetricName.imageStoreFallbacks, factory: FewClickMetrics.factory)
    private static let decode = Timer(label: MetricName.imageDecode, factory: FewClickMetrics.factory)

    /// Creates the proxy's series (at zero) so they are scraped before the first request.
    public static func register() {
        _ = (overhead, hits, misses, evictions, fallbacks, decode)
    }

    /// Records a segment call's time outside the model (total minus the model's own time).
    public static func overheadLatency(_ duration: Duration) { overhead.record(duration: max(.zero, duration)) }
    /// Counts an image found in the image store.
    public static func imageStoreHit() { hits.increment() }
    /// Counts an image the image store did not have.
    public static func imageStoreMiss() { misses.increment() }
    /// Counts images dropped from the image store to make room.
    public static func imageStoreEvicted(_ count: Int = 1) { if count > 0 { evictions.increment(by: count) } }
    /// Counts an image store operation that fell back to the local cache (the shared store failed).
    public static func imageStoreFallback() { fallbacks.increment() }
    /// Records the decoding time of one image.
    public static func imageDecoded(in duration: Duration) { decode.record(duration: duration) }
}

/// The gateway's own metrics.
public enum GatewayMetrics {
    private static let throttles = Counter(label: MetricName.throttled, factory: FewClickMetrics.factory)

    /// Creates the gateway's unlabelled series (at zero) so they are scraped before the first request.
    public static func register() { _ = throttles }

    /// Counts a refused token; `reason` is the error code answered (`invalid_token`, `insufficient_scope`, …).
    public static func authFailure(reason: String) {
        Counter(label: MetricName.authFailures, dimensions: [("reason", reason)], factory: FewClickMetrics.factory)
            .increment()
    }

    /// Counts a request refused by the throttle.
    public static func throttled() { throttles.increment() }
}
