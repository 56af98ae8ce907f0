import EmporiumCore
import EmporiumContracts
import Caching
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import NIOCore
import NIOFoundationCompat

/// The encoded bodies of `GET /v1/products/{id}`, read through a ``TwoLevelCache`` (L1 in this
/// process, L2 in Redis when configured).
///
/// Bodies are cached as the exact bytes the endpoint sends, so a hit costs no database query and
/// no JSON encoding. Only active products are cached (a miss for a draft, archived or unknown
/// product is not remembered, so creating or activating one needs no invalidation to show).
/// Writers call ``invalidate(_:)`` after their transaction commits.
struct ProductReadCache: Sendable {
    /// How long a body lives in Redis; L1 keeps it for at most the cache's short L1 TTL.
    static let ttl: Duration = .seconds(300)

    let cache: TwoLevelCache
    let store: CatalogStore

    /// The JSON body of the active product `id` encoded with `encoder`, and its version, or nil
    /// when there is no such active product.
    func activeProductBody(id: UUID, encoder: JSONEncoder) async throws -> CachedProduct? {
        // Cached as the version (8 bytes, big-endian), the `Last-Modified` and `Surrogate-Key`
        // header values (each its length in 2 bytes, then UTF-8), then the body: what a read
        // answers with, made once per fill rather than once per read.
        let entry = try await cache.value(forKey: Self.key(id), ttl: Self.ttl) { () async throws -> ByteBuffer? in
            guard let product = try await store.product(id: id), product.status == .active else { return nil }
            var entry = ByteBuffer()
            entry.writeInteger(product.version)
            for header in [HTTPDate.format(product.updatedAt), Self.surrogateKeys(product)] {
                entry.writeInteger(UInt16(header.utf8.count))
                entry.writeString(header)
            }
            entry.writeBytes(try encoder.encode(ProductResource(product)))
            return entry
        }
        guard var entry, let version = entry.readInteger(as: Int64.self),
            let lastModifiedLength = entry.readInteger(as: UInt16.self), let lastModified = entry.readString(length: Int(lastModifiedLength)),
            let keysLength = entry.readInteger(as: UInt16.self), let surrogateKeys = entry.readString(length: Int(keysLength))
        else { return nil }
        return CachedProduct(body: entry, version: version, lastModified: lastModified, surrogateKeys: surrogateKeys)
    }

    /// The surrogate keys of a product's answer: every product's key first (the route's, which
    /// ``EdgeCacheMiddleware`` would add, so it takes the header as it is), then the product's
    /// and its category's.
    static func surrogateKeys(_ product: Product) -> String {
        SurrogateKey.surrogateKeyHeader([
            SurrogateKey.products, SurrogateKey.product(product.id.lowercased), SurrogateKey.category(product.categoryId.lowercased),
        ])
    }

    /// Forgets the cached body of `id`, in this process and in Redis.
    func invalidate(_ id: UUID) async {
        await cache.invalidate(key: Self.key(id))
    }

    /// Drops this process's copy of a product when an event says it changed or was deleted.
    var invalidationSubscription: BroadcastSubscription {
        let cache = self.cache
        return BroadcastSubscription(types: [CatalogEvents.productUpdated, CatalogEvents.productDeleted]) { event in
            guard let subject = event.subject, let id = UUID(uuidString: subject) else { return }
            cache.invalidateLocally(keys: [Self.key(id)])
        }
    }

    /// The cache key of a product: its id in lower case, after the entry format's version.
    static func key(_ id: UUID) -> String {
        "v3:" + id.lowercased
    }
}

/// An active product as the cache keeps it: the body the API answers with, and its headers (the
/// version as `ETag`, the last change as `Last-Modified`, the product's and its category's
/// surrogate keys).
struct CachedProduct: Sendable {
    var body: ByteBuffer
    var version: Int64
    var lastModified: String
    var surrogateKeys: String
}
