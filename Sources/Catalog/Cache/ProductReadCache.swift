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
        // Cached as the version and the time of the last change (8 bytes each, big-endian), the
        // category id (16 bytes), then the body.
        let entry = try await cache.value(forKey: Self.key(id), ttl: Self.ttl) { () async throws -> ByteBuffer? in
            guard let product = try await store.product(id: id), product.status == .active else { return nil }
            var entry = ByteBuffer()
            entry.writeInteger(product.version)
            entry.writeInteger(Int64((product.updatedAt.timeIntervalSince1970 * 1000).rounded(.down)))
            withUnsafeBytes(of: product.categoryId.uuid) { entry.writeBytes($0) }
            entry.writeBytes(try encoder.encode(ProductResource(product)))
            return entry
        }
        guard var entry, let version = entry.readInteger(as: Int64.self), let milliseconds = entry.readInteger(as: Int64.self),
            let category = entry.readBytes(length: 16)
        else { return nil }
        let categoryId = UUID(uuid: (
            category[0], category[1], category[2], category[3], category[4], category[5], category[6], category[7],
            category[8], category[9], category[10], category[11], category[12], category[13], category[14], category[15]))
        return CachedProduct(
            body: entry, version: version, updatedAt: Date(timeIntervalSince1970: Double(milliseconds) / 1000), categoryId: categoryId)
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
        "v2:" + id.lowercased
    }
}

/// An active product as the cache keeps it: the body the API answers with, and what its headers
/// say (the version as `ETag`, the last change as `Last-Modified`, the category as a surrogate key).
struct CachedProduct: Sendable {
    var body: ByteBuffer
    var version: Int64
    var updatedAt: Date
    var categoryId: UUID
}
