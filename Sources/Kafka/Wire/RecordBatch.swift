import NIOCore

/// Record batches, message format v2 (magic 2), as Kafka stores and sends them:
///
/// ```
/// baseOffset INT64, batchLength INT32, partitionLeaderEpoch INT32, magic INT8 (2),
/// crc UINT32 (CRC-32C of everything after it), attributes INT16, lastOffsetDelta INT32,
/// baseTimestamp INT64, maxTimestamp INT64, producerId INT64, producerEpoch INT16,
/// baseSequence INT32, records ARRAY (INT32 count) of:
///   length VARINT, attributes INT8, timestampDelta VARLONG, offsetDelta VARINT,
///   key (VARINT length, -1 null), value (VARINT length, -1 null),
///   headers (VARINT count) of key (VARINT length) and value (VARINT length, -1 null)
/// ```
///
/// Attributes: bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), bit 3 timestamp
/// type (1 = log-append time), bit 4 transactional, bit 5 control batch.
enum RecordBatch {
    /// What the producer puts in a batch besides the records: the idempotence fields.
    struct ProducerFields: Sendable, Hashable {
        var producerId: Int64
        var producerEpoch: Int16
        var baseSequence: Int32

        /// A batch from a producer that is not idempotent.
        static let none = ProducerFields(producerId: -1, producerEpoch: -1, baseSequence: -1)
    }

    /// One decoded batch.
    struct Batch: Sendable {
        var baseOffset: Int64
        var lastOffsetDelta: Int32
        var attributes: Int16
        var producerId: Int64
        var producerEpoch: Int16
        var baseSequence: Int32
        var records: [KafkaRecord]

        var isControl: Bool { attributes & 0x20 != 0 }
        var isTransactional: Bool { attributes & 0x10 != 0 }
        /// The offset after the batch: where the next fetch starts.
        var nextOffset: Int64 { baseOffset + Int64(lastOffsetDelta) + 1 }
    }

    static let magic: Int8 = 2
    /// Bytes before the records: from baseOffset to the record count, inclusive.
    static let headerSize = 61
    /// Bytes before the CRC-covered part (baseOffset, batchLength, leader epoch, magic, crc).
    static let crcCoveredStart = 21

    static let codecNames = ["none", "gzip", "snappy", "lz4", "zstd"]

    // MARK: encoding

    /// `records` in order, cut into runs whose encoded records stay within `maxBytes` (a record
    /// over it alone), counting each record's key, value and headers and the varints around them
    /// at their largest.
    static func split(_ records: [KafkaProducerRecord], maxBytes: Int) -> [[KafkaProducerRecord]] {
        var runs: [[KafkaProducerRecord]] = []
        var start = records.startIndex
        var bytes = headerSize
        for index in records.indices {
            let size = encodedSizeBound(records[index])
            if index > start, bytes + size > maxBytes {
                runs.append(Array(records[start..<index]))
                start = index
                bytes = headerSize
            }
            bytes += size
        }
        if start < records.endIndex { runs.append(Array(records[start...])) }
        return runs
    }

    /// An upper bound of one record's encoded size: its fields plus 5 bytes for each varint
    /// length and 10 for each 64-bit varint.
    private static func encodedSizeBound(_ record: KafkaProducerRecord) -> Int {
        var size = 5 + 1 + 10 + 5 + 5 + (record.key?.readableBytes ?? 0) + 5 + (record.value?.readableBytes ?? 0) + 5
        for header in record.headers {
            size += 5 + header.key.utf8.count + 5 + (header.value?.readableBytes ?? 0)
        }
        return size
    }

