public import Metrics
public import Prometheus

/// The Prometheus registry of one process and the swift-metrics factory that feeds it.
///
/// `main` also bootstraps the global `MetricsSystem` with ``factory`` so libraries' metrics land in
/// the same registry; Emporium's own code gets the factory passed in, so tests stay isolated.
public struct MetricsRegistry: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory
    /// What brings gauges up to date before each scrape (``sample()``).
    public let samplers = MetricsSamplers()

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        // Events applied per consumer transaction (1 up to the prefetch).
        factory.valueHistogramBuckets["emporium_events_consumed_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        self.registry = registry
        self.factory = factory
    }

    /// Runs the ``samplers``: call it before ``exposition()`` when answering a scrape.
    public func sample() async {
        await samplers.sample()
    }

    /// The registry in Prometheus text exposition format.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
