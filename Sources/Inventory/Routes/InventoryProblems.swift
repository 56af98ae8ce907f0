import EmporiumContracts
import EmporiumKit

extension InventoryError: ProblemConvertible {
    public var problem: ProblemDetails {
        switch self {
        case .unknownSKU(let sku):
            return .notFound("SKU \(sku) has no stock (the catalog has no such variant, or has not told the inventory yet).")
        }
    }
}

// `ReservationError`'s problems are part of the contract (EmporiumContracts/Inventory/HTTPInventoryAPI.swift),
// so the HTTP client can map them back.
