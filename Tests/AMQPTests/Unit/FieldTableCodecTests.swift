import NIOCore
import Testing

@testable import AMQP

@Suite("Codec: field tables")
struct FieldTableCodecTests {
    @Test("a one-entry table encodes to the bytes the spec prescribes")
    func knownBytes() throws {
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(["a": .bool(true)])
        // length 4, then "a" as short string, type 't', value 1
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 4, 1, 0x61, 0x74, 1])
    }

    @Test("every field type survives a round trip")
    func roundTrip() throws {
        let table: AMQPTable = [
            "bool": .bool(false),
            "i8": .int8(-8), "u8": .uint8(200),
            "i16": .int16(-1600), "u16": .uint16(60000),
            "i32": .int32(-320_000), "u32": .uint32(4_000_000_000),
            "i64": .int64(-64_000_000_000),
            "float": .float(1.5), "double": .double(-2.25),
            "decimal": .decimal(scale: 2, value: 12345),
            "string": .string("grüße"),
            "bytes": .bytes([0, 1, 0xFF]),
            "array": .array([.int32(1), .string("two"), .array([])]),
            "timestamp": .timestamp(1_700_000_000),
            "nested": .table(["inner": .int64(7), "deeper": .table(["x": .void])]),
            "void": .void,
        ]
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        let decoded = try buffer.readFieldTable()
        #expect(decoded == table)
        #expect(buffer.readableBytes == 0)
        #expect(decoded.entries.map(\.key) == table.entries.map(\.key))
    }

    @Test("literals pick the narrowest sensible type")
    func literals() {
        let small: AMQPFieldValue = 5
        let large: AMQPFieldValue = 1_099_511_627_776
        let text: AMQPFieldValue = "quorum"
        #expect(small == .int32(5))
        #expect(large == .int64(1 << 40))
        #expect(text == .string("quorum"))
        #expect(small.intValue == 5)
        #expect(AMQPFieldValue.uint32(.max).intValue == Int(UInt32.max))
    }

    @Test("setting a key replaces it in place and nil removes it")
    func subscriptSemantics() {
        var table: AMQPTable = ["a": 1, "b": 2]
        table["a"] = 3
        table["c"] = 4
        table["b"] = nil
        #expect(table.entries.map(\.key) == ["a", "c"])
        #expect(table["a"] == 3)
        #expect(table.merging(["c": 5, "d": 6]) == ["a": 3, "c": 5, "d": 6])
    }

    @Test("a truncated table is a frame error, not a crash")
    func truncated() throws {
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(["key": .string("value")])
        var cut = buffer.getSlice(at: 0, length: buffer.readableBytes - 2)!
        #expect(throws: AMQPError.self) { try cut.readFieldTable() }
        var lying = ByteBuffer(bytes: [0, 0, 0, 50, 1, 0x61])
        #expect(throws: AMQPError.self) { try lying.readFieldTable() }
    }

    @Test("an unknown type octet is reported")
    func unknownType() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 3, 1, 0x61, 0x3F])
        let error = #expect(throws: AMQPError.self) { try buffer.readFieldTable() }
        #expect("\(error!)".contains("unknown field value type"))
    }

    @Test("keys longer than 255 bytes are rejected before anything is sent")
    func longKey() {
        var buffer = ByteBuffer()
        let key = String(repeating: "k", count: 256)
        #expect(throws: AMQPError.self) { try buffer.writeFieldTable([key: 1]) }
    }
}
