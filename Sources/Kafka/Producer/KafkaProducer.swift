import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How many replicas must have a record before the broker answers a produce.
public enum KafkaAcks: Sendable, Hashable {
    /// Every in-sync replica (`acks=-1`). Required for idempotence.
    case all
    /// The leader only (`acks=1`).
    case leader

    var wireValue: Int16 {
        switch self {
        case .all: -1
        case .leader: 1
        }
    }
}

/// How a ``KafkaProducer`` sends.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    /// Replicas that must have a batch before it counts as written.
    public var acks: KafkaAcks
    /// Whether the producer is idempotent: it gets a producer id and numbers each partition's
    /// batches, so a batch sent again after a lost response is not written twice.
    public var idempotent: Bool
    /// How long the broker may wait for the replicas (the request's `timeout_ms`).
    public var ackTimeout: Duration
    /// How long a send keeps retrying retriable errors; nil uses the client's
    /// ``KafkaConfiguration/retryTimeout``.
    public var deliveryTimeout: Duration?
    /// The most bytes of records one batch to a partition carries: a send with more is split into
    /// several batches, sent in order. Brokers refuse a batch over the topic's
    /// `max.message.bytes` (1 MiB by default) as too large, which no retry cures. A record larger
    /// than this travels alone.
    public var maxBatchBytes: Int

    /// A configuration with the given values: by default idempotent with `acks=all`, batches
    /// under 1,000,000 bytes.
    public init(
        acks: KafkaAcks = .all, idempotent: Bool = true, ackTimeout: Duration = .seconds(30), deliveryTimeout: Duration? = nil,
        maxBatchBytes: Int = 1_000_000
    ) {
        precondition(maxBatchBytes > 0, "maxBatchBytes must be positive")
        self.acks = acks
        self.idempotent = idempotent
        self.ackTimeout = ackTimeout
        self.deliveryTimeout = deliveryTimeout
        self.maxBatchBytes = maxBatchBytes
    }
}

/// Where a produced record was written.
public struct KafkaRecordMetadata: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset; -1 when the broker recognised the batch as a duplicate of one it
    /// had already written without saying where.
    public var offset: Int64
}

