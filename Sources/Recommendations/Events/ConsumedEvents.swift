import EmporiumContracts
import EmporiumCore
import Foundation
import Messaging

// Conversions from the contract types of the events the recommendations service consumes
// (`orders.order.confirmed`, `catalog.product.*`) to its own values.

/// The event types the recommendations service consumes.
enum ConsumedEvents {
    /// Orders whose purchases count.
    static let purchases: Set<String> = [OrdersEvents.orderConfirmed]
    /// What may be shown, and what a list shows of it.
    static let catalog: Set<String> = [CatalogEvents.productCreated, CatalogEvents.productUpdated, CatalogEvents.productDeleted]
}

extension Purchase {
    /// The purchase an `orders.order.confirmed` event records: its order, buyer and the
    /// products of its lines, at the time the event says the order was confirmed.
    init(confirmed event: CloudEvent) throws {
        let order = try event.payload(as: OrderEventData.self)
        // The event's own time; `now` only if a producer wrote one we cannot read.
        let at = (try? Timestamp.parse(event.time)) ?? (try? Date(event.time, strategy: .iso8601)) ?? .now
        self.init(orderId: order.orderId, userId: order.userId, productIds: order.lines.map(\.productId), at: at)
    }
}

extension CatalogProduct {
    /// The product a `catalog.product.created` or `.updated` event describes.
    init(_ event: ProductEvent) {
        self.init(
            id: event.id, name: event.name, categoryId: event.categoryId, state: ProductState(rawValue: event.status) ?? .unknown,
            skus: event.variants.map(\.sku), version: event.version)
    }
}
