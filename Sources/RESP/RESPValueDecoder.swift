import NIOCore

/// Decodes RESP2 and RESP3 values from a byte stream.
///
/// Use it in a channel pipeline as `ByteToMessageHandler(RESPValueDecoder())`. A value is only
/// produced once all of its bytes (including every nested element) have arrived; until then the
/// decoder returns `nil` and leaves the reader index where it was, so a reply split across reads
/// at any byte decodes the same as one that arrived whole.
///
/// String payloads are returned as slices of the receive buffer, without copying.
/// RESP3 attributes (`|`) are read and dropped: the value they annotate is returned.
/// Streamed strings and aggregates (`$?`, `*?`), which Redis does not send, are rejected.
public struct RESPValueDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    /// The deepest nesting of aggregates accepted before the stream is rejected.
    public var maximumDepth: Int
    /// The longest bulk string accepted, in bytes (Redis's own limit is 512 MiB).
    public var maximumBulkLength: Int
    /// The most elements accepted in one aggregate.
    public var maximumElementCount: Int

    /// Creates a decoder with limits that protect against a misbehaving peer.
    public init(
        maximumDepth: Int = 64,
        maximumBulkLength: Int = 512 * 1024 * 1024,
        maximumElementCount: Int = 1 << 24
    ) {
        self.maximumDepth = maximumDepth
        self.maximumBulkLength = maximumBulkLength
        self.maximumElementCount = maximumElementCount
    }

    /// Decodes one complete value from the front of `buffer`, or returns `nil` if more bytes are
    /// needed.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        var index = buffer.readerIndex
        guard let value = try self.parseValue(in: buffer, at: &index, depth: 0) else {
            return nil
        }
        buffer.moveReaderIndex(to: index)
        return value
    }

    /// Decodes what is left when the stream ends; an incomplete value is simply dropped.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try self.decode(buffer: &buffer)
    }
}

/// The bytes that start each RESP type.
private enum TypeByte {
    static let simpleString = UInt8(ascii: "+")
    static let error = UInt8(ascii: "-")
    static let integer = UInt8(ascii: ":")
    static let bulkString = UInt8(ascii: "$")
    static let array = UInt8(ascii: "*")
    static let null = UInt8(ascii: "_")
    static let double = UInt8(ascii: ",")
    static let boolean = UInt8(ascii: "#")
    static let blobError = UInt8(ascii: "!")
    static let verbatimString = UInt8(ascii: "=")
    static let bigNumber = UInt8(ascii: "(")
    static let map = UInt8(ascii: "%")
    static let set = UInt8(ascii: "~")
    static let push = UInt8(ascii: ">")
    static let attribute = UInt8(ascii: "|")
}

