import NIOCore

/// One value of the Redis serialization protocol, RESP2 or RESP3.
///
/// RESP3 is a superset of RESP2, so a single type covers both: a RESP2 server only ever sends
/// `simpleString`, `error`, `integer`, `bulkString`, `array` and `null`.
///
/// String payloads are kept as `ByteBuffer` slices of the bytes received, so decoding a reply does
/// not copy its contents. Use the conveniences in `RESPValue+Conversions.swift` (``string``,
/// ``int``, ``double``...) or ``RESPValueConvertible`` to turn a value into a Swift type.
public enum RESPValue: Sendable, Equatable {
    /// A simple string (`+OK`).
    case simpleString(ByteBuffer)
    /// An error reply (`-ERR ...` or the RESP3 blob error `!`). Boxed (`indirect`) so that the
    /// common cases keep `RESPValue` small.
    indirect case error(RESPError)
    /// A signed 64-bit integer (`:42`).
    case integer(Int)
    /// A binary-safe string (`$3\r\nfoo`), or the RESP3 verbatim string (`=`) without its format.
    case bulkString(ByteBuffer)
    /// An ordered list (`*`).
    case array([RESPValue])
    /// The absence of a value: RESP2's null bulk string and null array, RESP3's `_`.
    case null
    /// A RESP3 double (`,3.14`).
    case double(Double)
    /// A RESP3 boolean (`#t`).
    case boolean(Bool)
    /// A RESP3 big number (`(`), kept as its decimal digits.
    case bigNumber(ByteBuffer)
    /// A RESP3 map (`%`), in the order the server sent it.
    case map([RESPMapEntry])
    /// A RESP3 set (`~`).
    case set([RESPValue])
    /// A RESP3 push message (`>`): out-of-band data, never the reply to a command.
    case push([RESPValue])
}

/// One key/value pair of a RESP3 map.
public struct RESPMapEntry: Sendable, Equatable {
    /// The key.
    public var key: RESPValue
    /// The value.
    public var value: RESPValue

    /// Creates an entry.
    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}

extension RESPValue {
    /// A bulk string holding the UTF-8 bytes of `string`.
    public static func bulkString(_ string: String) -> RESPValue {
        .bulkString(ByteBuffer(string: string))
    }

    /// A simple string holding the UTF-8 bytes of `string`.
    public static func simpleString(_ string: String) -> RESPValue {
        .simpleString(ByteBuffer(string: string))
    }
}

extension RESPValue: CustomStringConvertible {
    /// A readable rendering for logs and test failures; binary payloads are shown as UTF-8 with
    /// invalid bytes replaced.
    public var description: String {
        switch self {
        case .simpleString(let buffer): return "+\(String(buffer: buffer))"
        case .error(let error): return "-\(error)"
        case .integer(let value): return ":\(value)"
        case .bulkString(let buffer): return "\"\(String(buffer: buffer))\""
        case .array(let values): return "[\(values.map(\.description).joined(separator: ", "))]"
        case .null: return "null"
        case .double(let value): return ",\(value)"
        case .boolean(let value): return value ? "#t" : "#f"
        case .bigNumber(let buffer): return "(\(String(buffer: buffer))"
        case .map(let entries):
            return "{\(entries.map { "\($0.key): \($0.value)" }.joined(separator: ", "))}"
        case .set(let values): return "~[\(values.map(\.description).joined(separator: ", "))]"
        case .push(let values): return ">[\(values.map(\.description).joined(separator: ", "))]"
        }
    }
}
