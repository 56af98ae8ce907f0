import EmporiumContracts
import EmporiumKit
import Hummingbird

/// `/internal/v1/catalog/…`: what other services ask the catalog when they run in another
/// process (the platform's ``InternalCallMiddleware`` admits only calls with a service credential).
struct PricingController: Sendable {
    let pricing: any CatalogPricing

    func addRoutes(to router: ServiceRouter) {
        router.post("/internal/v1/catalog/variants/lookup", use: lookup)
    }

    /// `{"skus": [...]}` → `{"items": [SellableVariant]}`: the SKUs that exist, priced now.
    @Sendable func lookup(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let lookup = try await request.decodeJSON(as: VariantLookup.self, context: context)
        try SKU.validateList(lookup.skus, field: "skus", maximum: VariantLookup.maximumSKUs)
        let found = try await pricing.variants(skus: lookup.skus)
        return try Response.json(VariantLookupResult(items: lookup.skus.compactMap { found[$0] }), context: context)
    }
}
