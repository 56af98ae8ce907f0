/// CreateTopics (key 19). Versions 2–7 (v5+ flexible). Sent to the controller.
struct CreateTopicsRequest: KafkaRequest {
    static let api = KafkaAPI.createTopics

    struct Topic: Sendable {
        var name: String
        var partitions: Int32
        var replicationFactor: Int16
        var configs: [String: String]
    }

    var topics: [Topic]
    var timeoutMs: Int32
    var validateOnly = false

    struct TopicResult: Sendable {
        var name: String
        var errorCode: KafkaErrorCode
        var errorMessage: String?
    }

    typealias Response = [TopicResult]

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.array(topics) { writer, topic in
            writer.string(topic.name)
            writer.int32(topic.partitions)
            writer.int16(topic.replicationFactor)
            writer.array([Int32]()) { writer, _ in }  // assignments: none, let the broker place replicas
            writer.array(topic.configs.sorted(by: { $0.key < $1.key })) { writer, config in
                writer.string(config.key)
                writer.nullableString(config.value)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
        writer.int32(timeoutMs)
        writer.bool(validateOnly)
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        let topics = try reader.array("topics") { (reader: inout KafkaReader) throws(KafkaError) in
            let name = try reader.string("name")
            if version >= 7 { _ = try reader.uuid("topic_id") }
            let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
            let message = try reader.nullableString("error_message")
            if version >= 5 {
                _ = try reader.int32("num_partitions")
                _ = try reader.int16("replication_factor")
                _ = try reader.nullableArray("configs") { (reader: inout KafkaReader) throws(KafkaError) in
                    _ = try reader.string("config name")
                    _ = try reader.nullableString("config value")
                    _ = try reader.bool("read_only")
                    _ = try reader.int8("config_source")
                    _ = try reader.bool("is_sensitive")
                    try reader.taggedFields()
                }
            }
            try reader.taggedFields()
            return TopicResult(name: name, errorCode: errorCode, errorMessage: message)
        }
        try reader.taggedFields()
        return topics
    }
}
