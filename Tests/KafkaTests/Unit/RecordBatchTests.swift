@testable import Kafka
import NIOCore
import Testing

@Suite("Record batches v2")
struct RecordBatchTests {
    static let records = [
        KafkaProducerRecord(key: "k1", value: "v1", headers: [KafkaHeader(key: "trace", value: "abc"), KafkaHeader(key: "empty", value: nil)]),
        KafkaProducerRecord(key: nil, value: nil, headers: []),
        KafkaProducerRecord(key: ByteBuffer(bytes: [0, 1, 2]), value: ByteBuffer(repeating: 0x41, count: 1000), headers: [], timestamp: 1_700_000_000_500),
    ]
    static let producer = RecordBatch.ProducerFields(producerId: 4242, producerEpoch: 3, baseSequence: 17)

    @Test("encode then decode gives back keys, values (null too), headers, timestamps and producer fields")
    func roundTrip() throws {
        var encoded = RecordBatch.encode(Self.records, producer: Self.producer, now: 1_700_000_000_000)
        // The broker assigns offsets by rewriting baseOffset; do the same.
        encoded.setInteger(Int64(100), at: 0)
        let (batches, complete) = try RecordBatch.decode(encoded, topic: "t", partition: 2)
        #expect(complete)
        let batch = try #require(batches.first)
        #expect(batches.count == 1)
        #expect(batch.producerId == 4242 && batch.producerEpoch == 3 && batch.baseSequence == 17)
        #expect(batch.lastOffsetDelta == 2 && batch.nextOffset == 103)
        #expect(batch.records.map(\.offset) == [100, 101, 102])
        #expect(batch.records.map(\.timestamp) == [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_500])
        #expect(batch.records[0].keyString == "k1" && batch.records[0].valueString == "v1")
        #expect(batch.records[0].headers == [KafkaHeader(key: "trace", value: "abc"), KafkaHeader(key: "empty", value: nil)])
        #expect(batch.records[1].key == nil && batch.records[1].value == nil)
        #expect(batch.records[2].key == ByteBuffer(bytes: [0, 1, 2]))
        #expect(batch.records[2].value?.readableBytes == 1000)
        #expect(batch.records.allSatisfy { $0.topic == "t" && $0.partition == 2 })
    }

    @Test("split keeps the order and cuts runs whose encoded batch stays within the byte limit; a larger record goes alone")
    func splitByBytes() throws {
        let records = [200, 300, 400, 5_000, 100, 100].enumerated().map { index, size in
            KafkaProducerRecord(key: ByteBuffer(string: "k\(index)"), value: ByteBuffer(repeating: 0x61, count: size))
        }
        let runs = RecordBatch.split(records, maxBytes: 1_000)
        let sizes: [[Int]] = runs.map { run in run.map { $0.value?.readableBytes ?? 0 } }
        #expect(sizes == [[200, 300], [400], [5_000], [100, 100]])
        let producer = Self.producer
        for run in runs where run.count > 1 {
            #expect(RecordBatch.encode(run, producer: producer, now: 0).readableBytes <= 1_000)
        }
        #expect(RecordBatch.split(records, maxBytes: 1_000_000).map(\.count) == [6], "under the limit: one batch")
        #expect(RecordBatch.split([], maxBytes: 1_000).isEmpty)
    }

    @Test("the header has the layout of the format: length, magic 2, CRC-32C over attributes onwards")
    func headerLayout() throws {
        let encoded = RecordBatch.encode([KafkaProducerRecord(key: nil, value: "x")], producer: .none, now: 5)
        #expect(encoded.getInteger(at: 8, as: Int32.self) == Int32(encoded.readableBytes - 12))
        #expect(encoded.getInteger(at: 12, as: Int32.self) == -1)  // partition leader epoch
        #expect(encoded.getInteger(at: 16, as: Int8.self) == 2)  // magic
        let covered = try #require(encoded.getSlice(at: 21, length: encoded.readableBytes - 21))
        #expect(encoded.getInteger(at: 17, as: UInt32.self) == CRC32C.checksum(covered))
        #expect(encoded.getInteger(at: 21, as: Int16.self) == 0)  // attributes
        #expect(encoded.getInteger(at: 43, as: Int64.self) == -1)  // producer id
        #expect(encoded.getInteger(at: 57, as: Int32.self) == 1)  // record count
        // The one record: length, attributes 0, timestamp delta 0, offset delta 0, key -1 (01),
        // value length 1 (02) 'x', no headers.
        #expect(Array(try #require(encoded.getBytes(at: 61, length: encoded.readableBytes - 61))) == [0x0E, 0, 0, 0, 0x01, 0x02, 0x78, 0])
    }

    @Test("a flipped byte fails the CRC check with a typed error naming the partition and offset")
    func corrupt() throws {
        var encoded = RecordBatch.encode(Self.records, producer: Self.producer, now: 0)
        let index = encoded.readableBytes - 3
        encoded.setInteger(encoded.getInteger(at: index, as: UInt8.self)! ^ 0xFF, at: index)
        #expect {
            try RecordBatch.decode(encoded, topic: "orders", partition: 1)
        } throws: { error in
            guard case .corruptBatch(let topic, let partition, let offset, let reason) = error as? KafkaError else { return false }
            return topic == "orders" && partition == 1 && offset == 0 && reason.contains("CRC")
        }
    }

    @Test("a trailing partial batch (fetch size limit) is left out, not an error")
    func partialTrailingBatch() throws {
        var first = RecordBatch.encode([KafkaProducerRecord(key: "a", value: "1")], producer: .none, now: 0)
        var second = RecordBatch.encode([KafkaProducerRecord(key: "b", value: "2")], producer: .none, now: 0)
        second.setInteger(Int64(1), at: 0)
        var set = ByteBuffer()
        set.writeBuffer(&first)
        set.writeImmutableBuffer(second.getSlice(at: 0, length: second.readableBytes - 5)!)
        let (batches, complete) = try RecordBatch.decode(set, topic: "t", partition: 0)
        #expect(!complete)
        #expect(batches.count == 1 && batches[0].records.map(\.keyString) == ["a"])
        // Fewer bytes than even the length field: also just partial.
        let tiny = try RecordBatch.decode(ByteBuffer(bytes: [0, 0, 0]), topic: "t", partition: 0)
        #expect(tiny.batches.isEmpty && !tiny.complete)
    }

    @Test("a compressed batch is refused with an error that says compression is unsupported and names the codec")
    func compressed() throws {
        var encoded = RecordBatch.encode([KafkaProducerRecord(key: nil, value: "x")], producer: .none, now: 0)
        encoded.setInteger(Int16(1), at: 21)  // gzip
        let covered = encoded.getSlice(at: 21, length: encoded.readableBytes - 21)!
        encoded.setInteger(CRC32C.checksum(covered), at: 17)
        let error = #expect(throws: KafkaError.self) { try RecordBatch.decode(encoded, topic: "t", partition: 0) }
        #expect(error == .compressedBatchUnsupported(topic: "t", partition: 0, offset: 0, codec: "gzip"))
        #expect(error?.description.contains("uncompressed batches only") == true)
    }

    @Test("message format v0/v1 is refused with a typed error")
    func oldFormat() {
        var encoded = RecordBatch.encode([KafkaProducerRecord(key: nil, value: "x")], producer: .none, now: 0)
        encoded.setInteger(Int8(1), at: 16)
        #expect(throws: KafkaError.unsupportedRecordFormat(topic: "t", partition: 0, offset: 0, magic: 1)) {
            try RecordBatch.decode(encoded, topic: "t", partition: 0)
        }
    }
}
