import Caching
import Foundation
import NIOCore
import Testing

@Suite("InMemoryCache")
struct InMemoryCacheTests {
    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func returnsWhatWasStoredUntilRemoved() {
        let cache = InMemoryCache()
        #expect(cache.value(forKey: "a") == nil)
        cache.setValue(Self.bytes("one"), forKey: "a", ttl: .seconds(60))
        cache.setValue(Self.bytes("two"), forKey: "b", ttl: .seconds(60))
        #expect(cache.value(forKey: "a") == Self.bytes("one"))
        cache.setValue(Self.bytes("uno"), forKey: "a", ttl: .seconds(60))
        #expect(cache.value(forKey: "a") == Self.bytes("uno"), "a write replaces the value")
        cache.removeValues(forKeys: ["a", "missing"])
        #expect(cache.value(forKey: "a") == nil)
        #expect(cache.value(forKey: "b") == Self.bytes("two"))
        #expect(cache.count == 1)
    }

    @Test func evictsTheLeastRecentlyUsedEntryAtTheEntryBound() {
        let cache = InMemoryCache(maximumEntries: 3)
        for key in ["a", "b", "c"] { cache.setValue(Self.bytes(key), forKey: key, ttl: .seconds(60)) }
        _ = cache.value(forKey: "a")  // a is now the most recently used; b the least
        cache.setValue(Self.bytes("d"), forKey: "d", ttl: .seconds(60))
        #expect(cache.value(forKey: "b") == nil, "b was the least recently used")
        #expect(cache.keysByRecency.sorted() == ["a", "c", "d"])
        #expect(cache.count == 3)
        cache.setValue(Self.bytes("e"), forKey: "e", ttl: .seconds(60))
        #expect(cache.value(forKey: "c") == nil, "then c")
        #expect(cache.value(forKey: "a") != nil)
    }

    @Test func evictsUntilTheByteBoundHolds() {
        // Each entry costs its key (1 byte) plus its value (39 bytes) = 40 bytes.
        let cache = InMemoryCache(maximumEntries: 100, maximumBytes: 100)
        let value = ByteBuffer(repeating: 0x78, count: 39)
        cache.setValue(value, forKey: "a", ttl: .seconds(60))
        cache.setValue(value, forKey: "b", ttl: .seconds(60))
        #expect(cache.bytes == 80)
        cache.setValue(value, forKey: "c", ttl: .seconds(60))
        #expect(cache.bytes == 80, "a was evicted to stay under 100 bytes")
        #expect(cache.value(forKey: "a") == nil)
        #expect(cache.value(forKey: "b") == value)
        #expect(cache.value(forKey: "c") == value)

        // A value too large on its own is not stored, and does not leave the old one behind.
        cache.setValue(ByteBuffer(repeating: 0x79, count: 200), forKey: "b", ttl: .seconds(60))
        #expect(cache.value(forKey: "b") == nil)
        #expect(cache.value(forKey: "c") == value, "nothing else was evicted for it")
        #expect(cache.bytes == 40)
    }

    @Test func eachEntryExpiresAfterItsOwnTTL() {
        let time = ManualTime()
        let cache = InMemoryCache(time: time.source)
        cache.setValue(Self.bytes("long"), forKey: "long", ttl: .seconds(10))
        cache.setValue(Self.bytes("short"), forKey: "short", ttl: .seconds(1))
        time.advance(by: .milliseconds(999))
        #expect(cache.value(forKey: "short") == Self.bytes("short"))
        time.advance(by: .milliseconds(1))
        #expect(cache.value(forKey: "short") == nil, "expired at exactly its TTL")
        #expect(cache.value(forKey: "long") == Self.bytes("long"))
        time.advance(by: .seconds(9))
        #expect(cache.value(forKey: "long") == nil)
        #expect(cache.count == 0, "expired entries are dropped when read")

        cache.setValue(Self.bytes("x"), forKey: "zero", ttl: .zero)
        #expect(cache.value(forKey: "zero") == nil, "a zero TTL stores nothing")
    }

    @Test func storesACopyOfASlice() {
        let cache = InMemoryCache()
        var big = ByteBuffer(repeating: 0x61, count: 100_000)
        let slice = big.readSlice(length: 10)!
        cache.setValue(slice, forKey: "k", ttl: .seconds(60))
        let stored = cache.value(forKey: "k")!
        #expect(stored == slice)
        #expect(stored.capacity < 1_000, "the 100 kB buffer the slice came from is not kept alive")
    }

    @Test func codableValuesRoundTripAsJSON() async throws {
        struct Item: Codable, Equatable { var name: String; var price: Int }
        let cache = InMemoryCache()
        try await cache.setValue(Item(name: "shoe", price: 12999), forKey: "item", ttl: .seconds(60))
        #expect(try await cache.value(forKey: "item", as: Item.self) == Item(name: "shoe", price: 12999))
        // Stored as JSON (member order is the encoder's business, so compare as an object).
        let stored = try #require(cache.value(forKey: "item"))
        let object = try JSONSerialization.jsonObject(with: Data(stored.readableBytesView)) as? NSDictionary
        #expect(object == ["name": "shoe", "price": 12999] as NSDictionary)
        #expect(try await cache.value(forKey: "other", as: Item.self) == nil)
    }

    @Test func staysWithinItsBoundsUnderConcurrentUse() async {
        let cache = InMemoryCache(maximumEntries: 50, maximumBytes: 4_000)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<2_000 {
                        let key = "k\((task * 7 + index) % 300)"
                        if index % 3 == 0 {
                            cache.removeValues(forKeys: [key])
                        } else if cache.value(forKey: key) == nil {
                            cache.setValue(ByteBuffer(repeating: 0x7A, count: index % 120), forKey: key, ttl: .seconds(60))
                        }
                    }
                }
            }
        }
        #expect(cache.count <= 50)
        #expect(cache.bytes <= 4_000)
        #expect(cache.keysByRecency.count == cache.count, "the recency list and the index agree")
    }
}
