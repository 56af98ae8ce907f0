import EmporiumCore
import Foundation
import NIOCore
import Testing

@Suite("JSONValue(parsing:)")
struct JSONValueReadingTests {
    @Test("reads every kind of value, with whitespace around and between tokens")
    func readsValues() throws {
        let text = " \t\r\n{ \"name\" : \"Shoe\" , \"tags\":[ ],\"price\" :12.5,\"stock\":-3,\"new\":true,\"old\":false,\"note\":null,\"empty\":{},\"sizes\":[40,41.5,1e2,-0,0E-0]}\n"
        #expect(
            try JSONValue(parsing: text)
                == .object([
                    "name": .string("Shoe"), "tags": .array([]), "price": .number(12.5), "stock": .number(-3), "new": .bool(true),
                    "old": .bool(false), "note": .null, "empty": .object([:]),
                    "sizes": .array([.number(40), .number(41.5), .number(100), .number(0), .number(0)]),
                ])
        )
        #expect(try JSONValue(parsing: "\"bare string\"") == .string("bare string"))
        #expect(try JSONValue(parsing: "7") == .number(7))
        #expect(try JSONValue(parsing: "null") == .null)
    }

    @Test("decodes every escape, surrogate pairs included, and passes UTF-8 through")
    func decodesEscapes() throws {
        let text = #""\"\\\/\b\f\n\r\t\u0000\u001F\u00e9\u00E9\u20AC\uD83D\uDE00\ud83c\udDEB\uD83C\uDDF7 é😀 plain""#
        #expect(try JSONValue(parsing: text) == .string("\"\\/\u{8}\u{C}\n\r\t\u{0}\u{1F}éé€😀🇫🇷 é😀 plain"))
        #expect(try JSONValue(parsing: #"{"k\u0065y":"\/"}"#) == .object(["key": .string("/")]))
    }

    @Test("a repeated key: the last member wins")
    func lastDuplicateWins() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#) == .object(["a": .number(3), "b": .number(2)]))
    }

    @Test("numbers: integers, fractions, exponents, zeros, beyond 2^53, below the smallest Double")
    func readsNumbers() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("-0", -0.0), ("0.0", 0), ("1", 1), ("-1", -1), ("0.1", 0.1), ("-1.5e-7", -1.5e-7), ("1E+2", 100),
            ("1e300", 1e300), ("9007199254740993", 9_007_199_254_740_992), ("12345678901234567890123", 1.2345678901234568e22),
            ("0.30000000000000004", 0.30000000000000004), ("5e-324", 5e-324), ("1e-400", 0), ("2.2250738585072011e-308", 2.2250738585072011e-308),
            ("1.7976931348623157e308", .greatestFiniteMagnitude), ("0.000000000000000000000000000001", 1e-30), ("123.456e-2", 1.23456),
        ]
        for (text, expected) in cases {
            let value = try JSONValue(parsing: text)
            #expect(value == .number(expected), "\(text)")
            if case .number(let number) = value { #expect(number.sign == expected.sign, "\(text)") }
        }
    }

    @Test("arrays and objects may nest 512 deep")
    func nests512Deep() throws {
        var value = try JSONValue(parsing: String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        var depth = 0
        while case .array(let elements) = value {
            depth += 1
            value = elements.first ?? .null
        }
        #expect(depth == 512)
        let objects = String(repeating: #"{"a":"#, count: 511) + "[]" + String(repeating: "}", count: 511)
        #expect(throws: Never.self) { try JSONValue(parsing: objects) }
    }

    /// One input of each class the reader refuses, with the offset and reason it must report.
    static let invalidInputs: [(name: String, bytes: [UInt8], offset: Int, reason: JSONParsingError.Reason)] = [
        ("empty input", [], 0, .emptyInput),
        ("only whitespace", Array(" \n\t".utf8), 3, .emptyInput),
        ("trailing comma in an array", Array("[1,2,]".utf8), 5, .trailingComma),
        ("trailing comma in an object", Array(#"{"a":1, }"#.utf8), 8, .trailingComma),
        ("leading zero", Array("[1, 012]".utf8), 4, .leadingZero),
        ("negative leading zero", Array("-00".utf8), 1, .leadingZero),
        ("unterminated string", Array(#"["ab", "cd"#.utf8), 7, .unterminatedString),
        ("unterminated string after an escape", Array(#""ab\"#.utf8), 0, .unterminatedString),
        ("raw control character in a string", Array("[\"a\u{1}b\"]".utf8), 3, .controlCharacterInString),
        ("raw newline in a string", Array("\"line\nbreak\"".utf8), 5, .controlCharacterInString),
        ("lone high surrogate", Array(#""ab\uD800""#.utf8), 3, .loneSurrogate),
        ("high surrogate before another escape", Array(#""\uD800\u0041""#.utf8), 1, .loneSurrogate),
        ("high surrogate before a plain character", Array(#""\uDBFFx""#.utf8), 1, .loneSurrogate),
        ("lone low surrogate", Array(#""\uDC00\uD800""#.utf8), 1, .loneSurrogate),
        ("bad escape letter", Array(#""a\x""#.utf8), 2, .invalidEscape),
        ("bad hex digit", Array(#""\u12G4""#.utf8), 1, .invalidEscape),
        ("capital U escape", Array(#""\U0041""#.utf8), 1, .invalidEscape),
        ("depth 513", Array((String(repeating: "[", count: 513) + String(repeating: "]", count: 513)).utf8), 512, .tooDeep),
        ("depth 513 through objects", Array((String(repeating: #"{"a":"#, count: 512) + "{}" + String(repeating: "}", count: 512)).utf8), 2560, .tooDeep),
        ("garbage after the value", Array("{} x".utf8), 3, .trailingBytes),
        ("a second value", Array("1 2".utf8), 2, .trailingBytes),
        ("a literal run on", Array("truex".utf8), 4, .trailingBytes),
        ("a byte order mark", [0xEF, 0xBB, 0xBF] + Array("[]".utf8), 0, .expectedValue),
        ("plus sign", Array("+1".utf8), 0, .expectedValue),
        ("fraction without an integer part", Array("[.5]".utf8), 1, .expectedValue),
        ("NaN", Array("NaN".utf8), 0, .expectedValue),
        ("Infinity", Array("-Infinity".utf8), 1, .invalidNumber),
        ("no digit after the point", Array("[1.]".utf8), 3, .invalidNumber),
        ("no digit after the point, then an exponent", Array("1.e5".utf8), 2, .invalidNumber),
        ("no digit in the exponent", Array("[1e+]".utf8), 4, .invalidNumber),
        ("number cut off by the end", Array("12e".utf8), 3, .unexpectedEnd),
        ("number beyond a Double", Array("[0, -1e400]".utf8), 4, .numberOutOfRange),
        ("misspelt literal", Array("[nul1]".utf8), 1, .invalidLiteral),
        ("capitalised literal", Array("True".utf8), 0, .expectedValue),
        ("literal cut off by the end", Array("fals".utf8), 4, .unexpectedEnd),
        ("key that is not a string", Array("{1:2}".utf8), 1, .expectedKey),
        ("single-quoted key", Array("{'a':2}".utf8), 1, .expectedKey),
        ("key without a colon", Array(#"{"a" 1}"#.utf8), 5, .expectedColon),
        ("elements without a comma", Array("[1 2]".utf8), 3, .expectedCommaOrEnd),
        ("array closed by a brace", Array("[1}".utf8), 2, .expectedCommaOrEnd),
        ("unclosed array", Array("[1, [2]".utf8), 7, .unexpectedEnd),
        ("unclosed object", Array(#"{"a":"#.utf8), 5, .unexpectedEnd),
        ("comma without a value", Array("[,1]".utf8), 1, .expectedValue),
        ("invalid UTF-8 lead byte", [0x22, 0x61, 0xFF, 0x22], 2, .invalidUTF8),
        ("overlong UTF-8", [0x22, 0xC0, 0xAF, 0x22], 1, .invalidUTF8),
        ("UTF-8 of a surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], 1, .invalidUTF8),
        ("UTF-8 beyond U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, .invalidUTF8),
        ("UTF-8 missing a continuation byte", [0x22, 0xE2, 0x82, 0x22], 1, .invalidUTF8),
        ("non-ASCII byte outside a string", [0x5B, 0xC3, 0xA9, 0x5D], 1, .expectedValue),
    ]

    @Test("refuses each class of invalid input, at the right offset", arguments: invalidInputs)
    func refusesInvalidInput(name: String, bytes: [UInt8], offset: Int, reason: JSONParsingError.Reason) {
        #expect(throws: JSONParsingError(offset: offset, reason: reason), "\(name)") { try JSONValue(parsing: bytes) }
    }

    @Test("reads from Data, String, [UInt8], ByteBuffer and collections without contiguous storage")
    func entryPoints() throws {
        let text = #"{"a":[1,"é"]}"#
        let expected = JSONValue.object(["a": .array([.number(1), .string("é")])])
        #expect(try JSONValue(parsing: Data(text.utf8)) == expected)
        #expect(try JSONValue(parsing: text) == expected)
        #expect(try JSONValue(parsing: Array(text.utf8)) == expected)
        #expect(try JSONValue(parsing: text.utf8.lazy.map { $0 }) == expected)
        var buffer = ByteBuffer(string: "xx" + text)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try JSONValue(parsing: buffer) == expected)
        #expect(buffer.readableBytes == text.utf8.count, "the buffer is not read")
        #expect(try Array(text.utf8).withUnsafeBytes { bytes in try JSONValue(parsing: bytes) } == expected)
    }

    @Test("errors describe the offset and the reason")
    func errorDescription() {
        #expect(JSONParsingError(offset: 3, reason: .trailingComma).description == "invalid JSON at byte 3: trailing comma")
    }
}
