import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationCompat
import Security

/// `/v1/products` and `/v1/categories`: thin handlers over ``CatalogStore``, ``ProductRules``
/// and ``ProductReadCache``.
struct ProductsController: Sendable {
    let store: CatalogStore
    let search: ProductSearchStore
    let productCache: ProductReadCache
    /// Category changes publish no event: they queue their purges here once committed.
    let edgePurger: EdgePurger

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/products", use: list)
        router.post("/v1/products", use: create)
        router.get("/v1/products/{id}", use: show)
        router.patch("/v1/products/{id}", use: update)
        router.delete("/v1/products/{id}", use: delete)
        router.get("/v1/categories", use: categories)
        router.post("/v1/categories", use: createCategory)
        router.patch("/v1/categories/{id}", use: renameCategory)
        router.delete("/v1/categories/{id}", use: deleteCategory)
    }

    /// Search and browse active products (the search read model): `q`, `category` (and its
    /// descendants), `min_price`/`max_price`, `attr.NAME=VALUE`, `sort`, `cursor`, `limit`, and
    /// with `facets=true` the counts of all matches by category, attribute and price.
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let query = try SearchQuery(parameters: request.queryItems)
        let results = try await search.search(query)
        let documents = results.documents
        var nextCursor: String?
        if results.hasMore, let last = documents.last {
            switch query.sort {
            case .relevance:
                nextCursor = SearchPosition(sort: .relevance, offset: (query.position?.offset ?? 0) + documents.count).cursor
            default:
                nextCursor = SearchPosition(sort: query.sort, key: last.sortKey, productID: last.id).cursor
            }
        }
        // The documents are stored as the API shows a product: spliced in, not re-encoded.
        var body = ByteBuffer(string: #"{"items":["#)
        for (index, document) in documents.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString(document.json)
        }
        body.writeString("]")
        if let nextCursor { body.writeString(#","nextCursor":""# + nextCursor + #"""#) }
        if let facets = results.facets {
            body.writeString(#","facets":"#)
            body.writeBytes(try context.responseEncoder.encode(facets))
        }
        body.writeString("}")
        return .encodedJSON(body)
    }

    /// One active product, read through the cache.
    /// One active product, read through the cache, with its version as `ETag` (`If-None-Match`
    /// with it answers 304).
    @Sendable func show(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let id = try context.uuidParameter("id")
        if context.principal?.may(.catalogReadUnpublished) == true {
            // Catalog managers see drafts and archived products too, uncached.
            guard let product = try await store.product(id: id) else { throw ProblemDetails.notFound("No product has id \(id.lowercased).") }
            var response = Response.encodedJSON(ByteBuffer(data: try context.responseEncoder.encode(ProductResource(product))))
            response.headers[.eTag] = IfMatch.entityTag(version: product.version)
            return response
        }
        guard let product = try await productCache.activeProductBody(id: id, encoder: context.responseEncoder) else {
            throw ProblemDetails.notFound("No product has id \(id.lowercased).")
        }
        // The validators and surrogate keys; EdgeCacheMiddleware answers a matching
        // If-None-Match or If-Modified-Since with a 304 and adds the caching headers.
        var response = Response.encodedJSON(product.body)
        response.headers[.eTag] = IfMatch.entityTag(version: product.version)
        response.headers[.lastModified] = product.lastModified
        response.headers[.surrogateKey] = product.surrogateKeys
        return response
    }

    /// Changes a product's name, description or status; its cached body is dropped once the
    /// change is committed.
    @Sendable func update(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<ProductResource> {
        try context.requirePermission(.catalogWrite)
        let id = try context.uuidParameter("id")
        let precondition = try IfMatch(header: request.headers[.ifMatch])
        let changes = try ProductRules.validate(try await request.decodeJSON(as: ProductChanges.self, context: context))
        guard let product = try await store.update(id: id, changes, precondition: precondition) else {
            throw ProblemDetails.notFound("No product has id \(id.lowercased).")
        }
        await productCache.invalidate(id)
        return EditedResponse(headers: [.eTag: IfMatch.entityTag(version: product.version)], response: ProductResource(product))
    }

    /// Creates a product (status `draft` unless given).
    @Sendable func create(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<ProductResource> {
        try context.requirePermission(.catalogWrite)
        let input = try await request.decodeJSON(as: NewProduct.self, context: context)
        let product = try await store.create(try ProductRules.validate(input))
        return EditedResponse(
            status: .created,
            headers: [.location: "/v1/products/\(product.id.lowercased)", .eTag: IfMatch.entityTag(version: product.version)],
            response: ProductResource(product)
        )
    }

    /// Deletes a product; its cached body is dropped once the deletion is committed.
    @Sendable func delete(_ request: Request, context: EmporiumRequestContext) async throws -> HTTPResponse.Status {
        try context.requirePermission(.catalogWrite)
        let id = try context.uuidParameter("id")
        guard try await store.delete(id: id, precondition: try IfMatch(header: request.headers[.ifMatch])) else {
            throw ProblemDetails.notFound("No product has id \(id.lowercased).")
        }
        await productCache.invalidate(id)
        return .noContent
    }

    /// Creates a category (catalog.write).
    @Sendable func createCategory(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<CategoryResource> {
        try context.requirePermission(.catalogWrite)
        let input = try CategoryRules.validate(try await request.decodeJSON(as: NewCategory.self, context: context))
        let category = try await store.createCategory(slug: input.slug, name: input.name, parentId: input.parentId)
        edgePurger.purge(EdgePurges.category(category.id.lowercased))
        return EditedResponse(status: .created, response: CategoryResource(category))
    }

    /// Renames a category (catalog.write).
    @Sendable func renameCategory(_ request: Request, context: EmporiumRequestContext) async throws -> CategoryResource {
        try context.requirePermission(.catalogWrite)
        let id = try context.uuidParameter("id")
        let name = try CategoryRules.validate(try await request.decodeJSON(as: CategoryChanges.self, context: context))
        guard let category = try await store.renameCategory(id: id, name: name) else { throw ProblemDetails.notFound("No category has id \(id.lowercased).") }
        edgePurger.purge(EdgePurges.category(id.lowercased))
        return CategoryResource(category)
    }

    /// Deletes an empty category (catalog.write): 409 while products or subcategories use it.
    @Sendable func deleteCategory(_ request: Request, context: EmporiumRequestContext) async throws -> HTTPResponse.Status {
        try context.requirePermission(.catalogWrite)
        let id = try context.uuidParameter("id")
        guard try await store.deleteCategory(id: id) else { throw ProblemDetails.notFound("No category has id \(id.lowercased).") }
        edgePurger.purge(EdgePurges.category(id.lowercased))
        return .noContent
    }


    /// Every category, as a flat list with parent ids.
    @Sendable func categories(_ request: Request, context: EmporiumRequestContext) async throws -> ItemList<CategoryResource> {
        ItemList(items: try await store.categories().map(CategoryResource.init))
    }
}
