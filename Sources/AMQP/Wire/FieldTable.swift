import NIOCore

/// A value in an AMQP field table (message headers, queue and exchange arguments).
///
/// The cases follow the field types RabbitMQ uses. Integer literals become `.int32` when
/// they fit in 32 bits and `.int64` otherwise; string literals become `.string`.
public enum AMQPFieldValue: Sendable, Hashable {
    /// `t`: boolean.
    case bool(Bool)
    /// `b`: signed 8-bit integer.
    case int8(Int8)
    /// `B`: unsigned 8-bit integer.
    case uint8(UInt8)
    /// `s`: signed 16-bit integer.
    case int16(Int16)
    /// `u`: unsigned 16-bit integer.
    case uint16(UInt16)
    /// `I`: signed 32-bit integer.
    case int32(Int32)
    /// `i`: unsigned 32-bit integer.
    case uint32(UInt32)
    /// `l`: signed 64-bit integer.
    case int64(Int64)
    /// `f`: 32-bit float.
    case float(Float)
    /// `d`: 64-bit double.
    case double(Double)
    /// `D`: decimal, `value × 10^-scale`.
    case decimal(scale: UInt8, value: UInt32)
    /// `S`: long string (UTF-8).
    case string(String)
    /// `x`: byte array.
    case bytes([UInt8])
    /// `A`: array of values.
    case array([AMQPFieldValue])
    /// `T`: timestamp, seconds since the Unix epoch.
    case timestamp(UInt64)
    /// `F`: nested table.
    case table(AMQPTable)
    /// `V`: no value.
    case void

    /// The value as an `Int` when it is any integer case that fits.
    public var intValue: Int? {
        switch self {
        case .int8(let v): Int(v)
        case .uint8(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint32(let v): Int(exactly: v)
        case .int64(let v): Int(exactly: v)
        default: nil
        }
    }

    /// The value as a `String` when it is `.string` (or `.bytes` holding valid UTF-8).
    public var stringValue: String? {
        switch self {
        case .string(let s): s
        case .bytes(let b): String(validating: b, as: UTF8.self)
        default: nil
        }
    }
}

extension AMQPFieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral
{
    /// `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `.int32` when the value fits in 32 bits, else `.int64`.
    public init(integerLiteral value: Int) {
        if let small = Int32(exactly: value) {
            self = .int32(small)
        } else {
            self = .int64(Int64(value))
        }
    }
    /// `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
}

/// An AMQP field table: an ordered list of named values.
///
/// Keys are short strings (at most 255 bytes). Setting a key that exists replaces its
/// value in place; the order of first insertion is kept on the wire.
public struct AMQPTable: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// One named value of a table.
    public struct Entry: Sendable, Hashable {
        /// The field name.
        public var key: String
        /// The field value.
        public var value: AMQPFieldValue
    }

    /// The entries in wire order.
    public private(set) var entries: [Entry]

    /// An empty table.
    public init() { self.entries = [] }

    /// A table with the given entries, in order.
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        self.entries = []
        self.entries.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// Looks up, sets, or (with `nil`) removes the value for `key`.
    public subscript(key: String) -> AMQPFieldValue? {
        get { self.entries.first(where: { $0.key == key })?.value }
        set {
            if let index = self.entries.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    self.entries[index].value = newValue
                } else {
                    self.entries.remove(at: index)
                }
            } else if let newValue {
                self.entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    /// The number of entries.
    public var count: Int { self.entries.count }
    /// Whether the table has no entries.
    public var isEmpty: Bool { self.entries.isEmpty }

    /// Returns this table with the entries of `other` set on top of it.
    public func merging(_ other: AMQPTable) -> AMQPTable {
        var result = self
        for entry in other.entries { result[entry.key] = entry.value }
        return result
    }
}

// MARK: - Wire encoding

extension ByteBuffer {
    /// Writes a field table: a 32-bit byte length, then name/type/value triples.
    mutating func writeFieldTable(_ table: AMQPTable) throws(AMQPError) {
        let lengthIndex = self.reserveLength()
        for entry in table.entries {
            try self.writeShortString(entry.key, "field table key '\(entry.key)'")
            try self.writeFieldValue(entry.value)
        }
        self.finishLength(at: lengthIndex)
    }

