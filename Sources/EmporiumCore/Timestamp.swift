import Foundation

/// A stored value that is not what it should be (a corrupt row, a malformed timestamp).
public struct CorruptValueError: Error, CustomStringConvertible {
    public var value: String
    public var expected: String
    public var description: String { "stored value '\(value.prefix(64))' is not \(expected)" }

    public init(value: String, expected: String) {
        self.value = value
        self.expected = expected
    }
}

/// Times as ISO 8601 UTC text with milliseconds (in databases, events and APIs): portable,
/// readable, and sortable as text.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let wholeSeconds = Date.ISO8601FormatStyle()

    /// `2026-11-23T09:30:00.123Z`, rounded to the nearest millisecond. Formatting the milliseconds
    /// as an integer (not from the floating-point date) makes `format(parse(text)) == text`.
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = milliseconds / 1000
        var fraction = milliseconds % 1000
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        let base = wholeSeconds.format(Date(timeIntervalSince1970: Double(seconds)))
        return String(base.dropLast()) + "." + String(repeating: "0", count: 3 - String(fraction).count) + String(fraction) + "Z"
    }

    /// Parses text written by ``format(_:)``.
    public static func parse(_ text: String) throws -> Date {
        guard let date = try? style.parse(text) else { throw CorruptValueError(value: text, expected: "an ISO 8601 time") }
        return date
    }
}
