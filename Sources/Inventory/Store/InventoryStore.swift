import EmporiumContracts
import EmporiumCore
import Foundation
import Messaging
import SQLKit
import Storage

/// The inventory's SQL: stock per SKU and warehouse, and reservations by order id, on
/// PostgreSQL or SQLite.
///
/// Overselling is prevented by the database itself: each reservation line is one conditional
/// `UPDATE … SET reserved = reserved + q WHERE … AND on_hand - reserved >= q` inside the
/// reservation's transaction (a line whose update matches no row lacks stock, and the whole
/// transaction rolls back), and the table's CHECK constraints refuse any state with more units
/// reserved than on hand. Stock rows are always locked in SKU order (``ReservationRules/lockOrder(_:)``),
/// after the reservation's row, so concurrent transactions never deadlock.
///
/// Every change records its events in the outbox inside its transaction.
public struct InventoryStore: Sendable {
    /// The one warehouse stock is kept in, for now.
    static let warehouse = "main"

    private let database: any Database
    private let outbox: Outbox
    private let settings: InventorySettings

    /// - Parameters:
    ///   - database: The inventory's database.
    ///   - outbox: Where stock and reservation events are recorded, in the transaction of the change.
    ///   - settings: The reservation TTL and low-stock threshold.
    public init(database: any Database, outbox: Outbox, settings: InventorySettings = .defaults) {
        self.database = database
        self.outbox = outbox
        self.settings = settings
    }

    // MARK: Stock

    /// The stock of `sku`, or nil when it has no stock row.
    public func stock(sku: String) async throws -> StockLevel? {
        try await stock(skus: [sku])[sku]
    }

    /// The stock of each of `skus` that has a stock row.
    public func stock(skus: [String]) async throws -> [String: StockLevel] {
        let unique = Array(Set(skus))
        guard !unique.isEmpty else { return [:] }
        return try await database.withConnection { sql in
            var levels: [String: StockLevel] = [:]
            for chunk in unique.chunked(500) {
                for row in try await sql.raw(
                    """
                    SELECT sku, on_hand, reserved FROM inventory_stock
                    WHERE warehouse = \(bind: Self.warehouse) AND sku IN (\(binds: Array(chunk)))
                    """
                ).all() {
                    let level = try Self.level(row)
                    levels[level.sku] = level
                }
            }
            return levels
        }
    }

    /// Gives each of `skus` that has no stock row one with `onHand` units, inside the caller's
    /// transaction; existing rows are left as they are.
    /// - Returns: how many rows were created.
    @discardableResult
    func createMissingStock(skus: [String], onHand: Int, now: Date = .now, _ sql: any SQLDatabase) async throws -> Int {
        let at = Timestamp.format(now)
        var created = 0
        // Sorted: concurrent consumers insert (and wait on) rows in the same order.
        for chunk in Array(Set(skus)).sorted().chunked(500) {
            let rows: [SQLQueryString] = chunk.map { sku in
                "(\(bind: sku), \(bind: Self.warehouse), \(bind: onHand), 0, \(bind: at))"
            }
            created += try await sql.raw(
                """
                INSERT INTO inventory_stock (sku, warehouse, on_hand, reserved, updated_at)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (sku, warehouse) DO NOTHING
                RETURNING sku
                """
            ).all().count
        }
        return created
    }

    /// Gives each of `skus` without a stock row one with `onHand` units, in its own transaction.
    /// - Returns: how many rows were created.
    @discardableResult
    public func createMissingStock(skus: [String], onHand: Int) async throws -> Int {
        try await database.transaction { sql in try await createMissingStock(skus: skus, onHand: onHand, sql) }
    }

