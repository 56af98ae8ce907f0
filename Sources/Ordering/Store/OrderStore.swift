import EmporiumContracts
import EmporiumCore
import Foundation
import Messaging
import SQLKit
import Security
import Storage

/// The orders' SQL: the event streams, their projections, sealed shipping addresses and
/// checkout keys, one store for PostgreSQL and SQLite.
///
/// Every append is one transaction: the events at the next versions (the stream's primary key
/// refuses a second writer at the same version), the projection rows of the fold, and the
/// `orders.order.*` events in the outbox.
struct OrderStore: Sendable {
    let database: any Database
    let outbox: Outbox
    let cipher: FieldCipher

    /// The field name the shipping address is sealed under.
    static let addressField = "orders.shipping_address"

    /// A checkout key's record.
    struct CheckoutKeyRecord: Sendable, Equatable {
        var fingerprint: String
        var orderId: String
    }

    // MARK: Streams

    /// The stream of `orderId`, oldest first; empty when there is no such order.
    func events(orderId: String) async throws -> [RecordedOrderEvent] {
        try await database.withConnection { sql in try await events(orderId: orderId, sql) }
    }

    /// The order `id` folded from its stream, or nil.
    func order(id: String) async throws -> Order? {
        let events = try await events(orderId: id)
        return events.isEmpty ? nil : try Order(events: events)
    }

    func order(id: String, _ sql: any SQLDatabase) async throws -> Order? {
        let events = try await events(orderId: id, sql)
        return events.isEmpty ? nil : try Order(events: events)
    }

    private func events(orderId: String, _ sql: any SQLDatabase) async throws -> [RecordedOrderEvent] {
        try await sql.raw(
            "SELECT order_id, version, type, data, recorded_at FROM order_events WHERE order_id = \(bind: orderId) ORDER BY version"
        ).all().map(Self.recorded)
    }

    /// How a checkout's placement went.
    enum Placement: Sendable {
        case placed(Order)
        /// The user used the key before: its record.
        case existing(CheckoutKeyRecord)
    }

    /// Claims the user's checkout key and places the order (its `placed` event, projection,
    /// sealed address and `orders.order.placed`), in one transaction. A concurrent checkout with
    /// the same key waits for this transaction (the key's primary key), then finds the record.
    func place(
        orderId: String, _ placement: OrderChange.Placement, address: PostalAddress, key: String, fingerprint: String, now: Date
    ) async throws -> Placement {
        let at = Timestamp.format(now)
        let sealed = try cipher.seal(try JSONText.encode(address), field: Self.addressField)
        return try await database.transaction { sql -> Placement in
            let claimed = try await sql.raw(
                """
                INSERT INTO checkout_keys (user_id, idempotency_key, fingerprint, order_id, created_at)
                VALUES (\(bind: placement.userId), \(bind: key), \(bind: fingerprint), \(bind: orderId), \(bind: at))
                ON CONFLICT DO NOTHING RETURNING order_id
                """
            ).all()
            guard !claimed.isEmpty else {
                guard let record = try await checkoutKey(userId: placement.userId, key: key, sql) else {
                    throw OrderStoreError(reason: "the checkout key was claimed and released at once; try again")
                }
                return .existing(record)
            }
            try await sql.raw("INSERT INTO order_addresses (order_id, address) VALUES (\(bind: orderId), \(bind: sealed))").run()
            let event = RecordedOrderEvent(orderId: orderId, version: 1, change: .placed(placement), recordedAt: at)
            try await insert(event, sql)
            let order = try Order(events: [event])
            try await OrderProjection.write(order, withLines: true, sql)
            try await publish(.placed(placement), order, sql)
            return .placed(order)
        }
    }

    /// Appends `changes` to `order`'s stream at the versions after `order.version`, in one
    /// transaction with the projection and the published events.
    /// - Returns: the order afterwards (unchanged when `changes` is empty).
    /// - Throws: ``OrderError/concurrentChange(orderId:expectedVersion:)`` when another writer
    ///   appended first: nothing is written; reload and decide again.
    func append(_ changes: [OrderChange], to order: Order, now: Date = .now) async throws -> Order {
        guard !changes.isEmpty else { return order }
        do {
            return try await database.transaction { sql in try await append(changes, to: order, now: now, sql) }
        } catch where isUniqueViolation(error) {
            throw OrderError.concurrentChange(orderId: order.id, expectedVersion: order.version)
        }
    }

