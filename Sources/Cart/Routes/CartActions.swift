import EmporiumContracts
import EmporiumCore
import Metrics

/// The cart a request addresses: the signed-in user's, the guest's whose `X-Cart-Id` it sent,
/// or a new guest cart (no id, or a malformed one) whose id was issued just now.
struct AddressedCart: Sendable {
    var owner: CartOwner
    /// Whether the id was issued for this request (no store knows it yet).
    var isNew: Bool

    /// A new guest cart under a new id.
    static func newGuest() -> AddressedCart {
        AddressedCart(owner: .guest(GuestCartID.generate()), isNew: true)
    }
}

/// What each cart route does once the handler has decoded its input: check the change with the
/// catalog and the inventory (``CartRules``), make it through the store (atomically), and price
/// the cart for the answer (``CartView``).
///
/// A guest cart the store does not know (expired, merged, emptied, or an id never issued) is
/// replaced by a new one under a new id; the answer's view and `X-Cart-Id` name the cart that
/// exists after the request (a new id when there is none). A catalog or inventory that cannot be
/// reached throws `ServiceUnavailableError`, which is left to become a 503 naming it.
struct CartActions: Sendable {
    let store: any CartStore
    let catalog: any CatalogPricing
    let inventory: any InventoryAPI
    let guestTTL: Duration
    let userTTL: Duration
    /// `emporium_carts_created_total`: carts that got their first line, of guests or users.
    let cartsCreated: Counter

    /// The cart as it is now.
    func show(_ cart: AddressedCart) async throws -> (CartOwner, CartView) {
        let stored = cart.isNew ? nil : try await store.cart(cart.owner)
        return try await answer(cart, stored, known: .none)
    }

    /// Adds `quantity` units of `sku` (to its line, or as a new line).
    func add(sku: String, quantity: Int, to cart: AddressedCart) async throws -> (CartOwner, CartView) {
        try await change(.add, sku: sku, quantity: quantity, subject: .field("sku"), cart)
    }

    /// Sets the quantity of the line of `sku`.
    func set(sku: String, quantity: Int, in cart: AddressedCart) async throws -> (CartOwner, CartView) {
        try await change(.set, sku: sku, quantity: quantity, subject: .parameter("sku"), cart)
    }

    /// Removes the line of `sku` (nothing when there is none).
    func remove(sku: String, from cart: AddressedCart) async throws -> (CartOwner, CartView) {
        let stored = cart.isNew ? nil : try await store.remove(sku: sku, from: cart.owner, ttl: ttl(cart.owner))
        return try await answer(cart, stored, known: .none)
    }

    /// Empties the cart.
    func clear(_ cart: AddressedCart) async throws -> (CartOwner, CartView) {
        if !cart.isNew { try await store.clear(cart.owner) }
        return try await answer(cart, nil, known: .none)
    }

    /// Adds the lines of the guest cart `guestID` to `user`'s cart and deletes the guest cart.
    /// A malformed or unknown id merges nothing.
    func merge(guestID: String, into user: CartOwner) async throws -> (CartOwner, CartView) {
        let cart = AddressedCart(owner: user, isNew: false)
        guard GuestCartID.isWellFormed(guestID) else { return try await show(cart) }
        let merged = try await store.merge(guest: .guest(guestID), into: user, ttl: ttl(user))
        return try await answer(cart, merged, known: .none)
    }

    // MARK: Steps

    private func change(
        _ kind: LineChange.Kind, sku: String, quantity: Int, subject: CartError.Subject, _ cart: AddressedCart
    ) async throws -> (CartOwner, CartView) {
        // The cart as it is now, only to ask the catalog and the inventory about all of its
        // SKUs in one call each; the change itself is checked against the cart as it is when
        // the store applies it.
        let before = cart.isNew ? nil : try await store.cart(cart.owner)
        let skus = Set(before?.skus ?? []).union([sku])
        let list = skus.sorted()
        // Both asked at once; the catalog's answer is checked first, so a SKU that cannot be
        // sold is a 422 whatever the inventory answers.
        async let stock = inventory.stock(skus: list)
        let variants = try await catalog.variants(skus: list)
        let variant = try CartRules.sellable(variants[sku], sku: sku, subject: subject)
        let known = Lookup(asked: skus, variants: variants, stock: try await stock)
        let change = LineChange(
            kind: kind, sku: sku, quantity: quantity, currency: variant.price.currency, available: known.stock[sku]?.available ?? 0)
        var cart = cart
        let after: StoredCart
        do {
            after = try await store.apply(change, to: cart.owner, createIfMissing: cart.isNew || !cart.owner.isGuest, ttl: ttl(cart.owner))
        } catch CartError.unknownCart {
            guard kind == .add else { throw CartError.lineNotFound(sku: sku) }
            cart = .newGuest()
            after = try await store.apply(change, to: cart.owner, createIfMissing: true, ttl: ttl(cart.owner))
        }
        if after.wasMade(by: change) { cartsCreated.increment() }
        return try await answer(cart, after, known: known)
    }

    /// The owner and view of the cart after the request: a guest whose cart does not exist gets
    /// a new id.
    private func answer(_ cart: AddressedCart, _ stored: StoredCart?, known: Lookup) async throws -> (CartOwner, CartView) {
        var owner = cart.owner
        if stored == nil, owner.isGuest, !cart.isNew { owner = AddressedCart.newGuest().owner }
        return (owner, try await price(stored, id: owner.id, known: known))
    }

    /// `cart` priced now; SKUs `known` already has are not asked for again.
    private func price(_ cart: StoredCart?, id: String, known: Lookup) async throws -> CartView {
        var known = known
        let missing = Set(cart?.skus ?? []).subtracting(known.asked)
        if !missing.isEmpty { known.add(try await lookUp(missing)) }
        return CartView(id: id, cart: cart, variants: known.variants, stock: known.stock)
    }

    /// What the catalog and the inventory say of `skus` now, asked at the same time.
    private func lookUp(_ skus: Set<String>) async throws -> Lookup {
        guard !skus.isEmpty else { return .none }
        let list = skus.sorted()
        async let variants = catalog.variants(skus: list)
        async let stock = inventory.stock(skus: list)
        return Lookup(asked: skus, variants: try await variants, stock: try await stock)
    }

    private func ttl(_ owner: CartOwner) -> Duration {
        owner.isGuest ? guestTTL : userTTL
    }

    /// Answers of the catalog and the inventory, and the SKUs they were asked about (an SKU
    /// asked about and absent is deleted, or has no stock).
    struct Lookup: Sendable {
        var asked: Set<String>
        var variants: [String: SellableVariant]
        var stock: [String: StockLevel]

        static let none = Lookup(asked: [], variants: [:], stock: [:])

        mutating func add(_ other: Lookup) {
            asked.formUnion(other.asked)
            variants.merge(other.variants) { _, new in new }
            stock.merge(other.stock) { _, new in new }
        }
    }
}
