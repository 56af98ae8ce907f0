import EmporiumContracts
import EmporiumKit
import Foundation
import Inventory
import Testing

@Suite("Inventory rules")
struct InventoryRulesTests {
    func lines(_ pairs: (String, Int)...) -> [ReservationLine] {
        pairs.map { ReservationLine(sku: $0.0, quantity: $0.1) }
    }

    /// The field the rules name for `lines`, or nil when they pass.
    func refusedField(_ lines: [ReservationLine]) -> String? {
        do {
            try ReservationRules.validate(lines)
            return nil
        } catch {
            guard case .invalid(let field, _) = error else { return "not invalid: \(error)" }
            return field
        }
    }

    @Test("valid lines pass: 1 to 100 lines, each SKU once, quantities 1 to 999")
    func validLines() {
        #expect(refusedField(lines(("MUG-1", 1))) == nil)
        #expect(refusedField(lines(("MUG-1", 999), ("MUG-2-B", 1))) == nil)
        #expect(refusedField((0..<100).map { ReservationLine(sku: "SKU-\($0)", quantity: 1) }) == nil)
    }

    @Test("bad lines name their field")
    func badLines() {
        #expect(refusedField([]) == "lines")
        #expect(refusedField((0...100).map { ReservationLine(sku: "SKU-\($0)", quantity: 1) }) == "lines")
        #expect(refusedField(lines(("A", 1), ("B", 0))) == "lines[1].quantity")
        #expect(refusedField(lines(("A", -1))) == "lines[0].quantity")
        #expect(refusedField(lines(("A", 1000))) == "lines[0].quantity")
        #expect(refusedField(lines(("", 1))) == "lines[0].sku")
        #expect(refusedField(lines(("A", 1), (String(repeating: "X", count: 65), 1))) == "lines[1].sku")
        #expect(refusedField(lines(("A", 1), ("B", 1), ("A", 2))) == "lines[2].sku", "a repeated SKU")
        #expect(refusedField(lines(("has space", 1))) == "lines[0].sku")
        #expect(refusedField(lines(("-LEADING", 1))) == "lines[0].sku")
        #expect(refusedField(lines(("A/B", 1))) == "lines[0].sku")
        #expect(refusedField(lines(("É", 1))) == "lines[0].sku")
    }

    @Test("SKUs: the shared rule (the catalog's), and its pattern in the document states the same")
    func skuShape() {
        for sku in ["A", "TRAIL-RUNNER-42", "9-A", String(repeating: "9", count: 64)] {
            #expect(SKU.isValid(sku), "\(sku)")
        }
        for sku in ["", "-A", "abc", "a.b", "A_B", "A B", "A%20", "A?", "A/B", "A\u{0}", String(repeating: "9", count: 65), "Ä"] {
            #expect(!SKU.isValid(sku), "\(sku)")
        }
        let pattern = try! Regex(SKU.pattern)
        for sku in ["A", "a.b_c-d", "_A", "A B", "A-1", String(repeating: "9", count: 64), String(repeating: "9", count: 65)] {
            #expect((sku.wholeMatch(of: pattern) != nil) == SKU.isValid(sku), "\(sku)")
        }
    }

