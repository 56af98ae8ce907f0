import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumTestSupport
import Foundation
@testable import Inventory
import Logging
import Messaging
import Metrics
import SQLKit
import Storage
import Synchronization
import Testing

/// The inventory's store on either engine: reservations that never oversell, all lines or
/// none, idempotent by order id; release, commit and expiry; stock events.
enum InventoryStoreContract {
    /// A migrated inventory database with its store.
    struct Fixture: Sendable {
        let store: InventoryStore
        let database: any Database

        /// Gives `sku` a stock row with `available` units.
        func stock(_ sku: String, available: Int) async throws {
            try await store.createMissingStock(skus: [sku], onHand: 0)
            _ = try await store.setAvailable(sku: sku, available: available, actor: "test")
        }

        func level(_ sku: String) async throws -> StockLevel {
            try #require(try await store.stock(sku: sku))
        }

        /// The inventory's outbox: (type, subject, data), oldest first.
        func events(_ type: String? = nil) async throws -> [(type: String, subject: String, data: JSONValue)] {
            try await database.withConnection { sql in
                try await sql.raw("SELECT payload FROM emporium_outbox WHERE service = 'inventory' ORDER BY sequence").all().map { row in
                    let event = try CloudEvent.decode(Data(try row.decode(column: "payload", as: String.self).utf8))
                    return (event.type, event.subject ?? "", event.data)
                }
            }.filter { type == nil || $0.type == type }
        }

