import EmporiumCore
import EmporiumKit
import Logging
import Messaging
import Metrics
import ServiceLifecycle
import Tracing

extension EmporiumPlatform {
    /// RabbitMQ or Kafka when `broker.url` is set (by its scheme), else the in-process bus
    /// expecting every subscribing service.
    static func makeTransport(
        settings: RuntimeSettings, services: [any EmporiumService], metrics: any MetricsFactory, logger: Logger
    ) throws -> any EventTransport {
        var logger = logger
        logger[metadataKey: "component"] = "events"
        if let url = settings.brokerURL {
            do {
                if url.hasPrefix("kafka://") {
                    return try KafkaTransport(
                        url: url, partitions: settings.brokerPartitions, maxDeliveries: settings.maxDeliveries, metrics: metrics, logger: logger)
                }
                let consumers = Dictionary(uniqueKeysWithValues: services.filter { !$0.eventSubscriptions.isEmpty }.map { service in
                    (service.name, service.eventSubscriptions.reduce(into: Set<String>()) { $0.formUnion($1.types) })
                })
                return try RabbitMQTransport(
                    url: url, maxDeliveries: settings.maxDeliveries, eventsPerMessage: settings.brokerEventsPerMessage, consumers: consumers,
                    metrics: metrics, logger: logger)
            } catch {
                throw ConfigurationError(key: "broker.url", reason: "\(error)")
            }
        }
        let consumers = Set(services.filter { !$0.eventSubscriptions.isEmpty }.map(\.name))
        return InProcessTransport(expectedConsumers: consumers, maxDeliveries: settings.maxDeliveries, metrics: metrics, logger: logger)
    }

    /// The event wiring of the process: the transport's connection and readiness check, and per
    /// service, started once migrations are done (`migrated`): a relay for its outbox, the
    /// janitor of its messaging tables, and consumers for its broadcast and event subscriptions.
    static func wireEvents(
        _ opened: OpenedServices, transport: any EventTransport, startingAfter migrated: StartSignal,
        tracer: (any Tracer)?, metrics: MetricsRegistry, logger: Logger, into parts: inout ProcessParts
    ) {
        parts.add("events.transport", TransportService(transport: transport), logger: logger)
        parts.checks.append(ReadinessCheck(name: "broker") { try await transport.checkReady() })
        for service in opened.services {
            guard let database = opened.databases[service.name], let nudge = opened.nudges[service.name] else { continue }
            var serviceLogger = logger
            serviceLogger[metadataKey: "service"] = .string(service.name)
            parts.add("\(service.name).outbox-relay", AfterSignal(signal: migrated, service: OutboxRelay(
                service: service.name, database: database, transport: transport, nudge: nudge,
                metrics: metrics.factory, logger: serviceLogger, tracer: tracer
            )), logger: logger)
            parts.add("\(service.name).messaging-janitor", AfterSignal(signal: migrated, service: MessagingJanitor(
                service: service.name, database: database, logger: serviceLogger
            )), logger: logger)
            if !service.broadcastSubscriptions.isEmpty {
                parts.add("\(service.name).broadcast-consumer", AfterSignal(signal: migrated, service: BroadcastConsumer(
                    consumer: service.name, transport: transport, subscriptions: service.broadcastSubscriptions
                )), logger: logger)
            }
            if !service.eventSubscriptions.isEmpty {
                sampleDeadLetters(of: service.name, transport: transport, into: metrics)
                parts.add("\(service.name).event-consumer", AfterSignal(signal: migrated, service: EventConsumer(
                    consumer: service.name, database: database, transport: transport,
                    subscriptions: service.eventSubscriptions, metrics: metrics.factory, logger: serviceLogger, tracer: tracer
                )), logger: logger)
            }
        }
    }
}

extension EmporiumPlatform {
    /// `emporium_dlq_messages{consumer}`: the depth of `consumer`'s dead-letter queue, asked of
    /// the transport before each scrape (kept as it was while the transport cannot tell).
    static func sampleDeadLetters(of consumer: String, transport: any EventTransport, into metrics: MetricsRegistry) {
        let depth = Gauge(label: "emporium_dlq_messages", dimensions: [("consumer", consumer)], factory: metrics.factory)
        metrics.samplers.add {
            if let count = try? await transport.deadLetterCount(of: consumer) { depth.record(count) }
        }
    }
}

/// Runs the event transport's connection as a `Service` of the process.
struct TransportService: Service {
    let transport: any EventTransport
    func run() async throws { try await transport.run() }
}

/// Starts `service` only once `signal` is raised (after migrations); returns without starting it
/// when shutdown comes first.
struct AfterSignal: Service {
    let signal: StartSignal
    let service: any Service
    func run() async throws {
        try? await cancelWhenGracefulShutdown { await signal.wait() }
        guard signal.isRaised, !Task.isCancelled else { return }
        try await service.run()
    }
}
