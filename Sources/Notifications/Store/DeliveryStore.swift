import EmporiumCore
import Foundation
import SQLKit
import Storage

/// The deliveries: planned inside the event's inbox transaction, then taken by the dispatcher
/// (a lease: a taken delivery is due again only when the lease ends, so a dispatcher that dies
/// mid-send leaves it to another), and settled with the outcome of the try.
struct DeliveryStore: Sendable {
    let database: any Database

    /// A delivery to plan for an event.
    struct Plan: Sendable {
        var kind: NotificationKind
        var userId: String
        var channel: NotificationChannel
        var target: String
    }

    /// Records `plans` for `event` (its JSON `eventJSON`), due now; a plan the event already has
    /// (same channel and target) is ignored.
    func plan(_ plans: [Plan], eventId: String, eventType: String, eventJSON: String, now: Date, _ sql: any SQLDatabase) async throws {
        let time = Timestamp.format(now)
        for plan in plans {
            try await sql.raw(
                """
                INSERT INTO deliveries (id, event_id, event_type, kind, user_id, channel, target, event, status, attempts,
                    next_attempt_at, created_at, updated_at)
                VALUES (\(bind: UUID.v7(at: now).lowercased), \(bind: eventId), \(bind: eventType), \(bind: plan.kind.rawValue),
                    \(bind: plan.userId), \(bind: plan.channel.rawValue), \(bind: plan.target), \(bind: eventJSON),
                    \(bind: DeliveryStatus.pending.rawValue), \(bind: 0), \(bind: time), \(bind: time), \(bind: time))
                ON CONFLICT (event_id, channel, target) DO NOTHING
                """
            ).run()
        }
    }

    /// Takes up to `limit` due deliveries, oldest due first, for `lease`: each one's tries go
    /// up by one now (so a delivery that crashes its dispatcher every time still dies).
    func take(limit: Int, lease: Duration, now: Date) async throws -> [Delivery] {
        let leaseEnd = Timestamp.format(now.addingTimeInterval(Double(lease.components.seconds)))
        let time = Timestamp.format(now)
        let skipLocked = database.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await database.transaction { sql in
            try await sql.raw(
                """
                UPDATE deliveries SET next_attempt_at = \(bind: leaseEnd), attempts = attempts + 1, updated_at = \(bind: time)
                WHERE id IN (
                    SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= \(bind: time)
                    ORDER BY next_attempt_at LIMIT \(bind: limit)\(unsafeRaw: skipLocked))
                RETURNING id, event_id, kind, user_id, channel, target, event, attempts
                """
            ).all().map(Self.delivery)
        }
    }

    /// Records the outcome of try number `delivery.attempts`: sent, failed, dead (a retry with
    /// no tries left), or due again at `retryAt`. A delivery whose lease ended and that another
    /// dispatcher took meanwhile is left to that one.
    func settle(_ delivery: Delivery, _ outcome: DeliveryOutcome, retryAt: Date?, now: Date) async throws {
        let time = Timestamp.format(now)
        let status: DeliveryStatus, error: String?, due: String?
        switch outcome {
        case .sent: (status, error, due) = (.sent, nil, nil)
        case .failed(let reason): (status, error, due) = (.failed, reason, nil)
        case .retry(let reason): (status, error, due) = retryAt.map { (.pending, reason, Timestamp.format($0)) } ?? (.dead, reason, nil)
        }
        try await database.transaction { sql in
            try await sql.raw(
                """
                UPDATE deliveries SET status = \(bind: status.rawValue), last_error = \(bind: error),
                    next_attempt_at = \(bind: due ?? time), updated_at = \(bind: time),
                    sent_at = \(bind: status == .sent ? time : nil)
                WHERE id = \(bind: delivery.id) AND attempts = \(bind: delivery.attempts) AND status = 'pending'
                """
            ).run()
        }
    }

    /// Deliveries newest first, of one user or of everyone, optionally in one status.
    func list(userId: String?, status: DeliveryStatus?, before: String?, limit: Int) async throws -> [DeliveryView] {
        try await database.withConnection { sql in
            var query = SQLQueryString(
                "SELECT id, event_id, event_type, kind, user_id, channel, target, status, attempts, last_error, next_attempt_at, created_at, sent_at FROM deliveries WHERE 1 = 1"
            )
            if let userId { query += " AND user_id = \(bind: userId)" }
            if let status { query += " AND status = \(bind: status.rawValue)" }
            if let before { query += " AND id < \(bind: before)" }
            query += " ORDER BY id DESC LIMIT \(bind: limit)"
            return try await sql.raw(query).all().map { row in
                let status = try row.decode(column: "status", as: String.self)
                let target = try row.decode(column: "target", as: String.self)
                return DeliveryView(
                    id: try row.decode(column: "id", as: String.self),
                    eventId: try row.decode(column: "event_id", as: String.self),
                    eventType: try row.decode(column: "event_type", as: String.self),
                    kind: try row.decode(column: "kind", as: String.self),
                    userId: try row.decode(column: "user_id", as: String.self),
                    channel: try row.decode(column: "channel", as: String.self),
                    webhookId: target.isEmpty ? nil : target,
                    status: status,
                    attempts: Int(try row.decode(column: "attempts", as: Int64.self)),
                    lastError: try row.decode(column: "last_error", as: String?.self),
                    nextAttemptAt: status == DeliveryStatus.pending.rawValue ? try row.decode(column: "next_attempt_at", as: String.self) : nil,
                    createdAt: try row.decode(column: "created_at", as: String.self),
                    sentAt: try row.decode(column: "sent_at", as: String?.self))
            }
        }
    }

    /// How many deliveries are in each status (the benchmark and the tests).
    func counts() async throws -> [DeliveryStatus: Int] {
        try await database.withConnection { sql in
            var counts: [DeliveryStatus: Int] = [:]
            for row in try await sql.raw("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status").all() {
                guard let status = DeliveryStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
                counts[status] = Int(try row.decode(column: "n", as: Int64.self))
            }
            return counts
        }
    }

    private static func delivery(_ row: any SQLRow) throws -> Delivery {
        let kind = try row.decode(column: "kind", as: String.self)
        let channel = try row.decode(column: "channel", as: String.self)
        guard let knownKind = NotificationKind(rawValue: kind), let knownChannel = NotificationChannel(rawValue: channel) else {
            throw CorruptValueError(value: "\(kind)/\(channel)", expected: "a notification kind and channel")
        }
        return Delivery(
            id: try row.decode(column: "id", as: String.self),
            eventId: try row.decode(column: "event_id", as: String.self),
            kind: knownKind,
            userId: try row.decode(column: "user_id", as: String.self),
            channel: knownChannel,
            target: try row.decode(column: "target", as: String.self),
            event: try row.decode(column: "event", as: String.self),
            attempts: Int(try row.decode(column: "attempts", as: Int64.self)))
    }
}
