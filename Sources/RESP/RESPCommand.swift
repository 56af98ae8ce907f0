import NIOCore

/// One argument of a Redis command, as it goes on the wire (every argument is sent as a bulk
/// string).
///
/// String, integer and floating-point literals convert implicitly, so
/// `RESPCommand("EXPIRE", ["cart:1", 60])` reads naturally.
public enum RESPArgument: Sendable, Hashable {
    /// Bytes sent as they are.
    case bytes(ByteBuffer)
    /// The UTF-8 bytes of a string.
    case string(String)
    /// An integer in decimal.
    case integer(Int)
    /// A floating-point number as Redis parses it (`inf` and `-inf` for the infinities).
    case double(Double)
    /// Raw bytes from an array.
    case byteArray([UInt8])
}

extension RESPArgument: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    /// A string argument.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer argument.
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// A floating-point argument.
    public init(floatLiteral value: Double) { self = .double(value) }
}

/// A type that can be sent as a command argument: keys, values, fields, members.
///
/// `String`, `Substring`, `ByteBuffer`, `[UInt8]`, `Int` and `Double` conform.
public protocol RESPArgumentConvertible: Sendable {
    /// The argument to send.
    var respArgument: RESPArgument { get }
}

extension RESPArgument: RESPArgumentConvertible {
    /// The argument itself.
    public var respArgument: RESPArgument { self }
}

extension String: RESPArgumentConvertible {
    /// The string's UTF-8 bytes.
    public var respArgument: RESPArgument { .string(self) }
}

extension Substring: RESPArgumentConvertible {
    /// The substring's UTF-8 bytes.
    public var respArgument: RESPArgument { .string(String(self)) }
}

extension ByteBuffer: RESPArgumentConvertible {
    /// The buffer's readable bytes.
    public var respArgument: RESPArgument { .bytes(self) }
}

extension Array: RESPArgumentConvertible where Element == UInt8 {
    /// The bytes of the array.
    public var respArgument: RESPArgument { .byteArray(self) }
}

extension Int: RESPArgumentConvertible {
    /// The integer in decimal.
    public var respArgument: RESPArgument { .integer(self) }
}

extension Double: RESPArgumentConvertible {
    /// The number as Redis parses it.
    public var respArgument: RESPArgument { .double(self) }
}

/// A Redis command: its name and arguments.
///
/// Commands are plain values; nothing is sent until one is handed to a connection or a client.
/// ```swift
/// let reply = try await redis.send(RESPCommand("OBJECT", ["ENCODING", "cart:1"]))
/// ```
public struct RESPCommand: Sendable, Hashable, CustomStringConvertible {
    /// The command name, such as `GET` (Redis ignores its case).
    public var name: String
    /// The arguments after the name.
    public var arguments: [RESPArgument]

    /// Creates a command from its name and arguments.
    public init(_ name: String, _ arguments: [RESPArgument]) {
        self.name = name
        self.arguments = arguments
    }

    /// Creates a command from its name and a variable list of arguments.
    public init(_ name: String, _ arguments: RESPArgument...) {
        self.init(name, arguments)
    }

    /// The name alone (arguments may hold secrets or large values, so they are left out).
    public var description: String { name }
}
