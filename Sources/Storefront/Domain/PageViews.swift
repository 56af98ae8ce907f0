import HTTPTypes
import EmporiumKit
import Foundation
import EmporiumCore

/// What each page shows, as its template reads it: strings ready to print (prices formatted,
/// links built), flags for sections. Built from the API's answers without I/O.
enum PageViews {
    struct Link: Sendable {
        var label: String
        var href: String
        var count: Int?
        var current: Bool = false
    }

    struct ProductCard: Sendable {
        var id: String
        var name: String
        var href: String
        var image: String
        var price: String?

        init(id: String, name: String, price: Money?) {
            self.id = id
            self.name = name
            href = "/products/\(id)"
            image = "/assets/placeholder/\(id).svg"
            self.price = price.map(PriceFormat.format)
        }

        init(_ product: APITypes.Product) {
            self.init(id: product.id, name: product.name, price: product.variants.map(\.price).min { $0.amount < $1.amount })
        }
    }

    struct Home: Sendable {
        var categories: [Link]
        var productsHeading: String
        var products: [ProductCard]
    }

    struct FacetGroup: Sendable {
        var name: String
        var values: [Link]
    }

    struct SortOption: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct AppliedFilter: Sendable {
        var label: String
        var removeHref: String
    }

    struct Search: Sendable {
        var heading: String
        var text: String?
        var category: String?
        var minPrice: String?
        var maxPrice: String?
        var minError: String?
        var maxError: String?
        var sorts: [SortOption]
        var attributes: [HiddenField]
        var total: Int?
        var products: [ProductCard]
        var empty: Bool
        var categoryFacets: [Link]
        var attributeFacets: [FacetGroup]
        var applied: [AppliedFilter]
        var nextPage: String?
        var firstPage: String?
        var formError: String?
        /// Flags for headings (templates read stored members only).
        var hasApplied = false
        var hasCategoryFacets = false
    }

    struct HiddenField: Sendable {
        var name: String
        var value: String
    }

    struct VariantOption: Sendable {
        var sku: String
        var label: String
        var price: String
        var availability: String
        var inStock: Bool
        var checked: Bool
        var inputID: String
    }

    struct Product: Sendable {
        var id: String
        var name: String
        var description: String
        var image: String
        var category: Link?
        var price: String
        var variants: [VariantOption]
        var canBuy: Bool
        var boughtTogether: [ProductCard]
        var formError: String?
        var hasBoughtTogether = false
    }

    struct CartLine: Sendable {
        var sku: String
        var name: String
        var attributes: String
        var quantity: Int
        var unitPrice: String
        var lineTotal: String
        var href: String?
        var inputID: String
        var unavailable: Bool
    }

    struct Cart: Sendable {
        var lines: [CartLine]
        var empty: Bool
        var total: String
        var signedIn: Bool
        var formError: String?
    }

    /// A form's fields and their messages (sign-up, sign-in, checkout).
    struct Field: Sendable {
        var name: String
        var label: String
        var type: String
        var value: String
        var error: String?
        var autocomplete: String
        var required: Bool
        var hint: String?
    }

    struct AccountForm: Sendable {
        var heading: String
        var action: String
        var submit: String
        var fields: [Field]
        var formError: String?
        var alternative: Link
        /// Where to go once signed in (a path of this site).
        var next: String?
    }

    struct Checkout: Sendable {
        var lines: [CartLine]
        var total: String
        var addressFields: [Field]
        var cardFields: [Field]
        var idempotencyKey: String
        var formError: String?
    }

    struct OrderSummary: Sendable {
        var id: String
        var href: String
        var status: String
        var total: String
        var placed: String
    }

    struct Orders: Sendable {
        var orders: [OrderSummary]
        var empty: Bool
        var nextPage: String?
    }

    struct TimelineEntry: Sendable {
        var label: String
        var time: String
    }

    struct OrderLine: Sendable {
        var name: String
        var sku: String
        var quantity: Int
        var lineTotal: String
    }

    struct Order: Sendable {
        var id: String
        var status: String
        var confirmed: Bool
        var cancelled: Bool
        var reason: String?
        var cartKept: Bool
        var lines: [OrderLine]
        var total: String
        var timeline: [TimelineEntry]
    }

    struct Notification: Sendable {
        var id: String
        var title: String
        var body: String
        var time: String
        var unread: Bool
        var href: String?
    }

    struct Notifications: Sendable {
        var items: [Notification]
        var empty: Bool
    }

    struct Error: Sendable {
        var heading: String
        var message: String
    }
}

extension PageViews {
    /// `{"size": "M", "colour": "red"}` as `colour: red, size: M`.
    static func attributes(_ attributes: [String: String]?) -> String {
        (attributes ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// An order's status as a shopper reads it (`partially_refunded`: `Partially refunded`).
    static func status(_ status: String) -> String {
        FieldMessages.sentence(status.replacingOccurrences(of: "_", with: " ")).dropLast().description
    }

    /// An order event's type (`orders.order.payment_authorized`, `payment_authorized`) as words.
    static func eventLabel(_ type: String) -> String {
        let last = type.split(separator: ".").last.map(String.init) ?? type
        return status(last)
    }

    /// An ISO 8601 time as `2025-01-31 14:05 UTC`.
    static func time(_ iso: String) -> String {
        guard iso.count >= 16 else { return iso }
        let date = iso.prefix(10)
        let clock = iso.dropFirst(11).prefix(5)
        return "\(date) \(clock) UTC"
    }

    static func cartLines(_ cart: APITypes.Cart) -> [CartLine] {
        cart.lines.enumerated().map { index, line in
            CartLine(
                sku: line.sku, name: line.name ?? line.sku, attributes: attributes(line.attributes), quantity: line.quantity,
                unitPrice: line.unitPrice.map(PriceFormat.format) ?? "—", lineTotal: line.lineTotal.map(PriceFormat.format) ?? "—",
                href: line.productId.map { "/products/\($0)" }, inputID: "quantity-\(index)", unavailable: line.available == false)
        }
    }
}
