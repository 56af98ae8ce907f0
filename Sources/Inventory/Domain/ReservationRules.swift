public import EmporiumContracts

/// The inventory's input rules for SKUs, lookups and reservations, without I/O.
///
/// An SKU is 1 to 64 characters of ASCII letters, digits, `-`, `_` and `.`, starting with a
/// letter or digit: every SKU the catalog accepts (`A-Z`, `0-9`, `-`), and nothing that needs
/// escaping in a URL path (`/v1/inventory/{sku}`).
public enum ReservationRules {
    /// The longest SKU.
    public static let maximumSKULength = 64
    /// The most units of one SKU one reservation line may hold.
    public static let maximumQuantity = 999
    /// The ECMA-262 pattern of an SKU (for the OpenAPI document), the same rule as ``isValidSKU(_:)``.
    public static let skuPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    /// What an invalid SKU is told.
    public static let skuRule = "must be 1-64 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting with a letter or digit"

    /// Whether `sku` has the shape of an SKU.
    public static func isValidSKU(_ sku: String) -> Bool {
        let bytes = sku.utf8
        guard let first = bytes.first, bytes.count <= maximumSKULength, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

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
            guard isValidSKU(line.sku) else { throw .invalid(field: "lines[\(index)].sku", detail: skuRule) }
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
        for (index, sku) in skus.enumerated() where !isValidSKU(sku) {
            throw .invalid(field: "skus[\(index)]", detail: skuRule)
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
