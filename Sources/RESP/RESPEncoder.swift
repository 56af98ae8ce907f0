import NIOCore

/// Encodes commands as RESP arrays of bulk strings, the form every Redis server accepts.
///
/// Usable in a pipeline as `MessageToByteHandler(RESPCommandEncoder())`; the client's own
/// connection handler calls ``encode(data:out:)`` directly to put a whole batch of commands in one
/// buffer and flush it once.
public struct RESPCommandEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = RESPCommand

    /// Creates an encoder.
    public init() {}

    /// Appends `command` to `out`.
    public func encode(data command: RESPCommand, out: inout ByteBuffer) {
        out.writeRESPCommand(command)
    }
}

/// Encodes any ``RESPValue`` in its RESP3 form (RESP2 forms for the RESP2 types).
///
/// A client only ever sends commands; this encoder exists for servers, proxies and tests.
/// `.null` is written as RESP2's null bulk string (`$-1`), which RESP3 clients accept too.
public struct RESPValueEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = RESPValue

    /// Creates an encoder.
    public init() {}

    /// Appends `value` to `out`.
    public func encode(data value: RESPValue, out: inout ByteBuffer) {
        out.writeRESPValue(value)
    }
}

extension ByteBuffer {
    /// Writes `command` as an array of bulk strings.
    ///
    /// Each part is written with one `writeWithUnsafeMutableBytes` call (header, payload and CRLF
    /// together) rather than many small writes: this is the hot path of every command.
    @usableFromInline
    mutating func writeRESPCommand(_ command: RESPCommand) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            out[0] = UInt8(ascii: "*")
            var index = 1
            index += Self.putDecimal(command.arguments.count + 1, into: out, at: index)
            index += Self.putCRLF(into: out, at: index)
            return index
        }
        self.writeBulkString(command.name)
        for argument in command.arguments {
            self.writeRESPArgument(argument)
        }
    }

    /// Writes one argument as a bulk string.
    @usableFromInline
    mutating func writeRESPArgument(_ argument: RESPArgument) {
        switch argument {
        case .string(let string):
            self.writeBulkString(string)
        case .bytes(let bytes):
            bytes.withUnsafeReadableBytes { self.writeBulk($0) }
        case .byteArray(let bytes):
            bytes.withUnsafeBytes { self.writeBulk($0) }
        case .integer(let value):
            self.writeWithUnsafeMutableBytes(minimumWritableBytes: 48) { out in
                out[0] = UInt8(ascii: "$")
                var index = 1
                index += Self.putDecimal(Self.decimalLength(value), into: out, at: index)
                index += Self.putCRLF(into: out, at: index)
                index += Self.putDecimal(value, into: out, at: index)
                index += Self.putCRLF(into: out, at: index)
                return index
            }
        case .double(let value):
            self.writeBulkString(Self.redisDouble(value))
        }
    }

    @inline(__always)
    private mutating func writeBulkString(_ string: String) {
        var string = string
        string.withUTF8 { self.writeBulk(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `$<length>\r\n<payload>\r\n`.
    @inline(__always)
    private mutating func writeBulk(_ payload: UnsafeRawBufferPointer) {
        let length = payload.count
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: length + 32) { out in
            out[0] = UInt8(ascii: "$")
            var index = 1
            index += Self.putDecimal(length, into: out, at: index)
            index += Self.putCRLF(into: out, at: index)
            if length > 0 {
                UnsafeMutableRawBufferPointer(rebasing: out[index..<(index + length)]).copyMemory(from: payload)
            }
            index += length
            index += Self.putCRLF(into: out, at: index)
            return index
        }
    }

    @inline(__always)
    private static func putCRLF(into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        out[index] = UInt8(ascii: "\r")
        out[index + 1] = UInt8(ascii: "\n")
        return 2
    }

    /// How many bytes `value` takes in decimal, sign included.
    @inline(__always)
    static func decimalLength(_ value: Int) -> Int {
        var magnitude = value.magnitude
        var length = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        return length
    }

    /// Writes `value` in decimal at `index` and returns how many bytes that took.
    @inline(__always)
    static func putDecimal(_ value: Int, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        let length = Self.decimalLength(value)
        var magnitude = value.magnitude
        var position = index + length - 1
        repeat {
            out[position] = UInt8(truncatingIfNeeded: 0x30 &+ magnitude % 10)
            magnitude /= 10
            position -= 1
        } while magnitude > 0
        if value < 0 {
            out[index] = UInt8(ascii: "-")
        }
        return length
    }

    /// Writes `value` in RESP.
    mutating func writeRESPValue(_ value: RESPValue) {
        switch value {
        case .simpleString(let bytes):
            self.writeInteger(UInt8(ascii: "+"))
            self.writeImmutableBuffer(bytes)
            self.writeCRLF()
        case .error(let error):
            self.writeInteger(UInt8(ascii: "-"))
            self.writeString(error.description)
            self.writeCRLF()
        case .integer(let number):
            self.writeInteger(UInt8(ascii: ":"))
            self.writeDecimal(number)
            self.writeCRLF()
        case .bulkString(let bytes):
            bytes.withUnsafeReadableBytes { self.writeBulk($0) }
        case .null:
            self.writeString("$-1\r\n")
        case .array(let elements):
            self.writeAggregate(UInt8(ascii: "*"), elements)
        case .set(let elements):
            self.writeAggregate(UInt8(ascii: "~"), elements)
        case .push(let elements):
            self.writeAggregate(UInt8(ascii: ">"), elements)
        case .map(let entries):
            self.writeInteger(UInt8(ascii: "%"))
            self.writeDecimal(entries.count)
            self.writeCRLF()
            for entry in entries {
                self.writeRESPValue(entry.key)
                self.writeRESPValue(entry.value)
            }
        case .double(let number):
            self.writeInteger(UInt8(ascii: ","))
            self.writeString(Self.redisDouble(number))
            self.writeCRLF()
        case .boolean(let flag):
            self.writeString(flag ? "#t\r\n" : "#f\r\n")
        case .bigNumber(let digits):
            self.writeInteger(UInt8(ascii: "("))
            self.writeImmutableBuffer(digits)
            self.writeCRLF()
        }
    }

    private mutating func writeAggregate(_ type: UInt8, _ elements: [RESPValue]) {
        self.writeInteger(type)
        self.writeDecimal(elements.count)
        self.writeCRLF()
        for element in elements {
            self.writeRESPValue(element)
        }
    }


    @inline(__always)
    mutating func writeCRLF() {
        self.writeInteger(UInt16(0x0D0A))
    }

    /// Writes a signed integer in decimal without going through `String`.
    mutating func writeDecimal(_ value: Int) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            Self.putDecimal(value, into: out, at: 0)
        }
    }

    /// A double as Redis reads it: `inf`, `-inf`, integral values without a fraction, otherwise
    /// Swift's shortest round-tripping form.
    static func redisDouble(_ value: Double) -> String {
        if value == .infinity { return "inf" }
        if value == -.infinity { return "-inf" }
        if value.isNaN { return "nan" }
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int(value))
        }
        return value.description
    }
}
