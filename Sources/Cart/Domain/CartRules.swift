import EmporiumContracts
import EmporiumKit

/// The cart's rules without I/O: the limits, the checks of request input (400s naming each
/// field, every rule the OpenAPI document states) and of the catalog's answer about a SKU.
public enum CartRules {
    /// The most units of one SKU in a cart.
    public static let maximumQuantity = 999
    /// The most lines (SKUs) in a cart.
    public static let maximumLines = 100
    /// How long a guest's cart lives after its last change.
    public static let defaultGuestTTL: Duration = .seconds(7 * 86_400)
    /// How long a signed-in user's cart lives after its last change.
    public static let defaultUserTTL: Duration = .seconds(30 * 86_400)
    /// The currency of an empty cart's total (a cart takes the currency of its first line).
    public static let emptyCartCurrency = "USD"
    /// The header that carries a guest cart's id, in requests and responses.
    public static let cartIDHeader = "X-Cart-Id"

    /// The SKU and quantity of `POST /v1/cart/items`, or a 400 naming each bad field.
    public static func validate(_ body: AddItemRequest) throws(ProblemDetails) -> (sku: String, quantity: Int) {
        var errors: [ProblemDetails.FieldError] = []
        if !SKU.isValid(body.sku) { errors.append(.init(field: "sku", detail: SKU.rule)) }
        if let problem = quantityProblem(body.quantity) { errors.append(.init(field: "quantity", detail: problem)) }
        if !errors.isEmpty { throw .validation(errors) }
        return (body.sku, body.quantity)
    }

    /// The quantity of `PATCH /v1/cart/items/{sku}`, or a 400 naming it.
    public static func validate(_ body: QuantityRequest) throws(ProblemDetails) -> Int {
        if let problem = quantityProblem(body.quantity) { throw .invalidField("quantity", problem) }
        return body.quantity
    }

    /// The path parameter `sku`, or a 400 naming it.
    public static func skuParameter(_ value: String?) throws(ProblemDetails) -> String {
        guard let value, SKU.isValid(value) else { throw .invalidParameter("sku", SKU.rule) }
        return value
    }

    static func quantityProblem(_ quantity: Int) -> String? {
        (1...maximumQuantity).contains(quantity) ? nil : "must be from 1 to \(maximumQuantity)"
    }

    /// The catalog's answer about `sku` when it may be put in a cart: the SKU exists and its
    /// product is `active`.
    /// - Throws: ``CartError/unknownSKU(_:subject:)`` or ``CartError/notSellable(_:status:subject:)``.
    public static func sellable(_ variant: SellableVariant?, sku: String, subject: CartError.Subject) throws(CartError) -> SellableVariant {
        guard let variant else { throw .unknownSKU(sku, subject: subject) }
        guard variant.isSellable else { throw .notSellable(sku, status: variant.status, subject: subject) }
        return variant
    }
}
