import EmporiumCore
import EmporiumContracts
import EmporiumKit
import Foundation
import Messaging
import SQLKit
import Storage

/// The catalog's SQL: products, variants and categories, on PostgreSQL or SQLite.
///
/// Identifiers are stored as lower-case UUID text and times as ISO 8601 UTC text, which sort
/// correctly on both engines. Variant attributes and image URLs are JSON text.
public struct CatalogStore: Sendable {
    private let database: any Database
    /// Where the lists that may lag behind the writes are read: the category list here, the
    /// product search in ``search``.
    private let readDatabase: any Database
    private let outbox: Outbox
    /// The search read model, written directly only by seeding and reindexing (API writes reach
    /// it through their events).
    let search: ProductSearchStore

    /// - Parameters:
    ///   - database: The catalog's database.
    ///   - readDatabase: Where the product search and the category list are read (a read
    ///     replica's ``ReplicatedDatabase``); `database` when nil.
    ///   - outbox: Where product events are recorded, in the same transaction as the change.
    public init(database: any Database, readDatabase: (any Database)? = nil, outbox: Outbox) {
        self.database = database
        self.readDatabase = readDatabase ?? database
        self.outbox = outbox
        self.search = ProductSearchStore(database: database, readDatabase: self.readDatabase)
    }

    // MARK: Reads

