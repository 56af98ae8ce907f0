import EmporiumContracts
import EmporiumKit
import Foundation
import Hummingbird
import Security

/// `/v1/inventory/{sku}`: an SKU's stock (public) and its adjustment (`inventory.write`): thin
/// handlers over ``InventoryStore`` and ``StockRules``.
struct InventoryController: Sendable {
    let store: InventoryStore

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/inventory/{sku}", use: show)
        router.put("/v1/inventory/{sku}", use: adjust)
    }

    /// One SKU's stock; 404 when it has no stock row.
    @Sendable func show(_ request: Request, context: EmporiumRequestContext) async throws -> StockLevelResource {
        let sku = try context.skuParameter()
        guard let level = try await store.stock(sku: sku) else { throw InventoryError.unknownSKU(sku) }
        return StockLevelResource(level)
    }

    /// Sets an SKU's units on hand so that `available` are available; audited.
    @Sendable func adjust(_ request: Request, context: EmporiumRequestContext) async throws -> StockLevelResource {
        let principal = try context.requirePermission(.inventoryWrite)
        let sku = try context.skuParameter()
        let available = try StockRules.validate(try await request.decodeJSON(as: StockAdjustment.self, context: context))
        return StockLevelResource(try await store.setAvailable(sku: sku, available: available, actor: principal.subject))
    }
}

/// An SKU's stock as the API shows it: `{"sku", "available", "onHand", "reserved"}`.
struct StockLevelResource: ResponseEncodable, Sendable {
    var sku: String
    var available: Int
    var onHand: Int
    var reserved: Int

    init(_ level: StockLevel) {
        sku = level.sku
        available = level.available
        onHand = level.onHand
        reserved = level.reserved
    }
}

extension EmporiumRequestContext {
    /// The path parameter `sku`, percent-decoded, or a 400 naming it when it is not an SKU.
    func skuParameter() throws -> String {
        let raw = parameters.get("sku") ?? ""
        let sku = raw.removingPercentEncoding ?? raw
        guard SKU.isValid(sku) else { throw ProblemDetails.invalidParameter("sku", SKU.rule) }
        return sku
    }
}
