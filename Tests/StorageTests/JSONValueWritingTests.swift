import EmporiumCore
import Foundation
import Storage
import Testing

@Suite("JSONValue.serialized()")
struct JSONValueWritingTests {
    @Test("compact, keys sorted by their UTF-8 bytes at every level, as JSONEncoder sorts them")
    func sortsKeys() throws {
        let value = JSONValue.object([
            "b": .number(1), "a10": .null, "a9": .bool(true), "B": .array([.object(["z": .null, "y": .bool(false)])]), "_": .string(""),
            "é": .object([:]), "e": .array([]), "e\u{301}x": .null, "f": .null, "\u{FFFD}": .null, "😀": .null,
        ])
        let text = #"{"B":[{"y":false,"z":null}],"_":"","a10":null,"a9":true,"b":1,"e":[],"e\#u{301}x":null,"f":null,"é":{},"\#u{FFFD}":null,"😀":null}"#
        #expect(try value.serialized() == text)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try encoder.encode(value) == Data(text.utf8))
    }

    @Test("escapes quotes, backslashes and control characters only")
    func escapes() throws {
        let string = "\"\\/\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}\u{7F}\u{2028}é😀e\u{301}"
        #expect(try JSONValue.string(string).serialized() == "\"\\\"\\\\/\\n\\r\\t\\b\\f\\u0000\\u0001\\u001f\u{7F}\u{2028}é😀e\u{301}\"")
        #expect(try JSONValue.object([string: .null]).serialized().hasPrefix("{\"\\\"\\\\/\\n"))
    }

    @Test("numbers: integers below 10^15, else the shortest text that reads back the same")
    func writesNumbers() throws {
        let cases: [(Double, String)] = [
            (0, "0"), (-0.0, "0"), (7, "7"), (-42, "-42"), (999_999_999_999_999, "999999999999999"), (-999_999_999_999_999, "-999999999999999"),
            (1e15, "1000000000000000"), (9_007_199_254_740_992, "9007199254740992"), (1e16, "1e+16"), (1e300, "1e+300"),
            (0.1, "0.1"), (-1.5e-7, "-1.5e-07"), (5e-324, "5e-324"), (1e15 + 0.5, "1000000000000000.5"), (2.5, "2.5"),
            (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        ]
        for (number, text) in cases {
            #expect(try JSONValue.number(number).serialized() == text)
        }
    }

    @Test("a NaN or infinite number anywhere is refused", arguments: [Double.nan, .infinity, -.infinity])
    func refusesNonFiniteNumbers(number: Double) {
        #expect(throws: JSONWritingError.self) { try JSONValue.number(number).serialized() }
        #expect(throws: JSONWritingError.self) { try JSONValue.object(["a": .array([.null, .number(number)])]).serializedBytes() }
    }

    @Test("the member-by-member writer puts in the commas")
    func writesMembers() throws {
        var writer = JSONTextWriter()
        writer.beginObject()
        writer.writeKey("a")
        writer.write("x\"")
        writer.writeKey("b")
        writer.beginObject()
        writer.writeKey("c")
        try writer.write(.number(1))
        writer.endObject()
        writer.writeKey("d")
        try writer.write(.array([.number(1), .string("2")]))
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a":"x\"","b":{"c":1},"d":[1,"2"]}"#)
    }

    @Test("512-deep values are written and read back")
    func deepValues() throws {
        var value = JSONValue.string("bottom")
        for depth in 0..<512 { value = depth.isMultiple(of: 2) ? .array([value]) : .object(["k": value]) }
        let text = try value.serializedBytes()
        #expect(try JSONValue(parsing: text) == value)
    }
}
