import EmporiumCore
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Storage

/// Keeps a service's outbox and inbox tables from growing without bound: every hour it deletes
/// outbox events sent longer ago than ``Retention/sentEvents`` and inbox records older than
/// ``Retention/handledEvents``.
///
/// The inbox must remember an event for longer than any redelivery can take (a broker outage, a
/// dead-lettered event re-published by an operator), hence the long default.
public struct MessagingJanitor: Service {
    /// How long rows are kept.
    public struct Retention: Sendable {
        /// Sent outbox events (kept a while for inspection and replays).
        public var sentEvents: Duration
        /// Inbox records of handled events.
        public var handledEvents: Duration

        public init(sentEvents: Duration = .seconds(7 * 86_400), handledEvents: Duration = .seconds(30 * 86_400)) {
            self.sentEvents = sentEvents
            self.handledEvents = handledEvents
        }
    }

    private let service: String
    private let database: any Database
    private let retention: Retention
    private let interval: Duration
    private let logger: Logger

    public init(service: String, database: any Database, retention: Retention = Retention(), interval: Duration = .seconds(3600), logger: Logger) {
        self.service = service
        self.database = database
        self.retention = retention
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let pruned = try await prune(now: .now)
                    if pruned.outbox + pruned.inbox > 0 {
                        logger.info("pruned messaging tables", metadata: ["service": "\(service)", "outbox": "\(pruned.outbox)", "inbox": "\(pruned.inbox)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("could not prune messaging tables", metadata: ["service": "\(service)", "error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Deletes what is older than the retention at `now`; returns how many rows of each table.
    @discardableResult
    public func prune(now: Date) async throws -> (outbox: Int, inbox: Int) {
        let sentBefore = Timestamp.format(now.addingTimeInterval(-Self.seconds(retention.sentEvents)))
        let handledBefore = Timestamp.format(now.addingTimeInterval(-Self.seconds(retention.handledEvents)))
        return try await database.transaction { sql in
            let outbox = try await sql.raw(
                "DELETE FROM emporium_outbox WHERE service = \(bind: service) AND sent_at IS NOT NULL AND sent_at < \(bind: sentBefore) RETURNING sequence"
            ).all().count
            let inbox = try await sql.raw(
                "DELETE FROM emporium_inbox WHERE consumer = \(bind: service) AND handled_at < \(bind: handledBefore) RETURNING event_id"
            ).all().count
            return (outbox, inbox)
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
