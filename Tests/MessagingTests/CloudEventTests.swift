import EmporiumCore
import Foundation
@testable import Kafka
import Messaging
import NIOCore
import Testing

@Suite("CloudEvents envelope")
struct CloudEventTests {
    @Test("JSON format with the required attributes, the subject and the traceparent extension")
    func encodesCloudEventsJSON() throws {
        let event = CloudEvent(
            source: "/emporium/catalog", type: "catalog.product.created", subject: "p-1",
            data: .object(["name": .string("Shoe")]), traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        )
        let object = try #require(try JSONSerialization.jsonObject(with: try event.encoded()) as? [String: Any])
        #expect(object["specversion"] as? String == "1.0")
        #expect(object["id"] as? String == event.id)
        #expect(object["source"] as? String == "/emporium/catalog")
        #expect(object["type"] as? String == "catalog.product.created")
        #expect(object["subject"] as? String == "p-1")
        #expect(object["datacontenttype"] as? String == "application/json")
        #expect((object["data"] as? [String: Any])?["name"] as? String == "Shoe")
        #expect(object["traceparent"] as? String == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let time = try #require(object["time"] as? String)
        #expect(try Date(time, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) <= Date.now)
        #expect(try CloudEvent.decode(try event.encoded()) == event)
    }

    @Test("ids are unique and time-ordered")
    func idsAreUnique() {
        let ids = (0..<1000).map { _ in CloudEvent(source: "/s", type: "t", subject: nil, data: .null).id }
        #expect(Set(ids).count == 1000)
        #expect(ids == ids.sorted(), "IDs made later sort later, even within one millisecond")
    }

    @Test("an envelope without a required attribute is refused", arguments: ["id", "source", "type", "specversion"])
    func refusesIncompleteEnvelopes(missing: String) throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: try CloudEvent(source: "/s", type: "t", subject: nil, data: .null).encoded()) as? [String: Any]
        )
        object[missing] = missing == "specversion" ? "0.3" : ""
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: (any Error).self) { try CloudEvent.decode(data) }
    }
}

