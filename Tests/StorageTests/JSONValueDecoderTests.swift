import EmporiumCore
import Storage
import Testing

/// Decoding types from a parsed ``JSONValue``.
@Suite("JSONValueDecoder")
struct JSONValueDecoderTests {
    struct Item: Decodable, Equatable {
        struct Price: Decodable, Equatable {
            var amount: Int64
            var currency: String
        }
        var name: String
        var note: String?
        var tags: [String]
        var attributes: [String: String]?
        var price: Price
        var ratio: Double
        var active: Bool
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONValueDecoder().decode(type, from: try JSONValue(parsing: json))
    }

    @Test func decodesNestedValues() throws {
        let item = try Self.decode(Item.self, #"{"name": "Lamp", "tags": ["a", "b"], "attributes": {"colour": "red"}, "price": {"amount": 1999, "currency": "EUR"}, "ratio": 0.5, "active": true, "note": null}"#)
        #expect(item == Item(name: "Lamp", note: nil, tags: ["a", "b"], attributes: ["colour": "red"], price: .init(amount: 1999, currency: "EUR"), ratio: 0.5, active: true))
    }

    @Test func namesThePathOfAMismatch() throws {
        do {
            _ = try Self.decode([Item.Price].self, #"[{"amount": 1, "currency": "EUR"}, {"amount": "1", "currency": "EUR"}]"#)
            Issue.record("a string is not an integer")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } == ["1", "amount"])
        }
        #expect(throws: DecodingError.self) { try Self.decode(Item.Price.self, #"{"amount": 1.5, "currency": "EUR"}"#) }
        #expect(throws: DecodingError.self) { try Self.decode(Item.Price.self, #"{"currency": "EUR"}"#) }
        #expect(throws: DecodingError.self) { try Self.decode(Item.Price.self, #"{"amount": null, "currency": "EUR"}"#) }
    }

    /// Integers must fit their type and be exact in a `Double` (below 2^53).
    @Test func refusesIntegersItCannotHoldExactly() throws {
        #expect(try Self.decode(Int64.self, "9007199254740991") == 9_007_199_254_740_991)
        #expect(try Self.decode(Int64.self, "-9007199254740991") == -9_007_199_254_740_991)
        #expect(throws: DecodingError.self) { try Self.decode(Int64.self, "9007199254740993") }
        #expect(throws: DecodingError.self) { try Self.decode(UInt8.self, "256") }
        #expect(throws: DecodingError.self) { try Self.decode(UInt.self, "-1") }
        #expect(try Self.decode(Int.self, "1e3") == 1000)
    }
}