/// Sends records to topics: each call's records for one partition go out as one record batch v2
/// to the partition's leader, and the call returns when the broker has acknowledged them
/// (``KafkaProducerConfiguration/acks``).
///
/// Idempotence (the default): the producer asks for a producer id (InitProducerId) and numbers
/// the batches of each partition with sequence numbers. A batch is sent again, with the same
/// sequence, after a retriable failure (connection lost, time-out, leader moved); the broker
/// writes it once. Batches of one partition are sent one at a time, in call order. If the broker
/// has forgotten the producer (`UNKNOWN_PRODUCER_ID`, `OUT_OF_ORDER_SEQUENCE_NUMBER` after its
/// state was lost) the producer takes a new id and sends the batch again: that one batch may
/// then be duplicated, and a warning is logged.
public actor KafkaProducer {
    /// The client the producer sends through.
    public nonisolated let client: KafkaClient
    /// How the producer sends.
    public nonisolated let configuration: KafkaProducerConfiguration
    private let logger: Logger

    private struct ProducerIdentity {
        var id: Int64
        var epoch: Int16
    }

    private var identity: ProducerIdentity?
    private var sequences: [KafkaTopicPartition: Int32] = [:]
    private var roundRobin: [String: Int32] = [:]
    private var busy: Set<KafkaTopicPartition> = []
    private var waiting: [KafkaTopicPartition: [CheckedContinuation<Void, Never>]] = [:]

    /// A producer sending through `client`.
    public init(client: KafkaClient, configuration: KafkaProducerConfiguration = KafkaProducerConfiguration(), logger: Logger? = nil) {
        self.client = client
        self.configuration = configuration
        self.logger = logger ?? client.logger
    }

    /// The producer id and epoch, once the broker has given them (idempotent producers only).
    public var producerId: (id: Int64, epoch: Int16)? {
        identity.map { ($0.id, $0.epoch) }
    }

    /// Sends one record to `topic` and waits for the broker's acknowledgement.
    /// - Throws: ``KafkaError``: the broker's code for a non-retriable failure, or
    ///   ``KafkaError/retriesExhausted(operation:after:last:)``.
    @discardableResult
    public func send(_ record: KafkaProducerRecord, to topic: String) async throws -> KafkaRecordMetadata {
        try await self.send([record], to: topic)[0]
    }

    /// Sends records to `topic`: per partition, in order, batches of at most
    /// ``KafkaProducerConfiguration/maxBatchBytes``; the partitions in parallel. Returns where
    /// each record was written, in the order given.
    @discardableResult
    public func send(_ records: [KafkaProducerRecord], to topic: String) async throws -> [KafkaRecordMetadata] {
        guard !records.isEmpty else { return [] }
        let partitionCount = Int32(try await self.partitionCount(topic))
        var byPartition: [Int32: [(index: Int, record: KafkaProducerRecord)]] = [:]
        for (index, record) in records.enumerated() {
            let partition: Int32
            if let chosen = record.partition {
                guard chosen >= 0, chosen < partitionCount else {
                    throw KafkaError.invalidArgument("partition \(chosen) of topic \(topic), which has \(partitionCount)")
                }
                partition = chosen
            } else if let key = record.key {
                partition = KafkaPartitioner.partition(forKey: key, count: partitionCount)
            } else {
                let next = self.roundRobin[topic, default: 0]
                self.roundRobin[topic] = (next + 1) % partitionCount
                partition = next
            }
            byPartition[partition, default: []].append((index, record))
        }
        var results = [KafkaRecordMetadata?](repeating: nil, count: records.count)
        try await withThrowingTaskGroup(of: [(Int, KafkaRecordMetadata)].self) { group in
            for (partition, entries) in byPartition {
                let batches = RecordBatch.split(entries.map(\.record), maxBytes: self.configuration.maxBatchBytes)
                group.addTask {
                    var written: [KafkaRecordMetadata] = []
                    written.reserveCapacity(entries.count)
                    for batch in batches {
                        written += try await self.sendBatch(batch, to: KafkaTopicPartition(topic, partition))
                    }
                    return zip(entries.map(\.index), written).map { ($0, $1) }
                }
            }
            for try await batch in group {
                for (index, metadata) in batch { results[index] = metadata }
            }
        }
        return results.map { $0! }
    }

    private func partitionCount(_ topic: String) async throws -> Int {
        let client = self.client
        return try await withKafkaRetries(
            "Metadata \(topic)", timeout: self.deliveryTimeout, backoff: client.configuration.backoff
        ) {
            try await client.topicMetadata(topic).partitions.count
        }
    }

    private var deliveryTimeout: Duration {
        self.configuration.deliveryTimeout ?? self.client.configuration.retryTimeout
    }

    // MARK: one partition

    /// Sends one batch to one partition, retrying with the same sequence number.
    func sendBatch(_ records: [KafkaProducerRecord], to partition: KafkaTopicPartition) async throws -> [KafkaRecordMetadata] {
        await self.acquire(partition)
        defer { self.release(partition) }

        let client = self.client
        var encodedFor: (identity: Int64, epoch: Int16, sequence: Int32)?
        var batch = ByteBuffer()
        let now = Self.nowMilliseconds()
        return try await withKafkaRetries(
            "Produce to \(partition)",
            timeout: self.deliveryTimeout,
            backoff: client.configuration.backoff,
            retryIf: { $0.isRetriable || Self.needsNewProducerId($0) },
            onRetry: { error in
                await client.noteLeaderFailure(error, topic: partition.topic)
                self.logger.debug("retrying produce", metadata: ["kafka.partition": "\(partition)", "error": "\(error)"])
            }
        ) {
            // (Re)encode only when the producer id or sequence changed: a retry sends the very
            // same bytes, so the broker can recognise it.
            let fields = try await self.producerFields(for: partition)
            if encodedFor == nil || encodedFor! != (fields.producerId, fields.producerEpoch, fields.baseSequence) {
                batch = RecordBatch.encode(records, producer: fields, now: now)
                encodedFor = (fields.producerId, fields.producerEpoch, fields.baseSequence)
            }
            let connection = try await client.leaderConnection(for: partition)
            let request = ProduceRequest(
                acks: self.configuration.acks.wireValue,
                timeoutMs: Int32(clamping: self.configuration.ackTimeout.components.seconds * 1000),
                topics: [(partition.topic, [(partition.partition, batch)])]
            )
            let answers = try await connection.send(request, timeout: client.configuration.requestTimeout + self.configuration.ackTimeout)
            guard let answer = answers.first(where: { $0.topic == partition.topic && $0.partition == partition.partition }) else {
                throw KafkaError.malformedResponse(api: "Produce", reason: "no answer for \(partition)")
            }
            switch answer.errorCode {
            case .noError:
                self.advanceSequence(partition, by: records.count, from: fields)
                return records.indices.map { KafkaRecordMetadata(topic: partition.topic, partition: partition.partition, offset: answer.baseOffset + Int64($0)) }
            case .duplicateSequenceNumber:
                // Already written by an earlier attempt.
                self.advanceSequence(partition, by: records.count, from: fields)
                return records.indices.map { _ in KafkaRecordMetadata(topic: partition.topic, partition: partition.partition, offset: -1) }
            case let code:
                let error = KafkaError.broker(code: code, context: "Produce to \(partition)", message: answer.errorMessage)
                if Self.needsNewProducerId(error) {
                    self.logger.warning(
                        "broker lost this producer's state; taking a new producer id (the batch being retried may be written twice)",
                        metadata: ["kafka.partition": "\(partition)", "error": "\(code)"])
                    self.identity = nil
                    self.sequences = [:]
                }
                throw error
            }
        }
    }

    private static func needsNewProducerId(_ error: KafkaError) -> Bool {
        switch error.code {
        case .unknownProducerId, .outOfOrderSequenceNumber, .invalidProducerEpoch, .invalidProducerIdMapping: true
        default: false
        }
    }

    private func producerFields(for partition: KafkaTopicPartition) async throws -> RecordBatch.ProducerFields {
        guard self.configuration.idempotent else { return .none }
        let identity = try await self.ensureIdentity()
        return RecordBatch.ProducerFields(producerId: identity.id, producerEpoch: identity.epoch, baseSequence: self.sequences[partition] ?? 0)
    }

    private func advanceSequence(_ partition: KafkaTopicPartition, by count: Int, from fields: RecordBatch.ProducerFields) {
        guard self.configuration.idempotent, let identity, identity.id == fields.producerId else { return }
        // Sequence numbers wrap from Int32.max to 0.
        let next = Int64(fields.baseSequence) + Int64(count)
        self.sequences[partition] = Int32(next > Int64(Int32.max) ? next - Int64(Int32.max) - 1 : next)
    }

    private func ensureIdentity() async throws -> ProducerIdentity {
        if let identity { return identity }
        guard self.configuration.acks == .all else {
            throw KafkaError.invalidArgument("an idempotent producer needs acks=all")
        }
        let connection = try await self.client.anyConnection()
        let response = try await connection.send(InitProducerIdRequest())
        guard response.errorCode == .noError else {
            throw KafkaError.broker(code: response.errorCode, context: "InitProducerId", message: nil)
        }
        if let identity { return identity }  // another task got one meanwhile
        let identity = ProducerIdentity(id: response.producerId, epoch: response.producerEpoch)
        self.identity = identity
        self.sequences = [:]
        self.logger.debug("producer id assigned", metadata: ["kafka.producer_id": "\(identity.id)", "kafka.epoch": "\(identity.epoch)"])
        return identity
    }

    // MARK: one batch at a time per partition

    private func acquire(_ partition: KafkaTopicPartition) async {
        if self.busy.contains(partition) {
            await withCheckedContinuation { self.waiting[partition, default: []].append($0) }
        } else {
            self.busy.insert(partition)
        }
    }

    private func release(_ partition: KafkaTopicPartition) {
        if var queue = self.waiting[partition], !queue.isEmpty {
            let next = queue.removeFirst()
            self.waiting[partition] = queue.isEmpty ? nil : queue
            next.resume()  // the partition stays busy, handed to the next sender
        } else {
            self.busy.remove(partition)
        }
    }

    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
