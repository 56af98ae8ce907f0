import Foundation

/// A value read from the database that is not what the schema promises (a corrupt row).
public struct CorruptValueError: Error, CustomStringConvertible {
    public var value: String
    public var expected: String
    public var description: String { "stored value '\(value.prefix(64))' is not \(expected)" }
}

extension UUID {
    /// Parses a UUID stored as text, throwing ``CorruptValueError`` if it is not one.
    public init(storage text: String) throws {
        guard let uuid = UUID(uuidString: text) else { throw CorruptValueError(value: text, expected: "a UUID") }
        self = uuid
    }
}

/// Times stored as ISO 8601 UTC text with milliseconds: portable, readable, and sortable as text.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `2026-11-23T09:30:00.123Z`.
    public static func format(_ date: Date) -> String {
        style.format(date)
    }

    /// Parses text written by ``format(_:)``.
    public static func parse(_ text: String) throws -> Date {
        guard let date = try? style.parse(text) else { throw CorruptValueError(value: text, expected: "an ISO 8601 time") }
        return date
    }
}

/// Values stored as JSON text (attribute maps, URL lists).
public enum JSONText {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
