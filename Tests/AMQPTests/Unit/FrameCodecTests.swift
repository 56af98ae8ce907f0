import NIOCore
import Testing

@testable import AMQP

@Suite("Codec: frames")
struct FrameCodecTests {
    private func decodeAll(_ bytes: ByteBuffer, chunk: Int, maxPayload: UInt32 = 131_072) throws -> [AMQPFrame] {
        let processor = NIOSingleStepByteToMessageProcessor(AMQPFrameDecoder(maxPayloadSize: maxPayload))
        var frames: [AMQPFrame] = []
        var remaining = bytes
        while remaining.readableBytes > 0 {
            let piece = remaining.readSlice(length: min(chunk, remaining.readableBytes))!
            try processor.process(buffer: piece) { frames.append($0) }
        }
        return frames
    }

    @Test("frames arriving one byte at a time are reassembled", arguments: [1, 3, 7, 1000])
    func reassembly(chunk: Int) throws {
        var bytes = ByteBuffer()
        try bytes.writeMethodFrame(channel: 3, .basicAck(deliveryTag: 42, multiple: true))
        bytes.writeBytes(AMQPWire.heartbeatFrame)
        try bytes.writeMethodFrame(channel: 0, .connectionCloseOk)

        let frames = try decodeAll(bytes, chunk: chunk)
        #expect(frames.map(\.type) == [.method, .heartbeat, .method])
        #expect(frames.map(\.channel) == [3, 0, 0])
        var first = frames[0].payload
        #expect(try AMQPMethod.decode(from: &first) == .basicAck(deliveryTag: 42, multiple: true))
        #expect(frames[1].payload.readableBytes == 0)
    }

    @Test("a method frame has type, channel, size, payload and 0xCE")
    func layout() throws {
        var bytes = ByteBuffer()
        try bytes.writeMethodFrame(channel: 0x0102, .channelCloseOk)
        #expect(Array(bytes.readableBytesView) == [1, 0x01, 0x02, 0, 0, 0, 4, 0, 20, 0, 41, 0xCE])
    }

    @Test("a frame not ending in 0xCE is a frame error")
    func badFrameEnd() throws {
        var bytes = ByteBuffer()
        try bytes.writeMethodFrame(channel: 1, .channelOpen)
        bytes.setInteger(UInt8(0), at: bytes.writerIndex - 1)
        #expect(throws: AMQPError.self) { try decodeAll(bytes, chunk: 100) }
    }

    @Test("a frame larger than the limit is refused before it is buffered")
    func oversized() {
        var bytes = ByteBuffer(bytes: [3, 0, 1])
        bytes.writeInteger(UInt32(1_000_000))
        let error = #expect(throws: AMQPError.self) { try decodeAll(bytes, chunk: 100, maxPayload: 4096) }
        #expect("\(error!)".contains("frame-max"))
    }

    @Test("a broker answering with its own protocol header is explained")
    func protocolHeaderReply() {
        let bytes = ByteBuffer(bytes: Array("AMQP".utf8) + [0, 0, 9, 1])
        let error = #expect(throws: AMQPError.self) { try decodeAll(bytes, chunk: 100) }
        #expect("\(error!)".contains("protocol header"))
    }

    @Test("an unknown frame type is a frame error")
    func unknownType() {
        let bytes = ByteBuffer(bytes: [9, 0, 0, 0, 0, 0, 0, 0xCE])
        #expect(throws: AMQPError.self) { try decodeAll(bytes, chunk: 100) }
    }

    @Test("a body is split into frames no larger than frame-max")
    func bodySplitting() throws {
        var body = ByteBuffer()
        for i in 0..<10_000 { body.writeInteger(UInt8(truncatingIfNeeded: i)) }
        var bytes = ByteBuffer()
        bytes.writeBodyFrames(channel: 5, body: body, frameMax: 4096)
        let frames = try decodeAll(bytes, chunk: 512)
        #expect(frames.map(\.payload.readableBytes) == [4088, 4088, 1824])
        #expect(frames.allSatisfy { $0.type == .body && $0.channel == 5 })
        var joined = ByteBuffer()
        for frame in frames { joined.writeImmutableBuffer(frame.payload) }
        #expect(joined == body)
        // Every frame, overhead included, fits in frame-max.
        #expect(bytes.readableBytes == 10_000 + 3 * AMQPWire.frameOverhead)
    }

    @Test("an empty body produces no body frames")
    func emptyBody() {
        var bytes = ByteBuffer()
        bytes.writeBodyFrames(channel: 1, body: ByteBuffer(), frameMax: 4096)
        #expect(bytes.readableBytes == 0)
    }
}
