/// OffsetCommit (key 8): a group's committed offsets. Versions 2–8 (v8 flexible).
struct OffsetCommitRequest: KafkaRequest {
    static let api = KafkaAPI.offsetCommit
    var groupId: String
    /// The generation, or -1 to commit outside a group generation (a standalone consumer).
    var generationId: Int32
    var memberId: String
    var offsets: [(topic: String, partitions: [(index: Int32, offset: Int64)])]

    typealias Response = [(KafkaTopicPartition, KafkaErrorCode)]

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.string(groupId)
        writer.int32(generationId)
        writer.string(memberId)
        if version >= 7 { writer.nullableString(nil) }  // group_instance_id
        if version <= 4 { writer.int64(-1) }  // retention_time_ms: the broker's default
        writer.array(offsets) { writer, topic in
            writer.string(topic.topic)
            writer.array(topic.partitions) { writer, partition in
                writer.int32(partition.index)
                writer.int64(partition.offset)
                if version >= 6 { writer.int32(-1) }  // committed_leader_epoch: unknown
                writer.nullableString(nil)  // committed_metadata
                writer.taggedFields()
            }
            writer.taggedFields()
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        if version >= 3 { _ = try reader.int32("throttle_time_ms") }
        let topics = try reader.array("topics") { (reader: inout KafkaReader) throws(KafkaError) in
            let name = try reader.string("name")
            let partitions = try reader.array("partitions") { (reader: inout KafkaReader) throws(KafkaError) in
                let index = try reader.int32("partition_index")
                let code = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                try reader.taggedFields()
                return (KafkaTopicPartition(name, index), code)
            }
            try reader.taggedFields()
            return partitions
        }
        try reader.taggedFields()
        return topics.flatMap { $0 }
    }
}

/// OffsetFetch (key 9): a group's committed offsets. Versions 1–7 (v6+ flexible).
struct OffsetFetchRequest: KafkaRequest {
    static let api = KafkaAPI.offsetFetch
    var groupId: String
    var partitions: [(topic: String, indexes: [Int32])]

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        /// The committed offset, -1 when none; with each partition's error.
        var offsets: [KafkaTopicPartition: (offset: Int64, errorCode: KafkaErrorCode)]
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.string(groupId)
        writer.array(partitions) { writer, topic in
            writer.string(topic.topic)
            writer.int32Array(topic.indexes)
            writer.taggedFields()
        }
        if version >= 7 { writer.bool(false) }  // require_stable
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        if version >= 3 { _ = try reader.int32("throttle_time_ms") }
        var offsets: [KafkaTopicPartition: (offset: Int64, errorCode: KafkaErrorCode)] = [:]
        let topics = try reader.array("topics") { (reader: inout KafkaReader) throws(KafkaError) in
            let name = try reader.string("name")
            let partitions = try reader.array("partitions") { (reader: inout KafkaReader) throws(KafkaError) in
                let index = try reader.int32("partition_index")
                let offset = try reader.int64("committed_offset")
                if version >= 5 { _ = try reader.int32("committed_leader_epoch") }
                _ = try reader.nullableString("metadata")
                let code = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                try reader.taggedFields()
                return (index, offset, code)
            }
            try reader.taggedFields()
            return (name, partitions)
        }
        for (name, partitions) in topics {
            for (index, offset, code) in partitions {
                offsets[KafkaTopicPartition(name, index)] = (offset, code)
            }
        }
        let errorCode = version >= 2 ? KafkaErrorCode(rawValue: try reader.int16("error_code")) : .noError
        try reader.taggedFields()
        return Response(errorCode: errorCode, offsets: offsets)
    }
}
