public import EmporiumContracts
public import EmporiumCore
public import EmporiumKit
import Foundation
import Storage

/// The body of `POST /v1/checkout`: `{"paymentMethodId", "shippingAddress"}`.
public struct CheckoutRequest: StrictJSONBody, Sendable, Equatable {
    public static let knownFields: Set<String> = ["paymentMethodId", "shippingAddress"]
    public static let knownNestedFields: [String: Set<String>] = ["shippingAddress": PostalAddress.knownFields]
    public var paymentMethodId: String
    public var shippingAddress: PostalAddress

    public init(paymentMethodId: String, shippingAddress: PostalAddress) {
        self.paymentMethodId = paymentMethodId
        self.shippingAddress = shippingAddress
    }
}

/// A checkout's input once valid: ids in lower case, the address trimmed.
public struct ValidCheckout: Sendable, Equatable {
    public var userId: String
    public var key: String
    public var paymentMethodId: String
    public var shippingAddress: PostalAddress

    /// What tells a repeat of this checkout from another checkout under the same key.
    public var fingerprint: String {
        IdempotencyKey.fingerprint([
            "checkout", userId, paymentMethodId, shippingAddress.line1, shippingAddress.line2 ?? "", shippingAddress.city,
            shippingAddress.region ?? "", shippingAddress.postalCode, shippingAddress.country,
        ])
    }
}

/// The rules of a checkout, without I/O.
public enum CheckoutRules {
    /// The input checked, or a 400 naming each bad field.
    public static func validate(_ request: CheckoutRequest, userId: String, key: String) throws(ProblemDetails) -> ValidCheckout {
        let address = try PostalAddressRules.validated(request.shippingAddress, fieldPrefix: "shippingAddress.")
        guard let method = UUID(uuidString: request.paymentMethodId.trimmingCharacters(in: .whitespaces)) else {
            throw .invalidField("paymentMethodId", "must be the id (a UUID) of one of your payment methods")
        }
        return ValidCheckout(userId: userId.lowercased(), key: key, paymentMethodId: method.uuidString.lowercased(), shippingAddress: address)
    }

    /// The order's lines, priced from `variants` (the catalog's answer now), in the cart's order;
    /// or a 422 naming what cannot be sold: an empty cart, an SKU the catalog no longer has or
    /// sells, a cart mixing currencies.
    public static func price(_ cart: [CartLine], _ variants: [String: SellableVariant]) throws(ProblemDetails) -> (lines: [OrderLine], total: Money) {
        guard !cart.isEmpty else { throw .unprocessable([.init(field: "cart", detail: "is empty: add items before checking out")]) }
        var errors: [ProblemDetails.FieldError] = []
        var lines: [OrderLine] = []
        for item in cart {
            guard let variant = variants[item.sku] else {
                errors.append(.init(field: "cart", detail: "\(item.sku) is no longer in the catalog: remove it from the cart"))
                continue
            }
            guard variant.isSellable else {
                errors.append(.init(field: "cart", detail: "\(item.sku) is no longer sold: remove it from the cart"))
                continue
            }
            let (lineTotal, overflow) = variant.price.amount.multipliedReportingOverflow(by: Int64(item.quantity))
            guard !overflow else {
                errors.append(.init(field: "cart", detail: "\(item.sku): the line's total is too large"))
                continue
            }
            lines.append(OrderLine(
                sku: item.sku, productId: variant.productId, productName: variant.productName, quantity: item.quantity,
                unitPrice: variant.price, lineTotal: Money(amount: lineTotal, currency: variant.price.currency)))
        }
        guard errors.isEmpty else { throw .unprocessable(errors) }
        let currencies = Set(lines.map(\.unitPrice.currency))
        guard currencies.count == 1, let currency = currencies.first else {
            throw .unprocessable([.init(field: "cart", detail: "mixes currencies (\(currencies.sorted().joined(separator: ", "))): check out one currency at a time")])
        }
        var total: Int64 = 0
        for line in lines {
            let (sum, overflow) = total.addingReportingOverflow(line.lineTotal.amount)
            guard !overflow else { throw .unprocessable([.init(field: "cart", detail: "the order's total is too large")]) }
            total = sum
        }
        return (lines, Money(amount: total, currency: currency))
    }

    /// The idempotency key of the payment authorization of `orderId`: the recovery asks again
    /// with it, so the payments service never authorizes an order twice.
    public static func authorizationKey(_ orderId: String) -> String { "order-\(orderId)" }
    /// The key of the void or refund that cancels `orderId`.
    public static func cancellationKey(_ orderId: String) -> String { "cancel-\(orderId)" }
    /// The key of the capture that ships `orderId`.
    public static func captureKey(_ orderId: String) -> String { "ship-\(orderId)" }
}
