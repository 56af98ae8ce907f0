public import EmporiumContracts

/// The inventory's input rules for SKUs, lookups and reservations, without I/O.
///
/// An SKU follows the rule every service shares (``SKU``: what the catalog accepts).
public enum ReservationRules {
    /// The most units of one SKU one reservation line may hold.
    public static let maximumQuantity = 999
    /// Checks the lines of a reservation: 1 to ``ReservationRequest/maximumLines`` lines, each
    /// with a valid SKU that no other line has and a quantity from 1 to ``maximumQuantity``.
    /// - Throws: ``ReservationError/invalid(field:detail:)`` naming the first bad line's field
    ///   (`lines[2].quantity`), or `lines` for their number.
    public static func validate(_ lines: [ReservationLine]) throws(ReservationError) {
        guard !lines.isEmpty else { throw .invalid(field: "lines", detail: "must hold at least one line") }
        guard lines.count <= ReservationRequest.maximumLines else {
            throw .invalid(field: "lines", detail: "must hold at most \(ReservationRequest.maximumLines) lines")
        }
        var seen: Set<String> = []
        for (index, line) in lines.enumerated() {
            guard SKU.isValid(line.sku) else { throw .invalid(field: "lines[\(index)].sku", detail: SKU.rule) }
            guard seen.insert(line.sku).inserted else {
                throw .invalid(field: "lines[\(index)].sku", detail: "repeats the SKU of another line (one line per SKU)")
            }
            guard (1...maximumQuantity).contains(line.quantity) else {
                throw .invalid(field: "lines[\(index)].quantity", detail: "must be between 1 and \(maximumQuantity)")
            }
        }
    }

    /// Checks the SKUs of a stock lookup: at most ``StockLookup/maximumSKUs``, each valid.
    /// - Throws: ``ReservationError/invalid(field:detail:)`` naming `skus` or `skus[i]`.
    public static func validate(lookup skus: [String]) throws(ReservationError) {
        guard skus.count <= StockLookup.maximumSKUs else {
            throw .invalid(field: "skus", detail: "must hold at most \(StockLookup.maximumSKUs) SKUs")
        }
        for (index, sku) in skus.enumerated() where !SKU.isValid(sku) {
            throw .invalid(field: "skus[\(index)]", detail: SKU.rule)
        }
    }

    /// Whether two reservations hold the same lines, in any order.
    public static func sameLines(_ lhs: [ReservationLine], _ rhs: [ReservationLine]) -> Bool {
        lhs.count == rhs.count && lhs.sorted(by: { $0.sku < $1.sku }) == rhs.sorted(by: { $0.sku < $1.sku })
    }

    /// What a call for an order already reserved with `existing` answers: that reservation, or a
    /// conflict when `requested` holds other lines.
    ///
    /// The released reservation without lines that ``InventoryAPI/release(orderId:)`` records for
    /// an order it never saw is answered as it is (status `released`, nothing reserved), whatever
    /// the lines asked for: the order was given up before its reservation arrived.
    public static func replay(_ existing: Reservation, requested: [ReservationLine]) throws(ReservationError) -> Reservation {
        if existing.lines.isEmpty && existing.status == .released { return existing }
        guard sameLines(existing.lines, requested) else {
            throw .conflict(orderId: existing.orderId, status: existing.status, detail: "the order was reserved with other lines")
        }
        return existing
    }

    /// The lines in the order their stock rows are locked: by SKU, so two transactions touching
    /// the same SKUs lock them in the same order and never deadlock.
    public static func lockOrder(_ lines: [ReservationLine]) -> [ReservationLine] {
        lines.sorted { $0.sku < $1.sku }
    }
}
