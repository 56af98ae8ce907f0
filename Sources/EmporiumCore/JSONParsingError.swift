/// Why `JSONValue(parsing:)` refused its input, and where.
///
/// `offset` is a byte offset into the input: where the reader found the problem (the byte that
/// cannot start a value, the comma before a closing bracket, a raw control character), or the
/// start of the token that is wrong (the `0` of a leading zero, the first byte of a misspelt
/// literal or of an out-of-range number, the backslash of a bad escape or lone surrogate, the
/// lead byte of bad UTF-8, the bracket that opens one level too many, the opening quote of a
/// string that never ends), or the input's length when it ends inside a value. In a number, it is
/// the byte where a digit was expected.
public struct JSONParsingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong at ``offset``.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The input holds no value (it is empty or only whitespace).
        case emptyInput
        /// The input ends inside a value.
        case unexpectedEnd
        /// A byte that cannot start a value where one is expected (`+1`, `.5`, `NaN`, `]`).
        case expectedValue
        /// An object member that does not start with a string key.
        case expectedKey
        /// A key not followed by `:`.
        case expectedColon
        /// A member or element not followed by `,` or the end of its object or array.
        case expectedCommaOrEnd
        /// A `,` directly followed by the end of its object or array.
        case trailingComma
        /// A misspelt `true`, `false` or `null`.
        case invalidLiteral
        /// An integer part with a leading zero (`01`, `-00`).
        case leadingZero
        /// A number whose grammar is broken where a digit is expected (`-`, `1.`, `1e`).
        case invalidNumber
        /// A number too large for a `Double` (`1e400`).
        case numberOutOfRange
        /// A string with no closing quote.
        case unterminatedString
        /// A raw control character (U+0000 to U+001F) inside a string.
        case controlCharacterInString
        /// A backslash not followed by one of `"\/bfnrt` or by `u` and four hex digits.
        case invalidEscape
        /// A `\u` escape of a UTF-16 surrogate that is not part of a high-low pair.
        case loneSurrogate
        /// Bytes in a string that are not well-formed UTF-8.
        case invalidUTF8
        /// Arrays and objects nested deeper than ``JSONValue/maximumParsingDepth``.
        case tooDeep
        /// Bytes other than whitespace after the value.
        case trailingBytes

        public var description: String {
            switch self {
            case .emptyInput: "no JSON value in the input"
            case .unexpectedEnd: "the input ends inside a value"
            case .expectedValue: "expected a value"
            case .expectedKey: "expected a string key"
            case .expectedColon: "expected ':' after a key"
            case .expectedCommaOrEnd: "expected ',' or the end of the array or object"
            case .trailingComma: "trailing comma"
            case .invalidLiteral: "invalid literal (expected true, false or null)"
            case .leadingZero: "number with a leading zero"
            case .invalidNumber: "invalid number (expected a digit)"
            case .numberOutOfRange: "number out of the range of a Double"
            case .unterminatedString: "string without a closing quote"
            case .controlCharacterInString: "unescaped control character in a string"
            case .invalidEscape: "invalid escape sequence"
            case .loneSurrogate: "\\u escape of a lone UTF-16 surrogate"
            case .invalidUTF8: "invalid UTF-8"
            case .tooDeep: "arrays and objects nested too deep"
            case .trailingBytes: "unexpected bytes after the JSON value"
            }
        }
    }

    /// Byte offset into the input (see the type's documentation).
    public var offset: Int
    /// What is wrong there.
    public var reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
