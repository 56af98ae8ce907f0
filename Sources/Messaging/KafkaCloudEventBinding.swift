import EmporiumCore
import Foundation
import Kafka
import NIOCore
import NIOFoundationCompat

/// The CloudEvents Kafka protocol binding (CloudEvents 1.0, `kafka-protocol-binding.md`) in
/// *binary content mode*: each attribute is a record header named `ce_<attribute>`, the data is
/// the record's value and `content-type` carries `datacontenttype`. The record key is the event's
/// subject (the binding's `partitionkey` role), so one aggregate's events share a partition and
/// keep their order; an event without a subject is keyed by its source.
///
/// Reading also accepts *structured content mode* (`content-type: application/cloudevents+json`,
/// the whole event as JSON in the value), which other producers may send.
public enum KafkaCloudEventBinding {
    /// The header carrying `datacontenttype`.
    public static let contentTypeHeader = "content-type"
    /// The prefix of every attribute header.
    public static let attributePrefix = "ce_"

    /// The Kafka record of `event` in binary content mode.
    /// - Throws: when the data cannot be encoded as JSON (it always can for a ``JSONValue``).
    public static func record(_ event: CloudEvent) throws -> KafkaProducerRecord {
        var headers = [
            KafkaHeader(key: "ce_specversion", value: event.specversion),
            KafkaHeader(key: "ce_id", value: event.id),
            KafkaHeader(key: "ce_source", value: event.source),
            KafkaHeader(key: "ce_type", value: event.type),
            KafkaHeader(key: "ce_time", value: event.time),
        ]
        if let subject = event.subject { headers.append(KafkaHeader(key: "ce_subject", value: subject)) }
        if let traceparent = event.traceparent { headers.append(KafkaHeader(key: "ce_traceparent", value: traceparent)) }
        headers.append(KafkaHeader(key: contentTypeHeader, value: event.datacontenttype))
        let value = try event.data.serializedBytes()
        return KafkaProducerRecord(key: ByteBuffer(string: partitionKey(of: event)), value: ByteBuffer(bytes: value), headers: headers)
    }

    /// The record key of `event`: its subject, else its source.
    public static func partitionKey(of event: CloudEvent) -> String {
        event.subject ?? event.source
    }

    /// The event a record carries, in binary or structured content mode.
    /// - Throws: ``MalformedEventError`` when the record is not a CloudEvent Emporium can read
    ///   (a required attribute missing, another spec version, data that is not JSON).
    public static func event(from record: KafkaRecord) throws(MalformedEventError) -> CloudEvent {
        let contentType = record.header(contentTypeHeader)
        if let contentType, contentType.lowercased().hasPrefix("application/cloudevents") {
            guard contentType.lowercased().hasPrefix("application/cloudevents+json") else {
                throw MalformedEventError(reason: "structured mode with content type \(contentType) (only JSON is read)")
            }
            do {
                return try CloudEvent.decode(record.value ?? ByteBuffer())
            } catch let error as MalformedEventError {
                throw error
            } catch {
                throw MalformedEventError(reason: "structured-mode value is not a CloudEvent: \(error)")
            }
        }
        func attribute(_ name: String) -> String? { record.header(attributePrefix + name) }
        func required(_ name: String) throws(MalformedEventError) -> String {
            guard let value = attribute(name), !value.isEmpty else {
                throw MalformedEventError(reason: "no ce_\(name) header (not a CloudEvent in the Kafka binding's binary mode)")
            }
            return value
        }
        let specversion = try required("specversion")
        guard specversion == "1.0" else { throw MalformedEventError(reason: "ce_specversion \(specversion) (only 1.0 is read)") }
        let id = try required("id")
        let source = try required("source")
        let type = try required("type")
        let data: JSONValue
        if let value = record.value, value.readableBytes > 0 {
            if let contentType, !isJSON(contentType) {
                throw MalformedEventError(reason: "data of content type \(contentType) (only JSON is read)")
            }
            do {
                // The same strict reader as every other transport's event bodies.
                data = try JSONValue(parsing: value)
            } catch {
                throw MalformedEventError(reason: "data is not JSON: \(error)")
            }
        } else {
            data = .null
        }
        var event = CloudEvent(
            id: id, source: source, type: type,
            time: Date(timeIntervalSince1970: Double(record.timestamp) / 1000),
            subject: attribute("subject"), data: data, traceparent: attribute("traceparent")
        )
        if let time = attribute("time") { event.time = time }
        if let contentType { event.datacontenttype = contentType }
        return event
    }

    /// Whether `contentType` is JSON (`application/json`, `…+json`, `text/json`, with parameters).
    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json" || media == "text/json" || media.hasSuffix("+json")
    }
}
