import Logging
import NIOCore
import Synchronization

/// How a ``KafkaGroupConsumer`` joins its group and reads.
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    /// Where a partition is read from when the group has no committed offset for it.
    public enum StartOffset: Sendable, Hashable {
        /// The first offset still in the log.
        case earliest
        /// Only records produced from now on.
        case latest
    }

    /// The consumer group.
    public var groupId: String
    /// The topics to read.
    public var topics: [String]
    /// How long the coordinator waits for a heartbeat before it drops the member.
    public var sessionTimeout: Duration
    /// How long the coordinator waits, during a rebalance, for every member to rejoin.
    public var rebalanceTimeout: Duration
    /// How often the background task sends a heartbeat (about a third of the session time-out).
    public var heartbeatInterval: Duration
    /// Where to start without a committed offset.
    public var startOffset: StartOffset
    /// How long a fetch may wait at the broker for new records.
    public var maxWait: Duration
    /// Most bytes one fetch returns (over all partitions of one broker).
    public var maxBytes: Int32
    /// Most bytes one fetch returns for one partition.
    public var partitionMaxBytes: Int32

    /// A configuration with the given values and defaults for the rest.
    public init(
        groupId: String,
        topics: [String],
        sessionTimeout: Duration = .seconds(10),
        rebalanceTimeout: Duration = .seconds(30),
        heartbeatInterval: Duration = .seconds(3),
        startOffset: StartOffset = .earliest,
        maxWait: Duration = .milliseconds(500),
        maxBytes: Int32 = 4 << 20,
        partitionMaxBytes: Int32 = 1 << 20
    ) {
        self.groupId = groupId
        self.topics = topics
        self.sessionTimeout = sessionTimeout
        self.rebalanceTimeout = rebalanceTimeout
        self.heartbeatInterval = heartbeatInterval
        self.startOffset = startOffset
        self.maxWait = maxWait
        self.maxBytes = maxBytes
        self.partitionMaxBytes = partitionMaxBytes
    }
}

