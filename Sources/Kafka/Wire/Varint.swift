import NIOCore

/// Variable-length integers as Kafka uses them: unsigned LEB128 ("unsigned varint") for the
/// lengths of flexible versions, and zig-zag signed varints/varlongs inside record batches v2
/// (the encoding of Protocol Buffers).
enum Varint {
    /// Zig-zag maps signed to unsigned so that small magnitudes stay short: 0, -1, 1, -2 → 0, 1, 2, 3.
    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// The inverse of ``zigZag(_:)``.
    static func unZigZag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// How many bytes ``ByteBuffer/writeUnsignedVarint(_:)`` writes for `value`.
    static func size(unsigned value: UInt64) -> Int {
        var value = value
        var count = 1
        while value >= 0x80 {
            value >>= 7
            count += 1
        }
        return count
    }

    /// How many bytes a zig-zag signed varint of `value` takes.
    static func size(signed value: Int64) -> Int {
        size(unsigned: zigZag(value))
    }
}

extension ByteBuffer {
    /// Writes `value` as an unsigned varint (7 bits a byte, low bits first, high bit = more).
    @discardableResult
    mutating func writeUnsignedVarint(_ value: UInt64) -> Int {
        var value = value
        var written = 0
        while value >= 0x80 {
            written += self.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        written += self.writeInteger(UInt8(truncatingIfNeeded: value))
        return written
    }

    /// Writes `value` zig-zag encoded as a varint (or varlong: the encoding is the same).
    @discardableResult
    mutating func writeVarint(_ value: Int64) -> Int {
        self.writeUnsignedVarint(Varint.zigZag(value))
    }

    /// Reads an unsigned varint of at most `maxBytes` bytes (5 for 32-bit fields, 10 for 64-bit);
    /// nil when the buffer ends first or the value is longer than allowed.
    mutating func readUnsignedVarint(maxBytes: Int = 10) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = self.readerIndex
        for _ in 0..<maxBytes {
            guard let byte = self.readInteger(as: UInt8.self) else {
                self.moveReaderIndex(to: start)
                return nil
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        self.moveReaderIndex(to: start)
        return nil
    }

    /// Reads a zig-zag signed varint (or varlong).
    mutating func readVarint(maxBytes: Int = 10) -> Int64? {
        self.readUnsignedVarint(maxBytes: maxBytes).map(Varint.unZigZag)
    }
}