    /// ``append(_:to:now:)`` inside the caller's transaction (an event consumer's).
    func append(_ changes: [OrderChange], to order: Order, now: Date = .now, _ sql: any SQLDatabase) async throws -> Order {
        let at = Timestamp.format(now)
        var folded = order
        for change in changes {
            let event = RecordedOrderEvent(orderId: order.id, version: folded.version + 1, change: change, recordedAt: at)
            try await insert(event, sql)
            try folded.apply(event)
            try await publish(change, folded, sql)
        }
        try await OrderProjection.write(folded, withLines: false, sql)
        return folded
    }

    private func insert(_ event: RecordedOrderEvent, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO order_events (order_id, version, type, data, recorded_at)
            VALUES (\(bind: event.orderId), \(bind: event.version), \(bind: event.change.type),
                    \(bind: String(decoding: try event.change.encodedData(), as: UTF8.self)), \(bind: event.recordedAt))
            """
        ).run()
    }

    private func publish(_ change: OrderChange, _ order: Order, _ sql: any SQLDatabase) async throws {
        guard let type = change.publishedType else { return }
        try await outbox.record(type: type, subject: order.id, data: order.eventData, in: sql)
    }

    // MARK: Checkout keys

    func checkoutKey(userId: String, key: String) async throws -> CheckoutKeyRecord? {
        try await database.withConnection { sql in try await checkoutKey(userId: userId, key: key, sql) }
    }

    private func checkoutKey(userId: String, key: String, _ sql: any SQLDatabase) async throws -> CheckoutKeyRecord? {
        try await sql.raw(
            "SELECT fingerprint, order_id FROM checkout_keys WHERE user_id = \(bind: userId) AND idempotency_key = \(bind: key)"
        ).first().map { row in
            CheckoutKeyRecord(
                fingerprint: try row.decode(column: "fingerprint", as: String.self), orderId: try row.decode(column: "order_id", as: String.self))
        }
    }

    // MARK: Projection reads

    /// Up to `limit` orders, newest first, before the order id `before`; only `userId`'s and
    /// only in `status` when given.
    func summaries(userId: String?, status: OrderStatus?, before: String?, limit: Int) async throws -> [OrderSummary] {
        try await database.withConnection { sql in
            var query = SQLQueryString("SELECT \(unsafeRaw: OrderProjection.summaryColumns) FROM orders WHERE 1 = 1")
            if let userId { query += " AND user_id = \(bind: userId)" }
            if let status { query += " AND status = \(bind: status.rawValue)" }
            if let before { query += " AND id < \(bind: before)" }
            query += " ORDER BY id DESC LIMIT \(bind: limit)"
            return try await sql.raw(query).all().map(OrderProjection.summary)
        }
    }

    /// The order `id` as the projection and its sealed address show it, or nil.
    func details(id: String) async throws -> OrderDetails? {
        try await database.withConnection { sql in
            guard let row = try await sql.raw("SELECT \(unsafeRaw: OrderProjection.summaryColumns) FROM orders WHERE id = \(bind: id)").first()
            else { return nil }
            let lines = try await sql.raw(
                "SELECT sku, product_id, product_name, quantity, currency, unit_price, line_total FROM order_lines WHERE order_id = \(bind: id) ORDER BY position"
            ).all().map(OrderProjection.line)
            let sealed = try await sql.raw("SELECT address FROM order_addresses WHERE order_id = \(bind: id)").first()
                .map { try $0.decode(column: "address", as: String.self) }
            let address = try sealed.map { try JSONText.decode(PostalAddress.self, from: try cipher.open($0, field: Self.addressField)) }
            return try OrderProjection.details(row, lines: lines, address: address)
        }
    }

    /// The SQL condition of an unsettled order row (``Order/isUnsettled``): checking out, or with
    /// a cancellation or shipment under way. The index `orders_unsettled` has the same condition.
    static let unsettledCondition =
        "(status IN (\(OrderStatus.checkingOut.map { "'\($0.rawValue)'" }.joined(separator: ", "))) OR intent IS NOT NULL)"

    /// Ids of up to `limit` unsettled orders (checking out, or with a cancellation or shipment
    /// under way) whose last change is older than `cutoff`, oldest first.
    func unsettled(changedBefore cutoff: Date, limit: Int) async throws -> [String] {
        try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT id FROM orders
                WHERE \(unsafeRaw: Self.unsettledCondition) AND updated_at < \(bind: Timestamp.format(cutoff))
                ORDER BY updated_at LIMIT \(bind: limit)
                """
            ).all().map { try $0.decode(column: "id", as: String.self) }
        }
    }

    /// How many orders are unsettled now.
    func unsettledCount() async throws -> Int {
        try await database.withConnection { sql in
            let row = try await sql.raw(
                "SELECT COUNT(*) AS n FROM orders WHERE \(unsafeRaw: Self.unsettledCondition)"
            ).first()
            return Int(try row?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }

    // MARK: Replay

    /// Rebuilds `orders` and `order_lines` from the streams, `batchSize` orders per transaction,
    /// calling `progress(done, total)` after each batch; rows without a stream are deleted.
    /// - Returns: how many orders were rebuilt.
    func replay(batchSize: Int = 500, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        let total = try await database.withConnection { sql in
            Int(try await sql.raw("SELECT COUNT(DISTINCT order_id) AS n FROM order_events").first()?.decode(column: "n", as: Int64.self) ?? 0)
        }
        var done = 0
        var after = ""
        while true {
            let rebuilt = try await database.transaction { sql -> String? in
                let ids = try await sql.raw(
                    "SELECT DISTINCT order_id FROM order_events WHERE order_id > \(bind: after) ORDER BY order_id LIMIT \(bind: batchSize)"
                ).all().map { try $0.decode(column: "order_id", as: String.self) }
                for id in ids {
                    guard let order = try await order(id: id, sql) else { continue }
                    try await OrderProjection.write(order, withLines: true, sql)
                }
                return ids.last.map { last in
                    done += ids.count
                    return last
                }
            }
            guard let rebuilt else { break }
            after = rebuilt
            progress(done, total)
        }
        try await database.transaction { sql in
            try await sql.raw("DELETE FROM order_lines WHERE order_id NOT IN (SELECT order_id FROM order_events)").run()
            try await sql.raw("DELETE FROM orders WHERE id NOT IN (SELECT order_id FROM order_events)").run()
        }
        return done
    }

    // MARK: Personal data

    /// Re-seals every shipping address under the active data key.
    func reencrypt(batchSize: Int = 500) async throws -> Int {
        var resealed = 0
        var after = ""
        while true {
            let rows = try await database.withConnection { sql in
                try await sql.raw(
                    "SELECT order_id, address FROM order_addresses WHERE order_id > \(bind: after) ORDER BY order_id LIMIT \(bind: batchSize)"
                ).all().map { (try $0.decode(column: "order_id", as: String.self), try $0.decode(column: "address", as: String.self)) }
            }
            guard let last = rows.last else { return resealed }
            after = last.0
            for (id, sealed) in rows where try cipher.needsReencryption(sealed) {
                let resealedText = try cipher.seal(try cipher.open(sealed, field: Self.addressField), field: Self.addressField)
                try await database.transaction { sql in
                    try await sql.raw(
                        "UPDATE order_addresses SET address = \(bind: resealedText) WHERE order_id = \(bind: id) AND address = \(bind: sealed)"
                    ).run()
                }
                resealed += 1
            }
        }
    }

    static func recorded(_ row: any SQLRow) throws -> RecordedOrderEvent {
        RecordedOrderEvent(
            orderId: try row.decode(column: "order_id", as: String.self),
            version: Int(try row.decode(column: "version", as: Int64.self)),
            change: try OrderChange(type: try row.decode(column: "type", as: String.self), data: Data(try row.decode(column: "data", as: String.self).utf8)),
            recordedAt: try row.decode(column: "recorded_at", as: String.self))
    }
}

/// The orders database could not do what was asked, for a reason a retry may fix.
struct OrderStoreError: Error, CustomStringConvertible {
    var reason: String
    var description: String { "orders store: \(reason)" }
}