        /// How many reservation rows the order has (0 or 1) and their lines.
        func reservationRows(_ orderId: UUID) async throws -> (reservations: Int, lines: Int) {
            try await database.withConnection { sql in
                let id = orderId.lowercased
                let reservations = try await sql.raw("SELECT COUNT(*) AS n FROM inventory_reservations WHERE order_id = \(bind: id)").first()!
                    .decode(column: "n", as: Int.self)
                let lines = try await sql.raw("SELECT COUNT(*) AS n FROM inventory_reservation_lines WHERE order_id = \(bind: id)").first()!
                    .decode(column: "n", as: Int.self)
                return (reservations, lines)
            }
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "inventory-store")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` on a fresh, migrated database of `kind` with a pool of `connections`.
    static func withFixture<Result: Sendable>(
        _ kind: DatabaseKind, connections: Int = 16, settings: InventorySettings = .defaults,
        _ body: @Sendable (Fixture) async throws -> Result
    ) async throws -> Result {
        let (url, cleanup) = try await TestDatabases.makeURL(kind)
        do {
            let database = try await DatabaseFactory.open(url, maximumConnections: connections, logger: logger)
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await database.run() }
                defer { group.cancelAll() }
                try await Migrator(database: database, service: MessagingSchema.history(of: "inventory"), logger: logger)
                    .migrate(MessagingSchema.migrations)
                try await Migrator(database: database, service: "inventory", logger: logger).migrate(InventoryMigrations.all)
                return try await body(Fixture(store: InventoryStore(database: database, outbox: Outbox(service: "inventory"), settings: settings), database: database))
            }
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }

    static func line(_ sku: String, _ quantity: Int) -> ReservationLine {
        ReservationLine(sku: sku, quantity: quantity)
    }

    static func reservation(_ outcome: ReservationOutcome) throws -> Reservation {
        guard case .reservation(let reservation) = outcome else { throw TestFailure("expected a reservation, got \(outcome)") }
        return reservation
    }

    // MARK: Oversell race

    /// `rounds` times: 200 concurrent reservations of 1 unit for 50 units of one SKU reserve
    /// exactly 50; while they run, the stock read is never negative nor inconsistent.
    static func neverOversells(_ kind: DatabaseKind, rounds: Int) async throws {
        try await withFixture(kind) { fixture in
            for round in 0..<rounds {
                let sku = "RACE-\(round)"
                try await fixture.stock(sku, available: 50)
                let done = Flag()
                let (outcomes, samples) = try await withThrowingTaskGroup(of: [ReservationOutcome].self) { group in
                    // A reader samples the row while the race runs.
                    let sampler = Task {
                        var samples: [StockLevel] = []
                        while !done.value.load(ordering: .relaxed) {
                            samples.append(try await fixture.level(sku))
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        return samples
                    }
                    for _ in 0..<200 {
                        group.addTask { [try await fixture.store.reserve(orderId: .v7(), lines: [line(sku, 1)])] }
                    }
                    var outcomes: [ReservationOutcome] = []
                    for try await outcome in group { outcomes += outcome }
                    done.value.store(true, ordering: .relaxed)
                    return (outcomes, try await sampler.value)
                }
                let reserved = outcomes.filter { if case .reservation = $0 { true } else { false } }
                #expect(reserved.count == 50, "round \(round): \(reserved.count) reserved")
                for outcome in outcomes {
                    if case .insufficientStock(let shortages) = outcome {
                        #expect(shortages == [StockShortage(sku: sku, requested: 1, available: 0)])
                    }
                }
                for sample in samples {
                    #expect(sample.available >= 0 && sample.reserved <= sample.onHand && sample.available == sample.onHand - sample.reserved, "\(sample)")
                }
                #expect(try await fixture.level(sku) == StockLevel(sku: sku, available: 0, onHand: 50, reserved: 50))
                let rows = try await fixture.database.withConnection { sql in
                    try await sql.raw(
                        "SELECT COUNT(*) AS n, SUM(quantity) AS units FROM inventory_reservation_lines WHERE sku = \(bind: sku)"
                    ).first()!
                }
                #expect(try rows.decode(column: "n", as: Int.self) == 50)
                #expect(try rows.decode(column: "units", as: Int.self) == 50)
            }
            #expect(try await fixture.events(InventoryEvents.stockReserved).count == 50 * rounds)
        }
    }

    // MARK: All lines or none

    /// A reservation one of whose lines lacks stock reserves nothing and names every short line.
    static func allLinesOrNone(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.stock("A", available: 5)
            try await fixture.stock("B", available: 1)
            try await fixture.stock("C", available: 3)
            let order = UUID.v7()
            let outcome = try await fixture.store.reserve(orderId: order, lines: [line("C", 2), line("A", 2), line("B", 3)])
            #expect(outcome == .insufficientStock([StockShortage(sku: "B", requested: 3, available: 1)]))
            for (sku, available) in [("A", 5), ("B", 1), ("C", 3)] {
                #expect(try await fixture.level(sku) == StockLevel(sku: sku, available: available, onHand: available, reserved: 0))
            }
            #expect(try await fixture.reservationRows(order) == (0, 0), "not even the order id is kept")
            #expect(try await fixture.events(InventoryEvents.stockReserved).isEmpty)

            // Every short line, in the order asked; an SKU without stock has 0 available.
            let many = try await fixture.store.reserve(orderId: .v7(), lines: [line("C", 9), line("A", 1), line("NOPE", 1), line("B", 2)])
            #expect(many == .insufficientStock([
                StockShortage(sku: "C", requested: 9, available: 3), StockShortage(sku: "NOPE", requested: 1, available: 0),
                StockShortage(sku: "B", requested: 2, available: 1),
            ]))
            #expect(try await fixture.level("A").reserved == 0)

            // The same order may try again once there is stock.
            _ = try await fixture.store.setAvailable(sku: "B", available: 3, actor: "test")
            let retried = try reservation(try await fixture.store.reserve(orderId: order, lines: [line("C", 2), line("A", 2), line("B", 3)]))
            #expect(retried.status == .reserved)
            #expect(retried.lines == [line("C", 2), line("A", 2), line("B", 3)], "lines as asked")
            #expect(try await fixture.level("B") == StockLevel(sku: "B", available: 0, onHand: 3, reserved: 3))
            #expect(try await fixture.store.reservation(orderId: order) == retried)
        }
    }

    // MARK: Idempotency

    /// The same order id reserves once, sequentially and concurrently; other lines conflict.
    static func reservesOncePerOrder(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.stock("A", available: 100)
            try await fixture.stock("B", available: 100)
            let order = UUID.v7()
            let first = try await fixture.store.reserve(orderId: order, lines: [line("A", 3), line("B", 1)])
            let second = try await fixture.store.reserve(orderId: order, lines: [line("B", 1), line("A", 3)])
            #expect(first == second)
            #expect(try await fixture.level("A").reserved == 3)
            await #expect {
                try await fixture.store.reserve(orderId: order, lines: [line("A", 4), line("B", 1)])
            } throws: { error in
                guard case ReservationError.conflict(order.lowercased, .reserved, _) = error else { return false }
                return true
            }

            // Ten at once.
            let concurrent = UUID.v7()
            let answers = try await withThrowingTaskGroup(of: ReservationOutcome.self) { group in
                for _ in 0..<10 { group.addTask { try await fixture.store.reserve(orderId: concurrent, lines: [line("A", 2)]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(answers.map { try? reservation($0).orderId }) == [concurrent.lowercased])
            #expect(Set(answers.map { try? reservation($0).lines }) == [[line("A", 2)]])
            #expect(try await fixture.level("A").reserved == 5, "3 + 2 once")
            #expect(try await fixture.reservationRows(concurrent) == (1, 1))
            #expect(try await fixture.events(InventoryEvents.stockReserved).filter { $0.subject == concurrent.lowercased }.count == 1)
        }
    }

    // MARK: Release, commit, expiry

    /// Commit and release move a reservation once, answer a repeat unchanged, and refuse what
    /// its status forbids.
    static func releaseAndCommit(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.stock("A", available: 10)
            let shipped = UUID.v7()
            _ = try await fixture.store.reserve(orderId: shipped, lines: [line("A", 4)])
            let committed = try await fixture.store.commit(orderId: shipped)
            #expect(committed.status == .committed)
            #expect(try await fixture.level("A") == StockLevel(sku: "A", available: 6, onHand: 6, reserved: 0))
            #expect(try await fixture.store.commit(orderId: shipped) == committed, "a second commit changes nothing")
            #expect(try await fixture.level("A").onHand == 6)
            await #expect {
                try await fixture.store.release(orderId: shipped)
            } throws: { error in
                guard case ReservationError.conflict(_, .committed, _) = error else { return false }
                return true
            }

            let cancelled = UUID.v7()
            _ = try await fixture.store.reserve(orderId: cancelled, lines: [line("A", 5)])
            #expect(try await fixture.level("A") == StockLevel(sku: "A", available: 1, onHand: 6, reserved: 5))
            let released = try await fixture.store.release(orderId: cancelled)
            #expect(released.status == .released)
            #expect(released.lines == [line("A", 5)])
            #expect(try await fixture.level("A") == StockLevel(sku: "A", available: 6, onHand: 6, reserved: 0))
            #expect(try await fixture.store.release(orderId: cancelled) == released, "a second release changes nothing")
            #expect(try await fixture.level("A").reserved == 0)
            await #expect {
                try await fixture.store.commit(orderId: cancelled)
            } throws: { error in
                guard case ReservationError.conflict(_, .released, _) = error else { return false }
                return true
            }
            await #expect(throws: ReservationError.notFound(orderId: UUID(uuidString: "0190b2f0-0000-7000-8000-000000000001")!.lowercased)) {
                try await fixture.store.commit(orderId: UUID(uuidString: "0190b2f0-0000-7000-8000-000000000001")!)
            }
            // Reserving a released order again answers it: nothing is reserved.
            #expect(try await fixture.store.reserve(orderId: cancelled, lines: [line("A", 5)]) == .reservation(released))
            #expect(try await fixture.level("A").reserved == 0)

            let events = try await fixture.events().filter { $0.type != InventoryEvents.stockAdjusted && $0.type != InventoryEvents.auditFact && $0.type != InventoryEvents.stockLow }
            #expect(events.map(\.type) == [
                InventoryEvents.stockReserved, InventoryEvents.stockCommitted, InventoryEvents.stockReserved, InventoryEvents.stockReleased,
            ])
            #expect(events[3].data["status"] == .string("released"))
            #expect(events[1].data["lines"] == .array([.object(["sku": .string("A"), "quantity": .number(4)])]))
        }
    }

    /// Releasing an order that has no reservation records a released one with no lines; a
    /// reservation arriving later for that order reserves nothing.
    static func releaseBeforeReserve(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.stock("A", available: 10)
            let order = UUID.v7()
            let released = try await fixture.store.release(orderId: order)
            #expect(released.status == .released)
            #expect(released.lines.isEmpty)
            #expect(try await fixture.store.release(orderId: order) == released)
            #expect(try await fixture.store.reserve(orderId: order, lines: [line("A", 2)]) == .reservation(released))
            #expect(try await fixture.level("A").reserved == 0)
            #expect(try await fixture.store.reservation(orderId: order) == released)
            #expect(try await fixture.events(InventoryEvents.stockReserved).isEmpty)
            await #expect(throws: ReservationError.self) { try await fixture.store.commit(orderId: order) }
        }
    }

    /// The expiry releases reservations whose time passed (status expired, units available
    /// again, `.released` with status `expired`), in batches, counting them in
    /// `emporium_inventory_reservations_expired_total`; committed and newer ones stay.
    static func expiresDueReservations(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.stock("A", available: 10)
            try await fixture.stock("B", available: 10)
            let past = Date.now.addingTimeInterval(-3600)
            let due = [UUID.v7(), UUID.v7(), UUID.v7()]
            for order in due { _ = try await fixture.store.reserve(orderId: order, lines: [line("A", 1), line("B", 2)], now: past) }
            let shipped = UUID.v7()
            _ = try await fixture.store.reserve(orderId: shipped, lines: [line("A", 1)], now: past)
            _ = try await fixture.store.commit(orderId: shipped)
            let fresh = UUID.v7()
            _ = try await fixture.store.reserve(orderId: fresh, lines: [line("B", 1)])
            #expect(try await fixture.level("A") == StockLevel(sku: "A", available: 6, onHand: 9, reserved: 3))

            let metrics = MetricsRegistry()
            let expiredCount = Counter(label: "emporium_inventory_reservations_expired_total", factory: metrics.factory)
            let job = ReservationExpiryJob(store: fixture.store, interval: .seconds(30), batchSize: 2, expiredCount: expiredCount, logger: logger)
            #expect(await metrics.value("emporium_inventory_reservations_expired_total") == 0)
            #expect(try await job.expireDue(now: .now) == 3, "two batches")
            #expect(try await job.expireDue(now: .now) == 0)
            #expect(await metrics.value("emporium_inventory_reservations_expired_total") == 3)
            for order in due { #expect(try await fixture.store.reservation(orderId: order)?.status == .expired) }
            #expect(try await fixture.store.reservation(orderId: shipped)?.status == .committed)
            #expect(try await fixture.store.reservation(orderId: fresh)?.status == .reserved)
            #expect(try await fixture.level("A") == StockLevel(sku: "A", available: 9, onHand: 9, reserved: 0))
            #expect(try await fixture.level("B") == StockLevel(sku: "B", available: 9, onHand: 10, reserved: 1))
            let expired = try await fixture.events(InventoryEvents.stockReleased)
            #expect(Set(expired.map(\.subject)) == Set(due.map(\.lowercased)))
            #expect(expired.allSatisfy { $0.data["status"] == .string("expired") })
            #expect(expired.allSatisfy { $0.data["lines"]?.arrayValue?.count == 2 })
            // An expired reservation: released again unchanged, never committed.
            #expect(try await fixture.store.release(orderId: due[0]).status == .expired)
            await #expect(throws: ReservationError.self) { try await fixture.store.commit(orderId: due[0]) }
        }
    }

    // MARK: Stock

    /// Adjustments set on hand to available + reserved; `.adjusted` each time, `.low` when the
    /// available units cross below the threshold (by a reservation or an adjustment), and the
    /// audit fact of who did it.
    static func adjustmentsAndLowStock(_ kind: DatabaseKind) async throws {
        try await withFixture(kind, settings: InventorySettings(lowStockThreshold: 5)) { fixture in
            try await fixture.stock("A", available: 6)
            _ = try await fixture.store.reserve(orderId: .v7(), lines: [line("A", 1)])
            #expect(try await fixture.events(InventoryEvents.stockLow).isEmpty, "5 left: not below 5")
            _ = try await fixture.store.reserve(orderId: .v7(), lines: [line("A", 1)])
            _ = try await fixture.store.reserve(orderId: .v7(), lines: [line("A", 1)])
            var low = try await fixture.events(InventoryEvents.stockLow)
            #expect(low.count == 1, "once, when it crossed")
            #expect(low.first?.subject == "A")
            #expect(low.first?.data == (try JSONValue(encoding: StockLevelEvent(sku: "A", available: 4, onHand: 6, reserved: 2, threshold: 5))))

            let raised = try await fixture.store.setAvailable(sku: "A", available: 20, actor: "user-1")
            #expect(raised == StockLevel(sku: "A", available: 20, onHand: 23, reserved: 3))
            let lowered = try await fixture.store.setAvailable(sku: "A", available: 2, actor: "user-1")
            #expect(lowered == StockLevel(sku: "A", available: 2, onHand: 5, reserved: 3))
            low = try await fixture.events(InventoryEvents.stockLow)
            #expect(low.count == 2)
            let adjusted = try await fixture.events(InventoryEvents.stockAdjusted)
            #expect(adjusted.last?.data == (try JSONValue(encoding: StockLevelEvent(lowered))))
            let audit = try await fixture.events(InventoryEvents.auditFact).last
            #expect(audit?.data["actor"] == .string("user-1"))
            #expect(audit?.data["action"] == .string("inventory_adjusted"))
            #expect(audit?.data["target"] == .string("A"))
            #expect(audit?.data["details"]?["available"] == .string("2"))
            #expect(audit?.data["details"]?["availableBefore"] == .string("20"))

            await #expect(throws: InventoryError.unknownSKU("NOPE")) { try await fixture.store.setAvailable(sku: "NOPE", available: 1, actor: "u") }
            // New rows never overwrite existing stock.
            #expect(try await fixture.store.createMissingStock(skus: ["A", "NEW", "NEW"], onHand: 100) == 1)
            #expect(try await fixture.level("A").onHand == 5)
            #expect(try await fixture.level("NEW") == StockLevel(sku: "NEW", available: 100, onHand: 100, reserved: 0))
            #expect(try await fixture.store.stock(skus: ["A", "NEW", "NOPE"]).keys.sorted() == ["A", "NEW"])
        }
    }

    /// The CHECK constraints refuse more reserved than on hand, whatever the statement.
    static func constraintsHold(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.stock("A", available: 1)
            for statement in [
                "UPDATE inventory_stock SET reserved = 2 WHERE sku = 'A'",
                "UPDATE inventory_stock SET reserved = -1 WHERE sku = 'A'",
                "UPDATE inventory_stock SET on_hand = -1, reserved = -2 WHERE sku = 'A'",
            ] {
                await #expect(throws: (any Error).self, "\(statement)") {
                    try await fixture.database.transaction { sql in try await sql.raw(SQLQueryString(statement)).run() }
                }
            }
            #expect(try await fixture.level("A") == StockLevel(sku: "A", available: 1, onHand: 1, reserved: 0))
        }
    }
}

/// A flag one task raises and another reads.
final class Flag: Sendable {
    let value = Atomic(false)
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}

@Suite("Inventory store on SQLite")
struct InventoryStoreSQLiteTests {
    @Test("200 concurrent reservations of 1 unit for 50 units: exactly 50 reserved, never below 0")
    func neverOversells() async throws { try await InventoryStoreContract.neverOversells(.sqlite, rounds: 1) }
    @Test func allLinesOrNone() async throws { try await InventoryStoreContract.allLinesOrNone(.sqlite) }
    @Test func reservesOncePerOrder() async throws { try await InventoryStoreContract.reservesOncePerOrder(.sqlite) }
    @Test func releaseAndCommit() async throws { try await InventoryStoreContract.releaseAndCommit(.sqlite) }
    @Test func releaseBeforeReserve() async throws { try await InventoryStoreContract.releaseBeforeReserve(.sqlite) }
    @Test func expiresDueReservations() async throws { try await InventoryStoreContract.expiresDueReservations(.sqlite) }
    @Test func adjustmentsAndLowStock() async throws { try await InventoryStoreContract.adjustmentsAndLowStock(.sqlite) }
    @Test func constraintsHold() async throws { try await InventoryStoreContract.constraintsHold(.sqlite) }
}

@Suite("Inventory store on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct InventoryStorePostgresTests {
    @Test("200 concurrent reservations of 1 unit for 50 units, 20 times: exactly 50 reserved each time, never below 0")
    func neverOversells() async throws { try await InventoryStoreContract.neverOversells(.postgres, rounds: 20) }
    @Test func allLinesOrNone() async throws { try await InventoryStoreContract.allLinesOrNone(.postgres) }
    @Test func reservesOncePerOrder() async throws { try await InventoryStoreContract.reservesOncePerOrder(.postgres) }
    @Test func releaseAndCommit() async throws { try await InventoryStoreContract.releaseAndCommit(.postgres) }
    @Test func releaseBeforeReserve() async throws { try await InventoryStoreContract.releaseBeforeReserve(.postgres) }
    @Test func expiresDueReservations() async throws { try await InventoryStoreContract.expiresDueReservations(.postgres) }
    @Test func adjustmentsAndLowStock() async throws { try await InventoryStoreContract.adjustmentsAndLowStock(.postgres) }
    @Test func constraintsHold() async throws { try await InventoryStoreContract.constraintsHold(.postgres) }
}
