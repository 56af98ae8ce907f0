public import Metrics

/// `emporium_events_dead_lettered_total{consumer}`: the events a consumer gave up on, as its
/// transport counts them when it dead-letters them. Each consumer's counter is made when it
/// subscribes, so that it reads 0 (not nothing) until the first event is dead-lettered.
///
/// The depth of the dead-letter queues (`emporium_dlq_messages`) is the transport's
/// ``EventTransport/deadLetterCount(of:)``, read before each scrape.
public struct DeadLetterCounter: Sendable {
    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The counter of `consumer`.
    public func of(_ consumer: String) -> Counter {
        Counter(label: "emporium_events_dead_lettered_total", dimensions: [("consumer", consumer)], factory: factory)
    }

    /// Counts `events` dead-lettered by `consumer`.
    public func count(_ events: Int = 1, consumer: String) {
        of(consumer).increment(by: events)
    }
}