    /// A page of products with `status`, ordered by id (UUIDv7, so by creation time).
    public func products(status: ProductStatus, page: PageRequest) async throws -> (products: [Product], hasMore: Bool) {
        try await database.withConnection { sql in
            let rows = try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.productColumns) FROM products
                WHERE status = \(bind: status.rawValue) AND id > \(bind: page.after ?? "")
                ORDER BY id LIMIT \(bind: page.limit + 1)
                """
            ).all()
            let hasMore = rows.count > page.limit
            let products = try await Self.assemble(Array(rows.prefix(page.limit)), sql)
            return (products, hasMore)
        }
    }

    /// The product with `id`, whatever its status, or nil.
    public func product(id: UUID) async throws -> Product? {
        try await database.withConnection { sql in
            let rows = try await sql.raw(
                "SELECT \(unsafeRaw: Self.productColumns) FROM products WHERE id = \(bind: id.lowercased)"
            ).all()
            return try await Self.assemble(rows, sql).first
        }
    }

    /// The variants with these SKUs (those that exist), each with its product's id, name and
    /// status: what the cart and orders price lines with.
    public func sellableVariants(skus: [String]) async throws -> [SellableVariant] {
        guard !skus.isEmpty else { return [] }
        return try await database.withConnection { sql in
            var found: [SellableVariant] = []
            for chunk in Array(Set(skus)).chunked(500) {
                for row in try await sql.raw(
                    """
                    SELECT v.sku, v.attributes, v.price_amount, v.price_currency, p.id, p.name, p.status
                    FROM product_variants v JOIN products p ON p.id = v.product_id
                    WHERE v.sku IN (\(binds: Array(chunk)))
                    """
                ).all() {
                    found.append(SellableVariant(
                        sku: try row.decode(column: "sku", as: String.self),
                        productId: try row.decode(column: "id", as: String.self),
                        productName: try row.decode(column: "name", as: String.self),
                        attributes: try JSONText.decode([String: String].self, from: row.decode(column: "attributes", as: String.self)),
                        price: Money(
                            amount: try row.decode(column: "price_amount", as: Int64.self),
                            currency: try row.decode(column: "price_currency", as: String.self)),
                        status: try row.decode(column: "status", as: String.self)
                    ))
                }
            }
            return found
        }
    }

    /// Every category, parents before children, then by name; from the read database, so
    /// possibly behind the latest writes.
    public func categories() async throws -> [Category] {
        try await readDatabase.withConnection { sql in
            try await sql.raw("SELECT id, slug, name, parent_id FROM categories ORDER BY name, id").all()
                .map(Self.category)
        }
    }

    /// How many products exist, in any status.
    public func productCount() async throws -> Int {
        try await database.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM products").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: Writes

    /// Stores a new product and its variants, and records `catalog.product.created`, in one transaction.
    /// - Throws: ``CatalogError/unknownCategory(field:id:)`` when the category does not exist,
    ///   ``CatalogError/skuTaken(sku:variantIndex:)`` when a variant's SKU is taken; nothing is
    ///   written in either case.
    public func create(_ input: ValidatedProduct, id: UUID = .v7(), now: Date = .now) async throws -> Product {
        // Times are stored with millisecond precision: answer with exactly what a later read returns.
        let now = try Timestamp.parse(Timestamp.format(now))
        let product = Product(
            id: id, name: input.name, description: input.description, categoryId: input.categoryId,
            status: input.status, imageUrls: input.imageUrls, variants: input.variants,
            createdAt: now, updatedAt: now
        )
        do {
            try await database.transaction { sql in
                guard try await Self.categoryExists(input.categoryId, sql) else {
                    throw CatalogError.unknownCategory(field: "categoryId", id: input.categoryId)
                }
                let skus = input.variants.map(\.sku)
                let taken = try await sql.raw(
                    "SELECT sku FROM product_variants WHERE sku IN (\(binds: skus))"
                ).all().map { try $0.decode(column: "sku", as: String.self) }
                if let sku = taken.first, let index = skus.firstIndex(of: sku) {
                    throw CatalogError.skuTaken(sku: sku, variantIndex: index)
                }
                try await Self.insert([product], sql)
                try await outbox.record(
                    type: CatalogEvents.productCreated, subject: product.id.lowercased, data: ProductEvent(product), in: sql
                )
            }
        } catch where isUniqueViolation(error) {
            // Another request took one of the SKUs between our check and our insert (PostgreSQL).
            throw CatalogError.skuTaken(sku: nil, variantIndex: nil)
        }
        return product
    }

    /// Applies `changes` to the product `id` and records `catalog.product.updated`, in one
    /// transaction, bumping its version.
    /// - Parameter precondition: The client's `If-Match`; a product whose version it does not
    ///   match is left alone (412).
    /// - Returns: the product as stored afterwards, or nil when no product has that id.
    public func update(id: UUID, _ changes: ValidatedProductChanges, precondition: IfMatch? = nil, now: Date = .now) async throws -> Product? {
        do {
            return try await updateOnce(id: id, changes, precondition: precondition, now: now)
        } catch where isUniqueViolation(error) {
            // Another product took one of the new SKUs between our check and our insert (PostgreSQL).
            throw CatalogError.skuTaken(sku: nil, variantIndex: nil)
        }
    }

    private func updateOnce(id: UUID, _ changes: ValidatedProductChanges, precondition: IfMatch?, now: Date) async throws -> Product? {
        try await database.transaction { sql in
            // Locked until commit on PostgreSQL (SQLite's writer is exclusive already), so a
            // concurrent change waits instead of being lost.
            let rows = try await sql.raw(
                "SELECT \(unsafeRaw: Self.productColumns) FROM products WHERE id = \(bind: id.lowercased)\(unsafeRaw: lockClause)"
            ).all()
            guard let current = try await Self.assemble(rows, sql).first else { return nil }
            try precondition?.check(version: current.version)
            if let categoryId = changes.categoryId, !(try await Self.categoryExists(categoryId, sql)) {
                throw CatalogError.unknownCategory(field: "categoryId", id: categoryId)
            }
            var product = changes.applied(to: current, now: try Timestamp.parse(Timestamp.format(now)))
            product.version = current.version + 1
            if let variants = changes.variants {
                let skus = variants.map(\.sku)
                let taken = try await sql.raw(
                    "SELECT sku FROM product_variants WHERE sku IN (\(binds: skus)) AND product_id <> \(bind: id.lowercased)"
                ).all().map { try $0.decode(column: "sku", as: String.self) }
                if let sku = taken.first, let index = skus.firstIndex(of: sku) { throw CatalogError.skuTaken(sku: sku, variantIndex: index) }
                try await sql.raw("DELETE FROM product_variants WHERE product_id = \(bind: id.lowercased)").run()
                try await Self.insertVariants(of: product, sql)
            }
            try await sql.raw(
                """
                UPDATE products SET name = \(bind: product.name), description = \(bind: product.description),
                    status = \(bind: product.status.rawValue), category_id = \(bind: product.categoryId.lowercased),
                    image_urls = \(bind: try JSONText.encode(product.imageUrls)), version = \(bind: product.version),
                    updated_at = \(bind: Timestamp.format(product.updatedAt))
                WHERE id = \(bind: id.lowercased)
                """
            ).run()
            try await outbox.record(
                type: CatalogEvents.productUpdated, subject: product.id.lowercased, data: ProductEvent(product), in: sql
            )
            return product
        }
    }

    // MARK: Categories

    /// Creates a category under `parentId` (or at the top).
    /// - Throws: ``CatalogError/unknownCategory(field:id:)`` naming `parentId` when the parent does
    ///   not exist, ``CatalogError/slugTaken(_:)``; nothing is written then.
    public func createCategory(slug: String, name: String, parentId: UUID?, id: UUID = .v7()) async throws -> Category {
        let category = Category(id: id, slug: slug, name: name, parentId: parentId)
        do {
            try await database.transaction { sql in
                if let parentId, !(try await Self.categoryExists(parentId, sql)) {
                    throw CatalogError.unknownCategory(field: "parentId", id: parentId)
                }
                if try await sql.raw("SELECT id FROM categories WHERE slug = \(bind: slug)").first() != nil {
                    throw CatalogError.slugTaken(slug)
                }
                try await sql.raw(
                    "INSERT INTO categories (id, slug, name, parent_id) VALUES (\(bind: id.lowercased), \(bind: slug), \(bind: name), \(bind: parentId?.lowercased))"
                ).run()
            }
        } catch where isUniqueViolation(error) {
            throw CatalogError.slugTaken(slug)
        }
        return category
    }

    /// Renames a category.
    /// - Returns: the category afterwards, or nil when there is none.
    public func renameCategory(id: UUID, name: String) async throws -> Category? {
        try await database.transaction { sql in
            try await sql.raw("UPDATE categories SET name = \(bind: name) WHERE id = \(bind: id.lowercased)").run()
            return try await sql.raw("SELECT id, slug, name, parent_id FROM categories WHERE id = \(bind: id.lowercased)").first().map(Self.category)
        }
    }

    /// Deletes an empty category.
    /// - Returns: false when there is none.
    /// - Throws: ``CatalogError/categoryNotEmpty(products:subcategories:)`` when products or
    ///   subcategories still belong to it.
    public func deleteCategory(id: UUID) async throws -> Bool {
        try await database.transaction { sql in
            let key = id.lowercased
            guard try await sql.raw("SELECT id FROM categories WHERE id = \(bind: key)").first() != nil else { return false }
            let products = try await sql.raw("SELECT COUNT(*) AS n FROM products WHERE category_id = \(bind: key)").first()?.decode(column: "n", as: Int.self) ?? 0
            let children = try await sql.raw("SELECT COUNT(*) AS n FROM categories WHERE parent_id = \(bind: key)").first()?.decode(column: "n", as: Int.self) ?? 0
            guard products == 0, children == 0 else {
                throw CatalogError.categoryNotEmpty(products: products, subcategories: children)
            }
            try await sql.raw("DELETE FROM categories WHERE id = \(bind: key)").run()
            return true
        }
    }


    /// Deletes the product `id` and its variants and records `catalog.product.deleted`, in one
    /// transaction.
    /// - Returns: false when no product has that id (nothing is written).
    public func delete(id: UUID, precondition: IfMatch? = nil) async throws -> Bool {
        try await database.transaction { sql in
            let key = id.lowercased
            guard let row = try await sql.raw("SELECT version FROM products WHERE id = \(bind: key)\(unsafeRaw: lockClause)").first() else { return false }
            try precondition?.check(version: try row.decode(column: "version", as: Int64.self))
            try await sql.raw("DELETE FROM product_variants WHERE product_id = \(bind: key)").run()
            try await sql.raw("DELETE FROM products WHERE id = \(bind: key)").run()
            try await outbox.record(type: CatalogEvents.productDeleted, subject: key, data: ProductDeletedEvent(id: key), in: sql)
            return true
        }
    }

    /// Inserts categories and products as they are, with their `catalog.product.created`
    /// events, in one transaction, if the catalog has no category yet (used by seeding; two
    /// processes seeding at once insert once).
    /// - Returns: whether anything was inserted.
    public func insertIfEmpty(categories: [Category], products: [Product]) async throws -> Bool {
        try await database.transaction { sql in
            let existing = try await sql.raw("SELECT COUNT(*) AS n FROM categories").first()?.decode(column: "n", as: Int.self) ?? 0
            guard existing == 0 else { return false }
            for category in categories {
                try await sql.raw(
                    """
                    INSERT INTO categories (id, slug, name, parent_id)
                    VALUES (\(bind: category.id.lowercased), \(bind: category.slug), \(bind: category.name), \(bind: category.parentId?.lowercased))
                    """
                ).run()
            }
            try await insert(products, sql)
            return true
        }
    }

    /// Inserts products as they are, with their `catalog.product.created` events, in one
    /// transaction (used by seeding).
    public func insert(products: [Product]) async throws {
        try await database.transaction { sql in
            try await insert(products, sql)
        }
    }

    /// Rebuilds the search read model from the write model, a batch of products per
    /// transaction, then drops documents of products that are gone or no longer active.
    /// - Parameter progress: Called after each batch with (products done, total).
    /// - Returns: how many products were indexed (active ones).
    public func reindexSearch(batchSize: Int = 500, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        let total = try await productCount()
        var done = 0, indexed = 0
        var after = ""
        while true {
            let (count, last, active) = try await database.transaction { sql -> (Int, String?, Int) in
                let rows = try await sql.raw(
                    "SELECT \(unsafeRaw: Self.productColumns) FROM products WHERE id > \(bind: after) ORDER BY id LIMIT \(bind: batchSize)"
                ).all()
                let products = try await Self.assemble(rows, sql)
                try await search.replace(products.map(ProductEvent.init), parents: try await ProductSearchStore.parents(sql), sql)
                return (products.count, products.last?.id.lowercased, products.filter { $0.status == .active }.count)
            }
            done += count
            indexed += active
            progress(done, total)
            guard let last, count == batchSize else { break }
            after = last
        }
        try await database.transaction { sql in
            let stale = try await sql.raw(
                "SELECT product_id FROM product_search WHERE product_id NOT IN (SELECT id FROM products WHERE status = 'active')"
            ).all().map { try $0.decode(column: "product_id", as: String.self) }
            for chunk in stale.chunked(500) { try await search.remove(productIDs: Array(chunk), sql) }
        }
        try await refreshStatistics()
        return indexed
    }

    /// After a bulk load (seeding, reindexing), lets PostgreSQL's planner see the new data at
    /// once rather than at autovacuum's next pass: search plans depend on it. Runs outside any
    /// transaction (VACUUM cannot run inside one).
    public func refreshStatistics() async throws {
        guard database.kind == .postgres else { return }
        try await database.withConnection { sql in
            // VACUUM also sets the new rows' visibility bits once, instead of on each first read.
            for table in [
                "products", "product_variants", "product_search", "product_search_documents",
                "product_search_terms", "product_search_category_prices", "product_search_facet_counts",
            ] {
                try await sql.raw("VACUUM (ANALYZE) \(unsafeRaw: table)").run()
            }
        }
    }

    // MARK: SQL helpers

    /// Row lock for read-then-write transactions (PostgreSQL; SQLite transactions are exclusive).
    private var lockClause: String { database.kind == .postgres ? " FOR UPDATE" : "" }

    private static let productColumns =
        "id, name, description, category_id, status, image_urls, created_at, updated_at, version"

    /// Seeding: the write model and the search documents at once, and `catalog.product.created`
    /// for each product, so other services (the inventory's stock rows) learn of seeded products
    /// as of any other (the search read model skips them: it has their version already).
    private func insert(_ products: [Product], _ sql: any SQLDatabase) async throws {
        try await Self.insert(products, sql)
        let events = products.map(ProductEvent.init)
        try await search.insertNew(events, parents: try await ProductSearchStore.parents(sql), sql)
        try await outbox.record(
            try events.map { try Outbox.Draft(type: CatalogEvents.productCreated, subject: $0.id, encoding: $0) }, in: sql)
    }

    /// Inserts products and their variants with one multi-row statement each (per 500 rows).
    private static func insert(_ products: [Product], _ sql: any SQLDatabase) async throws {
        for chunk in products.chunked(500) {
            let rows: [SQLQueryString] = try chunk.map { product in
                """
                (\(bind: product.id.lowercased), \(bind: product.name), \(bind: product.description),
                 \(bind: product.categoryId.lowercased), \(bind: product.status.rawValue),
                 \(bind: try JSONText.encode(product.imageUrls)), \(bind: product.version),
                 \(bind: Timestamp.format(product.createdAt)), \(bind: Timestamp.format(product.updatedAt)))
                """
            }
            try await sql.raw(
                "INSERT INTO products (id, name, description, category_id, status, image_urls, version, created_at, updated_at) VALUES "
                    + rows.joined(separator: ", ")
            ).run()
        }
        let variants = products.flatMap { product in product.variants.enumerated().map { (product, $0.offset, $0.element) } }
        for chunk in variants.chunked(1000) {
            let rows: [SQLQueryString] = try chunk.map { product, position, variant in
                """
                (\(bind: variant.sku), \(bind: product.id.lowercased), \(bind: position),
                 \(bind: try JSONText.encode(variant.attributes)), \(bind: variant.price.amount), \(bind: variant.price.currency))
                """
            }
            try await sql.raw(
                "INSERT INTO product_variants (sku, product_id, position, attributes, price_amount, price_currency) VALUES " + rows.joined(separator: ", ")
            ).run()
        }
    }

    private static func insertVariants(of product: Product, _ sql: any SQLDatabase) async throws {
        for (position, variant) in product.variants.enumerated() {
            try await sql.raw(
                """
                INSERT INTO product_variants (sku, product_id, position, attributes, price_amount, price_currency)
                VALUES (\(bind: variant.sku), \(bind: product.id.lowercased), \(bind: position),
                        \(bind: try JSONText.encode(variant.attributes)), \(bind: variant.price.amount), \(bind: variant.price.currency))
                """
            ).run()
        }
    }

    private static func categoryExists(_ id: UUID, _ sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS found FROM categories WHERE id = \(bind: id.lowercased)").first() != nil
    }


    /// Products from their rows, with their variants loaded in one query.
    private static func assemble(_ rows: [any SQLRow], _ sql: any SQLDatabase) async throws -> [Product] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: String.self) }
        var variants: [String: [Variant]] = [:]
        for row in try await sql.raw(
            """
            SELECT product_id, sku, attributes, price_amount, price_currency FROM product_variants
            WHERE product_id IN (\(binds: ids)) ORDER BY product_id, position
            """
        ).all() {
            let variant = Variant(
                sku: try row.decode(column: "sku", as: String.self),
                attributes: try JSONText.decode([String: String].self, from: row.decode(column: "attributes", as: String.self)),
                price: Money(
                    amount: try row.decode(column: "price_amount", as: Int64.self),
                    currency: try row.decode(column: "price_currency", as: String.self)
                )
            )
            variants[try row.decode(column: "product_id", as: String.self), default: []].append(variant)
        }
        return try rows.map { row in
            let id = try row.decode(column: "id", as: String.self)
            return Product(
                id: try UUID(storage: id),
                name: try row.decode(column: "name", as: String.self),
                description: try row.decode(column: "description", as: String.self),
                categoryId: try UUID(storage: row.decode(column: "category_id", as: String.self)),
                status: ProductStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
                imageUrls: try JSONText.decode([String].self, from: row.decode(column: "image_urls", as: String.self)),
                variants: variants[id] ?? [],
                createdAt: try Timestamp.parse(row.decode(column: "created_at", as: String.self)),
                updatedAt: try Timestamp.parse(row.decode(column: "updated_at", as: String.self)),
                version: try row.decode(column: "version", as: Int64.self)
            )
        }
    }

    private static func category(_ row: any SQLRow) throws -> Category {
        Category(
            id: try UUID(storage: row.decode(column: "id", as: String.self)),
            slug: try row.decode(column: "slug", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            parentId: try row.decode(column: "parent_id", as: String?.self).map { try UUID(storage: $0) }
        )
    }
}

extension Array {
    /// The elements in consecutive slices of at most `size`.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
