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

extension ReservationError: ProblemConvertible {
    /// `invalid`: 400 naming the field; `notFound`: 404; `conflict`: 409 whose detail names the
    /// reservation's status.
    public var problem: ProblemDetails {
        switch self {
        case .invalid(let field, let detail):
            return .invalidField(field, detail)
        case .notFound(let orderId):
            return .notFound("Order \(orderId) has no reservation.")
        case .conflict(let orderId, let status, let detail):
            return .conflict("The reservation of order \(orderId) is \(status.rawValue): \(detail).")
        }
    }
}
