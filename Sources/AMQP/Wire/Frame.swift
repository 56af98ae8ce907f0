import NIOCore

/// The four AMQP 0-9-1 frame types.
enum AMQPFrameType: UInt8, Sendable {
    case method = 1
    case header = 2
    case body = 3
    case heartbeat = 8
}

/// One frame as read off the wire: type, channel and the payload between the size field
/// and the frame-end octet. The payload is a slice of the read buffer (no copy).
struct AMQPFrame: Sendable {
    var type: AMQPFrameType
    var channel: UInt16
    var payload: ByteBuffer
}

enum AMQPWire {
    /// The protocol header a client sends first: "AMQP" 0 0 9 1.
    static let protocolHeader: [UInt8] = [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1]
    /// The octet that ends every frame.
    static let frameEnd: UInt8 = 0xCE
    /// Bytes a frame adds around its payload: type (1), channel (2), size (4), frame-end (1).
    static let frameOverhead = 8
    /// The smallest frame-max a peer may negotiate.
    static let minimumFrameMax: UInt32 = 4096
    /// A heartbeat frame (always on channel 0, empty payload).
    static let heartbeatFrame: [UInt8] = [AMQPFrameType.heartbeat.rawValue, 0, 0, 0, 0, 0, 0, frameEnd]
}

extension ByteBuffer {
    /// Writes a whole frame whose payload is produced by `payload`; the size field is
    /// filled in afterwards, so the payload is written once, in place.
    mutating func writeFrame(
        type: UInt8,
        channel: UInt16,
        payload: (inout ByteBuffer) throws(AMQPError) -> Void
    ) throws(AMQPError) {
        let start = self.writerIndex
        self.writeInteger(type)
        self.writeInteger(channel)
        let sizeIndex = self.reserveLength()
        do {
            try payload(&self)
        } catch {
            self.moveWriterIndex(to: start)  // leave no half-written frame behind
            throw error
        }
        self.finishLength(at: sizeIndex)
        self.writeInteger(AMQPWire.frameEnd)
    }

    /// Writes a method frame.
    mutating func writeMethodFrame(channel: UInt16, _ method: AMQPMethod) throws(AMQPError) {
        try self.writeFrame(type: AMQPFrameType.method.rawValue, channel: channel) { (buffer: inout ByteBuffer) throws(AMQPError) in
            try method.encode(into: &buffer)
        }
    }

    /// Writes body frames carrying `body`, split so no frame exceeds `frameMax` bytes.
    mutating func writeBodyFrames(channel: UInt16, body: ByteBuffer, frameMax: UInt32) {
        let maxChunk = Int(frameMax) - AMQPWire.frameOverhead
        var remaining = body
        while remaining.readableBytes > 0 {
            let chunkSize = min(maxChunk, remaining.readableBytes)
            var chunk = remaining.readSlice(length: chunkSize)!
            self.writeInteger(AMQPFrameType.body.rawValue)
            self.writeInteger(channel)
            self.writeInteger(UInt32(chunkSize))
            self.writeBuffer(&chunk)
            self.writeInteger(AMQPWire.frameEnd)
        }
    }
}

/// Splits the inbound byte stream into ``AMQPFrame``s.
struct AMQPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = AMQPFrame

    /// The largest frame payload accepted; larger frames are a protocol violation.
    var maxPayloadSize: UInt32

    init(maxPayloadSize: UInt32) {
        self.maxPayloadSize = maxPayloadSize
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> AMQPFrame? {
        guard buffer.readableBytes >= 7 else { return nil }
        let start = buffer.readerIndex
        let typeByte = buffer.getInteger(at: start, as: UInt8.self)!
        guard let type = AMQPFrameType(rawValue: typeByte) else {
            if typeByte == UInt8(ascii: "A"), buffer.getString(at: start, length: 4) == "AMQP" {
                let version = buffer.getBytes(at: start + 4, length: 4) ?? []
                throw AMQPError.protocolError(
                    "the broker does not speak AMQP 0-9-1; it answered with its protocol header AMQP \(version)"
                )
            }
            throw AMQPError.frameError("unknown frame type \(typeByte)")
        }
        let channel = buffer.getInteger(at: start + 1, as: UInt16.self)!
        let size = buffer.getInteger(at: start + 3, as: UInt32.self)!
        guard size <= self.maxPayloadSize else {
            throw AMQPError.frameError("frame of \(size) bytes exceeds the negotiated frame-max \(self.maxPayloadSize)")
        }
        let total = 7 + Int(size) + 1
        guard buffer.readableBytes >= total else { return nil }
        guard buffer.getInteger(at: start + 7 + Int(size), as: UInt8.self) == AMQPWire.frameEnd else {
            throw AMQPError.frameError("frame on channel \(channel) does not end with 0xCE")
        }
        buffer.moveReaderIndex(forwardBy: 7)
        let payload = buffer.readSlice(length: Int(size))!
        buffer.moveReaderIndex(forwardBy: 1)
        return AMQPFrame(type: type, channel: channel, payload: payload)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> AMQPFrame? {
        try self.decode(buffer: &buffer)
    }
}
