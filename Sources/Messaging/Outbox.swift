public import EmporiumCore
import Foundation
public import SQLKit
public import Storage

/// Writes a service's events to its outbox table inside the caller's transaction, so an event
/// exists if and only if the state change that caused it committed. ``OutboxRelay`` publishes them.
public struct Outbox: Sendable {
    /// The producing service, as in `source` (`/emporium/catalog`).
    public let source: String
    /// The producing service (its rows in the outbox table).
    public let service: String
    private let relayNudge: OutboxRelay.Nudge?
    private let traceparent: @Sendable () -> String?

    /// Rows per `INSERT` statement when recording many events: 5 parameters a row keeps a
    /// statement far below PostgreSQL's 65,535 and SQLite's 32,766 bound parameters.
    static let rowsPerStatement = 1_000

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

    /// An event to record: what happened, to which aggregate, with what payload.
    public struct Draft: Sendable {
        /// What happened (`catalog.product.created`).
        public var type: String
        /// The aggregate it happened to.
        public var subject: String?
        /// The payload.
        public var data: JSONValue

        public init(type: String, subject: String?, data: JSONValue) {
            self.type = type
            self.subject = subject
            self.data = data
        }

        /// - Throws: when `data` cannot be encoded as JSON.
        public init(type: String, subject: String?, encoding data: some Encodable) throws {
            self.init(type: type, subject: subject, data: try JSONValue(encoding: data))
        }
    }

    /// Records an event in the outbox, in the transaction `sql` belongs to.
    /// - Parameters:
    ///   - type: What happened (`catalog.product.created`).
    ///   - subject: The aggregate it happened to.
    ///   - data: The payload.
    ///   - sql: A connection inside the caller's open transaction.
    @discardableResult
    public func record(type: String, subject: String?, data: some Encodable, in sql: any SQLDatabase) async throws -> CloudEvent {
        try await record([Draft(type: type, subject: subject, encoding: data)], in: sql)[0]
    }

    /// Records `drafts` in the outbox, in this order, in the transaction `sql` belongs to, with
    /// one multi-row `INSERT` per 1,000 events: for work that causes many events at once.
    /// - Returns: The events as they will be published.
    @discardableResult
    public func record(_ drafts: [Draft], in sql: any SQLDatabase) async throws -> [CloudEvent] {
        guard !drafts.isEmpty else { return [] }
        let traceparent = self.traceparent()
        let events = drafts.map { draft in
            CloudEvent(source: source, type: draft.type, subject: draft.subject, data: draft.data, traceparent: traceparent)
        }
        try await Self.insert(events, service: service, sql)
        relayNudge?.nudge()
        return events
    }

    static func insert(_ events: [CloudEvent], service: String, _ sql: any SQLDatabase) async throws {
        let createdAt = Timestamp.format(.now)
        var start = events.startIndex
        while start < events.endIndex {
            let chunk = events[start..<min(start + rowsPerStatement, events.endIndex)]
            let rows: [SQLQueryString] = try chunk.map { event in
                "(\(bind: service), \(bind: event.id), \(bind: event.type), \(bind: try StoredEvent(event).json), \(bind: createdAt))"
            }
            // Rows get their sequence numbers in VALUES order, which is the order given.
            try await sql.raw(
                "INSERT INTO emporium_outbox (service, event_id, type, payload, created_at) VALUES \(rows.joined(separator: ", "))"
            ).run()
            start = chunk.endIndex
        }
    }
}