    /// Writes the type octet and the value.
    mutating func writeFieldValue(_ value: AMQPFieldValue) throws(AMQPError) {
        switch value {
        case .bool(let v):
            self.writeInteger(UInt8(ascii: "t"))
            self.writeInteger(UInt8(v ? 1 : 0))
        case .int8(let v):
            self.writeInteger(UInt8(ascii: "b"))
            self.writeInteger(v)
        case .uint8(let v):
            self.writeInteger(UInt8(ascii: "B"))
            self.writeInteger(v)
        case .int16(let v):
            self.writeInteger(UInt8(ascii: "s"))
            self.writeInteger(v)
        case .uint16(let v):
            self.writeInteger(UInt8(ascii: "u"))
            self.writeInteger(v)
        case .int32(let v):
            self.writeInteger(UInt8(ascii: "I"))
            self.writeInteger(v)
        case .uint32(let v):
            self.writeInteger(UInt8(ascii: "i"))
            self.writeInteger(v)
        case .int64(let v):
            self.writeInteger(UInt8(ascii: "l"))
            self.writeInteger(v)
        case .float(let v):
            self.writeInteger(UInt8(ascii: "f"))
            self.writeInteger(v.bitPattern)
        case .double(let v):
            self.writeInteger(UInt8(ascii: "d"))
            self.writeInteger(v.bitPattern)
        case .decimal(let scale, let v):
            self.writeInteger(UInt8(ascii: "D"))
            self.writeInteger(scale)
            self.writeInteger(v)
        case .string(let v):
            self.writeInteger(UInt8(ascii: "S"))
            self.writeLongString(v)
        case .bytes(let v):
            self.writeInteger(UInt8(ascii: "x"))
            self.writeLongString(bytes: v)
        case .array(let values):
            self.writeInteger(UInt8(ascii: "A"))
            let lengthIndex = self.reserveLength()
            for element in values { try self.writeFieldValue(element) }
            self.finishLength(at: lengthIndex)
        case .timestamp(let v):
            self.writeInteger(UInt8(ascii: "T"))
            self.writeInteger(v)
        case .table(let t):
            self.writeInteger(UInt8(ascii: "F"))
            try self.writeFieldTable(t)
        case .void:
            self.writeInteger(UInt8(ascii: "V"))
        }
    }

    /// Reads a field table written by ``writeFieldTable(_:)``.
    mutating func readFieldTable() throws(AMQPError) -> AMQPTable {
        let length: UInt32 = try self.readAMQPInteger("field table length")
        guard var body = self.readSlice(length: Int(length)) else {
            throw AMQPError.frameError("field table of \(length) bytes runs past the end of its frame")
        }
        var table = AMQPTable()
        while body.readableBytes > 0 {
            let key = try body.readShortString("field table key")
            let value = try body.readFieldValue()
            table[key] = value
        }
        return table
    }

    /// Reads a type octet and the value it announces.
    mutating func readFieldValue() throws(AMQPError) -> AMQPFieldValue {
        let type: UInt8 = try self.readAMQPInteger("field value type")
        switch type {
        case UInt8(ascii: "t"):
            let v: UInt8 = try self.readAMQPInteger("boolean field")
            return .bool(v != 0)
        case UInt8(ascii: "b"): return .int8(try self.readAMQPInteger("int8 field"))
        case UInt8(ascii: "B"): return .uint8(try self.readAMQPInteger("uint8 field"))
        case UInt8(ascii: "s"): return .int16(try self.readAMQPInteger("int16 field"))
        case UInt8(ascii: "u"): return .uint16(try self.readAMQPInteger("uint16 field"))
        case UInt8(ascii: "I"): return .int32(try self.readAMQPInteger("int32 field"))
        case UInt8(ascii: "i"): return .uint32(try self.readAMQPInteger("uint32 field"))
        case UInt8(ascii: "l"): return .int64(try self.readAMQPInteger("int64 field"))
        case UInt8(ascii: "f"):
            let bits: UInt32 = try self.readAMQPInteger("float field")
            return .float(Float(bitPattern: bits))
        case UInt8(ascii: "d"):
            let bits: UInt64 = try self.readAMQPInteger("double field")
            return .double(Double(bitPattern: bits))
        case UInt8(ascii: "D"):
            let scale: UInt8 = try self.readAMQPInteger("decimal scale")
            let value: UInt32 = try self.readAMQPInteger("decimal value")
            return .decimal(scale: scale, value: value)
        case UInt8(ascii: "S"):
            let bytes = try self.readLongStringBytes("string field")
            if let string = String(validating: bytes, as: UTF8.self) {
                return .string(string)
            }
            return .bytes(bytes)
        case UInt8(ascii: "x"): return .bytes(try self.readLongStringBytes("byte array field"))
        case UInt8(ascii: "A"):
            let length: UInt32 = try self.readAMQPInteger("array length")
            guard var body = self.readSlice(length: Int(length)) else {
                throw AMQPError.frameError("array of \(length) bytes runs past the end of its frame")
            }
            var values: [AMQPFieldValue] = []
            while body.readableBytes > 0 { values.append(try body.readFieldValue()) }
            return .array(values)
        case UInt8(ascii: "T"): return .timestamp(try self.readAMQPInteger("timestamp field"))
        case UInt8(ascii: "F"): return .table(try self.readFieldTable())
        case UInt8(ascii: "V"): return .void
        default:
            throw AMQPError.frameError("unknown field value type 0x\(String(type, radix: 16))")
        }
    }
}