/// The JSON reader and writer of ``CloudEvent`` against its `Codable` form through Foundation,
/// which `encoded()` and `decode(_:)` used before.
@Suite("CloudEvents envelope: the fast JSON path against Codable")
struct CloudEventCodableCompatibilityTests {
    static let foundationEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let events: [CloudEvent] = {
        let data: [JSONValue] = [
            .null,
            .object(["name": .string("Shoe"), "price": .number(12.5), "stock": .number(3), "tags": .array([.string("a/b"), .bool(true)])]),
            .object([
                "unicode": .string("é e\u{301} 😀 👩‍👩‍👧 🇫🇷 中文 \u{2028}"), "controls": .string("\"\\\n\r\t\u{0}\u{1F}\u{7F}"),
                "numbers": .array([.number(0), .number(-0.0), .number(1e300), .number(9_007_199_254_740_992), .number(0.1), .number(-1.5e-7), .number(1e15)]),
                "nested": .object(["B": .object(["a": .array([.object([:]), .array([]), .null])]), "a": .number(-7)]),
            ]),
            .array([.number(1), .string("two")]),
            .string("just a string"),
        ]
        var events: [CloudEvent] = []
        for (index, data) in data.enumerated() {
            events.append(
                CloudEvent(
                    source: "/emporium/catalog", type: "catalog.product.created",
                    subject: index.isMultiple(of: 2) ? "p-\(index)" : nil, data: data,
                    traceparent: index % 3 == 0 ? nil : "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                )
            )
        }
        return events
    }()

    @Test("an event JSONEncoder wrote decodes to the same event, and encoded() writes the same bytes", arguments: events)
    func readsCodableOutput(event: CloudEvent) throws {
        let old = try Self.foundationEncoder.encode(event)
        #expect(try CloudEvent.decode(old) == event)
        #expect(try event.encoded() == old, "\(String(decoding: old, as: UTF8.self))")
    }

    @Test("an event encoded() wrote decodes with JSONDecoder to the same event", arguments: events)
    func codableReadsOutput(event: CloudEvent) throws {
        #expect(try JSONDecoder().decode(CloudEvent.self, from: event.encoded()) == event)
        #expect(try CloudEvent.decode(event.encoded()) == event)
    }

    @Test("pretty-printed JSON with unknown members, null subject and traceparent, null data is read as Codable reads it")
    func readsWhatCodableReads() throws {
        let text = Data(
            """
            {
              "specversion" : "1.0", "id" : "e-1", "source" : "\\/emporium\\/identity", "type" : "identity.user.registered",
              "time" : "2026-01-02T03:04:05.678Z", "datacontenttype" : "application/json", "data" : null,
              "subject" : null, "traceparent" : null, "dataschema" : "https://example.invalid/schema", "extension" : [1, {"x": 2}]
            }
            """.utf8
        )
        let event = try CloudEvent.decode(text)
        #expect(event == (try JSONDecoder().decode(CloudEvent.self, from: text)))
        #expect(event.source == "/emporium/identity")
        #expect(event.subject == nil && event.traceparent == nil && event.data == .null)
    }

    /// Envelopes `decode(_:)` refuses: a required attribute missing or of the wrong type (which
    /// `Codable` refuses too), or a value `decode(_:)` checks after decoding.
    static let malformedEnvelopes: [(String, String)] = {
        let complete = #""specversion":"1.0","id":"e-1","source":"/s","type":"t","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json""#
        var cases: [(String, String)] = []
        for name in ["specversion", "id", "source", "type", "time", "datacontenttype"] {
            let without = complete.split(separator: ",").filter { !$0.hasPrefix("\"\(name)\"") }.joined(separator: ",")
            cases.append(("no \(name)", "{\(without),\"data\":1}"))
            cases.append(("\(name) a number", "{\(without),\"\(name)\":1,\"data\":1}"))
            cases.append(("\(name) null", "{\(without),\"\(name)\":null,\"data\":1}"))
        }
        cases.append(("no data", "{\(complete)}"))
        cases.append(("subject a number", "{\(complete),\"data\":1,\"subject\":5}"))
        cases.append(("traceparent an object", "{\(complete),\"data\":1,\"traceparent\":{}}"))
        cases.append(("specversion 0.3", "{\(complete.replacingOccurrences(of: "1.0", with: "0.3")),\"data\":1}"))
        cases.append(("empty id", "{\(complete.replacingOccurrences(of: "e-1", with: "")),\"data\":1}"))
        cases.append(("an array", "[{\(complete),\"data\":1}]"))
        return cases
    }()

    @Test("an envelope Codable refuses, or with an invalid attribute, is refused with MalformedEventError", arguments: malformedEnvelopes)
    func refusesWhatCodableRefuses(name: String, json: String) throws {
        if !["specversion 0.3", "empty id"].contains(name) {
            #expect(throws: (any Error).self, "Codable, \(name)") { try JSONDecoder().decode(CloudEvent.self, from: Data(json.utf8)) }
        }
        #expect(throws: MalformedEventError.self, "\(name)") { try CloudEvent.decode(Data(json.utf8)) }
    }

    @Test("the complete envelope of those cases is read")
    func readsCompleteEnvelope() throws {
        let json = #"{"specversion":"1.0","id":"e-1","source":"/s","type":"t","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json","data":1}"#
        #expect(try CloudEvent.decode(Data(json.utf8)).data == .number(1))
    }

    @Test("text that is not JSON is refused with the reader's error")
    func refusesInvalidJSON() {
        #expect(throws: JSONParsingError(offset: 14, reason: .trailingComma)) { try CloudEvent.decode(Data(#"{"id":"e-1",  }"#.utf8)) }
        #expect(throws: JSONParsingError(offset: 0, reason: .emptyInput)) { try CloudEvent.decode(Data()) }
    }

    @Test("JSONValue(encoding:) and payload(as:) round-trip a Codable payload")
    func payloadRoundTrip() throws {
        struct Payload: Codable, Equatable {
            var name: String
            var price: Double
            var count: Int
            var tags: [String]
            var note: String?
            var url: String
        }
        let payload = Payload(name: "Shoe 👟", price: 0.1, count: -3, tags: ["a", "b"], note: nil, url: "https://shop/p/1")
        let data = try JSONValue(encoding: payload)
        #expect(data == (try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(payload))))
        let event = CloudEvent(source: "/s", type: "t", subject: nil, data: data)
        #expect(try CloudEvent.decode(event.encoded()).payload(as: Payload.self) == payload)
    }
}

@Suite("CloudEvents batched mode: several events in one JSON array")
struct CloudEventBatchTests {
    @Test("a JSON array of events decodes to the events in order")
    func decodesABatch() throws {
        let events = (0..<3).map { CloudEvent(source: "/tests", type: "test.batch", subject: "\($0)", data: .object(["n": .number(Double($0))])) }
        let body = "[" + (try events.map { String(decoding: try $0.encoded(), as: UTF8.self) }).joined(separator: ",") + "]"
        #expect(try CloudEvent.decodeBatch(ByteBuffer(string: body)) == events)
    }

