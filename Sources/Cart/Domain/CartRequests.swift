import EmporiumKit

/// The body of `POST /v1/cart/items`: units of one SKU to add to the cart.
public struct AddItemRequest: StrictJSONBody, Sendable {
    public static let knownFields: Set<String> = ["sku", "quantity"]
    public var sku: String
    public var quantity: Int

    public init(sku: String, quantity: Int) {
        self.sku = sku
        self.quantity = quantity
    }
}

/// The body of `PATCH /v1/cart/items/{sku}`: the line's new quantity.
public struct QuantityRequest: StrictJSONBody, Sendable {
    public static let knownFields: Set<String> = ["quantity"]
    public var quantity: Int

    public init(quantity: Int) {
        self.quantity = quantity
    }
}
