import Synchronization

/// Carts in this process (embedded mode, no `redis.url`): the rules of ``StoredCart`` applied
/// under one lock, so changes are atomic as in Redis. Carts expire after their time to live as
/// in Redis (checked when read or written; expired carts are swept every 1,024 writes). Carts
/// are lost when the process stops.
public final class InMemoryCartStore: CartStore {
    private struct Entry {
        var cart: StoredCart
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var carts: [CartOwner: Entry] = [:]
        var writes = 0

        /// The cart of `owner` unless expired (then dropped).
        mutating func live(_ owner: CartOwner, now: ContinuousClock.Instant) -> StoredCart? {
            guard let entry = carts[owner] else { return nil }
            if entry.expires <= now {
                carts[owner] = nil
                return nil
            }
            return entry.cart
        }

        /// Stores `cart` (deletes it when empty) for `ttl` from `now`.
        mutating func store(_ cart: StoredCart, for owner: CartOwner, ttl: Duration, now: ContinuousClock.Instant) {
            carts[owner] = cart.isEmpty ? nil : Entry(cart: cart, expires: now + ttl)
            writes += 1
            if writes % 1024 == 0 { carts = carts.filter { $0.value.expires > now } }
        }
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameter now: The clock (tests move it).
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    public func cart(_ owner: CartOwner) async throws -> StoredCart? {
        let now = now()
        return state.withLock { $0.live(owner, now: now) }
    }

    public func apply(_ change: LineChange, to owner: CartOwner, createIfMissing: Bool, ttl: Duration) async throws -> StoredCart {
        let now = now()
        return try state.withLock { state throws(CartError) in
            let current = state.live(owner, now: now)
            if current == nil, !createIfMissing { throw .unknownCart }
            let changed = try (current ?? StoredCart()).applying(change)
            state.store(changed, for: owner, ttl: ttl, now: now)
            return changed
        }
    }

    public func remove(sku: String, from owner: CartOwner, ttl: Duration) async throws -> StoredCart? {
        let now = now()
        return state.withLock { state in
            guard let current = state.live(owner, now: now) else { return nil }
            guard current.quantities[sku] != nil else { return current }
            let changed = current.removing(sku: sku)
            state.store(changed, for: owner, ttl: ttl, now: now)
            return changed.isEmpty ? nil : changed
        }
    }

    public func subtract(_ lines: [(sku: String, quantity: Int)], from owner: CartOwner, ttl: Duration) async throws -> StoredCart? {
        let now = now()
        return state.withLock { state in
            guard let current = state.live(owner, now: now) else { return nil }
            let changed = current.subtracting(lines)
            state.store(changed, for: owner, ttl: ttl, now: now)
            return changed.isEmpty ? nil : changed
        }
    }

    public func clear(_ owner: CartOwner) async throws {
        _ = state.withLock { $0.carts.removeValue(forKey: owner) }
    }

    public func merge(guest: CartOwner, into user: CartOwner, ttl: Duration) async throws -> StoredCart? {
        let now = now()
        return try state.withLock { state throws(CartError) in
            let target = state.live(user, now: now)
            guard let source = state.live(guest, now: now) else { return target }
            let merged = try (target ?? StoredCart()).merging(source)
            state.carts[guest] = nil
            state.store(merged, for: user, ttl: ttl, now: now)
            return merged
        }
    }

    /// When the cart of `owner` expires, if it exists (for tests).
    public func expiry(of owner: CartOwner) -> ContinuousClock.Instant? {
        let now = now()
        return state.withLock { state in state.live(owner, now: now).flatMap { _ in state.carts[owner]?.expires } }
    }
}
