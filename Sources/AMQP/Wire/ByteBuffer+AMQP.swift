import NIOCore

/// Primitive AMQP 0-9-1 data types on `ByteBuffer`: short strings, long strings and
/// integers in network byte order. Readers throw ``AMQPError/frameError(_:)`` when the
/// buffer ends early.
extension ByteBuffer {
    mutating func readAMQPInteger<T: FixedWidthInteger>(as: T.Type = T.self, _ what: @autoclosure () -> String) throws(AMQPError) -> T {
        guard let value = self.readInteger(as: T.self) else {
            throw AMQPError.frameError("truncated \(what())")
        }
        return value
    }

    /// Writes a short string: one length octet then at most 255 bytes of UTF-8.
    mutating func writeShortString(_ value: String, _ what: @autoclosure () -> String = "short string") throws(AMQPError) {
        let count = value.utf8.count
        guard count <= 255 else {
            throw AMQPError.invalidArgument("\(what()) is \(count) bytes long; AMQP allows at most 255")
        }
        self.writeInteger(UInt8(truncatingIfNeeded: count))
        self.writeString(value)
    }

    mutating func readShortString(_ what: @autoclosure () -> String = "short string") throws(AMQPError) -> String {
        let length: UInt8 = try self.readAMQPInteger(what())
        guard let value = self.readString(length: Int(length)) else {
            throw AMQPError.frameError("truncated \(what())")
        }
        return value
    }

    /// Writes a long string: a 32-bit length then the bytes.
    mutating func writeLongString(_ value: String) {
        self.writeInteger(UInt32(truncatingIfNeeded: value.utf8.count))
        self.writeString(value)
    }

    mutating func writeLongString(bytes: [UInt8]) {
        self.writeInteger(UInt32(truncatingIfNeeded: bytes.count))
        self.writeBytes(bytes)
    }

    mutating func readLongString(_ what: @autoclosure () -> String = "long string") throws(AMQPError) -> String {
        let length: UInt32 = try self.readAMQPInteger(what())
        guard let value = self.readString(length: Int(length)) else {
            throw AMQPError.frameError("truncated \(what())")
        }
        return value
    }

    mutating func readLongStringBytes(_ what: @autoclosure () -> String = "long string") throws(AMQPError) -> [UInt8] {
        let length: UInt32 = try self.readAMQPInteger(what())
        guard let value = self.readBytes(length: Int(length)) else {
            throw AMQPError.frameError("truncated \(what())")
        }
        return value
    }

    /// Reserves a 32-bit length field and returns its index, to be filled in by
    /// ``finishLength(at:)`` once the content that follows is written.
    mutating func reserveLength() -> Int {
        let index = self.writerIndex
        self.writeInteger(UInt32(0))
        return index
    }

    /// Stores the number of bytes written after the length field at `index`.
    mutating func finishLength(at index: Int) {
        self.setInteger(UInt32(truncatingIfNeeded: self.writerIndex - index - 4), at: index)
    }
}
