import Foundation
public import SQLKit
import Storage

/// Writes a service's events to its outbox table inside the caller's transaction, so an event
/// exists if and only if the state change that caused it committed. ``OutboxRelay`` publishes them.
public struct Outbox: Sendable {
    /// The producing service, as in `source` (`/emporium/catalog`).
    public let source: String
    /// The producing service (its rows in the outbox table).
    public let service: String
    private let relayNudge: OutboxRelay.Nudge?
    private let traceparent: @Sendable () -> String?

    /// - Parameters:
    ///   - service: The producing service's name.
    ///   - relayNudge: Wakes the relay after a write so events go out without waiting for its poll.
    ///   - traceparent: The W3C `traceparent` of the current span (from the process's tracer), so a
    ///     consumer's work joins the trace of the request that caused the event.
    public init(service: String, relayNudge: OutboxRelay.Nudge? = nil, traceparent: @escaping @Sendable () -> String? = { nil }) {
        self.service = service
        self.source = "/emporium/\(service)"
        self.relayNudge = relayNudge
        self.traceparent = traceparent
    }

    /// Records an event in the outbox, in the transaction `sql` belongs to.
    /// - Parameters:
    ///   - type: What happened (`catalog.product.created`).
    ///   - subject: The aggregate it happened to.
    ///   - data: The payload.
    ///   - sql: A connection inside the caller's open transaction.
    @discardableResult
    public func record(type: String, subject: String?, data: some Encodable, in sql: any SQLDatabase) async throws -> CloudEvent {
        let event = CloudEvent(source: source, type: type, subject: subject, data: try JSONValue(encoding: data), traceparent: traceparent())
        try await Self.insert(event, service: service, sql)
        relayNudge?.nudge()
        return event
    }

    static func insert(_ event: CloudEvent, service: String, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO emporium_outbox (service, event_id, type, payload, created_at)
            VALUES (\(bind: service), \(bind: event.id), \(bind: event.type), \(bind: String(decoding: try event.encoded(), as: UTF8.self)), \(bind: Timestamp.format(.now)))
            """
        ).run()
    }
}