/// A member of a consumer group: the group's coordinator shares the partitions of the topics
/// among the members (the leader member computes the split with ``KafkaRangeAssignor``), and each
/// member reads its partitions from the group's committed offsets.
///
/// ``poll()`` joins the group when needed and returns the next records of the assigned
/// partitions; after processing them, ``commit()`` stores how far the member got. Delivery is at
/// least once: records returned but not committed before a rebalance (or a crash) are delivered
/// again, to whichever member then owns their partition.
///
/// A background task sends heartbeats every ``KafkaConsumerConfiguration/heartbeatInterval``.
/// When the coordinator answers that the group is rebalancing (`REBALANCE_IN_PROGRESS`) or no
/// longer knows this member or generation (`ILLEGAL_GENERATION`, `UNKNOWN_MEMBER_ID`), the next
/// ``poll()`` rejoins. Keep calling ``poll()`` while a rebalance runs: the group waits for every
/// member to rejoin (up to the rebalance time-out). One task at a time should poll and commit.
///
/// ```swift
/// let consumer = KafkaGroupConsumer(client: client, configuration: .init(groupId: "billing", topics: ["orders"]))
/// while running {
///     for record in try await consumer.poll() { try await handle(record) }
///     try await consumer.commit()
/// }
/// await consumer.close()
/// ```
public actor KafkaGroupConsumer {
    /// The client the consumer works through.
    public nonisolated let client: KafkaClient
    /// How the consumer joins and reads.
    public nonisolated let configuration: KafkaConsumerConfiguration
    private let logger: Logger
    /// Connection lanes of this consumer: group requests (a JoinGroup is held by the broker for
    /// the whole rebalance) and long-polling fetches stay off the client's shared connections.
    private let groupLane: String
    private let fetchLane: String

    private static let nextId = Atomic<Int>(1)

    /// The member id the coordinator gave this member ("" before joining).
    public private(set) var memberId = ""
    /// The group generation this member belongs to (-1 before joining).
    public private(set) var generationId: Int32 = -1
    /// The partitions assigned to this member in the current generation.
    public private(set) var assignment: [KafkaTopicPartition] = []
    /// How many times this member has (re)joined the group.
    public private(set) var joinCount = 0

    private var coordinator: KafkaBrokerAddress?
    private var needsRejoin = true
    private var positions: [KafkaTopicPartition: Int64] = [:]
    /// Per partition, the offset after the last record ``poll()`` returned: what ``commit()`` stores.
    private var delivered: [KafkaTopicPartition: Int64] = [:]
    /// Per partition, the end offset (high watermark) its last fetch reported.
    private var highWatermarks: [KafkaTopicPartition: Int64] = [:]
    /// Per partition, the offset this member last committed, or started reading from.
    private var consumed: [KafkaTopicPartition: Int64] = [:]
    private var heartbeatTask: Task<Void, Never>?
    private var isPolling = false
    private var isClosed = false

    /// A consumer in the group of `configuration`; it joins on the first ``poll()``.
    public init(client: KafkaClient, configuration: KafkaConsumerConfiguration, logger: Logger? = nil) {
        self.client = client
        self.configuration = configuration
        let id = Self.nextId.wrappingAdd(1, ordering: .relaxed).oldValue
        var logger = logger ?? client.logger
        logger[metadataKey: "kafka.group"] = "\(configuration.groupId)"
        self.logger = logger
        self.groupLane = "group-\(id)"
        self.fetchLane = "fetch-\(id)"
    }

    // MARK: reading

    /// Joins the group when needed, then fetches the next records of the assigned partitions
    /// (waiting up to ``KafkaConsumerConfiguration/maxWait`` when there are none).
    ///
    /// Returns an empty array when nothing came, including while the member has no partitions.
    /// Retriable failures (broker unreachable, leader moved, coordinator moved) are retried for
    /// up to the client's ``KafkaConfiguration/retryTimeout``.
    /// - Throws: ``KafkaError``: ``KafkaError/retriesExhausted(operation:after:last:)``, a broker
    ///   code that is not retriable, ``KafkaError/closed(_:)``.
    public func poll() async throws -> [KafkaRecord] {
        guard !self.isClosed else { throw KafkaError.closed("the Kafka consumer of group \(configuration.groupId)") }
        guard !self.isPolling else { throw KafkaError.invalidArgument("poll() called while another poll() of the same consumer runs") }
        self.isPolling = true
        defer { self.isPolling = false }

        let client = self.client
        return try await withKafkaRetries(
            "poll of group \(configuration.groupId)",
            timeout: max(client.configuration.retryTimeout, self.configuration.rebalanceTimeout * 2),
            backoff: client.configuration.backoff,
            retryIf: { Self.isRetriableForGroup($0) },
            onRetry: { error in
                self.noteCoordinatorFailure(error)
                self.logger.debug("retrying poll", metadata: ["error": "\(error)"])
            }
        ) {
            try await self.ensureMember()
            return try await self.fetchRound()
        }
    }

    /// Commits, for each assigned partition, the offset after the last record ``poll()``
    /// returned: call it once those records are processed.
    /// - Throws: ``KafkaError/broker(code:context:message:)`` with `REBALANCE_IN_PROGRESS`,
    ///   `ILLEGAL_GENERATION` or `UNKNOWN_MEMBER_ID` when the group rebalanced meanwhile (the next
    ///   ``poll()`` rejoins; records not committed are delivered again), or another ``KafkaError``.
    public func commit() async throws {
        let owned = Set(self.assignment)
        let offsets = self.delivered.filter { owned.contains($0.key) }
        guard !offsets.isEmpty else { return }
        try await self.commit(offsets)
    }

    /// Commits the given offsets: for each partition, the offset of the next record to read.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        let client = self.client
        let byTopic = Dictionary(grouping: offsets.keys.sorted(), by: \.topic)
        let request = OffsetCommitRequest(
            groupId: self.configuration.groupId,
            generationId: self.generationId,
            memberId: self.memberId,
            offsets: byTopic.keys.sorted().map { topic in (topic, byTopic[topic]!.map { ($0.partition, offsets[$0]!) }) }
        )
        try await withKafkaRetries(
            "OffsetCommit for group \(configuration.groupId)",
            timeout: client.configuration.retryTimeout,
            backoff: client.configuration.backoff,
            onRetry: { self.noteCoordinatorFailure($0) }
        ) {
            let connection = try await self.coordinatorConnection()
            let results = try await connection.send(request)
            for (partition, code) in results where code != .noError {
                switch code {
                case .rebalanceInProgress, .illegalGeneration, .unknownMemberId, .fencedInstanceId:
                    self.markRejoin(resetMember: code == .unknownMemberId || code == .fencedInstanceId)
                    throw KafkaError.broker(
                        code: code, context: "OffsetCommit of \(partition) for group \(self.configuration.groupId)",
                        message: "the group rebalanced; records not committed will be delivered again")
                default:
                    throw KafkaError.broker(code: code, context: "OffsetCommit of \(partition) for group \(self.configuration.groupId)", message: nil)
                }
            }
        }
        self.consumed.merge(offsets) { _, committed in committed }
    }

    /// Per assigned partition that has been fetched, how many records the group is behind: the
    /// end offset (high watermark) the last fetch reported, less the offset this member last
    /// committed (or, before its first commit, started reading from).
    public var lag: [KafkaTopicPartition: Int64] {
        var lag: [KafkaTopicPartition: Int64] = [:]
        for partition in self.assignment {
            guard let end = self.highWatermarks[partition], let at = self.consumed[partition] else { continue }
            lag[partition] = max(0, end - at)
        }
        return lag
    }

    /// The group's committed offsets for `partitions` (-1 where nothing is committed).
    public func committedOffsets(_ partitions: [KafkaTopicPartition]) async throws -> [KafkaTopicPartition: Int64] {
        let client = self.client
        return try await withKafkaRetries(
            "OffsetFetch for group \(configuration.groupId)",
            timeout: client.configuration.retryTimeout,
            backoff: client.configuration.backoff,
            onRetry: { self.noteCoordinatorFailure($0) }
        ) {
            try await self.fetchCommitted(partitions)
        }
    }

    /// Leaves the group (so the others take over its partitions at once instead of after the
    /// session time-out) and closes the consumer's connections. Offsets are not committed: call
    /// ``commit()`` first.
    public func close() async {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.stopHeartbeat()
        if !self.memberId.isEmpty, let connection = try? await self.coordinatorConnection() {
            let code = try? await connection.send(LeaveGroupRequest(groupId: self.configuration.groupId, memberId: self.memberId))
            self.logger.debug("left the group", metadata: ["kafka.member": "\(self.memberId)", "result": "\(String(describing: code))"])
        }
        self.memberId = ""
        self.assignment = []
        await self.client.closeLane(self.groupLane)
        await self.client.closeLane(self.fetchLane)
    }

    // MARK: membership

    private static func isRetriableForGroup(_ error: KafkaError) -> Bool {
        if error.isRetriable { return true }
        switch error.code {
        case .memberIdRequired, .unknownMemberId, .illegalGeneration, .rebalanceInProgress, .notCoordinator,
            .coordinatorNotAvailable, .coordinatorLoadInProgress, .fencedInstanceId:
            return true
        default:
            return false
        }
    }

    private func noteCoordinatorFailure(_ error: KafkaError) {
        switch error {
        case .brokerUnreachable, .connectionClosed, .requestTimedOut:
            self.coordinator = nil
        case .broker(let code, _, _) where code == .notCoordinator || code == .coordinatorNotAvailable:
            self.coordinator = nil
        default:
            break
        }
    }

    private func markRejoin(resetMember: Bool) {
        self.needsRejoin = true
        if resetMember {
            self.memberId = ""
            self.generationId = -1
        }
    }

    private func coordinatorConnection() async throws -> KafkaBrokerConnection {
        if let coordinator {
            return try await self.client.connection(to: coordinator, lane: self.groupLane)
        }
        let connection = try await self.client.anyConnection()
        let response = try await connection.send(FindCoordinatorRequest(key: self.configuration.groupId))
        guard response.errorCode == .noError else {
            throw KafkaError.broker(code: response.errorCode, context: "FindCoordinator for group \(configuration.groupId)", message: response.errorMessage)
        }
        let address = KafkaBrokerAddress(host: response.host, port: Int(response.port))
        self.coordinator = address
        return try await self.client.connection(to: address, lane: self.groupLane)
    }

    /// Joins (JoinGroup, SyncGroup) when not a member of the current generation.
    private func ensureMember() async throws {
        guard self.needsRejoin else { return }
        self.stopHeartbeat()
        let groupId = self.configuration.groupId
        let connection = try await self.coordinatorConnection()
        let join = try await connection.send(
            JoinGroupRequest(
                groupId: groupId,
                sessionTimeoutMs: Self.milliseconds(self.configuration.sessionTimeout),
                rebalanceTimeoutMs: Self.milliseconds(self.configuration.rebalanceTimeout),
                memberId: self.memberId,
                protocolType: ConsumerProtocol.protocolType,
                protocols: [("range", ConsumerProtocol.encodeSubscription(topics: self.configuration.topics))]
            ),
            timeout: self.client.configuration.requestTimeout + self.configuration.rebalanceTimeout
        )
        switch join.errorCode {
        case .noError:
            break
        case .memberIdRequired:
            // KIP-394: the coordinator hands out the id first; join again with it.
            self.memberId = join.memberId
            throw KafkaError.broker(code: .memberIdRequired, context: "JoinGroup for group \(groupId)", message: nil)
        case .unknownMemberId, .fencedInstanceId:
            self.markRejoin(resetMember: true)
            throw KafkaError.broker(code: join.errorCode, context: "JoinGroup for group \(groupId)", message: nil)
        default:
            throw KafkaError.broker(code: join.errorCode, context: "JoinGroup for group \(groupId)", message: nil)
        }
        self.memberId = join.memberId
        self.generationId = join.generationId

        var assignments: [(memberId: String, assignment: ByteBuffer)] = []
        if join.leader == join.memberId {
            assignments = try await self.assign(members: join.members)
        }
        let sync = try await connection.send(
            SyncGroupRequest(
                groupId: groupId,
                generationId: join.generationId,
                memberId: join.memberId,
                protocolType: ConsumerProtocol.protocolType,
                protocolName: join.protocolName ?? "range",
                assignments: assignments
            ),
            timeout: self.client.configuration.requestTimeout + self.configuration.rebalanceTimeout
        )
        guard sync.errorCode == .noError else {
            if sync.errorCode == .unknownMemberId { self.markRejoin(resetMember: true) }
            throw KafkaError.broker(code: sync.errorCode, context: "SyncGroup for group \(groupId)", message: nil)
        }
        let assigned = try ConsumerProtocol.decodeAssignment(sync.assignment)
        try await self.adopt(assigned)
        self.needsRejoin = false
        self.joinCount += 1
        self.logger.debug(
            "joined group",
            metadata: [
                "kafka.member": "\(self.memberId)", "kafka.generation": "\(self.generationId)",
                "kafka.assignment": "\(assigned.map(\.description).joined(separator: ","))",
            ])
        self.startHeartbeat()
    }

    /// The leader's part: the range assignment of every member's subscription.
    private func assign(members: [JoinGroupRequest.Member]) async throws -> [(memberId: String, assignment: ByteBuffer)] {
        var subscriptions: [String: [String]] = [:]
        for member in members {
            subscriptions[member.memberId] = try ConsumerProtocol.decodeSubscription(member.metadata)
        }
        var counts: [String: Int32] = [:]
        for topic in Set(subscriptions.values.flatMap { $0 }) {
            await self.client.invalidateMetadata(topic: topic)
            do {
                counts[topic] = Int32(try await self.client.topicMetadata(topic).partitions.count)
            } catch let error as KafkaError where error.code == .unknownTopicOrPartition {
                self.logger.warning("subscribed topic does not exist", metadata: ["kafka.topic": "\(topic)"])
            }
        }
        let plan = KafkaRangeAssignor.assign(subscriptions: subscriptions, partitionCounts: counts)
        return plan.keys.sorted().map { ($0, ConsumerProtocol.encodeAssignment(plan[$0]!)) }
    }

    /// Takes over `partitions`: positions from the committed offsets, else the start offset.
    private func adopt(_ partitions: [KafkaTopicPartition]) async throws {
        let owned = Set(partitions)
        self.positions = self.positions.filter { owned.contains($0.key) }
        self.delivered = [:]
        self.highWatermarks = self.highWatermarks.filter { owned.contains($0.key) }
        self.assignment = partitions
        // Committed offsets are read again for every partition: another member may have read and
        // committed further while this one did not own it.
        let committed = try await self.fetchCommitted(partitions)
        var missing: [KafkaTopicPartition] = []
        for partition in partitions {
            if let offset = committed[partition], offset >= 0 {
                self.positions[partition] = offset
            } else {
                missing.append(partition)
            }
        }
        if !missing.isEmpty {
            let spec: KafkaClient.OffsetSpec = self.configuration.startOffset == .earliest ? .earliest : .latest
            for (partition, offset) in try await self.client.offsets(of: missing, at: spec) {
                self.positions[partition] = offset
            }
        }
        self.consumed = self.positions
    }

    private func fetchCommitted(_ partitions: [KafkaTopicPartition]) async throws -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let connection = try await self.coordinatorConnection()
        let response = try await connection.send(
            OffsetFetchRequest(groupId: self.configuration.groupId, partitions: byTopic.keys.sorted().map { ($0, byTopic[$0]!.map(\.partition)) }))
        guard response.errorCode == .noError else {
            throw KafkaError.broker(code: response.errorCode, context: "OffsetFetch for group \(configuration.groupId)", message: nil)
        }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, entry) in response.offsets {
            guard entry.errorCode == .noError else {
                throw KafkaError.broker(code: entry.errorCode, context: "OffsetFetch of \(partition) for group \(configuration.groupId)", message: nil)
            }
            result[partition] = entry.offset
        }
        return result
    }

    // MARK: heartbeats

    private func startHeartbeat() {
        self.stopHeartbeat()
        let generation = self.generationId
        let interval = self.configuration.heartbeatInterval
        // The consumer owns this task: it is cancelled when the member rejoins or closes, and it
        // ends by itself once a heartbeat reports that the generation is over.
        self.heartbeatTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                guard await self.heartbeat(generation: generation) else { return }
            }
        }
    }

    private func stopHeartbeat() {
        self.heartbeatTask?.cancel()
        self.heartbeatTask = nil
    }

    /// Sends one heartbeat; false when the generation is over (the next poll rejoins).
    private func heartbeat(generation: Int32) async -> Bool {
        guard !self.isClosed, !self.needsRejoin, generation == self.generationId else { return false }
        do {
            let connection = try await self.coordinatorConnection()
            let code = try await connection.send(
                HeartbeatRequest(groupId: self.configuration.groupId, generationId: generation, memberId: self.memberId))
            guard generation == self.generationId else { return false }
            switch code {
            case .noError:
                return true
            case .rebalanceInProgress, .illegalGeneration:
                self.logger.debug("group is rebalancing", metadata: ["kafka.heartbeat": "\(code)"])
                self.markRejoin(resetMember: false)
                return false
            case .unknownMemberId, .fencedInstanceId:
                self.logger.debug("coordinator no longer knows this member", metadata: ["kafka.heartbeat": "\(code)"])
                self.markRejoin(resetMember: true)
                return false
            case .notCoordinator, .coordinatorNotAvailable:
                self.coordinator = nil
                return true
            default:
                self.logger.warning("heartbeat failed", metadata: ["kafka.heartbeat": "\(code)"])
                return true
            }
        } catch let error as KafkaError {
            self.noteCoordinatorFailure(error)
            return true
        } catch {
            return true
        }
    }

    // MARK: fetching

    private func fetchRound() async throws -> [KafkaRecord] {
        guard !self.assignment.isEmpty else {
            try await Task.sleep(for: self.configuration.maxWait)
            return []
        }
        var byLeader: [Int32: [KafkaTopicPartition: Int64]] = [:]
        for partition in self.assignment {
            guard let position = self.positions[partition] else { continue }
            let leader = try await self.client.leader(of: partition)
            byLeader[leader, default: [:]][partition] = position
        }
        let client = self.client
        let configuration = self.configuration
        let lane = self.fetchLane
        let generation = self.generationId
        var outcomes: [KafkaTopicPartition: Result<KafkaFetchedPartition, KafkaError>] = [:]
        try await withThrowingTaskGroup(of: [KafkaTopicPartition: Result<KafkaFetchedPartition, KafkaError>].self) { group in
            for (leader, positions) in byLeader {
                group.addTask {
                    try await client.fetchOnce(
                        positions, leader: leader, lane: lane, maxWait: configuration.maxWait, maxBytes: configuration.maxBytes,
                        partitionMaxBytes: configuration.partitionMaxBytes)
                }
            }
            for try await results in group {
                outcomes.merge(results) { $1 }
            }
        }
        // A rebalance finished meanwhile (another poll cannot run, but be safe): drop the round.
        guard generation == self.generationId else { return [] }

        var records: [KafkaRecord] = []
        var firstError: KafkaError?
        for (partition, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            guard self.positions[partition] != nil else { continue }
            switch outcome {
            case .success(let fetched):
                records += fetched.records
                self.positions[partition] = fetched.nextOffset
                self.highWatermarks[partition] = fetched.highWatermark
                if let last = fetched.records.last {
                    self.delivered[partition] = last.offset + 1
                }
            case .failure(let error):
                if error.code == .offsetOutOfRange {
                    let spec: KafkaClient.OffsetSpec = configuration.startOffset == .earliest ? .earliest : .latest
                    self.positions[partition] = try await client.offset(of: partition, at: spec)
                    self.logger.warning("offset out of range; reset", metadata: ["kafka.partition": "\(partition)", "kafka.offset": "\(self.positions[partition]!)"])
                } else if error.isRetriable {
                    await client.noteLeaderFailure(error, topic: partition.topic)
                    if records.isEmpty, firstError == nil { firstError = error }
                } else {
                    throw error
                }
            }
        }
        if records.isEmpty, let firstError { throw firstError }
        return records
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