    /// Sets the units on hand of `sku` so that `available` are available (on hand = available +
    /// reserved), and records `inventory.stock.adjusted`, the audit fact of `actor`'s adjustment,
    /// and `inventory.stock.low` when available fell below the threshold, in one transaction.
    /// - Returns: the stock afterwards.
    /// - Throws: ``InventoryError/unknownSKU(_:)`` when `sku` has no stock row.
    public func setAvailable(sku: String, available: Int, actor: String, now: Date = .now) async throws -> StockLevel {
        try await database.transaction { sql in
            guard let row = try await sql.raw(
                """
                SELECT sku, on_hand, reserved FROM inventory_stock
                WHERE sku = \(bind: sku) AND warehouse = \(bind: Self.warehouse)\(unsafeRaw: lockClause)
                """
            ).first() else { throw InventoryError.unknownSKU(sku) }
            let before = try Self.level(row)
            let after = StockRules.level(sku: sku, onHand: available + before.reserved, reserved: before.reserved)
            try await sql.raw(
                """
                UPDATE inventory_stock SET on_hand = \(bind: after.onHand), updated_at = \(bind: Timestamp.format(now))
                WHERE sku = \(bind: sku) AND warehouse = \(bind: Self.warehouse)
                """
            ).run()
            var drafts = [
                try Outbox.Draft(type: InventoryEvents.stockAdjusted, subject: sku, encoding: StockLevelEvent(after)),
                try Outbox.Draft(
                    type: InventoryEvents.auditFact, subject: sku,
                    encoding: AuditFact(adjustmentOf: sku, from: before, to: after, actor: actor, at: now)
                ),
            ]
            if StockRules.crossedBelow(threshold: settings.lowStockThreshold, before: before.available, after: after.available) {
                drafts.append(try lowDraft(after))
            }
            try await outbox.record(drafts, in: sql)
            return after
        }
    }

    // MARK: Reservations

    /// The reservation of `orderId`, or nil when the order has none.
    public func reservation(orderId: UUID) async throws -> Reservation? {
        try await database.withConnection { sql in try await reservation(orderId.lowercased, lock: false, sql) }
    }

    /// Reserves every line for `orderId`, or nothing: one conditional update per line, in SKU
    /// order, in one transaction with the reservation's rows and its events
    /// (`inventory.stock.reserved`, and `inventory.stock.low` for each SKU whose available units
    /// fell below the threshold).
    ///
    /// The order id is claimed first (`INSERT … ON CONFLICT DO NOTHING`): a concurrent call for
    /// the same order waits for the first to finish and then answers its reservation (or, when
    /// the first reserved nothing, makes its own attempt).
    /// - Parameter lines: Lines that passed ``ReservationRules/validate(_:)``.
    /// - Returns: the reservation (made now, or earlier for the same order), or every line
    ///   lacking stock with the units available as read.
    /// - Throws: ``ReservationError/conflict(orderId:status:detail:)`` when the order was
    ///   reserved with other lines.
    public func reserve(orderId: UUID, lines: [ReservationLine], now: Date = .now) async throws -> ReservationOutcome {
        let id = orderId.lowercased
        let at = Timestamp.format(now)
        let expiresAt = Timestamp.format(now.addingTimeInterval(settings.reservationTTL / .milliseconds(1) / 1000))
        do {
            return try await database.transaction { sql in
                let claimed = try await sql.raw(
                    """
                    INSERT INTO inventory_reservations (order_id, status, expires_at, created_at, updated_at)
                    VALUES (\(bind: id), 'reserved', \(bind: expiresAt), \(bind: at), \(bind: at))
                    ON CONFLICT (order_id) DO NOTHING
                    RETURNING order_id
                    """
                ).first() != nil
                guard claimed else {
                    guard let existing = try await reservation(id, lock: false, sql) else {
                        throw ReservationError.notFound(orderId: id)  // unreachable: reservations are never deleted
                    }
                    return .reservation(try ReservationRules.replay(existing, requested: lines))
                }
                // The lines and the event first, the stock rows last: a row is then locked only
                // for its update and the commit (a hot SKU's reservations wait for each other
                // that long), and a shortage rolls all of it back.
                let made = Reservation(orderId: id, status: .reserved, lines: lines, expiresAt: expiresAt)
                try await Self.insertLines(lines, orderId: id, sql)
                try await outbox.record(type: InventoryEvents.stockReserved, subject: id, data: StockReservationEvent(made), in: sql)
                var shortages: [StockShortage] = []
                var drafts: [Outbox.Draft] = []
                for line in ReservationRules.lockOrder(lines) {
                    if shortages.isEmpty, let row = try await sql.raw(
                        """
                        UPDATE inventory_stock SET reserved = reserved + \(bind: line.quantity), updated_at = \(bind: at)
                        WHERE sku = \(bind: line.sku) AND warehouse = \(bind: Self.warehouse) AND on_hand - reserved >= \(bind: line.quantity)
                        RETURNING on_hand, reserved
                        """
                    ).first() {
                        let after = StockRules.level(
                            sku: line.sku, onHand: try row.decode(column: "on_hand", as: Int.self), reserved: try row.decode(column: "reserved", as: Int.self))
                        if StockRules.crossedBelow(threshold: settings.lowStockThreshold, before: after.available + line.quantity, after: after.available) {
                            drafts.append(try lowDraft(after))
                        }
                        continue
                    }
                    // This line lacks stock, or an earlier one did (nothing will be kept): say how
                    // many units each short line could have had.
                    let available = try await Self.available(sku: line.sku, sql)
                    if shortages.isEmpty {
                        // Its update found too few units. (More can show now only if a release
                        // committed in between: the update's answer stands.)
                        shortages.append(StockShortage(sku: line.sku, requested: line.quantity, available: min(available, line.quantity - 1)))
                    } else if available < line.quantity {
                        shortages.append(StockShortage(sku: line.sku, requested: line.quantity, available: available))
                    }
                }
                guard shortages.isEmpty else { throw Shortage(lines: shortages) }
                if !drafts.isEmpty { try await outbox.record(drafts, in: sql) }
                return .reservation(made)
            }
        } catch let shortage as Shortage {
            // Rolled back: nothing was reserved, not even the order id.
            let order = Dictionary(uniqueKeysWithValues: lines.enumerated().map { ($1.sku, $0) })
            return .insufficientStock(shortage.lines.sorted { order[$0.sku, default: 0] < order[$1.sku, default: 0] })
        }
    }

