extension KafkaClient {
    /// Creates a topic.
    ///
    /// - Parameters:
    ///   - name: The topic's name.
    ///   - partitions: How many partitions it has.
    ///   - replicationFactor: How many brokers hold each partition.
    ///   - configs: Topic configuration, e.g. `["retention.ms": "86400000"]`.
    ///   - ifNotExists: When true, a topic that already exists is not an error.
    /// - Throws: ``KafkaError/broker(code:context:message:)`` with the broker's code
    ///   (`TOPIC_ALREADY_EXISTS`, `INVALID_REPLICATION_FACTOR`, ...), or a connection error.
    public func createTopic(
        _ name: String,
        partitions: Int32,
        replicationFactor: Int16,
        configs: [String: String] = [:],
        ifNotExists: Bool = false
    ) async throws {
        let request = CreateTopicsRequest(
            topics: [.init(name: name, partitions: partitions, replicationFactor: replicationFactor, configs: configs)],
            timeoutMs: Int32(clamping: self.configuration.requestTimeout.components.seconds * 1000)
        )
        let results = try await withKafkaRetries(
            "CreateTopics \(name)", timeout: self.configuration.retryTimeout, backoff: self.configuration.backoff
        ) {
            let connection = try await self.controllerConnection()
            let results = try await connection.send(request)
            if let result = results.first(where: { $0.name == name }), result.errorCode == .notController {
                try await self.refreshMetadata(topics: [])
                throw KafkaError.broker(code: .notController, context: "CreateTopics \(name)", message: result.errorMessage)
            }
            return results
        }
        guard let result = results.first(where: { $0.name == name }) else {
            throw KafkaError.malformedResponse(api: "CreateTopics", reason: "no result for topic \(name)")
        }
        switch result.errorCode {
        case .noError:
            self.invalidateMetadata(topic: name)
        case .topicAlreadyExists where ifNotExists:
            break
        default:
            throw KafkaError.broker(code: result.errorCode, context: "creating topic \(name)", message: result.errorMessage)
        }
    }

    /// Where a partition's log starts or ends.
    public enum OffsetSpec: Sendable, Hashable {
        /// The first offset still in the log.
        case earliest
        /// The offset the next record will get (the high watermark).
        case latest
        /// The first offset whose timestamp is at or after the given milliseconds since 1970.
        case timestamp(Int64)

        var wireValue: Int64 {
            switch self {
            case .earliest: ListOffsetsRequest.earliest
            case .latest: ListOffsetsRequest.latest
            case .timestamp(let milliseconds): milliseconds
            }
        }
    }

    /// The offset of `partition` at `spec`, from its leader (ListOffsets).
    /// - Throws: ``KafkaError/broker(code:context:message:)`` (after retrying retriable codes with
    ///   a metadata refresh), or a connection error once retries are exhausted.
    public func offset(of partition: KafkaTopicPartition, at spec: OffsetSpec) async throws -> Int64 {
        try await self.offsets(of: [partition], at: spec)[partition]!
    }

    /// The offsets of several partitions at `spec`; one request per leader.
    public func offsets(of partitions: [KafkaTopicPartition], at spec: OffsetSpec) async throws -> [KafkaTopicPartition: Int64] {
        var result: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions {
            result[partition] = try await withKafkaRetries(
                "ListOffsets \(partition)", timeout: self.configuration.retryTimeout, backoff: self.configuration.backoff,
                onRetry: { self.noteLeaderFailure($0, topic: partition.topic) }
            ) {
                let connection = try await self.leaderConnection(for: partition)
                let request = ListOffsetsRequest(topics: [(partition.topic, [(partition.partition, spec.wireValue)])])
                let answers = try await connection.send(request)
                guard let answer = answers.first(where: { $0.topic == partition.topic && $0.partition == partition.partition }) else {
                    throw KafkaError.malformedResponse(api: "ListOffsets", reason: "no answer for \(partition)")
                }
                guard answer.errorCode == .noError else {
                    throw KafkaError.broker(code: answer.errorCode, context: "ListOffsets \(partition)", message: nil)
                }
                return answer.offset
            }
        }
        return result
    }
}
