import EmporiumContracts
import EmporiumCore
import Foundation

// Conversions between the inventory's values and the contract types of the events it publishes
// and consumes.

extension StockReservationEvent {
    /// The event of a reservation as it is after the change.
    init(_ reservation: Reservation) {
        self.init(orderId: reservation.orderId, status: reservation.status.rawValue, lines: reservation.lines)
    }
}

extension StockLevelEvent {
    /// The event of an SKU's stock after the change.
    init(_ level: StockLevel, threshold: Int? = nil) {
        self.init(sku: level.sku, available: level.available, onHand: level.onHand, reserved: level.reserved, threshold: threshold)
    }
}

extension AuditFact {
    /// The audit log's record of a stock adjustment (action `inventory_adjusted`, target the SKU).
    init(adjustmentOf sku: String, from before: StockLevel, to after: StockLevel, actor: String, at: Date) {
        self.init(
            at: Timestamp.format(at), actor: actor, action: "inventory_adjusted", target: sku,
            details: [
                "availableBefore": String(before.available), "available": String(after.available),
                "onHandBefore": String(before.onHand), "onHand": String(after.onHand), "reserved": String(after.reserved),
            ]
        )
    }
}

/// What the inventory takes from the catalog's events.
enum CatalogStockEvents {
    /// The event types that may bring new SKUs.
    static let types: Set<String> = [CatalogEvents.productCreated, CatalogEvents.productUpdated]

    /// The SKUs of the product in a `catalog.product.created` or `.updated` event.
    static func skus(of product: ProductEvent) -> [String] {
        product.variants.map(\.sku)
    }
}
