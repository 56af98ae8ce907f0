import EmporiumTestSupport
import EmporiumCore

/// Random JSON values for round-trip tests: nested arrays and objects, strings with the awkward
/// parts of Unicode and JSON, numbers at the edges of the writer's formats.
struct JSONValueGenerator {
    var random: SeededRandom

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    /// Numbers every run includes; their writing switches format or they are easy to get wrong.
    static let edgeNumbers: [Double] = [
        0, -0.0, 1, -1, 0.1, 0.2, 0.3, -1.5e-7, 1e-5, 0.0025, 1e300, -1e300, 1e-300,
        9_007_199_254_740_992,  // 2^53
        9_007_199_254_740_993,  // 2^53 + 1, not a Double: rounds to 2^53
        999_999_999_999_999, 1e15, -1e15, 1e15 + 0.5, 1e16, 1e21, 1e22, 1e23,
        123_456.789, 100, 5e-324, 2.2250738585072014e-308, 2.2250738585072011e-308,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, 1 / 3, 2 / 3,
        Double(Int64.max), Double(Int64.min), 4.35, 0.000001, 1_234_567.125,
    ]

    /// Pieces strings are made of.
    static let stringPieces: [String] = [
        "a", "Z", "shoe", " ", "/", "//", "\"", "\\", "\\u0041", "\u{7F}", "\u{2028}", "\u{2029}",
        "é", "e\u{301}", "n\u{303}\u{323}", "ß", "Ω", "中文", "日本語", "😀", "👩‍👩‍👧", "🇫🇷", "👍🏽",
        "\u{FEFF}", "\u{FFFD}", "\u{10FFFF}", "\u{E000}", "\u{0}", "\n", "\r", "\t", "\u{8}", "\u{C}",
        "\u{1}", "\u{1F}", "\u{1B}", "</script>", "{\"a\":1}", "[1,2]",
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &random)
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        switch int(0...(depth >= 4 ? 5 : 7)) {
        case 0: return .null
        case 1: return .bool(int(0...1) == 1)
        case 2, 3: return .number(number())
        case 4, 5: return .string(string())
        case 6: return .array((0..<int(0...5)).map { _ in value(depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<int(0...6) { object[string()] = value(depth: depth + 1) }
            return .object(object)
        }
    }

    mutating func number() -> Double {
        switch int(0...6) {
        case 0: return Self.edgeNumbers[int(0...Self.edgeNumbers.count - 1)]
        case 1: return Double(int(-1000...1000))
        case 2: return Double(Int64.random(in: -999_999_999_999_999...999_999_999_999_999, using: &random))
        case 3: return Double(int(-100_000...100_000)) / Double([10, 100, 1000, 8, 3][int(0...4)])
        case 4: return Double.random(in: -1e6...1e6, using: &random)
        default:
            // Any finite Double, from its bits: subnormals, huge and tiny exponents.
            while true {
                let number = Double(bitPattern: random.next())
                if number.isFinite { return number }
            }
        }
    }

    mutating func string() -> String {
        var string = ""
        for _ in 0..<int(0...6) {
            switch int(0...5) {
            case 0:
                // Any scalar but a surrogate, from the whole range.
                let scalar = UInt32.random(in: 0...0x10FFFF, using: &random)
                string.unicodeScalars.append(Unicode.Scalar(scalar) ?? "x")
            case 1:
                string.unicodeScalars.append(Unicode.Scalar(UInt8(int(0...0x7F))))
            default:
                string += Self.stringPieces[int(0...Self.stringPieces.count - 1)]
            }
        }
        return string
    }
}
