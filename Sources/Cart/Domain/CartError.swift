/// Why a cart change was refused; nothing was written. `Routes/CartProblems.swift` says how
/// each is answered.
public enum CartError: Error, Equatable, Sendable {
    /// What a refusal names: a body field (`sku`, `quantity`) or a parameter (the path's `sku`,
    /// the header `X-Cart-Id`).
    public enum Subject: Sendable, Equatable {
        case field(String)
        case parameter(String)
    }

    /// The catalog has no such SKU.
    case unknownSKU(String, subject: Subject)
    /// The SKU's product is not `active` (a draft or archived): it may not be sold.
    case notSellable(String, status: String, subject: Subject)
    /// The line would hold more than the inventory has available.
    case insufficientStock(sku: String, requested: Int, available: Int)
    /// The line would hold more than ``CartRules/maximumQuantity`` units.
    case quantityAboveMaximum(sku: String, requested: Int)
    /// The cart already has ``CartRules/maximumLines`` lines.
    case tooManyLines(subject: Subject)
    /// The SKU (or, for a merge, the guest cart) is priced in another currency than the cart.
    case currencyMismatch(cart: String, other: String, subject: Subject)
    /// The cart has no line with this SKU.
    case lineNotFound(sku: String)
    /// The guest cart does not exist (never made, emptied, merged or expired): the caller
    /// starts a new one under a new id. Never answered as such.
    case unknownCart
    /// The carts' storage (Redis) did not answer.
    case storageUnavailable(reason: String)
}
