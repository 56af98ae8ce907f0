import NIOCore

/// The embedded "consumer" protocol that members of a consumer group exchange through
/// JoinGroup and SyncGroup (classic encoding, independent of the API versions):
///
/// - Subscription v0: version INT16, topics ARRAY of STRING, user_data BYTES (nullable).
///   Later versions append fields (owned partitions, generation, rack), which a reader of v0
///   ignores.
/// - Assignment v0: version INT16, assigned_partitions ARRAY of (topic STRING, partitions ARRAY
///   of INT32), user_data BYTES (nullable).
enum ConsumerProtocol {
    static let protocolType = "consumer"

    static func encodeSubscription(topics: [String]) -> ByteBuffer {
        var writer = KafkaWriter(flexible: false)
        writer.int16(0)
        writer.array(topics.sorted()) { $0.string($1) }
        writer.bytes(nil)
        return writer.buffer
    }

    static func decodeSubscription(_ buffer: ByteBuffer) throws(KafkaError) -> [String] {
        var reader = KafkaReader(buffer: buffer, flexible: false, api: "consumer subscription")
        _ = try reader.int16("version")
        return try reader.array("topics") { (reader: inout KafkaReader) throws(KafkaError) in try reader.string("topic") }
    }

    static func encodeAssignment(_ partitions: [KafkaTopicPartition]) -> ByteBuffer {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        var writer = KafkaWriter(flexible: false)
        writer.int16(0)
        writer.array(byTopic.keys.sorted()) { writer, topic in
            writer.string(topic)
            writer.int32Array(byTopic[topic]!.map(\.partition).sorted())
        }
        writer.bytes(nil)
        return writer.buffer
    }

    static func decodeAssignment(_ buffer: ByteBuffer) throws(KafkaError) -> [KafkaTopicPartition] {
        // A member that gets nothing may receive an empty assignment.
        guard buffer.readableBytes > 0 else { return [] }
        var reader = KafkaReader(buffer: buffer, flexible: false, api: "consumer assignment")
        _ = try reader.int16("version")
        let topics = try reader.array("assigned_partitions") { (reader: inout KafkaReader) throws(KafkaError) in
            let topic = try reader.string("topic")
            return try reader.int32Array("partitions").map { KafkaTopicPartition(topic, $0) }
        }
        return topics.flatMap { $0 }.sorted()
    }
}

/// Kafka's range assignor: for each topic, its partitions in order are cut into consecutive
/// ranges, one per subscribed member (members sorted by id); the first `partitions % members`
/// members get one partition more.
public enum KafkaRangeAssignor {
    /// The assignment of each member, given what each subscribes to and each topic's partition
    /// count. Every member appears in the result, possibly with nothing.
    public static func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String: [KafkaTopicPartition]] {
        var result: [String: [KafkaTopicPartition]] = [:]
        for member in subscriptions.keys { result[member] = [] }
        let topics = Set(subscriptions.values.flatMap { $0 }).sorted()
        for topic in topics {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            let members = subscriptions.filter { $0.value.contains(topic) }.keys.sorted()
            let share = Int(count) / members.count
            let extra = Int(count) % members.count
            for (index, member) in members.enumerated() {
                let start = share * index + min(index, extra)
                let length = share + (index < extra ? 1 : 0)
                for partition in start..<(start + length) {
                    result[member, default: []].append(KafkaTopicPartition(topic, Int32(partition)))
                }
            }
        }
        return result
    }
}
