/// What one partition returned to a fetch.
public struct KafkaFetchedPartition: Sendable {
    /// The partition.
    public var partition: KafkaTopicPartition
    /// Records at or after the requested offset, in offset order (control records left out).
    public var records: [KafkaRecord]
    /// Where the next fetch of this partition starts: after the last complete batch returned
    /// (which may be past the last record when batches ended with control records), or the
    /// requested offset when nothing came.
    public var nextOffset: Int64
    /// The offset after the last committed record of the partition.
    public var highWatermark: Int64
}

extension KafkaClient {
    /// Fetches `topic`/`partition` from `offset` (one Fetch to its leader, retried on retriable
    /// errors).
    ///
    /// - Parameters:
    ///   - maxWait: How long the broker may wait for data when there is none.
    ///   - maxBytes: Most bytes to return; at least one batch is returned even when larger.
    /// - Throws: ``KafkaError/broker(code:context:message:)`` with e.g. `OFFSET_OUT_OF_RANGE`;
    ///   ``KafkaError/compressedBatchUnsupported(topic:partition:offset:codec:)``;
    ///   ``KafkaError/corruptBatch(topic:partition:offset:reason:)``.
    public func fetch(
        topic: String,
        partition: Int32,
        offset: Int64,
        maxWait: Duration = .milliseconds(500),
        maxBytes: Int32 = 1 << 20
    ) async throws -> KafkaFetchedPartition {
        let key = KafkaTopicPartition(topic, partition)
        return try await withKafkaRetries(
            "Fetch \(key)", timeout: self.configuration.retryTimeout, backoff: self.configuration.backoff,
            onRetry: { self.noteLeaderFailure($0, topic: topic) }
        ) {
            let results = try await self.fetchOnce([key: offset], leader: try await self.leader(of: key), lane: "default", maxWait: maxWait, maxBytes: maxBytes)
            guard let result = results[key] else {
                throw KafkaError.malformedResponse(api: "Fetch", reason: "no answer for \(key)")
            }
            return try result.get()
        }
    }

    /// One Fetch to broker `leader` for `positions` (all led by it). Each partition's outcome is
    /// separate: one partition's error does not hide another's records.
    func fetchOnce(
        _ positions: [KafkaTopicPartition: Int64],
        leader: Int32,
        lane: String,
        maxWait: Duration,
        maxBytes: Int32,
        partitionMaxBytes: Int32? = nil
    ) async throws -> [KafkaTopicPartition: Result<KafkaFetchedPartition, KafkaError>] {
        let connection = try await self.connection(toNode: leader, lane: lane)
        let byTopic = Dictionary(grouping: positions.keys.sorted(), by: \.topic)
        let request = FetchRequest(
            maxWaitMs: Int32(clamping: maxWait.components.seconds * 1000 + maxWait.components.attoseconds / 1_000_000_000_000_000),
            minBytes: 1,
            maxBytes: maxBytes,
            topics: byTopic.keys.sorted().map { topic in
                (topic, byTopic[topic]!.map { ($0.partition, positions[$0]!, partitionMaxBytes ?? maxBytes) })
            }
        )
        let response = try await connection.send(request, timeout: self.configuration.requestTimeout + maxWait)
        guard response.errorCode == .noError else {
            throw KafkaError.broker(code: response.errorCode, context: "Fetch from \(connection.broker)", message: nil)
        }
        var results: [KafkaTopicPartition: Result<KafkaFetchedPartition, KafkaError>] = [:]
        for answer in response.partitions {
            let key = KafkaTopicPartition(answer.topic, answer.partition)
            guard let offset = positions[key] else { continue }
            guard answer.errorCode == .noError else {
                results[key] = .failure(.broker(code: answer.errorCode, context: "Fetch \(key) at offset \(offset)", message: nil))
                continue
            }
            results[key] = Result { () throws(KafkaError) -> KafkaFetchedPartition in
                try Self.decodeFetched(answer, key: key, offset: offset)
            }
        }
        return results
    }

    private static func decodeFetched(_ answer: FetchRequest.PartitionResult, key: KafkaTopicPartition, offset: Int64) throws(KafkaError) -> KafkaFetchedPartition {
        var records: [KafkaRecord] = []
        var next = offset
        if let recordSet = answer.records {
            let decoded = try RecordBatch.decode(recordSet, topic: answer.topic, partition: answer.partition)
            for batch in decoded.batches {
                next = max(next, batch.nextOffset)
                guard !batch.isControl else { continue }
                // A batch may start before the requested offset: skip what was asked past.
                records.append(contentsOf: batch.records.lazy.filter { $0.offset >= offset })
            }
        }
        return KafkaFetchedPartition(partition: key, records: records, nextOffset: next, highWatermark: answer.highWatermark)
    }
}