extension RESPValueDecoder {
    /// Parses the value starting at `index`; on success `index` is moved past it.
    /// Returns `nil` (with `index` in an unspecified position) when the value is incomplete.
    private func parseValue(in buffer: ByteBuffer, at index: inout Int, depth: Int) throws -> RESPValue? {
        guard depth <= self.maximumDepth else {
            throw RedisClientError.protocolError("values nested deeper than \(self.maximumDepth) levels")
        }
        guard let type = buffer.getInteger(at: index, as: UInt8.self) else { return nil }
        index += 1
        guard let line = try Self.line(in: buffer, from: index) else { return nil }
        index = line.next

        switch type {
        case TypeByte.simpleString:
            return .simpleString(buffer.getSlice(at: line.start, length: line.length)!)
        case TypeByte.error:
            let text = buffer.getString(at: line.start, length: line.length) ?? ""
            return .error(RESPError(line: text))
        case TypeByte.integer:
            return .integer(try Self.integer(in: buffer, line))
        case TypeByte.bulkString, TypeByte.blobError, TypeByte.verbatimString:
            let length = try Self.integer(in: buffer, line)
            if length == -1 && type == TypeByte.bulkString { return .null }
            guard length >= 0, length <= self.maximumBulkLength else {
                throw RedisClientError.protocolError("invalid bulk length \(length)")
            }
            guard buffer.writerIndex - index >= length + 2 else { return nil }
            guard buffer.getInteger(at: index + length, as: UInt16.self) == Self.crlf else {
                throw RedisClientError.protocolError("bulk string not terminated by CRLF")
            }
            defer { index += length + 2 }
            switch type {
            case TypeByte.blobError:
                return .error(RESPError(line: buffer.getString(at: index, length: length) ?? ""))
            case TypeByte.verbatimString:
                // `txt:` or `mkd:` comes first; the payload is what follows.
                guard length >= 4 else {
                    throw RedisClientError.protocolError("verbatim string without format")
                }
                return .bulkString(buffer.getSlice(at: index + 4, length: length - 4)!)
            default:
                return .bulkString(buffer.getSlice(at: index, length: length)!)
            }
        case TypeByte.array, TypeByte.set, TypeByte.push:
            let count = try Self.integer(in: buffer, line)
            if count == -1 && type == TypeByte.array { return .null }
            try self.checkCount(count)
            var elements: [RESPValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                guard let element = try self.parseValue(in: buffer, at: &index, depth: depth + 1) else {
                    return nil
                }
                elements.append(element)
            }
            switch type {
            case TypeByte.set: return .set(elements)
            case TypeByte.push: return .push(elements)
            default: return .array(elements)
            }
        case TypeByte.map, TypeByte.attribute:
            let count = try Self.integer(in: buffer, line)
            try self.checkCount(count)
            var entries: [RESPMapEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                guard let key = try self.parseValue(in: buffer, at: &index, depth: depth + 1),
                    let value = try self.parseValue(in: buffer, at: &index, depth: depth + 1)
                else { return nil }
                entries.append(RESPMapEntry(key: key, value: value))
            }
            if type == TypeByte.attribute {
                // Attributes annotate the value that follows; the client has no use for them.
                return try self.parseValue(in: buffer, at: &index, depth: depth)
            }
            return .map(entries)
        case TypeByte.null:
            guard line.length == 0 else { throw RedisClientError.protocolError("malformed null") }
            return .null
        case TypeByte.boolean:
            switch line.length == 1 ? buffer.getInteger(at: line.start, as: UInt8.self) : nil {
            case UInt8(ascii: "t"): return .boolean(true)
            case UInt8(ascii: "f"): return .boolean(false)
            default: throw RedisClientError.protocolError("malformed boolean")
            }
        case TypeByte.double:
            guard let text = buffer.getString(at: line.start, length: line.length),
                let value = Double(text)
            else { throw RedisClientError.protocolError("malformed double") }
            return .double(value)
        case TypeByte.bigNumber:
            return .bigNumber(buffer.getSlice(at: line.start, length: line.length)!)
        default:
            throw RedisClientError.protocolError("unknown type byte 0x\(String(type, radix: 16))")
        }
    }

    private func checkCount(_ count: Int) throws {
        guard count >= 0, count <= self.maximumElementCount else {
            throw RedisClientError.protocolError("invalid aggregate length \(count)")
        }
    }

    private static let crlf = UInt16(UInt8(ascii: "\r")) << 8 | UInt16(UInt8(ascii: "\n"))

    /// The position of a line's content and of the byte after its CRLF.
    private struct Line {
        var start: Int
        var length: Int
        var next: Int { start + length + 2 }
    }

    /// Finds the CRLF-terminated line starting at `start`, or `nil` if its end has not arrived.
    private static func line(in buffer: ByteBuffer, from start: Int) throws -> Line? {
        let offset = start - buffer.readerIndex
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard offset < bytes.count else { return nil }
            var position = offset
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "\r") { return position }
                position += 1
            }
            return nil
        }
        guard let carriageReturn = found else { return nil }
        let absolute = buffer.readerIndex + carriageReturn
        guard let next = buffer.getInteger(at: absolute + 1, as: UInt8.self) else { return nil }
        guard next == UInt8(ascii: "\n") else {
            throw RedisClientError.protocolError("line not terminated by CRLF")
        }
        return Line(start: start, length: absolute - start)
    }

    /// Parses a line holding a signed decimal integer.
    private static func integer(in buffer: ByteBuffer, _ line: Line) throws -> Int {
        let parsed: Int? = buffer.withUnsafeReadableBytes { bytes in
            var position = line.start - buffer.readerIndex
            let end = position + line.length
            guard position < end else { return nil }
            var negative = false
            if bytes[position] == UInt8(ascii: "-") {
                negative = true
                position += 1
            } else if bytes[position] == UInt8(ascii: "+") {
                position += 1
            }
            guard position < end else { return nil }
            var value = 0
            while position < end {
                let digit = Int(bytes[position]) &- 0x30
                guard digit >= 0, digit <= 9 else { return nil }
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) =
                    negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                position += 1
            }
            return value
        }
        guard let value = parsed else {
            let text = buffer.getString(at: line.start, length: line.length) ?? ""
            throw RedisClientError.protocolError("malformed integer '\(text)'")
        }
        return value
    }
}
