import EmporiumCore
import Foundation
import Logging
import Metrics
import SQLKit
import ServiceLifecycle
import Storage
import Synchronization
import Tracing

/// Publishes a service's outbox through the transport, in commit order, marking events sent once
/// the transport confirms them. While the transport is down the outbox keeps filling and the relay
/// retries with backoff; nothing is lost.
///
/// On PostgreSQL each batch runs under a transaction-scoped advisory lock, so when several
/// instances of a service run, one relays at a time and order is kept.
public struct OutboxRelay: Service {
    /// Wakes the relay when an event is written, so it need not wait for its next poll.
    public final class Nudge: Sendable {
        private struct State {
            var pending = false
            var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
            var nextID = 0
        }
        private let state = Mutex(State())

        public init() {}

        /// Asks the relay to look at the outbox now.
        public func nudge() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter else {
                    state.pending = true
                    return nil
                }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }

        /// Returns at the next nudge (at once if one came since the last wait), after `timeout`,
        /// or when the task is cancelled, whichever comes first.
        func wait(upTo timeout: Duration) async {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(for: timeout) }
                group.addTask { await self.nextNudge() }
                await group.next()
                group.cancelAll()
            }
        }

        /// One waiter at a time (the relay); cancellation resumes it.
        private func nextNudge() async {
            let id = state.withLock { state in
                defer { state.nextID += 1 }
                return state.nextID
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        if Task.isCancelled { return true }
                        state.waiter = (id, continuation)
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard let waiter = state.waiter, waiter.id == id else { return nil }
                    state.waiter = nil
                    return waiter.continuation
                }
                waiter?.resume()
            }
        }
    }

    private let service: String
    /// The `source` of the service's events.
    private let source: String
    private let database: any Database
    private let transport: any EventTransport
    private let nudge: Nudge
    private let logger: Logger
    private let batchSize: Int
    private let pollInterval: Duration
    private let published: Counter
    private let failures: Counter
    private let pending: Gauge
    private let tracer: (any Tracer)?
    /// `emporium_outbox_oldest_pending_age_seconds`: how long the oldest unsent event has waited.
    private let oldestPendingAge: Gauge

    public init(
        service: String,
        database: any Database,
        transport: any EventTransport,
        nudge: Nudge,
        metrics: any MetricsFactory,
        logger: Logger,
        tracer: (any Tracer)? = nil,
        batchSize: Int = 256,
        pollInterval: Duration = .milliseconds(200)
    ) {
        self.tracer = tracer
        self.service = service
        self.source = Outbox(service: service).source
        self.database = database
        self.transport = transport
        self.nudge = nudge
        self.logger = logger
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        let dimensions = [("service", service)]
        self.published = Counter(label: "emporium_outbox_published_total", dimensions: dimensions, factory: metrics)
        self.failures = Counter(label: "emporium_outbox_publish_failures_total", dimensions: dimensions, factory: metrics)
        self.pending = Gauge(label: "emporium_outbox_pending", dimensions: dimensions, factory: metrics)
        self.oldestPendingAge = Gauge(label: "emporium_outbox_oldest_pending_age_seconds", dimensions: dimensions, factory: metrics)
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            while !Task.isCancelled {
                do {
                    let more = try await relay()
                    backoff.reset()
                    if more { continue }
                    // Idle: wait for a nudge or the next poll, whichever comes first.
                    await nudge.wait(upTo: pollInterval)
                    try Task.checkCancellation()
                } catch is CancellationError {
                    return
                } catch {
                    failures.increment()
                    let delay = backoff.next()
                    if backoff.attempt == 1 || backoff.attempt % 10 == 0 {
                        logger.error(
                            "outbox relay cannot publish; retrying",
                            metadata: ["service": "\(service)", "transport": "\(transport.description)", "error": "\(error)", "retry_in": "\(delay)"]
                        )
                    }
                    try await Task.sleep(for: delay)
                }
            }
        }
    }

    /// Batches one relay transaction publishes at most on PostgreSQL before it commits.
    static let batchesPerTransaction = 8

    /// Publishes the oldest unsent events; returns whether more may be waiting (the last read
    /// filled a batch).
    ///
    /// On PostgreSQL one transaction, under the advisory lock, relays up to
    /// ``batchesPerTransaction`` batches as a pipeline: while the transport confirms one batch,
    /// the relay marks the previous one sent and reads the next, and it publishes a batch only
    /// after the one before it was confirmed, so the order on the wire is the outbox's. When
    /// publishing fails, the batches confirmed before are still marked sent, then the error is
    /// thrown.
    func relay() async throws -> Bool {
        switch database.kind {
        case .postgres:
            let (more, failure) = try await database.transaction { sql -> (Bool, (any Error)?) in
                let key = AdvisoryLockKey("\(service).outbox-relay").value
                let locked = try await sql.raw("SELECT pg_try_advisory_xact_lock(\(bind: key)) AS locked").first()?
                    .decode(column: "locked", as: Bool.self) ?? false
                guard locked else { return (false, nil) }  // another instance is relaying
                // Losing this transaction's commit in a crash only means publishing its batches
                // again, which consumers' inboxes make harmless: no need to wait for the WAL flush.
                try await sql.raw("SET LOCAL synchronous_commit = off").run()
                var batch = try await unsent(after: nil, sql)
                var confirmed: [Int64] = []
                var failure: (any Error)?
                var round = 1
                while !batch.isEmpty {
                    let events = batch.map(\.event)
                    async let publishing: Void = publish(events)
                    if !confirmed.isEmpty {
                        try await markSent(confirmed, sql)
                        confirmed = []
                    }
                    let following = round < Self.batchesPerTransaction ? try await unsent(after: batch.last?.sequence, sql) : []
                    do {
                        try await publishing
                    } catch {
                        failure = error
                        break
                    }
                    published.increment(by: batch.count)
                    confirmed = batch.map(\.sequence)
                    if following.isEmpty { break }
                    batch = following
                    round += 1
                }
                if !confirmed.isEmpty { try await markSent(confirmed, sql) }
                return (failure == nil && batch.count == batchSize, failure)
            }
            if let failure { throw failure }
            return more
        case .sqlite:
            // Read on a reader connection, publish, then mark in a short write transaction: the
            // single SQLite writer is never held while the broker confirms.
            let batch = try await database.withConnection { sql in try await unsent(after: nil, sql) }
            guard !batch.isEmpty else { return false }
            try await publish(batch.map(\.event))
            try await database.transaction { sql in try await markSent(batch.map(\.sequence), sql) }
            published.increment(by: batch.count)
            return batch.count == batchSize
        }
    }

    /// Publishes `events` with the transport; with a tracer, each event written in a span (it has
    /// a `traceparent`) in a producer span that is a child of that span, ended once the transport
    /// has confirmed the batch.
    private func publish(_ events: [StoredEvent]) async throws {
        guard let tracer else { return try await transport.publish(stored: events) }
        let spans = events.compactMap { event in
            transport.span(.publish, of: (event.id, event.type, event.traceparent), tracer: tracer, extra: ["emporium.outbox": .string(service)])
        }
        do {
            try await transport.publish(stored: events)
        } catch {
            for span in spans {
                span.recordError(error)
                span.end()
            }
            throw error
        }
        for span in spans { span.end() }
    }

    /// The oldest unsent events, up to a batch, after the outbox sequence `after` when given.
    private func unsent(after: Int64?, _ sql: any SQLDatabase) async throws -> [(sequence: Int64, event: StoredEvent)] {
        let rows = try await sql.raw(
            """
            SELECT sequence, event_id, type, payload, created_at FROM emporium_outbox
            WHERE service = \(bind: service) AND sent_at IS NULL AND sequence > \(bind: after ?? 0)
            ORDER BY sequence LIMIT \(bind: batchSize)
            """
        ).all()
        if after == nil { pending.record(rows.count) }
        if after == nil { oldestPendingAge.record(try Self.age(ofOldest: rows.first)) }
        return try rows.map { row in
            let event = StoredEvent(
                id: try row.decode(column: "event_id", as: String.self), type: try row.decode(column: "type", as: String.self),
                source: source, json: try row.decode(column: "payload", as: String.self))
            return (try row.decode(column: "sequence", as: Int64.self), event)
        }
    }

    /// Seconds since the outbox row `row` was written (0 without a row, or for a time ahead of
    /// this process's clock).
    private static func age(ofOldest row: (any SQLRow)?) throws -> Double {
        guard let row else { return 0 }
        let createdAt = try Timestamp.parse(try row.decode(column: "created_at", as: String.self))
        return max(0, Date.now.timeIntervalSince(createdAt))
    }

    private func markSent(_ sequences: [Int64], _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE emporium_outbox SET sent_at = \(bind: Timestamp.format(.now)) WHERE sequence IN (\(binds: sequences))"
        ).run()
    }
}

/// Exponential backoff with jitter, from 100 ms up to 5 s.
struct Backoff {
    private(set) var attempt = 0

    mutating func next() -> Duration {
        attempt += 1
        let base = min(5_000.0, 100.0 * pow(2.0, Double(min(attempt - 1, 10))))
        return .milliseconds(Int(base * Double.random(in: 0.8...1.2)))
    }

    mutating func reset() { attempt = 0 }
}
