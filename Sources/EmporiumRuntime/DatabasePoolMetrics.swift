import EmporiumKit
import Metrics
import Storage

/// The gauges of one database pool, sampled before each scrape (``MetricsSamplers``):
/// `emporium_db_pool_connections{database, state}` (`in_use`, `idle`) and
/// `emporium_db_pool_waiting{database}`. `database` names the pool: the service whose database
/// it is (`catalog`), `<service>.replica` for its read replica.
enum DatabasePoolMetrics {
    static func sample(_ database: any Database, named name: String, into metrics: MetricsRegistry) {
        let inUse = Gauge(label: "emporium_db_pool_connections", dimensions: [("database", name), ("state", "in_use")], factory: metrics.factory)
        let idle = Gauge(label: "emporium_db_pool_connections", dimensions: [("database", name), ("state", "idle")], factory: metrics.factory)
        let waiting = Gauge(label: "emporium_db_pool_waiting", dimensions: [("database", name)], factory: metrics.factory)
        metrics.samplers.add {
            let state = await database.poolState()
            inUse.record(state.inUse)
            idle.record(state.idle)
            waiting.record(state.waiting)
        }
    }
}
