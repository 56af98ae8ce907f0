import EmporiumCore
import Foundation
import Kafka
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// Events through Apache Kafka: one topic, `emporium.events` (created when missing, with
/// ``partitions`` partitions), each event a record in the CloudEvents Kafka binding's binary
/// content mode (``KafkaCloudEventBinding``) keyed by its subject, so one aggregate's events
/// share a partition and keep their order. Publishing is idempotent with `acks=all`.
///
/// Each consuming service is one consumer group, `emporium.<service>`: its instances share the
/// partitions and a new group starts at the earliest offset. A consumer takes the records a fetch
/// returned for one partition, in offset order, up to ``maxBatch`` at a time, hands them to the
/// handler and commits the offset after them only once the handler returned (its transaction
/// committed); a crash before that delivers them again, and the inbox makes that harmless. When a
/// batch fails, its events are applied one at a time; an event whose handler fails
/// ``maxDeliveries`` times in a row, or a record that is not a CloudEvent, is copied to
/// `emporium.events.dlq.<service>` with an error header and committed past, so the partition
/// keeps flowing.
///
/// Broadcast consumers are groups of one process each (`emporium.<service>.instance.<uuid>`),
/// starting at the latest offset and never committing: every instance sees every event from
/// when it subscribed.
///
/// The process starts whether or not a broker answers: ``run()`` keeps trying to connect with
/// backoff (logging why, naming the brokers), `/health/ready` reports the broker as down
/// meanwhile and whenever the brokers stop answering later, and the outboxes keep filling.
public final class KafkaTransport: EventTransport {
    /// The topic every event is published to, unless another is configured.
    public static let defaultTopic = "emporium.events"

    /// The consumer group of `consumer`.
    public static func group(of consumer: String) -> String { "emporium.\(consumer)" }

    /// The bootstrap brokers, `kafka://host:port,host:port` (no credentials to hide).
    public let description: String
    /// The topic events go to.
    public let topic: String
    /// Partitions of the topic when the transport creates it.
    public let partitions: Int
    /// The most events a consumer's batch holds.
    public let maxBatch: Int
    private let maxDeliveries: Int
    private let replicationFactor: Int16
    private let brokers: String
    private let consumerTiming: ConsumerTiming
    private let client: KafkaClient
    private let producer: KafkaProducer
    private let logger: Logger
    private let deadLettered: DeadLetterCounter
    private let consumerLag: KafkaConsumerLag

    /// How consumer group members keep their membership (shorter in tests).
    public struct ConsumerTiming: Sendable {
        /// How long the coordinator waits for a heartbeat before dropping a member.
        public var sessionTimeout: Duration
        /// How often a member sends a heartbeat.
        public var heartbeatInterval: Duration
        /// How long a rebalance may wait for the members to rejoin.
        public var rebalanceTimeout: Duration

        /// Kafka's usual values: 10 s session, 3 s heartbeats, 30 s rebalance.
        public init(sessionTimeout: Duration = .seconds(10), heartbeatInterval: Duration = .seconds(3), rebalanceTimeout: Duration = .seconds(30)) {
            self.sessionTimeout = sessionTimeout
            self.heartbeatInterval = heartbeatInterval
            self.rebalanceTimeout = rebalanceTimeout
        }
    }

    private struct State {
        var ready = false
        var lastError: (any Error)?
        var deadLetterTopics: Set<String> = []
    }
    private let state = Mutex(State())
    /// Raised once connected and the topic exists.
    private let connected = StartSignal()

    /// - Parameters:
    ///   - url: `kafka://host:port[,host:port]` (bootstrap brokers; `?client_id=…`,
    ///     `request_timeout_ms`, `retry_timeout_ms` as ``KafkaConfiguration/init(url:)`` reads).
    ///   - topic: The events topic.
    ///   - partitions: Partitions of the topic when it is created (an existing topic keeps its own).
    ///   - replicationFactor: Replicas of each partition when a topic is created; -1 (the default)
    ///     takes the brokers' `default.replication.factor`.
    ///   - maxDeliveries: Attempts at an event before it goes to the consumer's dead-letter topic.
    ///   - maxBatch: The most events a consumer applies in one batch (at least 1).
    ///   - consumerTiming: Session, heartbeat and rebalance times of consumer group members.
    ///   - metrics: Where `emporium_events_dead_lettered_total` and `emporium_kafka_consumer_lag`
    ///     go (by default the process's `MetricsSystem`).
    /// - Throws: `KafkaError.invalidURL` for a malformed URL.
    public init(
        url: String,
        topic: String = KafkaTransport.defaultTopic,
        partitions: Int = 6,
        replicationFactor: Int16 = -1,
        maxDeliveries: Int = 5,
        maxBatch: Int = 128,
        consumerTiming: ConsumerTiming = ConsumerTiming(),
        metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger
    ) throws {
        self.deadLettered = DeadLetterCounter(factory: metrics)
        self.consumerLag = KafkaConsumerLag(factory: metrics)
        var configuration = try KafkaConfiguration(url: url)
        if !url.contains("client_id=") { configuration.clientId = "emporium" }
        self.brokers = configuration.bootstrapServers.map(\.description).joined(separator: ",")
        self.description = "kafka://\(brokers)"
        self.topic = topic
        self.partitions = max(1, partitions)
        self.replicationFactor = replicationFactor
        self.maxDeliveries = max(1, maxDeliveries)
        self.maxBatch = max(1, maxBatch)
        self.consumerTiming = consumerTiming
        var logger = logger
        logger[metadataKey: "broker"] = .string(description)
        self.logger = logger
        self.client = KafkaClient(configuration: configuration, logger: logger)
        self.producer = KafkaProducer(client: client, logger: logger)
    }

