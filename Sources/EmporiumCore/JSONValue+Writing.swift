/// A number JSON cannot represent: NaN or an infinity.
public struct JSONWritingError: Error, Sendable, CustomStringConvertible {
    /// The number.
    public var number: Double

    public init(number: Double) {
        self.number = number
    }

    public var description: String { "JSON cannot represent the number \(number)" }
}

extension JSONValue {
    /// The value as compact JSON text (RFC 8259), as bytes of UTF-8.
    ///
    /// The output is what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes on
    /// Linux for this value's `encode(to:)`: object keys sorted by their UTF-8 bytes (see
    /// ``JSONTextWriter/keyPrecedes(_:_:)``); in strings, `"` and `\`
    /// and the control characters U+0000 to U+001F escaped (`\b \f \n \r \t`, the others as
    /// `\u00XX`), everything else (`/` and non-ASCII included) written as it is; numbers that are
    /// integral with a magnitude below 10^15 as integers, the others in the shortest form that
    /// reads back as the same `Double`.
    ///
    /// - Throws: ``JSONWritingError`` for a NaN or infinite number.
    public func serializedBytes() throws(JSONWritingError) -> [UInt8] {
        var writer = JSONTextWriter()
        try writer.write(self)
        return writer.bytes
    }

    /// The value as compact JSON text; see ``serializedBytes()``.
    /// - Throws: ``JSONWritingError`` for a NaN or infinite number.
    public func serialized() throws(JSONWritingError) -> String {
        String(decoding: try serializedBytes(), as: UTF8.self)
    }
}

/// Appends compact JSON text to a byte array: whole ``JSONValue``s, or an object member by
/// member when its members are not a `JSONValue` (as `CloudEvent` writes its envelope).
///
/// The writer puts in the commas between members and elements; the caller keeps the structure
/// valid (a key before each member value, every object ended).
public struct JSONTextWriter: Sendable {
    /// The text written so far.
    public private(set) var bytes: [UInt8]
    /// Whether the next member or element follows another one in the same object or array.
    private var needsComma = false

    /// A writer with room for `capacity` bytes before it grows.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Starts an object: `{`.
    public mutating func beginObject() {
        separate()
        bytes.append(0x7B)
        needsComma = false
    }

    /// Ends the current object: `}`.
    public mutating func endObject() {
        bytes.append(0x7D)
        needsComma = true
    }

    /// Writes the key of the next member of the current object and its `:`.
    public mutating func writeKey(_ key: String) {
        separate()
        appendQuoted(key)
        bytes.append(0x3A)
        needsComma = false
    }

    /// Writes `string` as a JSON string: the value of a member, or an element.
    public mutating func write(_ string: String) {
        separate()
        appendQuoted(string)
        needsComma = true
    }

    /// Writes `value` as JSON: the value of a member, an element, or a whole text.
    /// - Throws: ``JSONWritingError`` for a NaN or infinite number; the text is then incomplete.
    public mutating func write(_ value: JSONValue) throws(JSONWritingError) {
        separate()
        try append(value)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(0x2C) }
    }

    private mutating func append(_ value: JSONValue) throws(JSONWritingError) {
        switch value {
        case .object(let object):
            bytes.append(0x7B)
            if object.count == 1, let member = object.first {
                appendQuoted(member.key)
                bytes.append(0x3A)
                try append(member.value)
            } else {
                var first = true
                for member in object.sorted(by: { Self.keyPrecedes($0.key, $1.key) }) {
                    if !first { bytes.append(0x2C) }
                    first = false
                    appendQuoted(member.key)
                    bytes.append(0x3A)
                    try append(member.value)
                }
            }
            bytes.append(0x7D)
        case .array(let array):
            bytes.append(0x5B)
            for (index, element) in array.enumerated() {
                if index > 0 { bytes.append(0x2C) }
                try append(element)
            }
            bytes.append(0x5D)
        case .string(let string):
            appendQuoted(string)
        case .number(let number):
            try appendNumber(number)
        case .bool(let bool):
            bytes.append(contentsOf: bool ? "true".utf8 : "false".utf8)
        case .null:
            bytes.append(contentsOf: "null".utf8)
        }
    }

    /// The order of object keys: by their UTF-8 bytes, which is the order of their Unicode
    /// scalars.
    ///
    /// It is the order of `JSONEncoder`'s `.sortedKeys` on Linux, and of `String`'s `<` for keys in
    /// Unicode normalization form C (all ASCII keys are). `<` compares the normalized form, so it
    /// puts `"e\u{301}"` after `"f"`, where `JSONEncoder` and this order put it after `"e"`.
    public static func keyPrecedes(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    // MARK: numbers

    private mutating func appendNumber(_ number: Double) throws(JSONWritingError) {
        guard number.isFinite else { throw JSONWritingError(number: number) }
        if number.rounded() == number, number.magnitude < 1e15 {
            appendInteger(Int64(number))
        } else {
            // Swift's description is the shortest text that reads back as the same Double, and
            // valid JSON for a finite number ("1e+300", "1.5e-07", "0.1", "9007199254740992.0");
            // JSONEncoder drops a trailing ".0", and so do we.
            let text = number.description
            if text.hasSuffix(".0") {
                bytes.append(contentsOf: text.utf8.dropLast(2))
            } else {
                bytes.append(contentsOf: text.utf8)
            }
        }
    }

    private mutating func appendInteger(_ integer: Int64) {
        if integer < 0 { bytes.append(0x2D) }
        var magnitude = integer.magnitude
        let start = bytes.count
        repeat {
            bytes.append(0x30 + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    // MARK: strings

    private mutating func appendQuoted(_ string: String) {
        bytes.append(0x22)
        if string.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil {
            var string = string
            string.withUTF8 { appendEscaped($0) }
        }
        bytes.append(0x22)
    }

    /// Appends `utf8`, escaping what JSON requires: runs of bytes that need no escape are copied
    /// at once.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            runStart = index + 1
            bytes.append(0x5C)
            switch byte {
            case 0x22: bytes.append(0x22)
            case 0x5C: bytes.append(0x5C)
            case 0x08: bytes.append(0x62)  // b
            case 0x0C: bytes.append(0x66)  // f
            case 0x0A: bytes.append(0x6E)  // n
            case 0x0D: bytes.append(0x72)  // r
            case 0x09: bytes.append(0x74)  // t
            default:
                bytes.append(0x75)  // u
                bytes.append(0x30)
                bytes.append(0x30)
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
