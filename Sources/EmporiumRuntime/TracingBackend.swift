import EmporiumKit
import Foundation
import Logging
import Metrics
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// The process's tracer.
///
/// With `tracing.otlpEndpoint` set, swift-otel's tracer behind a ``HeadSamplingTracer``: traces
/// sampled parent-based at `tracing.sampleRatio` (the others cost what tracing off costs), batched (at most 2,048 waiting, 512 a request) and exported over
/// OTLP/HTTP (protobuf) by a background part of the process that flushes what is left when the
/// process stops. Without it, ``TraceContextTracer``: trace ids for log lines and `traceparent`
/// for calls and events, nothing recorded or exported, and no span made anywhere else.
///
/// The standard `OTEL_*` environment variables (`OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_HEADERS`…)
/// still apply on top, as swift-otel reads them.
struct TracingBackend {
    /// Makes every span of the process.
    let tracer: any Tracer
    /// The tracer for the spans that exist only to be exported (SQL, the outbox relay, event
    /// consumption): nil when nothing is exported, so those make no span at all.
    let exporting: (any Tracer)?
    /// The exporter's background work, when exporting: a part of the process.
    let service: (any Service)?

    /// - Parameters:
    ///   - services: The services of the process: the resource's `service.name` when there is
    ///     one, else `emporium` (with `emporium.services` listing them).
    static func make(settings: RuntimeSettings, services: [String], metrics: any MetricsFactory, logger: Logger) throws -> TracingBackend {
        guard let tracing = settings.tracing else { return TracingBackend(tracer: TraceContextTracer(), exporting: nil, service: nil) }
        var configuration = OTel.Configuration.default
        configuration.serviceName = services.count == 1 ? services[0] : "emporium"
        var attributes = [
            "service.version": EmporiumVersion.current,
            "service.instance.id": "\(ProcessInfo.processInfo.hostName):\(settings.port)",
        ]
        if services.count > 1 { attributes["emporium.services"] = services.joined(separator: ",") }
        configuration.resourceAttributes = attributes
        configuration.propagators = [.traceContext]
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = tracing.endpoint
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.timeout = .seconds(10)
        configuration.traces.batchSpanProcessor.scheduleDelay = .seconds(2)
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(10)
        // Which traces are recorded is decided before swift-otel sees a span (HeadSamplingTracer):
        // it records every span it is given.
        configuration.traces.sampler = .alwaysOn
        let monitor = TraceExportMonitor(endpoint: tracing.endpoint, metrics: metrics, logger: logger)
        // swift-otel's own messages, debug included: the monitor reads the export outcomes from them.
        configuration.diagnosticLogger = .custom(Logger(label: "emporium.tracing") { _ in TracingDiagnostics(monitor: monitor) })
        configuration.diagnosticLogLevel = .debug
        let backend: (factory: any Tracer, service: any Service)
        do {
            let made = try OTel.makeTracingBackend(configuration: configuration)
            backend = (made.factory, made.service)
        } catch {
            throw ConfigurationError(key: "tracing.otlpEndpoint", reason: "the OTLP exporter cannot be made: \(error)")
        }
        logger.info("tracing", metadata: [
            "otlp_endpoint": "\(tracing.endpoint)", "sample_ratio": "\(tracing.sampleRatio)", "service_name": "\(configuration.serviceName)",
        ])
        let tracer = HeadSamplingTracer(exporting: backend.factory, ratio: tracing.sampleRatio)
        return TracingBackend(tracer: tracer, exporting: tracer, service: backend.service)
    }
}

/// How the export goes, from swift-otel's diagnostics: spans lost (an export that failed, a full
/// queue) are counted in `emporium_tracing_spans_dropped_total`, failed exports in
/// `emporium_tracing_export_failures_total`; the first failure is logged once, with the error,
/// and the next success once, so an endpoint that is down does not fill the log.
final class TraceExportMonitor: Sendable {
    private let endpoint: String
    private let logger: Logger
    private let dropped: Counter
    private let failures: Counter
    private let failing = Atomic<Bool>(false)
    private let queueFull = Atomic<Bool>(false)

    init(endpoint: String, metrics: any MetricsFactory, logger: Logger) {
        self.endpoint = endpoint
        var logger = logger
        logger[metadataKey: "component"] = "tracing"
        self.logger = logger
        self.dropped = Counter(label: "emporium_tracing_spans_dropped_total", dimensions: [], factory: metrics)
        self.failures = Counter(label: "emporium_tracing_export_failures_total", dimensions: [], factory: metrics)
        dropped.increment(by: 0)
        failures.increment(by: 0)
    }

    /// An export of `spans` spans failed: they are lost.
    func exportFailed(spans: Int, error: String) {
        failures.increment()
        if spans > 0 { dropped.increment(by: spans) }
        if !failing.exchange(true, ordering: .relaxed) {
            logger.warning("spans cannot be exported; they are dropped (counted in emporium_tracing_spans_dropped_total) until the endpoint takes them", metadata: [
                "otlp_endpoint": "\(endpoint)", "error": "\(error)", "dropped": "\(spans)",
            ])
        }
    }

    /// An export succeeded.
    func exported() {
        if failing.exchange(false, ordering: .relaxed) {
            logger.info("spans are exported again", metadata: ["otlp_endpoint": "\(endpoint)"])
        }
        queueFull.store(false, ordering: .relaxed)
    }

    /// The queue of spans waiting for export was full: `count` spans were dropped.
    func queueOverflowed(dropping count: Int) {
        if count > 0 { dropped.increment(by: count) }
        if !queueFull.exchange(true, ordering: .relaxed) {
            logger.warning("more spans end than can be exported; the excess is dropped (counted in emporium_tracing_spans_dropped_total)", metadata: [
                "otlp_endpoint": "\(endpoint)", "dropped": "\(count)",
            ])
        }
    }

    /// Any other message of swift-otel at warning or above, passed on.
    func pass(_ level: Logger.Level, _ message: Logger.Message, _ metadata: Logger.Metadata) {
        logger.log(level: level, "tracing: \(message)", metadata: metadata)
    }
}

/// The log handler of swift-otel's diagnostic logger: hands the export outcomes to the
/// ``TraceExportMonitor`` and passes on other warnings and errors; debug chatter and a caller's
/// malformed `traceparent` (a new trace, not an error) are dropped.
struct TracingDiagnostics: LogHandler {
    let monitor: TraceExportMonitor
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        switch event.message.description {
        case "Exported batch.":
            monitor.exported()
        case "Failed to export batch.":
            monitor.exportFailed(spans: all["batch_size"].flatMap { Int("\($0)") } ?? 0, error: event.error.map { "\($0)" } ?? all["error"].map { "\($0)" } ?? "unknown")
        case "Spans were dropped this iteration because queue was full":
            monitor.queueOverflowed(dropping: all["dropped_count"].flatMap { Int("\($0)") } ?? 0)
        case "Failed to extract span context.":
            return
        default:
            if event.level >= .warning { monitor.pass(event.level, event.message, all) }
        }
    }
}
