import NIOCore
import NIOEmbedded
import RESP
import Testing

/// Feeds `chunks` through a real `ByteToMessageHandler` and returns every value it produced.
private func decode(_ chunks: [[UInt8]]) throws -> [RESPValue] {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPValueDecoder()))
    defer { _ = try? channel.finish() }
    var values: [RESPValue] = []
    for chunk in chunks {
        try channel.writeInbound(ByteBuffer(bytes: chunk))
        while let value = try channel.readInbound(as: RESPValue.self) {
            values.append(value)
        }
    }
    return values
}

private func decode(_ text: String) throws -> [RESPValue] {
    try decode([Array(text.utf8)])
}

private func bulk(_ text: String) -> RESPValue { .bulkString(text) }

@Suite("RESP value decoder")
struct RESPValueDecoderTests {
    @Test("RESP2 types")
    func resp2Types() throws {
        #expect(try decode("+OK\r\n") == [.simpleString("OK")])
        #expect(try decode("-WRONGTYPE Operation against a key\r\n") == [.error(RESPError(code: "WRONGTYPE", message: "Operation against a key"))])
        #expect(try decode(":0\r\n:-42\r\n:9223372036854775807\r\n") == [.integer(0), .integer(-42), .integer(Int.max)])
        #expect(try decode("$5\r\nhello\r\n") == [bulk("hello")])
        #expect(try decode("$0\r\n\r\n") == [bulk("")])
        #expect(try decode("$-1\r\n") == [.null])
        #expect(try decode("*-1\r\n") == [.null])
        #expect(try decode("*0\r\n") == [.array([])])
        #expect(try decode("*3\r\n:1\r\n$3\r\nfoo\r\n*1\r\n+x\r\n") == [.array([.integer(1), bulk("foo"), .array([.simpleString("x")])])])
    }

    @Test("RESP3 types")
    func resp3Types() throws {
        #expect(try decode("_\r\n") == [.null])
        #expect(try decode(",3.25\r\n,inf\r\n,-inf\r\n,1e3\r\n") == [.double(3.25), .double(.infinity), .double(-.infinity), .double(1000)])
        #expect(try decode("#t\r\n#f\r\n") == [.boolean(true), .boolean(false)])
        #expect(try decode("(3492890328409238509324850943850943825024385\r\n") == [.bigNumber(ByteBuffer(string: "3492890328409238509324850943850943825024385"))])
        #expect(try decode("!21\r\nSYNTAX invalid syntax\r\n") == [.error(RESPError(code: "SYNTAX", message: "invalid syntax"))])
        #expect(try decode("=15\r\ntxt:Some string\r\n") == [bulk("Some string")])
        #expect(try decode("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n_\r\n") == [
            .map([RESPMapEntry(key: .simpleString("first"), value: .integer(1)), RESPMapEntry(key: bulk("second"), value: .null)])
        ])
        #expect(try decode("~2\r\n+a\r\n+b\r\n") == [.set([.simpleString("a"), .simpleString("b")])])
        #expect(try decode(">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n") == [.push([.simpleString("invalidate"), .array([bulk("k")])])])
    }

    @Test("an attribute is dropped and the value it annotates is returned")
    func attributes() throws {
        let stream = "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n"
        #expect(try decode(stream) == [.array([.integer(2_039_123), .integer(9_543_892)])])
    }

    @Test("binary bulk strings keep every byte, CR and LF included")
    func binarySafe() throws {
        let payload: [UInt8] = [0, 13, 10, 255, 36, 42, 13]
        let values = try decode([Array("$7\r\n".utf8) + payload + Array("\r\n".utf8)])
        #expect(values == [.bulkString(ByteBuffer(bytes: payload))])
    }

    /// Replies of every type, nested, back to back, as one stream.
    private static let mixedStream =
        "+OK\r\n-ERR no such key\r\n:123456\r\n$11\r\nhello world\r\n$-1\r\n*-1\r\n"
        + "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
        + "%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n"
        + "_\r\n#t\r\n~1\r\n:7\r\n>1\r\n+p\r\n(12345678901234567890\r\n=7\r\ntxt:abc\r\n$0\r\n\r\n"

    private static let mixedValues: [RESPValue] = [
        .simpleString("OK"), .error(RESPError(code: "ERR", message: "no such key")), .integer(123_456),
        bulk("hello world"), .null, .null,
        .array([.array([bulk("a"), .double(1.5)]), .array([bulk("b"), .double(2.5)])]),
        .map([RESPMapEntry(key: bulk("server"), value: bulk("redis")), RESPMapEntry(key: bulk("proto"), value: .integer(3))]),
        .null, .boolean(true), .set([.integer(7)]), .push([.simpleString("p")]),
        .bigNumber(ByteBuffer(string: "12345678901234567890")), bulk("abc"), bulk(""),
    ]

    @Test("a stream split in two at every byte decodes to the same values")
    func splitAtEveryByte() throws {
        let bytes = Array(Self.mixedStream.utf8)
        #expect(try decode([bytes]) == Self.mixedValues)
        for split in 1..<bytes.count {
            let values = try decode([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(values == Self.mixedValues, "split at byte \(split)")
        }
    }

    @Test("a stream fed one byte at a time decodes to the same values")
    func oneByteAtATime() throws {
        let bytes = Array(Self.mixedStream.utf8)
        #expect(try decode(bytes.map { [$0] }) == Self.mixedValues)
    }

    @Test("an incomplete value produces nothing until its last byte arrives")
    func incompleteValueWaits() throws {
        var decoder = RESPValueDecoder()
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nfoo\r\n$3\r\nba")
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readerIndex == 0)
        buffer.writeString("r\r\n")
        #expect(try decoder.decode(buffer: &buffer) == .array([bulk("foo"), bulk("bar")]))
        #expect(buffer.readableBytes == 0)
    }

    @Test(
        "malformed input is a protocol error",
        arguments: [
            "?what\r\n", ":12a\r\n", ":\r\n", "$abc\r\nxyz\r\n", "$3\r\nfooXY", "$-2\r\n", "*-5\r\n",
            "+OK\rX", "#x\r\n", ",notanumber\r\n", "_x\r\n", ":99999999999999999999\r\n",
        ]
    )
    func malformed(_ input: String) {
        var decoder = RESPValueDecoder()
        var buffer = ByteBuffer(string: input)
        #expect(throws: RedisClientError.self) {
            _ = try decoder.decode(buffer: &buffer)
        }
    }

    @Test("nesting beyond the limit is rejected instead of overflowing the stack")
    func depthLimit() {
        var decoder = RESPValueDecoder(maximumDepth: 8)
        var buffer = ByteBuffer(string: String(repeating: "*1\r\n", count: 20) + ":1\r\n")
        #expect(throws: RedisClientError.protocolError("values nested deeper than 8 levels")) {
            _ = try decoder.decode(buffer: &buffer)
        }
    }
}
