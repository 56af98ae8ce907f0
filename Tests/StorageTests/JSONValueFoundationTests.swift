import EmporiumTestSupport
import EmporiumCore
import Foundation
import Storage
import Testing

/// Round trips between our reader and writer and Foundation's, both ways, on generated values.
/// Each seed gives its own values; a failure names the seed and the value's index.
@Suite("JSONValue against Foundation's JSON")
struct JSONValueFoundationTests {
    static let seeds: [UInt64] = Array(1...8)
    static let valuesPerSeed = 250

    @Test("our writer's text reads back as the same value in JSONDecoder, JSONSerialization and our reader", arguments: seeds)
    func foundationReadsOurText(seed: UInt64) throws {
        var generator = JSONValueGenerator(seed: seed)
        for index in 0..<Self.valuesPerSeed {
            let value = generator.value()
            let text = try value.serializedBytes()
            let context: Comment = "seed \(seed), value \(index): \(String(decoding: text, as: UTF8.self))"
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text)) == value, context)
            let object = try JSONSerialization.jsonObject(with: Data(text), options: .fragmentsAllowed)
            let read = try #require(JSONValue(foundationObject: object), context)
            #expect(read.matchesJSONSerializationReading(of: value), context)
            #expect(try JSONValue(parsing: text) == value, context)
        }
    }

    @Test("JSONEncoder's text reads back as the same value in our reader, and sorted it is our writer's text byte for byte", arguments: seeds)
    func ourReaderReadsFoundationText(seed: UInt64) throws {
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var generator = JSONValueGenerator(seed: seed)
        for index in 0..<Self.valuesPerSeed {
            let value = generator.value()
            let sortedText = try sorted.encode(value)
            let context: Comment = "seed \(seed), value \(index): \(String(decoding: sortedText, as: UTF8.self))"
            #expect(try JSONValue(parsing: sortedText) == value, context)
            #expect(try value.serializedBytes() == Array(sortedText), context)
            // The default encoder: keys in any order, "/" escaped as "\/".
            #expect(try JSONValue(parsing: JSONEncoder().encode(value)) == value, context)
            let serialized = try JSONSerialization.data(withJSONObject: value.foundationObject, options: .fragmentsAllowed)
            #expect(try JSONValue(parsing: serialized) == value, context)
        }
    }

    @Test("numbers read as the C library's correctly rounded strtod reads them, to the bit", arguments: seeds)
    func numbersMatchStrtod(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        func digits(_ count: Int, leading: ClosedRange<UInt8> = 0...9) -> String {
            var text = ""
            for position in 0..<count {
                let digit = UInt8.random(in: position == 0 ? leading : 0...9, using: &random)
                text.unicodeScalars.append(Unicode.Scalar(0x30 + digit))
            }
            return text
        }
        for _ in 0..<2_000 {
            var text = Bool.random(using: &random) ? "-" : ""
            text += Int.random(in: 0...4, using: &random) == 0 ? "0" : digits(Int.random(in: 1...24, using: &random), leading: 1...9)
            if Bool.random(using: &random) { text += "." + digits(Int.random(in: 1...24, using: &random)) }
            if Bool.random(using: &random) {
                text += ["e", "E", "e+", "e-", "E-"][Int.random(in: 0...4, using: &random)]
                text += digits(Int.random(in: 1...3, using: &random))
            }
            let expected = try #require(Double(text))
            if expected.isFinite {
                guard case .number(let number) = try JSONValue(parsing: text) else {
                    Issue.record("\(text) is not read as a number")
                    continue
                }
                #expect(number.bitPattern == expected.bitPattern, "\(text): \(number) instead of \(expected)")
            } else {
                #expect(throws: JSONParsingError(offset: 0, reason: .numberOutOfRange)) { try JSONValue(parsing: text) }
            }
        }
    }
}

extension JSONValue {
    /// Whether `self`, read by `JSONSerialization` from the text of `value`, is `value`, allowing
    /// for two defects of `JSONSerialization` on Linux (swift-corelibs-foundation, Swift 6.3.1)
    /// that `JSONDecoder` does not have: it reads many decimal numbers a few units in the last
    /// place off (`-222419.53860735858` as `-222419.53860735855`; so numbers only need to agree to
    /// 1e-14 relative here, and `JSONDecoder` checks them exactly), and it drops U+FEFF at the
    /// start of a string or right after an escape (`"\r\u{FEFF}b"` as `"\rb"`).
    func matchesJSONSerializationReading(of value: JSONValue) -> Bool {
        func withoutFEFF(_ string: String) -> String {
            String(String.UnicodeScalarView(string.unicodeScalars.filter { $0 != "\u{FEFF}" }))
        }
        switch (self, value) {
        case (.number(let read), .number(let number)):
            return read == number || (read - number).magnitude <= number.magnitude * 1e-14
        case (.string(let read), .string(let string)):
            return withoutFEFF(read) == withoutFEFF(string)
        case (.array(let read), .array(let array)):
            return read.count == array.count && zip(read, array).allSatisfy { $0.matchesJSONSerializationReading(of: $1) }
        case (.object(let read), .object(let object)):
            // Keys that differ only by U+FEFF become one; JSONSerialization keeps the last written.
            let written = object.sorted { JSONTextWriter.keyPrecedes($0.key, $1.key) }
            let expected = Dictionary(written.map { (withoutFEFF($0.key), $0.value) }, uniquingKeysWith: { _, last in last })
            return read.count == expected.count
                && read.allSatisfy { key, member in expected[withoutFEFF(key)].map { member.matchesJSONSerializationReading(of: $0) } ?? false }
        default:
            return self == value
        }
    }

    /// The value of a `JSONSerialization` object.
    init?(foundationObject object: Any) {
        switch object {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // JSONSerialization reads true and false as boolean NSNumbers, of type "c".
            self = String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .number(number.doubleValue)
        case let array as [Any]:
            var elements: [JSONValue] = []
            for element in array {
                guard let value = JSONValue(foundationObject: element) else { return nil }
                elements.append(value)
            }
            self = .array(elements)
        case let dictionary as [String: Any]:
            var members: [String: JSONValue] = [:]
            for (key, member) in dictionary {
                guard let value = JSONValue(foundationObject: member) else { return nil }
                members[key] = value
            }
            self = .object(members)
        default:
            return nil
        }
    }

    /// The value as a `JSONSerialization` object.
    var foundationObject: Any {
        switch self {
        case .null: NSNull()
        case .bool(let bool): NSNumber(value: bool)
        case .number(let number): NSNumber(value: number)
        case .string(let string): string
        case .array(let array): array.map(\.foundationObject)
        case .object(let object): object.mapValues(\.foundationObject)
        }
    }
}
