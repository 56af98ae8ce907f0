import NIOCore

/// A record header: a key and an optional value, carried with the record.
public struct KafkaHeader: Sendable, Hashable {
    /// The header's name.
    public var key: String
    /// The header's value; nil is a null value (distinct from empty).
    public var value: ByteBuffer?

    /// A header with the given key and value.
    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }

    /// A header whose value is the UTF-8 bytes of `value`.
    public init(key: String, value: String) {
        self.init(key: key, value: ByteBuffer(string: value))
    }
}

/// A record to produce.
public struct KafkaProducerRecord: Sendable, Hashable {
    /// The key; records with the same key go to the same partition when no partition is given.
    public var key: ByteBuffer?
    /// The value; nil is a tombstone for compacted topics.
    public var value: ByteBuffer?
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// Creation time in milliseconds since 1970; nil uses the time of sending.
    public var timestamp: Int64?
    /// The partition to write to; nil lets the producer choose (key hash, else round robin).
    public var partition: Int32?

    /// A record with the given parts.
    public init(
        key: ByteBuffer? = nil,
        value: ByteBuffer?,
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil,
        partition: Int32? = nil
    ) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.partition = partition
    }

    /// A record whose key and value are UTF-8 strings.
    public init(key: String?, value: String, headers: [KafkaHeader] = [], partition: Int32? = nil) {
        self.init(key: key.map { ByteBuffer(string: $0) }, value: ByteBuffer(string: value), headers: headers, partition: partition)
    }
}

/// A record read from a partition.
public struct KafkaRecord: Sendable, Hashable {
    /// The topic it was read from.
    public var topic: String
    /// The partition it was read from.
    public var partition: Int32
    /// Its offset in the partition.
    public var offset: Int64
    /// Its timestamp in milliseconds since 1970 (creation time, or log-append time when the
    /// topic is configured so).
    public var timestamp: Int64
    /// The key, if any.
    public var key: ByteBuffer?
    /// The value; nil for a tombstone.
    public var value: ByteBuffer?
    /// Headers, in order.
    public var headers: [KafkaHeader]

    /// The key as a UTF-8 string.
    public var keyString: String? { key.map { String(buffer: $0) } }
    /// The value as a UTF-8 string.
    public var valueString: String? { value.map { String(buffer: $0) } }

    /// The value of the first header named `key`, as a UTF-8 string.
    public func header(_ key: String) -> String? {
        headers.first(where: { $0.key == key })?.value.map { String(buffer: $0) }
    }
}

/// A topic and one of its partitions.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition index.
    public var partition: Int32

    /// The given topic and partition.
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// "topic/3".
    public var description: String { "\(topic)/\(partition)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}
