import EmporiumCore
import EmporiumKit
import Logging
import Messaging
import ServiceLifecycle

extension EmporiumPlatform {
    /// RabbitMQ or Kafka when `broker.url` is set (by its scheme), else the in-process bus
    /// expecting every subscribing service.
    static func makeTransport(settings: RuntimeSettings, services: [any EmporiumService], logger: Logger) throws -> any EventTransport {
        var logger = logger
        logger[metadataKey: "component"] = "events"
        if let url = settings.brokerURL {
            do {
                if url.hasPrefix("kafka://") {
                    return try KafkaTransport(url: url, partitions: settings.brokerPartitions, maxDeliveries: settings.maxDeliveries, logger: logger)
                }
                return try RabbitMQTransport(
                    url: url, maxDeliveries: settings.maxDeliveries, eventsPerMessage: settings.brokerEventsPerMessage, logger: logger)
            } catch {
                throw ConfigurationError(key: "broker.url", reason: "\(error)")
            }
        }
        let consumers = Set(services.filter { !$0.eventSubscriptions.isEmpty }.map(\.name))
        return InProcessTransport(expectedConsumers: consumers, maxDeliveries: settings.maxDeliveries, logger: logger)
    }
}

/// Runs the event transport's connection as a `Service` of the process.
struct TransportService: Service {
    let transport: any EventTransport
    func run() async throws { try await transport.run() }
}

/// Starts `service` only once `signal` is raised (after migrations); returns without starting it
/// when shutdown comes first.
struct AfterSignal<Wrapped: Service>: Service {
    let signal: StartSignal
    let service: Wrapped
    func run() async throws {
        try? await cancelWhenGracefulShutdown { await signal.wait() }
        guard signal.isRaised, !Task.isCancelled else { return }
        try await service.run()
    }
}