    /// Releases the reservation of `orderId` (its units are available again) and records
    /// `inventory.stock.released`, in one transaction. A released or expired reservation is
    /// answered unchanged; an order without a reservation gets a released one with no lines (no
    /// event: no stock changed), so a reservation arriving later reserves nothing.
    /// - Throws: ``ReservationError/conflict(orderId:status:detail:)`` when it was committed.
    public func release(orderId: UUID, now: Date = .now) async throws -> Reservation {
        let id = orderId.lowercased
        let at = Timestamp.format(now)
        return try await database.transaction { sql in
            var current = try await reservation(id, lock: true, sql)
            if current == nil {
                let recorded = try await sql.raw(
                    """
                    INSERT INTO inventory_reservations (order_id, status, expires_at, created_at, updated_at)
                    VALUES (\(bind: id), 'released', \(bind: at), \(bind: at), \(bind: at))
                    ON CONFLICT (order_id) DO NOTHING
                    RETURNING order_id
                    """
                ).first() != nil
                if recorded { return Reservation(orderId: id, status: .released, lines: [], expiresAt: at) }
                // A reservation for the order committed meanwhile: release that one.
                current = try await reservation(id, lock: true, sql)
            }
            guard var released = current else { throw ReservationError.notFound(orderId: id) }
            guard case .move(let status) = try ReservationLifecycle.release(released.status, orderId: id) else { return released }
            try await Self.adjust(released.lines.map { ($0.sku, $0.quantity) }, onHand: false, at: at, sql)
            try await Self.setStatus(status, of: [id], at: at, sql)
            released.status = status
            try await outbox.record(type: InventoryEvents.stockReleased, subject: id, data: StockReservationEvent(released), in: sql)
            return released
        }
    }

