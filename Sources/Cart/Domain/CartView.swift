import EmporiumContracts
import EmporiumCore

/// Why a line cannot be bought as it is; a flagged line stays in the cart (the customer decides)
/// but is left out of the total.
public enum LineIssue: String, Sendable, Codable, CaseIterable {
    /// The catalog no longer has the SKU (its product or variant was deleted).
    case productRemoved = "product_removed"
    /// The product is a draft or archived: it may not be sold now.
    case productUnavailable = "product_unavailable"
    /// Fewer units are available than the line holds (`availableQuantity` says how many).
    case insufficientStock = "insufficient_stock"
    /// The SKU's price is now in another currency than the cart's.
    case currencyChanged = "currency_changed"
}

/// A cart as the API shows it, priced from the catalog's current prices and checked against the
/// inventory's current stock when it is read.
public struct CartView: Sendable, Equatable, Encodable {
    /// One line.
    public struct Line: Sendable, Equatable, Encodable {
        public var sku: String
        public var quantity: Int
        /// The product's id; absent when the catalog no longer has the SKU (as are `name`,
        /// `attributes`, `unitPrice` and `lineTotal`).
        public var productId: String?
        public var name: String?
        public var attributes: [String: String]?
        /// The current price of one unit.
        public var unitPrice: Money?
        /// `unitPrice` × `quantity`.
        public var lineTotal: Money?
        /// Whether the line can be bought as it is: no issue. Only such lines count in `total`.
        public var available: Bool
        /// The units available now, with the issue `insufficient_stock` only.
        public var availableQuantity: Int?
        /// Why the line cannot be bought as it is; empty when `available`.
        public var issues: [LineIssue]
    }

    /// The guest cart's id, or the signed-in user's id.
    public var id: String
    /// The lines, by SKU.
    public var lines: [Line]
    /// The sum of the `lineTotal` of the lines that are `available`, in the cart's currency
    /// (that of its first line; ``CartRules/emptyCartCurrency`` for an empty cart).
    public var total: Money
    /// The units in the lines that count in `total`.
    public var itemCount: Int
    /// Whether some line is flagged (and left out of `total`).
    public var hasIssues: Bool

    /// Prices `cart` for the view.
    /// - Parameters:
    ///   - id: The id the view shows.
    ///   - cart: The stored cart; nil for an empty one.
    ///   - variants: What the catalog says of the cart's SKUs now (an absent SKU was deleted).
    ///   - stock: What the inventory says of them now (an absent SKU has none).
    public init(id: String, cart: StoredCart?, variants: [String: SellableVariant], stock: [String: StockLevel]) {
        let currency = cart?.currency ?? CartRules.emptyCartCurrency
        var lines: [Line] = []
        var total: Int64 = 0
        var itemCount = 0
        for sku in cart?.skus ?? [] {
            let quantity = cart?.quantities[sku] ?? 0
            var line = Line(sku: sku, quantity: quantity, available: false, issues: [])
            if let variant = variants[sku] {
                line.productId = variant.productId
                line.name = variant.productName
                line.attributes = variant.attributes
                line.unitPrice = variant.price
                line.lineTotal = Money(amount: variant.price.amount * Int64(quantity), currency: variant.price.currency)
                if !variant.isSellable { line.issues.append(.productUnavailable) }
                if variant.price.currency != currency { line.issues.append(.currencyChanged) }
            } else {
                line.issues.append(.productRemoved)
            }
            let available = stock[sku]?.available ?? 0
            if available < quantity {
                line.issues.append(.insufficientStock)
                line.availableQuantity = max(0, available)
            }
            line.available = line.issues.isEmpty
            if line.available, let lineTotal = line.lineTotal {
                total += lineTotal.amount
                itemCount += quantity
            }
            lines.append(line)
        }
        self.id = id
        self.lines = lines
        self.total = Money(amount: total, currency: currency)
        self.itemCount = itemCount
        self.hasIssues = lines.contains { !$0.available }
    }
}