    @Test("a batch that is not a non-empty array of events is refused", arguments: [
        #"{"specversion":"1.0"}"#, "[]", #"[{"specversion":"1.0","id":"","source":"/s","type":"t","time":"x","datacontenttype":"application/json","data":null}]"#, "[1]",
    ])
    func refusesMalformedBatches(body: String) {
        #expect(throws: MalformedEventError.self) { try CloudEvent.decodeBatch(ByteBuffer(string: body)) }
    }

    @Test("a batch that is not JSON is refused")
    func refusesNonJSON() {
        #expect(throws: JSONParsingError.self) { try CloudEvent.decodeBatch(ByteBuffer(string: "[{")) }
    }
}

@Suite("CloudEvents in Kafka's binary mode: data read by the same strict reader as every transport")
struct KafkaBindingDataTests {
    static func record(value: String) throws -> KafkaRecord {
        let event = CloudEvent(id: "e1", source: "/tests", type: "tests.thing.happened", subject: "s1", data: .object(["n": .number(1)]))
        let produced = try KafkaCloudEventBinding.record(event)
        return KafkaRecord(
            topic: "events", partition: 0, offset: 0, timestamp: 1_800_000_000_000,
            key: produced.key, value: ByteBuffer(string: value), headers: produced.headers
        )
    }

    @Test("data the strict reader refuses is a malformed event, as on RabbitMQ", arguments: [
        #"{"n": 1e999}"#, #"{"s": "\ud800"}"#, "{\"s\": \"raw \u{01} control\"}", #"{"n": 1,}"#, "not json",
    ])
    func refusesWhatTheReaderRefuses(value: String) throws {
        #expect(throws: MalformedEventError.self) { try KafkaCloudEventBinding.event(from: try Self.record(value: value)) }
        #expect(throws: JSONParsingError.self) { try JSONValue(parsing: value) }
    }

    @Test("data is written by the project's writer and read back unchanged")
    func roundTrip() throws {
        let data: JSONValue = .object(["name": .string("zoë / \"quoted\""), "n": .number(12.5), "list": .array([.bool(true), .null])])
        let event = CloudEvent(id: "e2", source: "/tests", type: "tests.thing.happened", subject: "s2", data: data)
        let produced = try KafkaCloudEventBinding.record(event)
        #expect(produced.value.map { Array(buffer: $0) } == (try data.serializedBytes()))
        let record = KafkaRecord(
            topic: "events", partition: 0, offset: 0, timestamp: 0, key: produced.key, value: produced.value, headers: produced.headers)
        #expect(try KafkaCloudEventBinding.event(from: record).data == data)
    }
}
