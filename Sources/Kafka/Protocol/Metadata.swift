/// Metadata (key 3): brokers, and each topic's partitions with their leaders. Versions 4–12
/// (v9+ flexible).
struct MetadataRequest: KafkaRequest {
    static let api = KafkaAPI.metadata
    /// The topics to describe; nil asks for every topic.
    var topics: [String]?
    var allowAutoTopicCreation: Bool

    struct Broker: Sendable, Hashable {
        var nodeId: Int32
        var host: String
        var port: Int32
        var rack: String?
    }

    struct Partition: Sendable, Hashable {
        var errorCode: KafkaErrorCode
        var index: Int32
        var leaderId: Int32
        var leaderEpoch: Int32
        var replicas: [Int32]
        var isr: [Int32]
    }

    struct Topic: Sendable, Hashable {
        var errorCode: KafkaErrorCode
        var name: String
        var topicId: KafkaUUID
        var isInternal: Bool
        var partitions: [Partition]
    }

    struct Response: Sendable {
        var brokers: [Broker]
        var clusterId: String?
        var controllerId: Int32
        var topics: [Topic]
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.array(topics) { writer, name in
            if version >= 10 { writer.uuid(.zero) }
            writer.string(name)
            writer.taggedFields()
        }
        writer.bool(allowAutoTopicCreation)  // v4+
        if version >= 8 && version <= 10 { writer.bool(false) }  // include_cluster_authorized_operations
        if version >= 8 { writer.bool(false) }  // include_topic_authorized_operations
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        let brokers = try reader.array("brokers") { (reader: inout KafkaReader) throws(KafkaError) in
            let broker = Broker(
                nodeId: try reader.int32("node_id"),
                host: try reader.string("host"),
                port: try reader.int32("port"),
                rack: try reader.nullableString("rack"))
            try reader.taggedFields()
            return broker
        }
        let clusterId = try reader.nullableString("cluster_id")
        let controllerId = try reader.int32("controller_id")
        let topics = try reader.array("topics") { (reader: inout KafkaReader) throws(KafkaError) in
            let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
            let name = try reader.nullableString("name") ?? ""
            let topicId = version >= 10 ? try reader.uuid("topic_id") : .zero
            let isInternal = try reader.bool("is_internal")
            let partitions = try reader.array("partitions") { (reader: inout KafkaReader) throws(KafkaError) in
                let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                let index = try reader.int32("partition_index")
                let leader = try reader.int32("leader_id")
                let epoch = version >= 7 ? try reader.int32("leader_epoch") : -1
                let replicas = try reader.int32Array("replica_nodes")
                let isr = try reader.int32Array("isr_nodes")
                if version >= 5 { _ = try reader.int32Array("offline_replicas") }
                try reader.taggedFields()
                return Partition(errorCode: errorCode, index: index, leaderId: leader, leaderEpoch: epoch, replicas: replicas, isr: isr)
            }
            if version >= 8 { _ = try reader.int32("topic_authorized_operations") }
            try reader.taggedFields()
            return Topic(errorCode: errorCode, name: name, topicId: topicId, isInternal: isInternal, partitions: partitions)
        }
        if version >= 8 && version <= 10 { _ = try reader.int32("cluster_authorized_operations") }
        try reader.taggedFields()
        return Response(brokers: brokers, clusterId: clusterId, controllerId: controllerId, topics: topics)
    }
}
