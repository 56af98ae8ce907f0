/// A cart as it is stored: a quantity per SKU and the currency its lines are priced in. Prices,
/// names and stock are never stored: the view asks the catalog and the inventory each time.
///
/// An empty cart is not stored: a change that leaves no line deletes the cart.
public struct StoredCart: Sendable, Equatable {
    /// The currency of every line's price when it was added; nil only for an empty cart.
    public var currency: String?
    /// Units by SKU, each from 1 to ``CartRules/maximumQuantity``.
    public var quantities: [String: Int]

    public init(currency: String? = nil, quantities: [String: Int] = [:]) {
        self.currency = currency
        self.quantities = quantities
    }

    /// Whether the cart has no line.
    public var isEmpty: Bool { quantities.isEmpty }

    /// The SKUs of the lines, in the order the view lists them (by SKU).
    public var skus: [String] { quantities.keys.sorted() }
}

/// One change of one line, with what the catalog and the inventory said about its SKU just
/// before: a store applies it atomically, checking the rules against the cart as it is then.
public struct LineChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Adds `quantity` to the line (a new line when the cart has none for the SKU).
        case add
        /// Sets the line's quantity; the line must exist.
        case set
    }

    public var kind: Kind
    public var sku: String
    public var quantity: Int
    /// The currency of the SKU's current price.
    public var currency: String
    /// The units the inventory has available now.
    public var available: Int

    public init(kind: Kind, sku: String, quantity: Int, currency: String, available: Int) {
        self.kind = kind
        self.sku = sku
        self.quantity = quantity
        self.currency = currency
        self.available = available
    }
}

extension StoredCart {
    /// The cart after `change`, or the rule it breaks, checked in this order: the line exists
    /// (to set it); the SKU's currency is the cart's; the resulting quantity is at most
    /// ``CartRules/maximumQuantity`` and at most what is available; a new line fits under
    /// ``CartRules/maximumLines``.
    ///
    /// The in-memory store applies this function; the Redis store's script applies the same
    /// rules in the same order (`Tests/CartTests` holds both stores to them).
    public func applying(_ change: LineChange) throws(CartError) -> StoredCart {
        let inCart = quantities[change.sku] ?? 0
        if change.kind == .set, inCart == 0 { throw .lineNotFound(sku: change.sku) }
        if let currency, currency != change.currency {
            throw .currencyMismatch(cart: currency, other: change.currency, subject: change.kind == .add ? .field("sku") : .parameter("sku"))
        }
        let wanted = change.kind == .add ? inCart + change.quantity : change.quantity
        if wanted > CartRules.maximumQuantity { throw .quantityAboveMaximum(sku: change.sku, requested: wanted) }
        if wanted > change.available { throw .insufficientStock(sku: change.sku, requested: wanted, available: change.available) }
        if inCart == 0, quantities.count >= CartRules.maximumLines { throw .tooManyLines(subject: .field("sku")) }
        var changed = self
        changed.currency = change.currency
        changed.quantities[change.sku] = wanted
        return changed
    }

    /// Whether `change`, which left this cart as it is, made it: it added the first line to a
    /// cart that had none (no cart is stored empty), so this cart's only line is all it added.
    /// A store applies changes atomically, so of concurrent first lines only one made the cart.
    public func wasMade(by change: LineChange) -> Bool {
        change.kind == .add && quantities.count == 1 && quantities[change.sku] == change.quantity
    }

    /// The cart without the line of `sku` (unchanged when it has none).
    public func removing(sku: String) -> StoredCart {
        var changed = self
        changed.quantities[sku] = nil
        if changed.quantities.isEmpty { changed.currency = nil }
        return changed
    }

    /// The cart with `lines`' quantities taken off (the lines an order bought): a line left
    /// with none is removed; an SKU the cart does not have is ignored.
    public func subtracting(_ lines: [(sku: String, quantity: Int)]) -> StoredCart {
        var changed = self
        for line in lines {
            guard let have = changed.quantities[line.sku] else { continue }
            changed.quantities[line.sku] = have > line.quantity ? have - line.quantity : nil
        }
        if changed.quantities.isEmpty { changed.currency = nil }
        return changed
    }

    /// This (a user's) cart with the lines of `guest` added: quantities of the same SKU add up,
    /// capped at ``CartRules/maximumQuantity``. Stock and product status are not checked (the
    /// view flags what cannot be bought); refused when the carts' currencies differ or the lines
    /// would be more than ``CartRules/maximumLines``, naming the header `X-Cart-Id`.
    public func merging(_ guest: StoredCart) throws(CartError) -> StoredCart {
        if let currency, let other = guest.currency, currency != other, !guest.isEmpty {
            throw .currencyMismatch(cart: currency, other: other, subject: .parameter(CartRules.cartIDHeader))
        }
        let added = guest.quantities.keys.filter { quantities[$0] == nil }.count
        if quantities.count + added > CartRules.maximumLines { throw .tooManyLines(subject: .parameter(CartRules.cartIDHeader)) }
        var merged = self
        for (sku, quantity) in guest.quantities {
            merged.quantities[sku] = min(CartRules.maximumQuantity, (quantities[sku] ?? 0) + quantity)
        }
        if merged.currency == nil { merged.currency = guest.currency }
        return merged
    }
}
