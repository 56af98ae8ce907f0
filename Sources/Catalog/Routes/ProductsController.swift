import EmporiumKit
import Foundation
import Storage
import HTTPTypes
import Hummingbird
import Security

/// `/v1/products` and `/v1/categories`: thin handlers over ``CatalogStore``, ``ProductRules``
/// and ``ProductReadCache``.
struct ProductsController: Sendable {
    let store: CatalogStore
    let productCache: ProductReadCache

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/products", use: list)
        router.post("/v1/products", use: create)
        router.get("/v1/products/{id}", use: show)
        router.patch("/v1/products/{id}", use: update)
        router.delete("/v1/products/{id}", use: delete)
        router.get("/v1/categories", use: categories)
    }

    /// Active products, a page at a time.
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Page<ProductResource> {
        let page = try PageRequest(query: request.queryParameters)
        let (products, hasMore) = try await store.products(status: .active, page: page)
        return Page(
            items: products.map(ProductResource.init),
            nextCursor: hasMore ? products.last.map { Cursor.encode($0.id.lowercased) } : nil
        )
    }

    /// One active product, read through the cache.
    @Sendable func show(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let id = try Self.productID(context)
        guard let body = try await productCache.activeProductBody(id: id, encoder: context.responseEncoder) else {
            throw ProblemDetails.notFound("No product has id \(id.lowercased).")
        }
        return .encodedJSON(body)
    }

    /// Changes a product's name, description or status; its cached body is dropped once the
    /// change is committed.
    @Sendable func update(_ request: Request, context: EmporiumRequestContext) async throws -> ProductResource {
        try context.requirePermission(.catalogWrite)
        let id = try Self.productID(context)
        let changes = try ProductRules.validate(try await request.decodeJSON(as: ProductChanges.self, context: context))
        guard let product = try await store.update(id: id, changes) else {
            throw ProblemDetails.notFound("No product has id \(id.lowercased).")
        }
        await productCache.invalidate(id)
        return ProductResource(product)
    }

    /// Creates a product (status `draft` unless given).
    @Sendable func create(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<ProductResource> {
        try context.requirePermission(.catalogWrite)
        let input = try await request.decodeJSON(as: NewProduct.self, context: context)
        let product = try await store.create(try ProductRules.validate(input))
        return EditedResponse(
            status: .created,
            headers: [.location: "/v1/products/\(product.id.lowercased)"],
            response: ProductResource(product)
        )
    }

    /// Deletes a product; its cached body is dropped once the deletion is committed.
    @Sendable func delete(_ request: Request, context: EmporiumRequestContext) async throws -> HTTPResponse.Status {
        try context.requirePermission(.catalogWrite)
        let id = try Self.productID(context)
        guard try await store.delete(id: id) else {
            throw ProblemDetails.notFound("No product has id \(id.lowercased).")
        }
        await productCache.invalidate(id)
        return .noContent
    }

    private static func productID(_ context: EmporiumRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: context.parameters.get("id") ?? "") else {
            throw ProblemDetails.invalidParameter("id", "must be a UUID")
        }
        return id
    }

    /// Every category, as a flat list with parent ids.
    @Sendable func categories(_ request: Request, context: EmporiumRequestContext) async throws -> ItemList<CategoryResource> {
        ItemList(items: try await store.categories().map(CategoryResource.init))
    }
}
