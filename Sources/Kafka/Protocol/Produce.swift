import NIOCore

/// Produce (key 0): record batches for partitions of topics. Versions 3–9 (v9+ flexible); v3 is
/// the first that carries record batches v2. Sent to each partition's leader.
struct ProduceRequest: KafkaRequest {
    static let api = KafkaAPI.produce
    /// -1 all in-sync replicas, 1 the leader only, 0 no response.
    var acks: Int16
    var timeoutMs: Int32
    /// Topic → (partition, encoded record batch).
    var topics: [(name: String, partitions: [(index: Int32, records: ByteBuffer)])]

    var expectsResponse: Bool { acks != 0 }

    struct PartitionResult: Sendable {
        var topic: String
        var partition: Int32
        var errorCode: KafkaErrorCode
        var baseOffset: Int64
        var logAppendTime: Int64
        var errorMessage: String?
    }

    typealias Response = [PartitionResult]

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.nullableString(nil)  // transactional_id
        writer.int16(acks)
        writer.int32(timeoutMs)
        writer.array(topics) { writer, topic in
            writer.string(topic.name)
            writer.array(topic.partitions) { writer, partition in
                writer.int32(partition.index)
                writer.bytes(partition.records)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        let topics = try reader.array("responses") { (reader: inout KafkaReader) throws(KafkaError) in
            let name = try reader.string("name")
            return try reader.array("partition_responses") { (reader: inout KafkaReader) throws(KafkaError) in
                let index = try reader.int32("index")
                let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                let baseOffset = try reader.int64("base_offset")
                let appendTime = try reader.int64("log_append_time_ms")
                if version >= 5 { _ = try reader.int64("log_start_offset") }
                var message: String?
                if version >= 8 {
                    let recordErrors = try reader.array("record_errors") { (reader: inout KafkaReader) throws(KafkaError) in
                        let index = try reader.int32("batch_index")
                        let text = try reader.nullableString("batch_index_error_message")
                        try reader.taggedFields()
                        return "record \(index): \(text ?? "invalid")"
                    }
                    message = try reader.nullableString("error_message")
                    if !recordErrors.isEmpty {
                        message = ([message].compactMap { $0 } + recordErrors).joined(separator: "; ")
                    }
                }
                try reader.taggedFields()
                return PartitionResult(topic: name, partition: index, errorCode: errorCode, baseOffset: baseOffset, logAppendTime: appendTime, errorMessage: message)
            }
        }
        _ = try reader.int32("throttle_time_ms")
        try reader.taggedFields()
        return topics.flatMap { $0 }
    }
}
