import EmporiumCore
import Foundation

extension UUID {
    /// Parses a UUID stored as text, throwing ``CorruptValueError`` if it is not one.
    public init(storage text: String) throws {
        guard let uuid = UUID(uuidString: text) else { throw CorruptValueError(value: text, expected: "a UUID") }
        self = uuid
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
