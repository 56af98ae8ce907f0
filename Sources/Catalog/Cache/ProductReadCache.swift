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
    func activeProductBody(id: UUID, encoder: JSONEncoder) async throws -> (body: ByteBuffer, version: Int64)? {
        // Cached as the version (8 bytes, big-endian) followed by the body.
        let entry = try await cache.value(forKey: Self.key(id), ttl: Self.ttl) { () async throws -> ByteBuffer? in
            guard let product = try await store.product(id: id), product.status == .active else { return nil }
            var entry = ByteBuffer()
            entry.writeInteger(product.version)
            entry.writeBytes(try encoder.encode(ProductResource(product)))
            return entry
        }
        guard var entry, let version = entry.readInteger(as: Int64.self) else { return nil }
        return (entry, version)
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

    /// The cache key of a product: its id in lower case.
    static func key(_ id: UUID) -> String {
        id.lowercased
    }
}