    /// Commits the reservation of `orderId` (the order shipped: on hand and reserved both go
    /// down by each line) and records `inventory.stock.committed`, in one transaction. A
    /// committed reservation is answered unchanged.
    /// - Throws: ``ReservationError/notFound(orderId:)`` when the order has no reservation,
    ///   ``ReservationError/conflict(orderId:status:detail:)`` when it was released or expired.
    public func commit(orderId: UUID, now: Date = .now) async throws -> Reservation {
        let id = orderId.lowercased
        let at = Timestamp.format(now)
        return try await database.transaction { sql in
            guard var committed = try await reservation(id, lock: true, sql) else { throw ReservationError.notFound(orderId: id) }
            guard case .move(let status) = try ReservationLifecycle.commit(committed.status, orderId: id) else { return committed }
            try await Self.adjust(committed.lines.map { ($0.sku, $0.quantity) }, onHand: true, at: at, sql)
            try await Self.setStatus(status, of: [id], at: at, sql)
            committed.status = status
            try await outbox.record(type: InventoryEvents.stockCommitted, subject: id, data: StockReservationEvent(committed), in: sql)
            return committed
        }
    }

    /// Keeps the order's reservation until it is committed or released: it no longer expires
    /// (the order was confirmed). Keeping a kept or committed reservation answers it unchanged.
    public func keep(orderId: UUID, now: Date = .now) async throws -> Reservation {
        let id = orderId.lowercased
        let at = Timestamp.format(now)
        return try await database.transaction { sql in
            guard var kept = try await reservation(id, lock: true, sql) else { throw ReservationError.notFound(orderId: id) }
            guard try ReservationLifecycle.keep(kept.status, orderId: id), kept.keptAt == nil else { return kept }
            try await sql.raw("UPDATE inventory_reservations SET kept_at = \(bind: at), updated_at = \(bind: at) WHERE order_id = \(bind: id)").run()
            kept.keptAt = at
            return kept
        }
    }

    /// Expires up to `limit` reservations still `reserved` whose time passed by `now`, oldest
    /// first, in one transaction: their units are available again, each is `expired`, and each
    /// records `inventory.stock.released` with status `expired`. On PostgreSQL the reservations
    /// are locked with `SKIP LOCKED`, so instances expiring at once take different ones and a
    /// release or commit in progress is left to finish.
    /// - Returns: how many were expired (fewer than `limit`: none are left).
    public func expireDue(now: Date = .now, limit: Int) async throws -> Int {
        let at = Timestamp.format(now)
        return try await database.transaction { sql in
            let ids = try await sql.raw(
                """
                SELECT order_id FROM inventory_reservations
                WHERE status = 'reserved' AND kept_at IS NULL AND expires_at <= \(bind: at)
                ORDER BY expires_at LIMIT \(bind: limit)\(unsafeRaw: database.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : "")
                """
            ).all().map { try $0.decode(column: "order_id", as: String.self) }
            guard !ids.isEmpty else { return 0 }
            let lines = try await Self.lines(of: ids, sql)
            // One decrement per SKU for the whole batch, in SKU order (lock order).
            var totals: [String: Int] = [:]
            for line in lines.values.joined() { totals[line.sku, default: 0] += line.quantity }
            try await Self.adjust(totals.map { ($0.key, $0.value) }, onHand: false, at: at, sql)
            try await Self.setStatus(.expired, of: ids, at: at, sql)
            let drafts = try ids.map { id in
                try Outbox.Draft(
                    type: InventoryEvents.stockReleased, subject: id,
                    encoding: StockReservationEvent(orderId: id, status: ReservationStatus.expired.rawValue, lines: lines[id] ?? [])
                )
            }
            try await outbox.record(drafts, in: sql)
            return ids.count
        }
    }

    // MARK: SQL helpers

    /// A reservation that lacked stock: thrown to roll its transaction back.
    private struct Shortage: Error {
        var lines: [StockShortage]
    }

    /// Row lock for read-then-write transactions (PostgreSQL; SQLite transactions are exclusive).
    private var lockClause: String { database.kind == .postgres ? " FOR UPDATE" : "" }

    private func lowDraft(_ level: StockLevel) throws -> Outbox.Draft {
        try Outbox.Draft(
            type: InventoryEvents.stockLow, subject: level.sku, encoding: StockLevelEvent(level, threshold: settings.lowStockThreshold))
    }

