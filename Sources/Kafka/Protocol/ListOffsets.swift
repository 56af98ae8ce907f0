/// ListOffsets (key 2): the offset of a partition at a time, or its earliest/latest offset.
/// Versions 1–7 (v6+ flexible). Sent to the partition's leader.
struct ListOffsetsRequest: KafkaRequest {
    static let api = KafkaAPI.listOffsets
    /// Timestamp meaning "the offset after the last record".
    static let latest: Int64 = -1
    /// Timestamp meaning "the first offset still in the log".
    static let earliest: Int64 = -2

    /// Topic → (partition, timestamp).
    var topics: [(name: String, partitions: [(index: Int32, timestamp: Int64)])]
    /// 0 read uncommitted, 1 read committed.
    var isolationLevel: Int8 = 0

    struct PartitionResult: Sendable {
        var topic: String
        var partition: Int32
        var errorCode: KafkaErrorCode
        var timestamp: Int64
        var offset: Int64
    }

    typealias Response = [PartitionResult]

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.int32(-1)  // replica_id: a consumer
        if version >= 2 { writer.int8(isolationLevel) }
        writer.array(topics) { writer, topic in
            writer.string(topic.name)
            writer.array(topic.partitions) { writer, partition in
                writer.int32(partition.index)
                if version >= 4 { writer.int32(-1) }  // current_leader_epoch: unknown
                writer.int64(partition.timestamp)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        if version >= 2 { _ = try reader.int32("throttle_time_ms") }
        let topics = try reader.array("topics") { (reader: inout KafkaReader) throws(KafkaError) in
            let name = try reader.string("name")
            let partitions = try reader.array("partitions") { (reader: inout KafkaReader) throws(KafkaError) in
                let index = try reader.int32("partition_index")
                let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                let timestamp = try reader.int64("timestamp")
                let offset = try reader.int64("offset")
                if version >= 4 { _ = try reader.int32("leader_epoch") }
                try reader.taggedFields()
                return PartitionResult(topic: name, partition: index, errorCode: errorCode, timestamp: timestamp, offset: offset)
            }
            try reader.taggedFields()
            return partitions
        }
        try reader.taggedFields()
        return topics.flatMap { $0 }
    }
}