    /// Encodes `records` as one uncompressed batch with base offset 0 (the broker assigns
    /// offsets). Timestamps left nil become `now`.
    static func encode(_ records: [KafkaProducerRecord], producer: ProducerFields, now: Int64) -> ByteBuffer {
        precondition(!records.isEmpty, "a record batch holds at least one record")
        let timestamps = records.map { $0.timestamp ?? now }
        let baseTimestamp = timestamps.min()!
        let maxTimestamp = timestamps.max()!

        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.headerSize + records.count * 32)
        buffer.writeInteger(Int64(0))  // baseOffset
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))  // batchLength, set below
        buffer.writeInteger(Int32(-1))  // partitionLeaderEpoch: set by the broker
        buffer.writeInteger(Self.magic)
        let crcIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))  // crc, set below
        buffer.writeInteger(Int16(0))  // attributes: no compression, create time, not transactional
        buffer.writeInteger(Int32(records.count - 1))  // lastOffsetDelta
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(maxTimestamp)
        buffer.writeInteger(producer.producerId)
        buffer.writeInteger(producer.producerEpoch)
        buffer.writeInteger(producer.baseSequence)
        buffer.writeInteger(Int32(records.count))

        var body = ByteBuffer()
        for (index, record) in records.enumerated() {
            body.clear()
            body.writeInteger(Int8(0))  // attributes (unused)
            body.writeVarint(timestamps[index] - baseTimestamp)
            body.writeVarint(Int64(index))
            Self.writeVarBytes(record.key, into: &body)
            Self.writeVarBytes(record.value, into: &body)
            body.writeVarint(Int64(record.headers.count))
            for header in record.headers {
                body.writeVarint(Int64(header.key.utf8.count))
                body.writeString(header.key)
                Self.writeVarBytes(header.value, into: &body)
            }
            buffer.writeVarint(Int64(body.readableBytes))
            buffer.writeImmutableBuffer(body)
        }

        buffer.setInteger(Int32(buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
        let covered = buffer.getSlice(at: Self.crcCoveredStart, length: buffer.writerIndex - Self.crcCoveredStart)!
        buffer.setInteger(CRC32C.checksum(covered), at: crcIndex)
        return buffer
    }

    private static func writeVarBytes(_ bytes: ByteBuffer?, into buffer: inout ByteBuffer) {
        guard let bytes else {
            buffer.writeVarint(-1)
            return
        }
        buffer.writeVarint(Int64(bytes.readableBytes))
        buffer.writeImmutableBuffer(bytes)
    }

    // MARK: decoding

    /// Decodes the batches in a fetch response's record set.
    ///
    /// A broker may cut the last batch short when it hits the fetch size limit; a trailing
    /// partial batch is not an error and is left out (`complete` is false then). Each complete
    /// batch's CRC-32C is checked.
    /// - Throws: ``KafkaError/corruptBatch(topic:partition:offset:reason:)`` for a bad CRC or a
    ///   malformed record, ``KafkaError/compressedBatchUnsupported(topic:partition:offset:codec:)``
    ///   for a compressed batch, ``KafkaError/unsupportedRecordFormat(topic:partition:offset:magic:)``
    ///   for message format v0/v1.
    static func decode(_ recordSet: ByteBuffer, topic: String, partition: Int32) throws(KafkaError) -> (batches: [Batch], complete: Bool) {
        var buffer = recordSet
        var batches: [Batch] = []
        while buffer.readableBytes > 0 {
            guard buffer.readableBytes >= 17,  // baseOffset, batchLength, epoch, magic
                let baseOffset = buffer.getInteger(at: buffer.readerIndex, as: Int64.self),
                let batchLength = buffer.getInteger(at: buffer.readerIndex + 8, as: Int32.self),
                let magic = buffer.getInteger(at: buffer.readerIndex + 16, as: Int8.self)
            else {
                return (batches, false)
            }
            guard magic == Self.magic else {
                throw .unsupportedRecordFormat(topic: topic, partition: partition, offset: baseOffset, magic: magic)
            }
            let total = 12 + Int(batchLength)
            guard batchLength >= Int32(Self.headerSize - 12) else {
                throw .corruptBatch(topic: topic, partition: partition, offset: baseOffset, reason: "batch length \(batchLength) is shorter than a batch header")
            }
            guard buffer.readableBytes >= total, let batchBytes = buffer.readSlice(length: total) else {
                return (batches, false)
            }
            batches.append(try Self.decodeBatch(batchBytes, topic: topic, partition: partition))
        }
        return (batches, true)
    }

    private static func decodeBatch(_ bytes: ByteBuffer, topic: String, partition: Int32) throws(KafkaError) -> Batch {
        var buffer = bytes
        let baseOffset = buffer.readInteger(as: Int64.self)!
        func corrupt(_ reason: String) -> KafkaError {
            .corruptBatch(topic: topic, partition: partition, offset: baseOffset, reason: reason)
        }
        buffer.moveReaderIndex(forwardBy: 4 + 4 + 1)  // batchLength, partitionLeaderEpoch, magic
        let crc = buffer.readInteger(as: UInt32.self)!
        let computed = CRC32C.checksum(buffer)
        guard computed == crc else {
            throw corrupt("CRC-32C is \(hex(computed)), the batch says \(hex(crc))")
        }
        guard let attributes = buffer.readInteger(as: Int16.self),
            let lastOffsetDelta = buffer.readInteger(as: Int32.self),
            let baseTimestamp = buffer.readInteger(as: Int64.self),
            let maxTimestamp = buffer.readInteger(as: Int64.self),
            let producerId = buffer.readInteger(as: Int64.self),
            let producerEpoch = buffer.readInteger(as: Int16.self),
            let baseSequence = buffer.readInteger(as: Int32.self),
            let count = buffer.readInteger(as: Int32.self)
        else {
            throw corrupt("the batch header is truncated")
        }
        let codec = Int(attributes & 0x07)
        guard codec == 0 else {
            throw .compressedBatchUnsupported(
                topic: topic, partition: partition, offset: baseOffset,
                codec: codec < Self.codecNames.count ? Self.codecNames[codec] : "codec \(codec)")
        }
        let logAppendTime = attributes & 0x08 != 0
        guard count >= 0, Int(count) <= buffer.readableBytes else {
            throw corrupt("record count \(count) does not fit in \(buffer.readableBytes) bytes")
        }
        var records: [KafkaRecord] = []
        records.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            guard let length = buffer.readVarint(maxBytes: 5), length >= 0, var record = buffer.readSlice(length: Int(length)) else {
                throw corrupt("record \(index) is truncated")
            }
            guard record.readInteger(as: Int8.self) != nil,
                let timestampDelta = record.readVarint(),
                let offsetDelta = record.readVarint(maxBytes: 5)
            else {
                throw corrupt("record \(index) has a malformed header")
            }
            let key = try Self.readVarBytes(&record, corrupt("record \(index) has a malformed key"))
            let value = try Self.readVarBytes(&record, corrupt("record \(index) has a malformed value"))
            guard let headerCount = record.readVarint(maxBytes: 5), headerCount >= 0, headerCount <= Int64(record.readableBytes) else {
                throw corrupt("record \(index) has a malformed header count")
            }
            var headers: [KafkaHeader] = []
            for _ in 0..<headerCount {
                guard let keyLength = record.readVarint(maxBytes: 5), keyLength >= 0,
                    let headerKey = record.readString(length: Int(keyLength))
                else {
                    throw corrupt("record \(index) has a malformed header key")
                }
                let headerValue = try Self.readVarBytes(&record, corrupt("record \(index) has a malformed header value"))
                headers.append(KafkaHeader(key: headerKey, value: headerValue))
            }
            records.append(
                KafkaRecord(
                    topic: topic,
                    partition: partition,
                    offset: baseOffset + offsetDelta,
                    timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
                    key: key,
                    value: value,
                    headers: headers
                ))
        }
        return Batch(
            baseOffset: baseOffset,
            lastOffsetDelta: lastOffsetDelta,
            attributes: attributes,
            producerId: producerId,
            producerEpoch: producerEpoch,
            baseSequence: baseSequence,
            records: records
        )
    }

    private static func readVarBytes(_ buffer: inout ByteBuffer, _ error: @autoclosure () -> KafkaError) throws(KafkaError) -> ByteBuffer? {
        guard let length = buffer.readVarint(maxBytes: 5) else { throw error() }
        if length == -1 { return nil }
        guard length >= 0, let bytes = buffer.readSlice(length: Int(length)) else { throw error() }
        return bytes
    }

    private static func hex(_ value: UInt32) -> String {
        let text = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - text.count) + text
    }
}
