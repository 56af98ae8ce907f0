import NIOCore

/// Fetch (key 1): record batches from partitions, from given offsets. Versions 4–12 (v12
/// flexible); no fetch sessions (every request is a full fetch, session id 0, epoch -1). Sent to
/// each partition's leader.
struct FetchRequest: KafkaRequest {
    static let api = KafkaAPI.fetch
    var maxWaitMs: Int32
    var minBytes: Int32
    var maxBytes: Int32
    /// 0 read uncommitted, 1 read committed.
    var isolationLevel: Int8 = 0
    /// Topic → (partition, offset, max bytes).
    var topics: [(name: String, partitions: [(index: Int32, offset: Int64, maxBytes: Int32)])]

    struct PartitionResult: Sendable {
        var topic: String
        var partition: Int32
        var errorCode: KafkaErrorCode
        var highWatermark: Int64
        var logStartOffset: Int64
        var records: ByteBuffer?
    }

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        var partitions: [PartitionResult]
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.int32(-1)  // replica_id: a consumer
        writer.int32(maxWaitMs)
        writer.int32(minBytes)
        writer.int32(maxBytes)
        writer.int8(isolationLevel)
        if version >= 7 {
            writer.int32(0)  // session_id
            writer.int32(-1)  // session_epoch: -1 = full fetch, no session
        }
        writer.array(topics) { writer, topic in
            writer.string(topic.name)
            writer.array(topic.partitions) { writer, partition in
                writer.int32(partition.index)
                if version >= 9 { writer.int32(-1) }  // current_leader_epoch: unknown
                writer.int64(partition.offset)
                if version >= 12 { writer.int32(-1) }  // last_fetched_epoch: unknown
                if version >= 5 { writer.int64(-1) }  // log_start_offset: only followers send it
                writer.int32(partition.maxBytes)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
        if version >= 7 {
            writer.array([String]()) { _, _ in }  // forgotten_topics_data
        }
        if version >= 11 { writer.string("") }  // rack_id
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        var errorCode = KafkaErrorCode.noError
        if version >= 7 {
            errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
            _ = try reader.int32("session_id")
        }
        let topics = try reader.array("responses") { (reader: inout KafkaReader) throws(KafkaError) in
            let name = try reader.string("topic")
            let partitions = try reader.array("partitions") { (reader: inout KafkaReader) throws(KafkaError) in
                let index = try reader.int32("partition_index")
                let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                let highWatermark = try reader.int64("high_watermark")
                _ = try reader.int64("last_stable_offset")
                let logStart = version >= 5 ? try reader.int64("log_start_offset") : -1
                _ = try reader.nullableArray("aborted_transactions") { (reader: inout KafkaReader) throws(KafkaError) in
                    _ = try reader.int64("producer_id")
                    _ = try reader.int64("first_offset")
                    try reader.taggedFields()
                }
                if version >= 11 { _ = try reader.int32("preferred_read_replica") }
                let records = try reader.nullableBytes("records")
                try reader.taggedFields()
                return PartitionResult(
                    topic: name, partition: index, errorCode: errorCode, highWatermark: highWatermark,
                    logStartOffset: logStart, records: records)
            }
            try reader.taggedFields()
            return partitions
        }
        try reader.taggedFields()
        return Response(errorCode: errorCode, partitions: topics.flatMap { $0 })
    }
}