    @Test("lookups: at most 200 SKUs, each valid")
    func lookups() throws {
        try ReservationRules.validate(lookup: [])
        try ReservationRules.validate(lookup: (0..<200).map { "S\($0)" })
        #expect(throws: ReservationError.invalid(field: "skus", detail: "must hold at most 200 SKUs")) {
            try ReservationRules.validate(lookup: (0...200).map { "S\($0)" })
        }
        #expect(throws: ReservationError.invalid(field: "skus[1]", detail: SKU.rule)) {
            try ReservationRules.validate(lookup: ["A", ""])
        }
    }

    @Test("a repeated call answers the existing reservation; other lines are a conflict naming the status")
    func replay() throws {
        let existing = Reservation(orderId: "o-1", status: .committed, lines: lines(("A", 1), ("B", 2)), expiresAt: "2026-01-01T00:00:00.000Z")
        #expect(try ReservationRules.replay(existing, requested: lines(("B", 2), ("A", 1))) == existing, "the same lines in another order")
        #expect(throws: ReservationError.conflict(orderId: "o-1", status: .committed, detail: "the order was reserved with other lines")) {
            try ReservationRules.replay(existing, requested: lines(("A", 1), ("B", 3)))
        }
        #expect(throws: ReservationError.self) { try ReservationRules.replay(existing, requested: lines(("A", 1))) }
        // Released before it was ever reserved: answered as it is, whatever was asked.
        let tombstone = Reservation(orderId: "o-2", status: .released, lines: [], expiresAt: "2026-01-01T00:00:00.000Z")
        #expect(try ReservationRules.replay(tombstone, requested: lines(("A", 1))) == tombstone)
    }

    @Test("stock rows are locked in SKU order")
    func lockOrder() {
        #expect(ReservationRules.lockOrder(lines(("C", 1), ("A", 2), ("B", 3))).map(\.sku) == ["A", "B", "C"])
    }

    @Test("release: reserved → released; released and expired unchanged; committed is a conflict")
    func releaseTransitions() throws {
        #expect(try ReservationLifecycle.release(.reserved, orderId: "o") == .move(to: .released))
        #expect(try ReservationLifecycle.release(.released, orderId: "o") == .unchanged)
        #expect(try ReservationLifecycle.release(.expired, orderId: "o") == .unchanged)
        #expect {
            try ReservationLifecycle.release(.committed, orderId: "o")
        } throws: { error in
            guard case ReservationError.conflict("o", .committed, _) = error else { return false }
            return true
        }
    }

    @Test("commit: reserved → committed; committed unchanged; released and expired are conflicts")
    func commitTransitions() throws {
        #expect(try ReservationLifecycle.commit(.reserved, orderId: "o") == .move(to: .committed))
        #expect(try ReservationLifecycle.commit(.committed, orderId: "o") == .unchanged)
        for status in [ReservationStatus.released, .expired] {
            #expect {
                try ReservationLifecycle.commit(status, orderId: "o")
            } throws: { error in
                guard case ReservationError.conflict("o", status, _) = error else { return false }
                return true
            }
        }
    }

    @Test("adjustments: 0 to a billion available")
    func adjustments() throws {
        #expect(try StockRules.validate(StockAdjustment(available: 0)) == 0)
        #expect(try StockRules.validate(StockAdjustment(available: StockRules.maximumAvailable)) == StockRules.maximumAvailable)
        for bad in [-1, StockRules.maximumAvailable + 1] {
            #expect {
                try StockRules.validate(StockAdjustment(available: bad))
            } throws: { error in
                (error as? ProblemDetails)?.status == 400 && (error as? ProblemDetails)?.errors?.first?.field == "available"
            }
        }
    }

    @Test("stock levels and the low-stock crossing")
    func levels() {
        #expect(StockRules.level(sku: "A", onHand: 10, reserved: 4) == StockLevel(sku: "A", available: 6, onHand: 10, reserved: 4))
        #expect(StockRules.crossedBelow(threshold: 5, before: 5, after: 4))
        #expect(StockRules.crossedBelow(threshold: 5, before: 9, after: 0))
        #expect(!StockRules.crossedBelow(threshold: 5, before: 4, after: 3), "already below")
        #expect(!StockRules.crossedBelow(threshold: 5, before: 9, after: 5), "not below")
        #expect(!StockRules.crossedBelow(threshold: 0, before: 1, after: 0), "0 never fires")
        #expect(StockRules.initialOnHand(demo: true) == 100)
        #expect(StockRules.initialOnHand(demo: false) == 0)
    }

    @Test("settings: defaults, values, and an unusable value named by its key")
    func settings() throws {
        #expect(try InventorySettings(ServiceSettings(service: "inventory")) == InventorySettings.defaults)
        #expect(InventorySettings.defaults.reservationTTL == .seconds(900))
        #expect(InventorySettings.defaults.lowStockThreshold == 5)
        let set = try InventorySettings(ServiceSettings(service: "inventory", values: [
            "reservationTTL": "60", "lowStockThreshold": "0", "expiryInterval": "5",
        ]))
        #expect(set.reservationTTL == .seconds(60))
        #expect(set.lowStockThreshold == 0)
        #expect(set.expiryInterval == .seconds(5))
        for (key, value) in [("reservationTTL", "0"), ("reservationTTL", "soon"), ("lowStockThreshold", "-1"), ("expiryInterval", "3601")] {
            #expect(throws: ServiceSettingError.self) {
                try InventorySettings(ServiceSettings(service: "inventory", values: [key: value]))
            }
            do {
                _ = try InventorySettings(ServiceSettings(service: "inventory", values: [key: value]))
            } catch {
                #expect(error.key == "inventory.\(key)")
            }
        }
    }

    @Test("reservation errors as problems: 400 naming the field, 404, 409 naming the status")
    func problems() {
        let invalid = ReservationError.invalid(field: "lines[2].quantity", detail: "must be between 1 and 999").problem
        #expect(invalid.status == 400)
        #expect(invalid.errors?.first?.field == "lines[2].quantity")
        #expect(ReservationError.notFound(orderId: "o").problem.status == 404)
        let conflict = ReservationError.conflict(orderId: "o", status: .committed, detail: "a committed (shipped) reservation cannot be released").problem
        #expect(conflict.status == 409)
        #expect(conflict.detail?.contains("committed") == true)
        #expect(InventoryError.unknownSKU("A").problem.status == 404)
    }
}
