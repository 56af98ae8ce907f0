import NIOCore
import NIOEmbedded
import RESP
import Testing

private func encoded(_ command: RESPCommand) -> String {
    var buffer = ByteBuffer()
    RESPCommandEncoder().encode(data: command, out: &buffer)
    return String(buffer: buffer)
}

@Suite("RESP encoders")
struct RESPEncoderTests {
    @Test("a command is an array of bulk strings, name first")
    func command() {
        #expect(encoded(RESPCommand("PING")) == "*1\r\n$4\r\nPING\r\n")
        #expect(encoded(RESPCommand("SET", "key", "value")) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
    }

    @Test("string lengths count UTF-8 bytes, not characters")
    func utf8Length() {
        #expect(encoded(RESPCommand("GET", .string("café"))) == "*2\r\n$3\r\nGET\r\n$5\r\ncafé\r\n")
    }

    @Test(
        "integers are written in decimal with the right length",
        arguments: [0, 7, 9, 10, 99, 100, -1, -10, 123_456_789, 1_234_567_890, Int.max, Int.min]
    )
    func integers(_ value: Int) {
        let digits = String(value)
        #expect(encoded(RESPCommand("X", .integer(value))) == "*2\r\n$1\r\nX\r\n$\(digits.utf8.count)\r\n\(digits)\r\n")
    }

    @Test("doubles use the forms Redis parses")
    func doubles() {
        #expect(encoded(RESPCommand("X", .double(1.5))) == "*2\r\n$1\r\nX\r\n$3\r\n1.5\r\n")
        #expect(encoded(RESPCommand("X", .double(3))) == "*2\r\n$1\r\nX\r\n$1\r\n3\r\n")
        #expect(encoded(RESPCommand("X", .double(.infinity))) == "*2\r\n$1\r\nX\r\n$3\r\ninf\r\n")
        #expect(encoded(RESPCommand("X", .double(-.infinity))) == "*2\r\n$1\r\nX\r\n$4\r\n-inf\r\n")
        #expect(encoded(RESPCommand("X", .double(-0.25))) == "*2\r\n$1\r\nX\r\n$5\r\n-0.25\r\n")
    }

    @Test("binary arguments are sent byte for byte")
    func binary() {
        let bytes: [UInt8] = [0, 13, 10, 255]
        var expected = Array("*3\r\n$1\r\nX\r\n$4\r\n".utf8) + bytes + Array("\r\n$4\r\n".utf8) + bytes
        expected += Array("\r\n".utf8)
        var buffer = ByteBuffer()
        RESPCommandEncoder().encode(data: RESPCommand("X", .byteArray(bytes), .bytes(ByteBuffer(bytes: bytes))), out: &buffer)
        #expect(Array(buffer.readableBytesView) == expected)
    }

    @Test("every value survives encoding and decoding")
    func roundTrip() throws {
        let values: [RESPValue] = [
            .simpleString("OK"), .error(RESPError(code: "NOSCRIPT", message: "No matching script")), .integer(-99),
            .bulkString("multi\r\nline"), .null, .array([.integer(1), .array([])]), .double(2.5), .boolean(false),
            .bigNumber(ByteBuffer(string: "-123456789012345678901234567890")),
            .map([RESPMapEntry(key: .bulkString("k"), value: .set([.bulkString("v")]))]), .push([.simpleString("x")]),
        ]
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(RESPValueDecoder()),
            MessageToByteHandler(RESPValueEncoder())
        )
        for value in values {
            try channel.writeOutbound(value)
        }
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
            try channel.writeInbound(bytes)
        }
        var decoded: [RESPValue] = []
        while let value = try channel.readInbound(as: RESPValue.self) {
            decoded.append(value)
        }
        #expect(decoded == values)
        _ = try channel.finish()
    }

    @Test("a command encoder works as a pipeline handler")
    func commandEncoderInPipeline() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(RESPCommandEncoder()))
        try channel.writeOutbound(RESPCommand("INCRBY", "counter", 10))
        let bytes = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: bytes) == "*3\r\n$6\r\nINCRBY\r\n$7\r\ncounter\r\n$2\r\n10\r\n")
        _ = try channel.finish()
    }
}

@Suite("RESP errors")
struct RESPErrorTests {
    @Test("the error prefix becomes the code")
    func prefix() {
        let error = RESPError(line: "WRONGTYPE Operation against a key holding the wrong kind of value")
        #expect(error.code == "WRONGTYPE")
        #expect(error.message == "Operation against a key holding the wrong kind of value")
        #expect(RESPError(line: "NOSCRIPT No matching script. Please use EVAL.").code == RESPError.noScriptCode)
        #expect(RESPError(line: "NOAUTH Authentication required.").code == "NOAUTH")
    }

    @Test("a line without an upper-case prefix keeps its text and gets code ERR")
    func noPrefix() {
        let error = RESPError(line: "something went wrong")
        #expect(error.code == "ERR")
        #expect(error.message == "something went wrong")
        #expect(error.description == "ERR something went wrong")
    }
}
