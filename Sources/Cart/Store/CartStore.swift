/// Where carts live: Redis (``RedisCartStore``) when the process has `redis.url`, else this
/// process (``InMemoryCartStore``). Both apply the same rules (``StoredCart/applying(_:)``) and
/// make every change atomically against the cart as it is then, so concurrent changes to one
/// cart never lose a line or a unit; every change renews the cart's time to live.
public protocol CartStore: Sendable {
    /// The cart, or nil when there is none (never made, emptied, merged or expired).
    func cart(_ owner: CartOwner) async throws -> StoredCart?

    /// Applies `change` and renews the cart's time to live to `ttl`.
    /// - Parameter createIfMissing: Whether a missing cart is made; when false, a missing cart
    ///   is ``CartError/unknownCart`` (a guest's id the store does not know).
    /// - Returns: The cart after the change.
    /// - Throws: ``CartError`` for a rule the change breaks, with nothing written.
    func apply(_ change: LineChange, to owner: CartOwner, createIfMissing: Bool, ttl: Duration) async throws -> StoredCart

    /// Removes the line of `sku`, if any, renewing the time to live; a cart left empty is deleted.
    /// - Returns: The cart after the change; nil when there is none.
    func remove(sku: String, from owner: CartOwner, ttl: Duration) async throws -> StoredCart?

    /// Deletes the cart.
    func clear(_ owner: CartOwner) async throws

    /// Takes `lines`' quantities off the cart in one step (``StoredCart/subtracting(_:)``),
    /// renewing its time to live; a cart left empty is deleted. Lines added meanwhile stay.
    /// - Returns: The cart after the change; nil when there is none.
    func subtract(_ lines: [(sku: String, quantity: Int)], from owner: CartOwner, ttl: Duration) async throws -> StoredCart?

    /// Adds the guest cart's lines to the user's cart (``StoredCart/merging(_:)``), deletes the
    /// guest cart and renews the user cart's time to live, in one step: a retry finds no guest
    /// cart and adds nothing.
    /// - Returns: The user's cart after the merge; nil when both are empty.
    /// - Throws: ``CartError`` when the carts cannot be merged, with nothing written.
    func merge(guest: CartOwner, into user: CartOwner, ttl: Duration) async throws -> StoredCart?
}
