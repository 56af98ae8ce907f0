public import EmporiumCore
import Foundation
public import NIOCore
public import Storage

/// A CloudEvents 1.0 event in its JSON format: the envelope of every event Emporium publishes.
///
/// `type` names what happened (`catalog.product.created`) and is the broker's routing key;
/// `subject` is the aggregate it happened to (a product id), so one aggregate's events can be
/// kept in order; `traceparent` carries the W3C trace of the request that caused it.
public struct CloudEvent: Codable, Sendable, Equatable {
    public var specversion = "1.0"
    /// Unique per event (UUIDv7); consumers use it to ignore redeliveries.
    public var id: String
    /// The producer, `/emporium/<service>`.
    public var source: String
    /// What happened, `<service>.<aggregate>.<past-tense verb>`.
    public var type: String
    /// When it happened (ISO 8601 UTC).
    public var time: String
    /// The aggregate it happened to.
    public var subject: String?
    public var datacontenttype = "application/json"
    /// The event's payload.
    public var data: JSONValue
    /// W3C trace context of the request that caused the event (CloudEvents distributed tracing extension).
    public var traceparent: String?

    public init(
        id: String = UUID.v7().lowercased,
        source: String,
        type: String,
        time: Date = .now,
        subject: String?,
        data: JSONValue,
        traceparent: String? = nil
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time.ISO8601Format(.iso8601WithTimeZone(includingFractionalSeconds: true))
        self.subject = subject
        self.data = data
        self.traceparent = traceparent
    }

    /// The event as JSON bytes: the CloudEvents JSON format, keys sorted, `subject` and
    /// `traceparent` left out when nil: the same bytes `JSONEncoder` with `.sortedKeys` and
    /// `.withoutEscapingSlashes` writes on Linux for the event's `Codable` form, written directly.
    /// - Throws: ``JSONWritingError`` when `data` holds a NaN or infinite number.
    public func encoded() throws -> Data {
        var writer = JSONTextWriter(capacity: 512)
        writer.beginObject()
        writer.writeKey("data")
        try writer.write(data)
        writer.writeKey("datacontenttype")
        writer.write(datacontenttype)
        writer.writeKey("id")
        writer.write(id)
        writer.writeKey("source")
        writer.write(source)
        writer.writeKey("specversion")
        writer.write(specversion)
        if let subject {
            writer.writeKey("subject")
            writer.write(subject)
        }
        writer.writeKey("time")
        writer.write(time)
        if let traceparent {
            writer.writeKey("traceparent")
            writer.write(traceparent)
        }
        writer.writeKey("type")
        writer.write(type)
        writer.endObject()
        return Data(writer.bytes)
    }

    /// Decodes an event, checking the attributes CloudEvents requires.
    ///
    /// Reads what the `Codable` form reads: `specversion`, `id`, `source`, `type`, `time` and
    /// `datacontenttype` must be strings, `data` must be present (it may be `null`), `subject`
    /// and `traceparent` are strings, `null` or absent; other members are ignored.
    /// - Throws: ``JSONParsingError`` when `data` is not JSON; ``MalformedEventError`` when it is
    ///   not such an object, or `specversion` is not 1.0, or `id`, `source` or `type` is empty.
    public static func decode(_ data: Data) throws -> CloudEvent {
        try decoded(JSONValue(parsing: data))
    }

    /// Decodes an event from a message body in place (no copy), like ``decode(_:)``.
    public static func decode(_ buffer: ByteBuffer) throws -> CloudEvent {
        try decoded(JSONValue(parsing: buffer))
    }

    /// The media type of several events in one JSON array: the CloudEvents JSON format's
    /// batched content mode.
    public static let batchContentType = "application/cloudevents-batch+json"

    /// Decodes a batch of events (a JSON array of event objects, ``batchContentType``) from a
    /// message body in place, each as ``decode(_:)-(ByteBuffer)`` does.
    /// - Throws: ``JSONParsingError`` when the body is not JSON; ``MalformedEventError`` when it
    ///   is not a non-empty array of events.
    public static func decodeBatch(_ buffer: ByteBuffer) throws -> [CloudEvent] {
        guard case .array(let items) = try JSONValue(parsing: buffer) else {
            throw MalformedEventError(reason: "a batch is not a JSON array")
        }
        guard !items.isEmpty else { throw MalformedEventError(reason: "an empty batch") }
        return try items.map(decoded)
    }

    private static func decoded(_ json: JSONValue) throws -> CloudEvent {
        guard case .object(let members) = json else {
            throw MalformedEventError(reason: "not a JSON object")
        }
        let event = try CloudEvent(members: members)
        guard event.specversion == "1.0", !event.id.isEmpty, !event.source.isEmpty, !event.type.isEmpty else {
            throw MalformedEventError(reason: "missing or invalid CloudEvents attributes")
        }
        return event
    }

    /// The event in the members of its JSON object.
    private init(members: [String: JSONValue]) throws(MalformedEventError) {
        func required(_ name: String) throws(MalformedEventError) -> String {
            switch members[name] {
            case .string(let value)?: return value
            case nil: throw MalformedEventError(reason: "no \(name) attribute")
            default: throw MalformedEventError(reason: "the \(name) attribute is not a string")
            }
        }
        func optional(_ name: String) throws(MalformedEventError) -> String? {
            switch members[name] {
            case .string(let value)?: return value
            case nil, .null?: return nil
            default: throw MalformedEventError(reason: "the \(name) attribute is not a string")
            }
        }
        guard let data = members["data"] else { throw MalformedEventError(reason: "no data attribute") }
        specversion = try required("specversion")
        id = try required("id")
        source = try required("source")
        type = try required("type")
        time = try required("time")
        subject = try optional("subject")
        datacontenttype = try required("datacontenttype")
        self.data = data
        traceparent = try optional("traceparent")
    }

    /// Decodes `data` as `Payload`.
    public func payload<Payload: Decodable>(as type: Payload.Type) throws -> Payload {
        try JSONDecoder().decode(type, from: Data(data.serializedBytes()))
    }
}

/// A message that is not a CloudEvent Emporium can read; it goes to the dead-letter queue at once.
public struct MalformedEventError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "malformed event: \(reason)" }
}

extension JSONValue {
    /// Encodes any `Encodable` value as a ``JSONValue`` (with `JSONEncoder`'s default strategies).
    public init(encoding value: some Encodable) throws {
        self = try JSONValue(parsing: JSONEncoder().encode(value))
    }
}