    private static func level(_ row: any SQLRow) throws -> StockLevel {
        StockRules.level(
            sku: try row.decode(column: "sku", as: String.self),
            onHand: try row.decode(column: "on_hand", as: Int.self),
            reserved: try row.decode(column: "reserved", as: Int.self)
        )
    }

    /// The units of `sku` available as read now; 0 without a stock row.
    private static func available(sku: String, _ sql: any SQLDatabase) async throws -> Int {
        guard let row = try await sql.raw(
            "SELECT sku, on_hand, reserved FROM inventory_stock WHERE sku = \(bind: sku) AND warehouse = \(bind: warehouse)"
        ).first() else { return 0 }
        return try level(row).available
    }

    /// Takes `units` per SKU off `reserved` (and off `on_hand` too when `onHand`), in SKU order.
    private static func adjust(_ units: [(sku: String, quantity: Int)], onHand: Bool, at: String, _ sql: any SQLDatabase) async throws {
        for (sku, quantity) in units.sorted(by: { $0.sku < $1.sku }) {
            if onHand {
                try await sql.raw(
                    """
                    UPDATE inventory_stock SET on_hand = on_hand - \(bind: quantity), reserved = reserved - \(bind: quantity), updated_at = \(bind: at)
                    WHERE sku = \(bind: sku) AND warehouse = \(bind: warehouse)
                    """
                ).run()
            } else {
                try await sql.raw(
                    """
                    UPDATE inventory_stock SET reserved = reserved - \(bind: quantity), updated_at = \(bind: at)
                    WHERE sku = \(bind: sku) AND warehouse = \(bind: warehouse)
                    """
                ).run()
            }
        }
    }

    private static func setStatus(_ status: ReservationStatus, of ids: [String], at: String, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE inventory_reservations SET status = \(bind: status.rawValue), updated_at = \(bind: at) WHERE order_id IN (\(binds: ids))"
        ).run()
    }

    private static func insertLines(_ lines: [ReservationLine], orderId: String, _ sql: any SQLDatabase) async throws {
        let rows: [SQLQueryString] = lines.enumerated().map { position, line in
            "(\(bind: orderId), \(bind: position), \(bind: line.sku), \(bind: warehouse), \(bind: line.quantity))"
        }
        try await sql.raw(
            "INSERT INTO inventory_reservation_lines (order_id, position, sku, warehouse, quantity) VALUES \(rows.joined(separator: ", "))"
        ).run()
    }

    /// The reservation of `id` with its lines, locked until the transaction ends when `lock`
    /// (PostgreSQL).
    private func reservation(_ id: String, lock: Bool, _ sql: any SQLDatabase) async throws -> Reservation? {
        guard let row = try await sql.raw(
            "SELECT order_id, status, expires_at, kept_at FROM inventory_reservations WHERE order_id = \(bind: id)\(unsafeRaw: lock ? lockClause : "")"
        ).first() else { return nil }
        let raw = try row.decode(column: "status", as: String.self)
        guard let status = ReservationStatus(rawValue: raw) else { throw CorruptValueError(value: raw, expected: "a reservation status") }
        return Reservation(
            orderId: id, status: status, lines: try await Self.lines(of: [id], sql)[id] ?? [],
            expiresAt: try row.decode(column: "expires_at", as: String.self),
            keptAt: try row.decodeNil(column: "kept_at") ? nil : try row.decode(column: "kept_at", as: String.self)
        )
    }

    /// The lines of the reservations `ids`, each in its order.
    private static func lines(of ids: [String], _ sql: any SQLDatabase) async throws -> [String: [ReservationLine]] {
        var lines: [String: [ReservationLine]] = [:]
        for row in try await sql.raw(
            """
            SELECT order_id, sku, quantity FROM inventory_reservation_lines
            WHERE order_id IN (\(binds: ids)) ORDER BY order_id, position
            """
        ).all() {
            lines[try row.decode(column: "order_id", as: String.self), default: []].append(
                ReservationLine(sku: try row.decode(column: "sku", as: String.self), quantity: try row.decode(column: "quantity", as: Int.self))
            )
        }
        return lines
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
