import EmporiumContracts
import EmporiumCore

/// What the templates see, built from an event's data without I/O:
///
/// - `shop.name`, `shop.url`;
/// - `customer.name` (absent when unknown or for in-app texts, so that a section on it is
///   skipped), `customer.email`;
/// - for order events `order.id`, `order.number`, `order.status`, `order.itemCount`,
///   `order.total`, `order.lines` (`sku`, `name`, `quantity`, `unitPrice`, `lineTotal`),
///   `order.cancellationReason`, `order.refundedAmount`; amounts as text (`25.00 USD`).
public struct TemplateData: Sendable {
    /// The shop's name and the address of its storefront, for links.
    public struct Shop: Sendable, Equatable {
        public var name: String
        public var url: String

        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    public var shop: Shop
    public var customerName: String?
    public var customerEmail: String?
    public var order: OrderEventData?

    public init(shop: Shop, customerName: String? = nil, customerEmail: String? = nil, order: OrderEventData? = nil) {
        self.shop = shop
        self.customerName = customerName
        self.customerEmail = customerEmail
        self.order = order
    }

    /// The values for Mustache (dictionaries and arrays of text and numbers).
    public var context: [String: Any] {
        // No name is no member at all: Mustache renders a section on an empty string (only
        // false, nil and empty lists skip one), and the greeting would read "Hello ,".
        var customer: [String: Any] = ["email": customerEmail ?? ""]
        if let customerName, !customerName.isEmpty { customer["name"] = customerName }
        var context: [String: Any] = [
            "shop": ["name": shop.name, "url": shop.url],
            "customer": customer,
        ]
        if let order {
            var values: [String: Any] = [
                "id": order.orderId,
                "number": order.orderId,
                "status": order.status,
                "itemCount": order.lines.reduce(0) { $0 + $1.quantity },
                "total": Self.text(order.total),
                "lines": order.lines.map { line in
                    [
                        "sku": line.sku, "name": line.productName, "quantity": line.quantity, "unitPrice": Self.text(line.unitPrice),
                        "lineTotal": Self.text(line.lineTotal),
                    ] as [String: Any]
                },
            ]
            if let reason = order.cancellationReason { values["cancellationReason"] = reason }
            if let refunded = order.refundedAmount { values["refundedAmount"] = Self.text(refunded) }
            context["order"] = values
        }
        return context
    }

    /// Currencies without minor units.
    static let zeroDecimalCurrencies = Currency.withoutMinorUnits

    /// `2500 USD` as `25.00 USD`.
    public static func text(_ money: Money) -> String {
        if zeroDecimalCurrencies.contains(money.currency) { return "\(money.amount) \(money.currency)" }
        let sign = money.amount < 0 ? "-" : ""
        let units = money.amount.magnitude
        let cents = units % 100
        return "\(sign)\(units / 100).\(cents < 10 ? "0" : "")\(cents) \(money.currency)"
    }
}
