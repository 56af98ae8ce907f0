import Logging
import NIOCore
import NIOPosix

/// A connection to a Kafka cluster: broker connections opened on demand, cluster metadata with
/// each partition's leader, and the administrative and read operations (create topic, list
/// offsets, fetch). ``KafkaProducer`` and ``KafkaGroupConsumer`` work through a client.
///
/// Connections are made lazily and again after they drop: attempts to a broker that just failed
/// wait for an exponential backoff (``KafkaConfiguration/backoff``), so callers that retry do not
/// hammer a broker that is down. Operations retry retriable errors, refreshing metadata when a
/// leader moved, for up to ``KafkaConfiguration/retryTimeout``.
///
/// ```swift
/// let client = KafkaClient(configuration: try KafkaConfiguration(url: "kafka://127.0.0.1:9092"))
/// try await client.createTopic("orders", partitions: 3, replicationFactor: 1)
/// let producer = KafkaProducer(client: client)
/// try await producer.send(KafkaProducerRecord(key: "order-1", value: "{}"), to: "orders")
/// await client.close()
/// ```
public actor KafkaClient {
    /// The configuration this client was made with.
    public nonisolated let configuration: KafkaConfiguration
    nonisolated let eventLoopGroup: any EventLoopGroup
    nonisolated let logger: Logger

    /// Connections are kept per broker and per lane: the default lane carries short requests;
    /// consumers use lanes of their own for long-polling fetches and group requests, which the
    /// broker holds and which would otherwise delay everything behind them.
    struct ConnectionKey: Hashable {
        var address: KafkaBrokerAddress
        var lane: String
    }

    private var connections: [ConnectionKey: KafkaBrokerConnection] = [:]
    /// Connects under way, so that concurrent callers share one attempt.
    private var connecting: [ConnectionKey: Task<KafkaBrokerConnection, any Error>] = [:]
    /// Per broker: failed attempts in a row, and when the next attempt may start.
    private var failures: [KafkaBrokerAddress: (count: Int, retryAt: ContinuousClock.Instant)] = [:]
    private var brokers: [Int32: KafkaBrokerAddress] = [:]
    private var topics: [String: KafkaTopicMetadata] = [:]
    private var controllerId: Int32 = -1
    private var isClosed = false

    /// A client for the cluster; nothing is connected until the first operation (or
    /// ``connect()``).
    public init(
        configuration: KafkaConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.kafka")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Connects to a bootstrap broker and loads the cluster's broker list, once, without retrying.
    /// - Throws: ``KafkaError/brokerUnreachable(broker:reason:)`` naming the broker (every
    ///   bootstrap broker, when several are configured) when none answers.
    public func connect() async throws {
        _ = try await self.refreshMetadata(topics: [])
    }

    /// Closes every connection. Later operations fail with ``KafkaError/closed(_:)``.
    public func close() async {
        self.isClosed = true
        for task in self.connecting.values { task.cancel() }
        self.connecting = [:]
        let open = self.connections.values
        self.connections = [:]
        for connection in open { await connection.close() }
    }

    // MARK: connections

    /// A connection to `address` on `lane`, reusing an open one.
    func connection(to address: KafkaBrokerAddress, lane: String = "default") async throws -> KafkaBrokerConnection {
        guard !self.isClosed else { throw KafkaError.closed("the Kafka client") }
        let key = ConnectionKey(address: address, lane: lane)
        if let existing = self.connections[key], existing.isOpen { return existing }
        if let pending = self.connecting[key] { return try await pending.value }
        // The task only outlives this call when another caller awaits the same connect; it is
        // remembered in `connecting` and cancelled by close().
        let task = Task { try await self.openConnection(key) }
        self.connecting[key] = task
        defer { self.connecting[key] = nil }
        return try await task.value
    }

    private func openConnection(_ key: ConnectionKey) async throws -> KafkaBrokerConnection {
        if let failure = self.failures[key.address] {
            let wait = ContinuousClock.now.duration(to: failure.retryAt)
            if wait > .zero { try await Task.sleep(for: wait) }
        }
        do {
            let connection = try await KafkaBrokerConnection.connect(
                host: key.address.host,
                port: key.address.port,
                clientId: self.configuration.clientId,
                connectTimeout: self.configuration.connectTimeout,
                requestTimeout: self.configuration.requestTimeout,
                eventLoop: self.eventLoopGroup.next(),
                logger: self.logger
            )
            if self.isClosed {
                await connection.close()
                throw KafkaError.closed("the Kafka client")
            }
            if self.failures.removeValue(forKey: key.address) != nil {
                self.logger.info("reconnected to Kafka broker", metadata: ["kafka.broker": "\(key.address)"])
            }
            self.connections[key] = connection
            return connection
        } catch let error as KafkaError {
            if case .brokerUnreachable = error {
                let count = (self.failures[key.address]?.count ?? 0) + 1
                self.failures[key.address] = (count, ContinuousClock.now + self.configuration.backoff.delay(attempt: count - 1))
                self.logger.debug("Kafka broker unreachable", metadata: ["kafka.broker": "\(key.address)", "kafka.attempt": "\(count)"])
            }
            throw error
        }
    }

    /// A connection to the broker with node id `nodeId`, as the metadata names it.
    func connection(toNode nodeId: Int32, lane: String = "default") async throws -> KafkaBrokerConnection {
        if self.brokers[nodeId] == nil {
            _ = try await self.refreshMetadata(topics: [])
        }
        guard let address = self.brokers[nodeId] else {
            throw KafkaError.broker(code: .brokerNotAvailable, context: "node \(nodeId)", message: "the cluster metadata does not list it")
        }
        return try await self.connection(to: address, lane: lane)
    }

    /// A connection to any broker: one already open, else a known broker, else each bootstrap
    /// broker in turn.
    func anyConnection(lane: String = "default") async throws -> KafkaBrokerConnection {
        if let open = self.connections.first(where: { $0.key.lane == lane && $0.value.isOpen })?.value {
            return open
        }
        var candidates = self.configuration.bootstrapServers
        for address in self.brokers.values.sorted(by: { $0.description < $1.description }) where !candidates.contains(address) {
            candidates.append(address)
        }
        var reasons: [String] = []
        for address in candidates {
            do {
                return try await self.connection(to: address, lane: lane)
            } catch let error as KafkaError {
                guard case .brokerUnreachable(_, let reason) = error else { throw error }
                reasons.append(candidates.count == 1 ? reason : "\(address): \(reason)")
            }
        }
        throw KafkaError.brokerUnreachable(
            broker: candidates.map(\.description).joined(separator: ", "),
            reason: reasons.joined(separator: "; "))
    }

    /// Closes the connections of `lane` (a consumer's, when it closes).
    func closeLane(_ lane: String) async {
        let keys = self.connections.keys.filter { $0.lane == lane }
        for key in keys {
            if let connection = self.connections.removeValue(forKey: key) { await connection.close() }
        }
    }

    // MARK: metadata

    /// Asks a broker for the metadata of `topics` (nil: every topic; empty: brokers only) and
    /// updates the cache.
    @discardableResult
    func refreshMetadata(topics: [String]?) async throws -> MetadataRequest.Response {
        let connection = try await self.anyConnection()
        let response = try await connection.send(MetadataRequest(topics: topics, allowAutoTopicCreation: false))
        var brokers: [Int32: KafkaBrokerAddress] = [:]
        for broker in response.brokers {
            brokers[broker.nodeId] = KafkaBrokerAddress(host: broker.host, port: Int(broker.port))
        }
        self.brokers = brokers
        self.controllerId = response.controllerId
        for topic in response.topics {
            switch topic.errorCode {
            case .noError:
                self.topics[topic.name] = KafkaTopicMetadata(topic)
            case .unknownTopicOrPartition, .invalidTopicException, .topicAuthorizationFailed:
                self.topics[topic.name] = nil
            default:
                break  // e.g. LEADER_NOT_AVAILABLE while a topic is being created: keep what we had
            }
        }
        return response
    }

    /// The cluster's brokers and the metadata of `topics` (nil: every topic), fresh from a broker.
    public func metadata(topics: [String]? = nil) async throws -> KafkaClusterMetadata {
        let response = try await withKafkaRetries("Metadata", timeout: self.configuration.retryTimeout, backoff: self.configuration.backoff) {
            try await self.refreshMetadata(topics: topics)
        }
        return KafkaClusterMetadata(response)
    }

    /// The cached metadata of `topic`, loading it when missing.
    /// - Throws: ``KafkaError/broker(code:context:message:)`` with `UNKNOWN_TOPIC_OR_PARTITION`
    ///   when the topic does not exist.
    public func topicMetadata(_ topic: String) async throws -> KafkaTopicMetadata {
        if let cached = self.topics[topic] { return cached }
        let response = try await self.refreshMetadata(topics: [topic])
        if let cached = self.topics[topic] { return cached }
        let code = response.topics.first(where: { $0.name == topic })?.errorCode ?? .unknownTopicOrPartition
        throw KafkaError.broker(code: code == .noError ? .unknownTopicOrPartition : code, context: "topic \(topic)", message: nil)
    }

    /// Forgets the cached metadata of `topic`, so that the next use loads it again (after a
    /// leadership error).
    public func invalidateMetadata(topic: String) {
        self.topics[topic] = nil
    }

    /// The node id of the leader of `partition`, from the cache or fresh metadata.
    /// - Throws: ``KafkaError/broker(code:context:message:)`` with `UNKNOWN_TOPIC_OR_PARTITION` or
    ///   `LEADER_NOT_AVAILABLE` (both retriable).
    func leader(of partition: KafkaTopicPartition) async throws -> Int32 {
        for refresh in [false, true] {
            if refresh { self.topics[partition.topic] = nil }
            let metadata = try await self.topicMetadata(partition.topic)
            guard let entry = metadata.partitions.first(where: { $0.partition == partition.partition }) else {
                if refresh {
                    throw KafkaError.broker(code: .unknownTopicOrPartition, context: "partition \(partition)", message: "topic has \(metadata.partitions.count) partitions")
                }
                continue
            }
            if entry.leader >= 0, self.brokers[entry.leader] != nil { return entry.leader }
            if refresh {
                throw KafkaError.broker(code: .leaderNotAvailable, context: "partition \(partition)", message: nil)
            }
        }
        throw KafkaError.broker(code: .leaderNotAvailable, context: "partition \(partition)", message: nil)
    }

    /// A connection to the controller (for CreateTopics), or any broker when none is known.
    func controllerConnection() async throws -> KafkaBrokerConnection {
        if self.controllerId < 0 || self.brokers[self.controllerId] == nil {
            try await self.refreshMetadata(topics: [])
        }
        if self.controllerId >= 0, self.brokers[self.controllerId] != nil {
            return try await self.connection(toNode: self.controllerId)
        }
        return try await self.anyConnection()
    }

    /// A connection to the leader of `partition`.
    func leaderConnection(for partition: KafkaTopicPartition, lane: String = "default") async throws -> KafkaBrokerConnection {
        let leader = try await self.leader(of: partition)
        do {
            return try await self.connection(toNode: leader, lane: lane)
        } catch let error as KafkaError {
            // The leader may have moved to a broker that is up: look again next time.
            if error.isRetriable { self.topics[partition.topic] = nil }
            throw error
        }
    }

    /// Whether `code` means that the cached leader of a partition is stale.
    static func isStaleMetadata(_ code: KafkaErrorCode) -> Bool {
        switch code {
        case .notLeaderOrFollower, .unknownTopicOrPartition, .leaderNotAvailable, .fencedLeaderEpoch,
            .unknownLeaderEpoch, .notEnoughReplicas, .kafkaStorageError, .replicaNotAvailable:
            true
        default:
            false
        }
    }

    /// Handles a failure of a request sent to the leader of a partition of `topic`: forgets the
    /// topic's metadata when the error says the leader moved or the broker is gone.
    func noteLeaderFailure(_ error: KafkaError, topic: String) {
        switch error {
        case .broker(let code, _, _) where Self.isStaleMetadata(code):
            self.topics[topic] = nil
        case .brokerUnreachable, .connectionClosed, .requestTimedOut:
            self.topics[topic] = nil
        default:
            break
        }
    }

    /// For tests: pretend the cached leader of `partition` is node `nodeId` at `address`.
    func overrideCachedLeader(of partition: KafkaTopicPartition, nodeId: Int32, address: KafkaBrokerAddress) {
        self.brokers[nodeId] = address
        if var metadata = self.topics[partition.topic],
            let index = metadata.partitions.firstIndex(where: { $0.partition == partition.partition })
        {
            metadata.partitions[index].leader = nodeId
            self.topics[partition.topic] = metadata
        }
    }
}

/// A topic's partitions as the cluster metadata describes them.
public struct KafkaTopicMetadata: Sendable, Hashable {
    /// The topic's name.
    public var name: String
    /// The topic id (all zero from brokers that do not send one).
    public var topicId: KafkaUUID
    /// Whether it is an internal topic (`__consumer_offsets`).
    public var isInternal: Bool
    /// Its partitions, by index.
    public var partitions: [KafkaPartitionMetadata]

    init(_ topic: MetadataRequest.Topic) {
        self.name = topic.name
        self.topicId = topic.topicId
        self.isInternal = topic.isInternal
        self.partitions = topic.partitions.map(KafkaPartitionMetadata.init).sorted { $0.partition < $1.partition }
    }
}

/// One partition in the cluster metadata.
public struct KafkaPartitionMetadata: Sendable, Hashable {
    /// The partition index.
    public var partition: Int32
    /// The leader's node id; -1 when there is none (`errorCode` says why).
    public var leader: Int32
    /// The leader epoch (-1 from brokers that do not send it).
    public var leaderEpoch: Int32
    /// Node ids of the replicas.
    public var replicas: [Int32]
    /// Node ids of the in-sync replicas.
    public var inSyncReplicas: [Int32]
    /// The partition's error, e.g. `LEADER_NOT_AVAILABLE`; `.noError` normally.
    public var errorCode: KafkaErrorCode

    init(_ partition: MetadataRequest.Partition) {
        self.partition = partition.index
        self.leader = partition.errorCode == .leaderNotAvailable ? -1 : partition.leaderId
        self.leaderEpoch = partition.leaderEpoch
        self.replicas = partition.replicas
        self.inSyncReplicas = partition.isr
        self.errorCode = partition.errorCode
    }
}

/// The cluster as a Metadata response describes it.
public struct KafkaClusterMetadata: Sendable, Hashable {
    /// The cluster id, when the broker sends one.
    public var clusterId: String?
    /// The controller's node id.
    public var controllerId: Int32
    /// Brokers by node id.
    public var brokers: [Int32: KafkaBrokerAddress]
    /// The topics that exist, by name.
    public var topics: [String: KafkaTopicMetadata]
    /// Topics that were asked for and came back with an error (e.g. `UNKNOWN_TOPIC_OR_PARTITION`).
    public var topicErrors: [String: KafkaErrorCode]

    init(_ response: MetadataRequest.Response) {
        self.clusterId = response.clusterId
        self.controllerId = response.controllerId
        self.brokers = Dictionary(uniqueKeysWithValues: response.brokers.map { ($0.nodeId, KafkaBrokerAddress(host: $0.host, port: Int($0.port))) })
        var topics: [String: KafkaTopicMetadata] = [:]
        var errors: [String: KafkaErrorCode] = [:]
        for topic in response.topics {
            if topic.errorCode == .noError {
                topics[topic.name] = KafkaTopicMetadata(topic)
            } else {
                errors[topic.name] = topic.errorCode
            }
        }
        self.topics = topics
        self.topicErrors = errors
    }
}
