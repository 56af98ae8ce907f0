import EmporiumKit

extension CartError: ProblemConvertible {
    public var problem: ProblemDetails {
        switch self {
        case .unknownSKU(let sku, let subject):
            return .unprocessable([Self.error(subject, "no product has the SKU \(sku)")])
        case .notSellable(let sku, let status, let subject):
            return .unprocessable([Self.error(subject, "the product of \(sku) is \(status): only active products may be bought")])
        case .insufficientStock(let sku, let requested, let available):
            return .unprocessable([.init(
                field: "quantity", detail: "only \(available) of \(sku) available; the line would hold \(requested)")])
        case .quantityAboveMaximum(let sku, let requested):
            return .unprocessable([.init(
                field: "quantity", detail: "the line of \(sku) would hold \(requested); a line holds at most \(CartRules.maximumQuantity)")])
        case .tooManyLines(let subject):
            return .unprocessable([Self.error(subject, "a cart holds at most \(CartRules.maximumLines) lines")])
        case .currencyMismatch(let cart, let other, let subject):
            return .unprocessable([Self.error(subject, "priced in \(other), but the cart is in \(cart): a cart has one currency")])
        case .lineNotFound(let sku):
            var problem = ProblemDetails.notFound("The cart has no line with the SKU \(sku).")
            problem.errors = [.init(parameter: "sku", detail: "is not in the cart")]
            return problem
        case .unknownCart:
            return .notFound("The cart does not exist.")
        case .storageUnavailable:
            return .unavailable("The cart storage is unavailable; try again shortly.")
        }
    }

    private static func error(_ subject: Subject, _ detail: String) -> ProblemDetails.FieldError {
        switch subject {
        case .field(let name): .init(field: name, detail: detail)
        case .parameter(let name): .init(parameter: name, detail: detail)
        }
    }
}
