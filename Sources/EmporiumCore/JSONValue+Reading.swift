import Foundation
import NIOCore

extension JSONValue {
    /// The deepest nesting of arrays and objects that `init(parsing:)` accepts: `[[1]]` is 2 deep.
    public static let maximumParsingDepth = 512

    /// Parses one JSON text (RFC 8259), strictly.
    ///
    /// Accepts exactly the JSON grammar: whitespace is space, tab, CR and LF; numbers have no
    /// leading zeros, `+`, bare `.5` or `1.`, NaN or Infinity; strings are well-formed UTF-8 without
    /// raw control characters, and a `\u` escape of a UTF-16 surrogate must be half of a pair.
    /// Arrays and objects may nest ``maximumParsingDepth`` deep. Nothing but whitespace may follow
    /// the value. When an object repeats a key, the last member wins. A number that does not fit a
    /// `Double` (`1e400`) is refused; one too small for it becomes 0.
    ///
    /// - Throws: ``JSONParsingError`` with the byte offset of the first problem.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONParsingError) {
        self = try Self.parse(bytes).get()
    }

    /// Parses the JSON text in `data`, as `init(parsing:)` of an `UnsafeRawBufferPointer` does.
    public init(parsing data: Data) throws(JSONParsingError) {
        self = try data.withUnsafeBytes(Self.parse).get()
    }

    /// Parses the JSON text in the readable bytes of `buffer` (without reading them), as
    /// `init(parsing:)` of an `UnsafeRawBufferPointer` does.
    public init(parsing buffer: ByteBuffer) throws(JSONParsingError) {
        self = try buffer.withUnsafeReadableBytes(Self.parse).get()
    }

    /// Parses the JSON text `string` (its UTF-8), as `init(parsing:)` of an `UnsafeRawBufferPointer` does.
    public init(parsing string: String) throws(JSONParsingError) {
        var string = string
        self = try string.withUTF8 { Self.parse(UnsafeRawBufferPointer($0)) }.get()
    }

    /// Parses the JSON text in `bytes`, as `init(parsing:)` of an `UnsafeRawBufferPointer` does.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParsingError) {
        let result = bytes.withContiguousStorageIfAvailable { Self.parse(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes(Self.parse)
        self = try result.get()
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<JSONValue, JSONParsingError> {
        var reader = JSONReader(bytes)
        do {
            return .success(try reader.readDocument())
        } catch {
            return .failure(error)
        }
    }
}

/// A strict RFC 8259 reader over bytes in memory.
///
/// It does not recurse: the open arrays and objects are `frames`, and the members and elements
/// read so far wait in `values` (and the keys in `keys`) until their container closes, so deep
/// input cannot overflow the stack of the thread that reads it.
struct JSONReader {
    private struct Frame {
        var isObject: Bool
        /// Where this container's elements (or member values) start in `values`.
        var valueStart: Int
        /// Where this object's keys start in `keys`.
        var keyStart: Int
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private var frames: [Frame] = []
    private var values: [JSONValue] = []
    private var keys: [String] = []
    /// The bytes of a string with escapes, decoded.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes.assumingMemoryBound(to: UInt8.self)
    }

    /// Reads the whole input as one value surrounded by optional whitespace.
    mutating func readDocument() throws(JSONParsingError) -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else { throw JSONParsingError(offset: offset, reason: .emptyInput) }
        let value = try readValue()
        skipWhitespace()
        guard offset == bytes.count else { throw JSONParsingError(offset: offset, reason: .trailingBytes) }
        return value
    }

    // MARK: structure

    private mutating func readValue() throws(JSONParsingError) -> JSONValue {
        while true {
            skipWhitespace()
            guard offset < bytes.count else { throw endOfInput() }
            var value: JSONValue
            switch bytes[offset] {
            case 0x7B:  // {
                try checkDepth()
                offset += 1
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == 0x7D {  // }
                    offset += 1
                    value = .object([:])
                } else {
                    frames.append(Frame(isObject: true, valueStart: values.count, keyStart: keys.count))
                    try readKey()
                    continue
                }
            case 0x5B:  // [
                try checkDepth()
                offset += 1
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == 0x5D {  // ]
                    offset += 1
                    value = .array([])
                } else {
                    frames.append(Frame(isObject: false, valueStart: values.count, keyStart: keys.count))
                    continue
                }
            case 0x22: value = .string(try readString())
            case 0x74: try readLiteral("true"); value = .bool(true)
            case 0x66: try readLiteral("false"); value = .bool(false)
            case 0x6E: try readLiteral("null"); value = .null
            case 0x2D, 0x30...0x39: value = .number(try readNumber())
            default: throw JSONParsingError(offset: offset, reason: .expectedValue)
            }
            // `value` is complete: hand it to its container, closing containers that end here.
            while let frame = frames.last {
                values.append(value)
                skipWhitespace()
                guard offset < bytes.count else { throw endOfInput() }
                let byte = bytes[offset]
                if byte == 0x2C {  // ,
                    offset += 1
                    skipWhitespace()
                    if offset < bytes.count, bytes[offset] == (frame.isObject ? 0x7D : 0x5D) {
                        throw JSONParsingError(offset: offset, reason: .trailingComma)
                    }
                    if frame.isObject { try readKey() }
                    break
                } else if byte == (frame.isObject ? 0x7D : 0x5D) {
                    offset += 1
                    frames.removeLast()
                    value = close(frame)
                } else {
                    throw JSONParsingError(offset: offset, reason: .expectedCommaOrEnd)
                }
            }
            if frames.isEmpty { return value }
        }
    }

    /// Checks that one more array or object may open; makes room for a few at the first.
    private mutating func checkDepth() throws(JSONParsingError) {
        if frames.count == JSONValue.maximumParsingDepth {
            throw JSONParsingError(offset: offset, reason: .tooDeep)
        }
        if frames.capacity == 0 {
            // One allocation each instead of growing through 1, 2, 4, 8 and 16 elements.
            frames.reserveCapacity(8)
            values.reserveCapacity(16)
            keys.reserveCapacity(16)
        }
    }

    /// Reads `"key"` and the `:` after it, and keeps the key for the open object.
    private mutating func readKey() throws(JSONParsingError) {
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == 0x22 else { throw JSONParsingError(offset: offset, reason: .expectedKey) }
        keys.append(try readString())
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == 0x3A else { throw JSONParsingError(offset: offset, reason: .expectedColon) }
        offset += 1
    }

    /// The array or object of `frame`, made of the elements or members read since it opened.
    private mutating func close(_ frame: Frame) -> JSONValue {
        defer {
            values.removeSubrange(frame.valueStart...)
            if frame.isObject { keys.removeSubrange(frame.keyStart...) }
        }
        guard frame.isObject else { return .array(Array(values[frame.valueStart...])) }
        let count = values.count - frame.valueStart
        var object = [String: JSONValue](minimumCapacity: count)
        for index in 0..<count {
            object[keys[frame.keyStart + index]] = values[frame.valueStart + index]  // the last of equal keys wins
        }
        return .object(object)
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    private func endOfInput() -> JSONParsingError {
        JSONParsingError(offset: bytes.count, reason: .unexpectedEnd)
    }

    // MARK: literals

    private mutating func readLiteral(_ literal: StaticString) throws(JSONParsingError) {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for (index, byte) in expected.enumerated() {
            guard offset + index < bytes.count else { throw endOfInput() }
            guard bytes[offset + index] == byte else { throw JSONParsingError(offset: offset, reason: .invalidLiteral) }
        }
        offset += expected.count
    }

    // MARK: strings

    /// Reads a string whose opening quote is at `offset`.
    private mutating func readString() throws(JSONParsingError) -> String {
        let quote = offset
        let start = offset + 1
        var index = start
        // Most strings have no escapes: they become a String straight from the input.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                offset = index + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            } else if byte == 0x5C {
                break
            } else if byte < 0x20 {
                throw JSONParsingError(offset: index, reason: .controlCharacterInString)
            } else if byte < 0x80 {
                index += 1
            } else {
                index += try utf8SequenceLength(at: index, quote: quote)
            }
        }
        guard index < bytes.count else { throw JSONParsingError(offset: quote, reason: .unterminatedString) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                offset = index + 1
                return String(decoding: scratch, as: UTF8.self)
            } else if byte == 0x5C {
                index = try readEscape(at: index, quote: quote)
            } else if byte < 0x20 {
                throw JSONParsingError(offset: index, reason: .controlCharacterInString)
            } else if byte < 0x80 {
                scratch.append(byte)
                index += 1
            } else {
                let length = try utf8SequenceLength(at: index, quote: quote)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<index + length]))
                index += length
            }
        }
        throw JSONParsingError(offset: quote, reason: .unterminatedString)
    }

    /// The length of the well-formed UTF-8 sequence starting with the non-ASCII byte at `index`
    /// (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
    private func utf8SequenceLength(at index: Int, quote: Int) throws(JSONParsingError) -> Int {
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch bytes[index] {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: throw JSONParsingError(offset: index, reason: .invalidUTF8)
        }
        for next in 1..<length {
            guard index + next < bytes.count else { throw JSONParsingError(offset: quote, reason: .unterminatedString) }
            guard (next == 1 ? second : 0x80...0xBF).contains(bytes[index + next]) else {
                throw JSONParsingError(offset: index, reason: .invalidUTF8)
            }
        }
        return length
    }

    /// Decodes the escape whose backslash is at `index` into `scratch`; returns the index after it.
    private mutating func readEscape(at index: Int, quote: Int) throws(JSONParsingError) -> Int {
        guard index + 1 < bytes.count else { throw JSONParsingError(offset: quote, reason: .unterminatedString) }
        let decoded: UInt8
        switch bytes[index + 1] {
        case 0x22: decoded = 0x22  // \"
        case 0x5C: decoded = 0x5C  // \\
        case 0x2F: decoded = 0x2F  // \/
        case 0x62: decoded = 0x08  // \b
        case 0x66: decoded = 0x0C  // \f
        case 0x6E: decoded = 0x0A  // \n
        case 0x72: decoded = 0x0D  // \r
        case 0x74: decoded = 0x09  // \t
        case 0x75: return try readUnicodeEscape(at: index, quote: quote)  // \u
        default: throw JSONParsingError(offset: index, reason: .invalidEscape)
        }
        scratch.append(decoded)
        return index + 2
    }

    /// Decodes `\uXXXX` at `index`, or a surrogate pair `\uD8xx\uDCxx`, into `scratch`.
    private mutating func readUnicodeEscape(at index: Int, quote: Int) throws(JSONParsingError) -> Int {
        let unit = try hexQuad(at: index + 2, escape: index, quote: quote)
        var scalar = UInt32(unit)
        var next = index + 6
        if (0xDC00...0xDFFF).contains(unit) {
            throw JSONParsingError(offset: index, reason: .loneSurrogate)
        } else if (0xD800...0xDBFF).contains(unit) {
            // It must be followed by `\u` and a low surrogate.
            for (position, expected) in [(next, UInt8(0x5C)), (next + 1, UInt8(0x75))] {
                guard position < bytes.count else { throw JSONParsingError(offset: quote, reason: .unterminatedString) }
                guard bytes[position] == expected else { throw JSONParsingError(offset: index, reason: .loneSurrogate) }
            }
            let low = try hexQuad(at: next + 2, escape: next, quote: quote)
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONParsingError(offset: index, reason: .loneSurrogate) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            next += 6
        }
        appendUTF8(scalar)
        return next
    }

    /// The four hex digits at `index`, of the `\u` escape at `escape`.
    private func hexQuad(at index: Int, escape: Int, quote: Int) throws(JSONParsingError) -> UInt16 {
        var unit: UInt16 = 0
        for position in index..<index + 4 {
            guard position < bytes.count else { throw JSONParsingError(offset: quote, reason: .unterminatedString) }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw JSONParsingError(offset: escape, reason: .invalidEscape)
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: numbers

    /// Exact powers of ten: a `Double` holds 10^0 to 10^22 without rounding.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Reads a number starting at `offset` (a `-` or a digit).
    ///
    /// Numbers whose digits fit 64 bits and that a `Double` can compute with one correctly
    /// rounded operation (integers, and up to 2^53 times or divided by an exact power of ten)
    /// are converted here; others by the C library's correctly rounded `strtod`.
    private mutating func readNumber() throws(JSONParsingError) -> Double {
        let start = offset
        var index = offset
        let negative = bytes[index] == 0x2D
        if negative { index += 1 }
        var significand: UInt64 = 0
        var significantDigits = 0
        var exactSignificand = true
        var exponent = 0

        func digit(at index: Int) -> UInt8? {
            guard index < bytes.count else { return nil }
            let value = bytes[index] &- 0x30
            return value < 10 ? value : nil
        }
        func accumulate(_ value: UInt8) {
            if significand == 0, value == 0 { return }
            if significantDigits < 19 {
                significand = significand * 10 + UInt64(value)
                significantDigits += 1
            } else {
                exactSignificand = false
            }
        }
        func expectDigit(at index: Int) throws(JSONParsingError) -> UInt8 {
            guard index < bytes.count else { throw endOfInput() }
            guard let value = digit(at: index) else { throw JSONParsingError(offset: index, reason: .invalidNumber) }
            return value
        }

        // int = "0" / digit1-9 *digit
        let first = try expectDigit(at: index)
        index += 1
        if first == 0 {
            if digit(at: index) != nil { throw JSONParsingError(offset: index - 1, reason: .leadingZero) }
        } else {
            accumulate(first)
            while let value = digit(at: index) {
                accumulate(value)
                if !exactSignificand { exponent += 1 }
                index += 1
            }
        }
        var isInteger = true
        // frac = "." 1*digit
        if index < bytes.count, bytes[index] == 0x2E {
            isInteger = false
            index += 1
            var value = try expectDigit(at: index)
            while true {
                accumulate(value)
                if exactSignificand { exponent -= 1 }
                index += 1
                guard let next = digit(at: index) else { break }
                value = next
            }
        }
        // exp = ("e" / "E") ["-" / "+"] 1*digit
        if index < bytes.count, bytes[index] | 0x20 == 0x65 {
            isInteger = false
            index += 1
            var negativeExponent = false
            if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B {
                negativeExponent = bytes[index] == 0x2D
                index += 1
            }
            var explicit = Int(try expectDigit(at: index))
            index += 1
            while let value = digit(at: index) {
                if explicit < 100_000 { explicit = explicit * 10 + Int(value) }
                index += 1
            }
            exponent += negativeExponent ? -explicit : explicit
        }
        offset = index

        var magnitude: Double
        if exactSignificand, isInteger {
            magnitude = Double(significand)  // correctly rounded
        } else if exactSignificand, significand <= 1 << 53, (-22...22).contains(exponent) {
            // Both operands are exact, so the one operation rounds correctly.
            let significand = Double(significand)
            magnitude = exponent < 0 ? significand / Self.powersOfTen[-exponent] : significand * Self.powersOfTen[exponent]
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let parsed = Double(text) else { throw JSONParsingError(offset: start, reason: .invalidNumber) }
            magnitude = parsed.magnitude
        }
        guard magnitude.isFinite else { throw JSONParsingError(offset: start, reason: .numberOutOfRange) }
        return negative ? -magnitude : magnitude
    }
}
