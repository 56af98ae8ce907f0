import NIOCore

extension RESPValue {
    /// The payload of a simple or bulk string (or big number), as bytes; `nil` otherwise.
    public var buffer: ByteBuffer? {
        switch self {
        case .simpleString(let buffer), .bulkString(let buffer), .bigNumber(let buffer): return buffer
        default: return nil
        }
    }

    /// The payload of a string-like value decoded as UTF-8 (invalid bytes replaced), or the text
    /// of a number or boolean; `nil` for null, errors and aggregates.
    public var string: String? {
        switch self {
        case .simpleString(let buffer), .bulkString(let buffer), .bigNumber(let buffer):
            return String(buffer: buffer)
        case .integer(let value): return String(value)
        case .double(let value): return ByteBuffer.redisDouble(value)
        case .boolean(let value): return value ? "1" : "0"
        default: return nil
        }
    }

    /// The value as an integer: an integer reply, or a string holding a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .boolean(let value): return value ? 1 : 0
        case .simpleString(let buffer), .bulkString(let buffer), .bigNumber(let buffer):
            return Int(String(buffer: buffer))
        default: return nil
        }
    }

    /// The value as a double: a RESP3 double, an integer, or a string Redis uses for scores
    /// (`"1.5"`, `"inf"`, `"-inf"`).
    public var double: Double? {
        switch self {
        case .double(let value): return value
        case .integer(let value): return Double(value)
        case .simpleString(let buffer), .bulkString(let buffer):
            let text = String(buffer: buffer)
            switch text {
            case "inf", "+inf": return .infinity
            case "-inf": return -.infinity
            default: return Double(text)
            }
        default: return nil
        }
    }

    /// The value as a boolean: RESP3 booleans, integers 1 and 0 (how RESP2 sends them), `OK`.
    public var bool: Bool? {
        switch self {
        case .boolean(let value): return value
        case .integer(let value): return value == 0 ? false : value == 1 ? true : nil
        case .simpleString(let buffer): return String(buffer: buffer) == "OK" ? true : nil
        default: return nil
        }
    }

    /// The elements of an array, set or push message; `nil` otherwise.
    public var array: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): return values
        default: return nil
        }
    }

    /// The key/value pairs of a RESP3 map, or of a RESP2 array with an even number of elements
    /// (how RESP2 servers send maps, e.g. for HGETALL).
    public var mapEntries: [RESPMapEntry]? {
        switch self {
        case .map(let entries):
            return entries
        case .array(let values) where values.count % 2 == 0:
            var entries: [RESPMapEntry] = []
            entries.reserveCapacity(values.count / 2)
            var index = 0
            while index < values.count {
                entries.append(RESPMapEntry(key: values[index], value: values[index + 1]))
                index += 2
            }
            return entries
        default:
            return nil
        }
    }

    /// Whether this is the null value.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The server error this value carries, if it is an error reply.
    public var serverError: RESPError? {
        if case .error(let error) = self { return error }
        return nil
    }

    /// Returns the value, or throws the server error it carries.
    ///
    /// Useful on the replies of a pipeline, where each reply may independently be an error.
    public func throwingServerError() throws(RESPError) -> RESPValue {
        if case .error(let error) = self { throw error }
        return self
    }
}

/// A Swift type that can be made from a reply value, used by the generic `as:` variants of the
/// typed commands (`get("k", as: String.self)`).
public protocol RESPValueConvertible: Sendable {
    /// Converts a reply, or returns `nil` when it has another shape.
    init?(respValue: RESPValue)
}

extension RESPValue: RESPValueConvertible {
    /// The value itself.
    public init?(respValue: RESPValue) { self = respValue }
}

extension ByteBuffer: RESPValueConvertible {
    /// The bytes of a string-like reply.
    public init?(respValue: RESPValue) {
        guard let buffer = respValue.buffer else { return nil }
        self = buffer
    }
}

extension String: RESPValueConvertible {
    /// The UTF-8 text of a string-like reply.
    public init?(respValue: RESPValue) {
        guard let string = respValue.string else { return nil }
        self = string
    }
}

extension Array: RESPValueConvertible where Element == UInt8 {
    /// The bytes of a string-like reply.
    public init?(respValue: RESPValue) {
        guard let buffer = respValue.buffer else { return nil }
        self = Array(buffer.readableBytesView)
    }
}

extension Int: RESPValueConvertible {
    /// An integer reply or a decimal string.
    public init?(respValue: RESPValue) {
        guard let value = respValue.int else { return nil }
        self = value
    }
}

extension Double: RESPValueConvertible {
    /// A double, integer, or numeric string reply.
    public init?(respValue: RESPValue) {
        guard let value = respValue.double else { return nil }
        self = value
    }
}

extension Bool: RESPValueConvertible {
    /// A boolean, 0/1 integer, or `OK` reply.
    public init?(respValue: RESPValue) {
        guard let value = respValue.bool else { return nil }
        self = value
    }
}
