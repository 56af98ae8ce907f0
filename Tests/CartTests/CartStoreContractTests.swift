import Cart
import Foundation
import RESP
import Synchronization
import Testing

/// Both stores hold to the same contract: the rules of ``StoredCart``, atomic changes (no lost
/// line or unit under concurrency), deletion of empty carts, one-step merges, and a time to
/// live renewed by every change. Redis tests need `EMPORIUM_TEST_REDIS_URL`.
@Suite struct CartStoreContractTests {
    static let redisURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_REDIS_URL"]
    static let reason: Comment = "needs Redis: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\""
    static let ttl: Duration = .seconds(3600)

    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory, redis
        var testDescription: String { rawValue }
    }

    /// Runs `body` with a fresh store of `backend` (Redis under a namespace of its own).
    static func withStore(_ backend: Backend, _ body: (any CartStore, RedisClient?) async throws -> Void) async throws {
        switch backend {
        case .memory:
            try await body(InMemoryCartStore(), nil)
        case .redis:
            guard let url = redisURL else { return }
            let client = RedisClient(configuration: try RedisConfiguration(url: url))
            let namespace = "test:cart:\(UUID().uuidString.prefix(8))"
            let store = RedisCartStore(redis: client, namespace: namespace)
            func cleanUp() async {
                if let keys = try? await client.send(command: "KEYS", args: [.string("\(namespace):*")]).array, !keys.isEmpty {
                    _ = try? await client.send(RESPCommand("DEL", keys.compactMap(\.string).map { .string($0) }))
                }
                await client.close()
            }
            do {
                try await body(store, client)
                await cleanUp()
            } catch {
                await cleanUp()
                throw error
            }
        }
    }

    static func add(_ sku: String, _ quantity: Int, available: Int = 10_000, currency: String = "USD") -> LineChange {
        LineChange(kind: .add, sku: sku, quantity: quantity, currency: currency, available: available)
    }

    static var owner: CartOwner { .guest(GuestCartID.generate()) }

    @Test(arguments: Backend.allCases)
    func changesFollowTheRules(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let cart = Self.owner
            #expect(try await store.cart(cart) == nil)
            await #expect(throws: CartError.unknownCart) {
                try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: false, ttl: Self.ttl)
            }
            #expect(try await store.apply(Self.add("MUG-1", 2), to: cart, createIfMissing: true, ttl: Self.ttl)
                == StoredCart(currency: "USD", quantities: ["MUG-1": 2]))
            #expect(try await store.apply(Self.add("MUG-1", 3), to: cart, createIfMissing: false, ttl: Self.ttl).quantities["MUG-1"] == 5)
            let set = LineChange(kind: .set, sku: "MUG-1", quantity: 4, currency: "USD", available: 4)
            #expect(try await store.apply(set, to: cart, createIfMissing: false, ttl: Self.ttl).quantities["MUG-1"] == 4)
            // Each refusal, as the domain function refuses it, writes nothing.
            let before = try #require(try await store.cart(cart))
            let refusals: [(LineChange, CartError)] = [
                (LineChange(kind: .set, sku: "CUP-1", quantity: 1, currency: "USD", available: 9), .lineNotFound(sku: "CUP-1")),
                (Self.add("CUP-1", 1, currency: "EUR"), .currencyMismatch(cart: "USD", other: "EUR", subject: .field("sku"))),
                (Self.add("MUG-1", 996), .quantityAboveMaximum(sku: "MUG-1", requested: 1000)),
                (Self.add("MUG-1", 2, available: 5), .insufficientStock(sku: "MUG-1", requested: 6, available: 5)),
            ]
            for (change, expected) in refusals {
                await #expect(throws: expected) { try await store.apply(change, to: cart, createIfMissing: false, ttl: Self.ttl) }
                #expect(throws: expected, "the domain refuses it alike") { try before.applying(change) }
            }
            #expect(try await store.cart(cart) == before)
        }
    }

    @Test(arguments: Backend.allCases)
    func atMost100Lines(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let cart = Self.owner
            for index in 0..<CartRules.maximumLines {
                _ = try await store.apply(Self.add("SKU-\(index)", 1), to: cart, createIfMissing: true, ttl: Self.ttl)
            }
            await #expect(throws: CartError.tooManyLines(subject: .field("sku"))) {
                try await store.apply(Self.add("SKU-X", 1), to: cart, createIfMissing: false, ttl: Self.ttl)
            }
            #expect(try await store.cart(cart)?.quantities.count == 100)
        }
    }

    @Test(arguments: Backend.allCases)
    func removingTheLastLineDeletesTheCart(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let cart = Self.owner
            _ = try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: true, ttl: Self.ttl)
            _ = try await store.apply(Self.add("CUP-1", 1), to: cart, createIfMissing: true, ttl: Self.ttl)
            #expect(try await store.remove(sku: "NONE-1", from: cart, ttl: Self.ttl)?.quantities.count == 2)
            #expect(try await store.remove(sku: "MUG-1", from: cart, ttl: Self.ttl) == StoredCart(currency: "USD", quantities: ["CUP-1": 1]))
            #expect(try await store.remove(sku: "CUP-1", from: cart, ttl: Self.ttl) == nil)
            #expect(try await store.cart(cart) == nil)
            await #expect(throws: CartError.unknownCart) {
                try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: false, ttl: Self.ttl)
            }
            _ = try await store.apply(Self.add("EUR-1", 1, currency: "EUR"), to: cart, createIfMissing: true, ttl: Self.ttl)
            #expect(try await store.cart(cart)?.currency == "EUR", "an emptied cart starts over in any currency")
            try await store.clear(cart)
            #expect(try await store.cart(cart) == nil)
        }
    }

    /// What an order bought comes off the cart in one step: quantities go down, a line left with
    /// none goes, what the order did not hold stays, and a cart left empty is deleted.
    @Test(arguments: Backend.allCases)
    func orderedLinesAreSubtracted(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let cart = Self.owner
            #expect(try await store.subtract([("MUG-1", 1)], from: cart, ttl: Self.ttl) == nil, "no cart: nothing to take")
            _ = try await store.apply(Self.add("MUG-1", 3), to: cart, createIfMissing: true, ttl: Self.ttl)
            _ = try await store.apply(Self.add("CUP-1", 2), to: cart, createIfMissing: true, ttl: Self.ttl)
            _ = try await store.apply(Self.add("NEW-1", 1), to: cart, createIfMissing: true, ttl: Self.ttl)
            let left = try await store.subtract([("MUG-1", 1), ("CUP-1", 2), ("GONE-1", 4)], from: cart, ttl: Self.ttl)
            #expect(left == StoredCart(currency: "USD", quantities: ["MUG-1": 2, "NEW-1": 1]))
            #expect(try await store.cart(cart) == left)
            #expect(try await store.subtract([("MUG-1", 5), ("NEW-1", 1)], from: cart, ttl: Self.ttl) == nil, "more than the cart holds empties the line")
            #expect(try await store.cart(cart) == nil, "a cart left empty is deleted")
        }
    }

    @Test(arguments: Backend.allCases)
    func mergeHappensOnce(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let guest = Self.owner, user = CartOwner.user(UUID().uuidString.lowercased())
            _ = try await store.apply(Self.add("MUG-1", 3), to: guest, createIfMissing: true, ttl: Self.ttl)
            _ = try await store.apply(Self.add("CUP-1", 600), to: guest, createIfMissing: true, ttl: Self.ttl)
            _ = try await store.apply(Self.add("CUP-1", 500), to: user, createIfMissing: true, ttl: Self.ttl)
            let merged = StoredCart(currency: "USD", quantities: ["MUG-1": 3, "CUP-1": 999])
            #expect(try await store.merge(guest: guest, into: user, ttl: Self.ttl) == merged)
            #expect(try await store.cart(guest) == nil, "the guest cart is deleted")
            #expect(try await store.merge(guest: guest, into: user, ttl: Self.ttl) == merged, "a retry adds nothing")
            #expect(try await store.merge(guest: Self.owner, into: .user("nobody"), ttl: Self.ttl) == nil)

            let euros = Self.owner
            _ = try await store.apply(Self.add("TEE-1", 1, currency: "EUR"), to: euros, createIfMissing: true, ttl: Self.ttl)
            await #expect(throws: CartError.currencyMismatch(cart: "USD", other: "EUR", subject: .parameter("X-Cart-Id"))) {
                try await store.merge(guest: euros, into: user, ttl: Self.ttl)
            }
            #expect(try await store.cart(euros) != nil, "a refused merge deletes nothing")
            #expect(try await store.cart(user) == merged)
        }
    }

    /// 50 concurrent adds of different SKUs keep every line; 50 of one SKU add up.
    @Test(arguments: Backend.allCases)
    func concurrentChangesLoseNothing(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let cart = Self.owner
            _ = try await store.apply(Self.add("FIRST-1", 1), to: cart, createIfMissing: true, ttl: Self.ttl)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask { _ = try await store.apply(Self.add("LINE-\(index)", index + 1), to: cart, createIfMissing: false, ttl: Self.ttl) }
                }
                try await group.waitForAll()
            }
            let lines = try #require(try await store.cart(cart)).quantities
            #expect(lines.count == 51)
            #expect((0..<50).allSatisfy { lines["LINE-\($0)"] == $0 + 1 })

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask { _ = try await store.apply(Self.add("SAME-1", 3), to: cart, createIfMissing: false, ttl: Self.ttl) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.cart(cart)?.quantities["SAME-1"] == 150)

            // Competing for the last units: exactly as many succeed as the stock allows.
            let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        do {
                            _ = try await store.apply(Self.add("SCARCE-1", 1, available: 20), to: cart, createIfMissing: false, ttl: Self.ttl)
                            return true
                        } catch CartError.insufficientStock {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(successes == 20)
            #expect(try await store.cart(cart)?.quantities["SCARCE-1"] == 20)
        }
    }

    @Test(.enabled(if: redisURL != nil, reason))
    func redisTimeToLiveIsRenewedByEveryChange() async throws {
        try await Self.withStore(.redis) { store, client in
            let redis = try #require(client)
            let store = try #require(store as? RedisCartStore)
            let cart = Self.owner
            func pttl() async throws -> Int { try #require(try await redis.send(command: "PTTL", args: [.string(store.key(cart))]).int) }
            _ = try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: true, ttl: .seconds(7 * 86_400))
            #expect(try await pttl() > 7 * 86_400_000 - 60_000)
            _ = try await redis.send(command: "PEXPIRE", args: [.string(store.key(cart)), 5000])
            #expect(try await pttl() <= 5000)
            _ = try await store.apply(Self.add("CUP-1", 1), to: cart, createIfMissing: false, ttl: .seconds(7 * 86_400))
            #expect(try await pttl() > 7 * 86_400_000 - 60_000, "renewed by the change")
            _ = try await redis.send(command: "PEXPIRE", args: [.string(store.key(cart)), 5000])
            _ = try await store.remove(sku: "MUG-1", from: cart, ttl: .seconds(7 * 86_400))
            #expect(try await pttl() > 7 * 86_400_000 - 60_000, "renewed by a removal")
            _ = try await redis.send(command: "PEXPIRE", args: [.string(store.key(cart)), 5000])
            _ = try await store.cart(cart)
            #expect(try await pttl() <= 5000, "a read does not renew")

            let user = CartOwner.user(UUID().uuidString.lowercased())
            _ = try await store.merge(guest: cart, into: user, ttl: .seconds(30 * 86_400))
            #expect(try await redis.send(command: "PTTL", args: [.string(store.key(user))]).int ?? 0 > 29 * 86_400_000)
        }
    }

    @Test func memoryCartsExpire() async throws {
        let clock = TestClock()
        let store = InMemoryCartStore(now: { clock.now })
        let cart = Self.owner
        _ = try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: true, ttl: .seconds(100))
        clock.advance(.seconds(90))
        _ = try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: false, ttl: .seconds(100))
        #expect(store.expiry(of: cart) == clock.now + .seconds(100), "renewed by the change")
        clock.advance(.seconds(90))
        #expect(try await store.cart(cart)?.quantities["MUG-1"] == 2)
        clock.advance(.seconds(11))
        #expect(try await store.cart(cart) == nil)
        await #expect(throws: CartError.unknownCart) {
            try await store.apply(Self.add("MUG-1", 1), to: cart, createIfMissing: false, ttl: .seconds(100))
        }
    }
}

/// A clock a test moves by hand.
final class TestClock: Sendable {
    private let offset = Mutex<Duration>(.zero)
    private let origin = ContinuousClock.now

    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    var now: ContinuousClock.Instant { origin.advanced(by: offset.withLock { $0 }) }
}
