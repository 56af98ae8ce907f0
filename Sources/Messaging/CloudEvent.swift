import Foundation
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

    /// The event as JSON bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Decodes an event, checking the attributes CloudEvents requires.
    public static func decode(_ data: Data) throws -> CloudEvent {
        let event = try JSONDecoder().decode(CloudEvent.self, from: data)
        guard event.specversion == "1.0", !event.id.isEmpty, !event.source.isEmpty, !event.type.isEmpty else {
            throw MalformedEventError(reason: "missing or invalid CloudEvents attributes")
        }
        return event
    }

    /// Decodes `data` as `Payload`.
    public func payload<Payload: Decodable>(as type: Payload.Type) throws -> Payload {
        try JSONDecoder().decode(type, from: JSONEncoder().encode(data))
    }
}

/// A message that is not a CloudEvent Emporium can read; it goes to the dead-letter queue at once.
public struct MalformedEventError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "malformed event: \(reason)" }
}

extension JSONValue {
    /// Encodes any `Encodable` value as a ``JSONValue``.
    public init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
