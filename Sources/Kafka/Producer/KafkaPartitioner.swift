import NIOCore

/// Chooses a partition for a record without one: the key's murmur2 hash modulo the partition
/// count, as Kafka's Java client does (so both send a key to the same partition), else round
/// robin.
enum KafkaPartitioner {
    /// The partition for `key` among `count` partitions.
    static func partition(forKey key: ByteBuffer, count: Int32) -> Int32 {
        let hash = key.withUnsafeReadableBytes { Self.murmur2($0) }
        return Int32(bitPattern: hash & 0x7FFF_FFFF) % count
    }

    /// MurmurHash2 (32-bit) with Kafka's seed 0x9747b28c.
    static func murmur2(_ data: UnsafeRawBufferPointer) -> UInt32 {
        let m: UInt32 = 0x5BD1_E995
        let r: UInt32 = 24
        let length = data.count
        var h: UInt32 = 0x9747_B28C ^ UInt32(truncatingIfNeeded: length)
        var index = 0
        while length - index >= 4 {
            var k = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            k &*= m
            k ^= k >> r
            k &*= m
            h &*= m
            h ^= k
            index += 4
        }
        let rest = length - index
        if rest == 3 { h ^= UInt32(data[index + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(data[index + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(data[index])
            h &*= m
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return h
    }
}