    /// The dead-letter topic of `consumer`: records it gave up on, for an operator to inspect.
    public func deadLetterTopic(of consumer: String) -> String { "\(topic).dlq.\(consumer)" }

    // MARK: Connection

    /// Connects (with backoff until a broker answers, logging why not), creates the topic when
    /// missing, then checks the brokers every second so readiness follows them, until shutdown;
    /// then closes the client.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            while !Task.isCancelled {
                do {
                    try await self.connectOnce()
                    break
                } catch is CancellationError {
                    return
                } catch {
                    self.state.withLock { $0.lastError = error }
                    let delay = backoff.next()
                    if backoff.attempt == 1 || backoff.attempt % 20 == 0 {
                        self.logger.error("cannot connect to the event broker; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    }
                    try await Task.sleep(for: delay)
                }
            }
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                await self.probe()
            }
        }
        await client.close()
    }

    private func connectOnce() async throws {
        try await client.connect()
        try await client.createTopic(topic, partitions: Int32(partitions), replicationFactor: replicationFactor, ifNotExists: true)
        let existing = try await client.topicMetadata(topic).partitions.count
        if existing != partitions {
            logger.notice("the events topic exists with another partition count; keeping it", metadata: ["topic": "\(topic)", "partitions": "\(existing)", "configured": "\(partitions)"])
        }
        logger.notice("connected to the event broker", metadata: ["topic": "\(topic)"])
        state.withLock { state in
            state.ready = true
            state.lastError = nil
        }
        connected.raise()
    }

    /// Asks a broker for the cluster's metadata; readiness follows the answer.
    private func probe() async {
        do {
            try await client.connect()
            let wasReady = state.withLock { state in
                defer { state.ready = true; state.lastError = nil }
                return state.ready
            }
            if !wasReady { logger.notice("event broker answers again") }
        } catch {
            if error is CancellationError { return }
            let wasReady = state.withLock { state in
                defer { state.ready = false; state.lastError = error }
                return state.ready
            }
            if wasReady {
                logger.error("lost the event broker; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Throws ``BrokerUnavailableError`` naming the brokers and the last failure while no broker
    /// answers (before the first connection, and whenever the once-a-second check fails).
    public func checkReady() async throws {
        let (ready, lastError) = state.withLock { ($0.ready, $0.lastError) }
        guard ready else {
            throw BrokerUnavailableError(broker: description, reason: lastError.map { "\($0)" } ?? "not connected yet")
        }
    }

    /// Waits until connected once (the topic exists).
    /// - Throws: `CancellationError` when cancelled first.
    private func waitUntilConnected() async throws {
        await connected.wait()
        guard connected.isRaised else { throw CancellationError() }
    }

    // MARK: Publishing

    /// Produces the events in order (one idempotent batch per partition, `acks=all`); returns
    /// when every in-sync replica has them.
    public func publish(_ events: [CloudEvent]) async throws {
        guard !events.isEmpty else { return }
        try await checkReady()
        _ = try await producer.send(try events.map(KafkaCloudEventBinding.record), to: topic)
    }

    // MARK: Consuming

    /// Consumes in `consumer`'s group one event at a time (batches of one).
    public func consume(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async throws -> Void) async throws {
        await consumeGroup(consumer: consumer, types: types, maxBatch: 1) { events in
            for event in events { try await handler(event) }
        }
    }

    /// Consumes in `consumer`'s group: per partition, up to ``maxBatch`` records of one fetch at a
    /// time, committed after `handler` returns.
    public func consumeBatches(consumer: String, types: Set<String>, handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async throws {
        await consumeGroup(consumer: consumer, types: types, maxBatch: maxBatch, handler)
    }

    private func consumerConfiguration(group: String, start: KafkaConsumerConfiguration.StartOffset) -> KafkaConsumerConfiguration {
        KafkaConsumerConfiguration(
            groupId: group, topics: [topic],
            sessionTimeout: consumerTiming.sessionTimeout, rebalanceTimeout: consumerTiming.rebalanceTimeout,
            heartbeatInterval: consumerTiming.heartbeatInterval, startOffset: start
        )
    }

    /// Consumes as a member of `consumer`'s group until shutdown. When anything but a rebalance
    /// fails, the member leaves, and a new one joins after a backoff, starting from the group's
    /// committed offsets.
    private func consumeGroup(consumer: String, types: Set<String>, maxBatch: Int, _ handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async {
        _ = deadLettered.of(consumer)
        try? await cancelWhenGracefulShutdown {
            try await self.waitUntilConnected()
            var backoff = Backoff()
            while !Task.isCancelled {
                let member = KafkaGroupConsumer(
                    client: self.client, configuration: self.consumerConfiguration(group: Self.group(of: consumer), start: .earliest), logger: self.logger)
                do {
                    while !Task.isCancelled {
                        let records = try await self.poll(member)
                        await self.consumerLag.record(member, consumer: consumer)
                        guard !records.isEmpty else { continue }
                        do {
                            try await self.process(records, member: member, consumer: consumer, types: types, maxBatch: maxBatch, handler)
                            backoff.reset()
                        } catch let error as KafkaError where Self.isRebalance(error) {
                            // Not the owner any more: the next poll rejoins and starts again from
                            // the committed offsets; the inbox skips what was applied.
                            self.logger.info("consumer group rebalanced; records not committed will come again", metadata: ["consumer": "\(consumer)"])
                        }
                    }
                    await member.close()
                } catch {
                    await member.close()
                    if error is CancellationError || Task.isCancelled { return }
                    let delay = backoff.next()
                    self.logger.error("event consumer stopped; restarting", metadata: ["consumer": "\(consumer)", "error": "\(error)", "retry_in": "\(delay)"])
                    try await Task.sleep(for: delay)
                }
            }
        }
    }

    /// One poll; an empty answer that came at once (a broker that does not hold empty fetches)
    /// is followed by a short pause, so an idle consumer does not spin.
    private func poll(_ member: KafkaGroupConsumer) async throws -> [KafkaRecord] {
        let start = ContinuousClock.now
        let records = try await member.poll()
        if records.isEmpty, ContinuousClock.now - start < .milliseconds(50) {
            try await Task.sleep(for: .milliseconds(50))
        }
        return records
    }

    private static func isRebalance(_ error: KafkaError) -> Bool {
        switch error.code {
        case .rebalanceInProgress, .illegalGeneration, .unknownMemberId, .fencedInstanceId: true
        default: false
        }
    }

    /// Applies what a poll returned: per partition, in offset order, up to `maxBatch` records at
    /// a time, each batch committed once applied (or dead-lettered).
    private func process(
        _ records: [KafkaRecord], member: KafkaGroupConsumer, consumer: String, types: Set<String>, maxBatch: Int,
        _ handler: @Sendable ([CloudEvent]) async throws -> Void
    ) async throws {
        let byPartition = Dictionary(grouping: records, by: \.partition)
        for partition in byPartition.keys.sorted() {
            let records = byPartition[partition]!
            var start = records.startIndex
            while start < records.endIndex {
                let end = min(start + maxBatch, records.endIndex)
                let chunk = records[start..<end]
                try await apply(chunk, consumer: consumer, types: types, handler)
                try await member.commit([KafkaTopicPartition(topic, partition): chunk.last!.offset + 1])
                start = end
            }
        }
    }

    /// Applies records of one partition: those that are not CloudEvents are dead-lettered at
    /// once, events of other types skipped, the rest handed to `handler` together; when that
    /// fails, one at a time (``applyOne(_:_:consumer:_:)``).
    private func apply(_ records: ArraySlice<KafkaRecord>, consumer: String, types: Set<String>, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        var batch: [(record: KafkaRecord, event: CloudEvent)] = []
        batch.reserveCapacity(records.count)
        for record in records {
            do {
                let event = try KafkaCloudEventBinding.event(from: record)
                if types.contains(event.type) { batch.append((record, event)) }
            } catch {
                logger.error(
                    "record is not a CloudEvent; dead-lettered",
                    metadata: ["consumer": "\(consumer)", "partition": "\(record.partition)", "offset": "\(record.offset)", "error": "\(error)"])
                try await deadLetter(record, consumer: consumer, reason: "\(error)")
            }
        }
        guard !batch.isEmpty else { return }
        if batch.count > 1 {
            do {
                try await handler(batch.map(\.event))
                return
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning(
                    "event batch failed; applying its events one at a time",
                    metadata: ["consumer": "\(consumer)", "events": "\(batch.count)", "error": "\(error)"])
            }
        }
        for (record, event) in batch {
            try await applyOne(record, event, consumer: consumer, handler)
        }
    }

    /// Applies one event, trying up to ``maxDeliveries`` times with a growing pause (50 ms
    /// doubling to 2 s); then dead-letters it.
    private func applyOne(_ record: KafkaRecord, _ event: CloudEvent, consumer: String, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        var lastError: (any Error)?
        for attempt in 1...maxDeliveries {
            do {
                try await handler([event])
                return
            } catch {
                if Task.isCancelled { throw CancellationError() }
                lastError = error
                logger.warning(
                    "event handler failed",
                    metadata: ["consumer": "\(consumer)", "event_id": "\(event.id)", "type": "\(event.type)", "attempt": "\(attempt)", "error": "\(error)"])
                if attempt < maxDeliveries {
                    try await Task.sleep(for: .milliseconds(min(2_000, 50 << min(attempt - 1, 6))))
                }
            }
        }
        logger.error("event dead-lettered", metadata: ["consumer": "\(consumer)", "event_id": "\(event.id)", "type": "\(event.type)", "attempts": "\(maxDeliveries)"])
        try await deadLetter(record, consumer: consumer, reason: "handler failed \(maxDeliveries) times; last error: \(lastError.map { "\($0)" } ?? "none")")
    }

    /// Headers a dead-lettered record gets besides its own.
    public enum DeadLetterHeader {
        /// Why it was dead-lettered.
        public static let error = "emporium_error"
        /// The consumer that gave up on it.
        public static let consumer = "emporium_consumer"
        /// Where it was read: `topic/partition@offset`.
        public static let origin = "emporium_origin"
    }

    /// Copies `record` (key, value and headers) to `consumer`'s dead-letter topic, creating the
    /// topic when missing, with the reason in an error header.
    private func deadLetter(_ record: KafkaRecord, consumer: String, reason: String) async throws {
        let topic = deadLetterTopic(of: consumer)
        if !state.withLock({ $0.deadLetterTopics.contains(topic) }) {
            try await client.createTopic(topic, partitions: 1, replicationFactor: replicationFactor, ifNotExists: true)
            state.withLock { _ = $0.deadLetterTopics.insert(topic) }
        }
        let headers = record.headers + [
            KafkaHeader(key: DeadLetterHeader.error, value: reason),
            KafkaHeader(key: DeadLetterHeader.consumer, value: consumer),
            KafkaHeader(key: DeadLetterHeader.origin, value: "\(record.topic)/\(record.partition)@\(record.offset)"),
        ]
        _ = try await producer.send(KafkaProducerRecord(key: record.key, value: record.value, headers: headers, timestamp: record.timestamp), to: topic)
        deadLettered.count(consumer: consumer)
    }

    /// The records of `consumer`'s dead-letter topic still in its log (end less start offsets;
    /// 0 while it does not exist); nil while no broker answers.
    public func deadLetterCount(of consumer: String) async throws -> Int? {
        guard state.withLock({ $0.ready }) else { return nil }
        let topic = deadLetterTopic(of: consumer)
        let partitions: [KafkaTopicPartition]
        do {
            partitions = try await client.topicMetadata(topic).partitions.map { KafkaTopicPartition(topic, $0.partition) }
        } catch let error as KafkaError where error.code == .unknownTopicOrPartition {
            return 0
        }
        let end = try await client.offsets(of: partitions, at: .latest)
        let start = try await client.offsets(of: partitions, at: .earliest)
        return partitions.reduce(0) { $0 + Int(max(0, (end[$1] ?? 0) - (start[$1] ?? 0))) }
    }

    // MARK: Broadcast

    /// Consumes in a group of this process alone, from the latest offset, without committing.
    public func consumeBroadcast(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async -> Void) async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.waitUntilConnected()
            // A group of this process alone: it gets every partition, from now on.
            let group = "\(Self.group(of: consumer)).instance.\(UUID.v7().lowercased)"
            let member = KafkaGroupConsumer(client: self.client, configuration: self.consumerConfiguration(group: group, start: .latest), logger: self.logger)
            var backoff = Backoff()
            while !Task.isCancelled {
                do {
                    for record in try await self.poll(member) {
                        guard let event = try? KafkaCloudEventBinding.event(from: record) else {
                            self.logger.error("broadcast record is not a CloudEvent; skipped", metadata: ["consumer": "\(consumer)", "partition": "\(record.partition)", "offset": "\(record.offset)"])
                            continue
                        }
                        if types.contains(event.type) { await handler(event) }
                    }
                    backoff.reset()
                } catch {
                    if error is CancellationError || Task.isCancelled { break }
                    let delay = backoff.next()
                    self.logger.error("broadcast consumer failed; retrying", metadata: ["consumer": "\(consumer)", "error": "\(error)", "retry_in": "\(delay)"])
                    try? await Task.sleep(for: delay)
                }
            }
            await member.close()
        }
    }
}
