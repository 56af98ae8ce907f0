import EmporiumCore
public import Foundation
import SQLKit
public import Storage

/// The recommendations service's SQL, on PostgreSQL or SQLite: the record of purchases, the
/// counters derived from it (n(p), co(p, q), orders per product and day), what the catalog said
/// of each product, and the reads lists are computed from.
///
/// Counters are changed with multi-row `INSERT … ON CONFLICT … DO UPDATE` statements, one per
/// table and batch, their rows in key order, so that concurrent consumers (several instances on
/// one queue) lock rows in the same order and never deadlock.
public struct RecommendationStore: Sendable {
    /// Rows per multi-row statement (three or four binds each).
    static let rowsPerStatement = 500

    private let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    // MARK: Purchases

    /// Records each of `purchases` whose order is not recorded yet, and adds those to the
    /// counters, inside the caller's transaction.
    /// - Returns: the purchases recorded now (an order recorded before counts nothing again).
    @discardableResult
    public func record(_ purchases: [Purchase], window: PopularityWindow, now: Date, _ sql: any SQLDatabase) async throws -> [Purchase] {
        var byOrder: [String: Purchase] = [:]
        for purchase in purchases where byOrder[purchase.orderId] == nil { byOrder[purchase.orderId] = purchase }
        guard !byOrder.isEmpty else { return [] }
        var claimed: Set<String> = []
        for chunk in byOrder.keys.sorted().chunked(Self.rowsPerStatement) {
            let rows: [SQLQueryString] = chunk.map { id in
                let purchase = byOrder[id]!
                return "(\(bind: id), \(bind: purchase.userId), \(bind: Timestamp.format(purchase.at)))"
            }
            for row in try await sql.raw(
                """
                INSERT INTO recs_purchases (order_id, user_id, purchased_at) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (order_id) DO NOTHING RETURNING order_id
                """
            ).all() {
                claimed.insert(try row.decode(column: "order_id", as: String.self))
            }
        }
        let fresh = claimed.sorted().compactMap { byOrder[$0] }
        let lines = fresh.flatMap { purchase in purchase.productIds.map { (purchase.orderId, $0) } }
        for chunk in lines.chunked(Self.rowsPerStatement) {
            let rows: [SQLQueryString] = chunk.map { "(\(bind: $0.0), \(bind: $0.1))" }
            try await sql.raw("INSERT INTO recs_purchase_products (order_id, product_id) VALUES \(rows.joined(separator: ", "))").run()
        }
        try await add(PurchaseTally(fresh, window: window, now: now), sql)
        return fresh
    }

    /// Adds `tally` to the counters: n(p) and each product's list version, co(p, q), orders per
    /// day. A product not known yet gets a row in state `unknown`.
    func add(_ tally: PurchaseTally, _ sql: any SQLDatabase) async throws {
        guard !tally.isEmpty else { return }
        for chunk in tally.products.chunked(Self.rowsPerStatement) {
            let rows: [SQLQueryString] = chunk.map { "(\(bind: $0), 'unknown', \(bind: tally.productOrders[$0]!), 1)" }
            try await sql.raw(
                """
                INSERT INTO recs_products (product_id, state, purchases, list_version) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (product_id) DO UPDATE SET purchases = recs_products.purchases + excluded.purchases,
                    list_version = recs_products.list_version + 1
                """
            ).run()
        }
        for chunk in tally.pairOrders.keys.sorted().chunked(Self.rowsPerStatement) {
            let rows: [SQLQueryString] = chunk.map { "(\(bind: $0.product), \(bind: $0.partner), \(bind: tally.pairOrders[$0]!))" }
            try await sql.raw(
                """
                INSERT INTO recs_pairs (product_id, partner_id, orders) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (product_id, partner_id) DO UPDATE SET orders = recs_pairs.orders + excluded.orders
                """
            ).run()
        }
        for chunk in tally.dailyOrders.keys.sorted().chunked(Self.rowsPerStatement) {
            let rows: [SQLQueryString] = chunk.map { "(\(bind: $0.product), \(bind: $0.day), \(bind: tally.dailyOrders[$0]!))" }
            try await sql.raw(
                """
                INSERT INTO recs_popularity (product_id, day, orders) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (product_id, day) DO UPDATE SET orders = recs_popularity.orders + excluded.orders
                """
            ).run()
        }
    }

    // MARK: Catalog

    /// What is kept of product `id`, locked until the transaction ends (PostgreSQL), or nil.
    public func product(id: String, _ sql: any SQLDatabase) async throws -> CatalogProduct? {
        guard let row = try await sql.raw(
            """
            SELECT product_id, name, category_id, state, skus, catalog_version FROM recs_products
            WHERE product_id = \(bind: id.lowercased())\(unsafeRaw: database.kind == .postgres ? " FOR UPDATE" : "")
            """
        ).first() else { return nil }
        let raw = try row.decode(column: "state", as: String.self)
        guard let state = ProductState(rawValue: raw) else { throw CorruptValueError(value: raw, expected: "a product state") }
        return CatalogProduct(
            id: try row.decode(column: "product_id", as: String.self), name: try row.decode(column: "name", as: String.self),
            categoryId: try row.decodeNil(column: "category_id") ? nil : try row.decode(column: "category_id", as: String.self),
            state: state, skus: Self.skus(try row.decode(column: "skus", as: String.self)),
            version: try row.decode(column: "catalog_version", as: Int64.self))
    }

    /// Writes what the catalog said of `product` (its counters stay), inside the caller's
    /// transaction. An update never goes back to an older version nor revives a deleted product.
    public func keep(_ product: CatalogProduct, _ sql: any SQLDatabase) async throws {
        let skus = product.skus.joined(separator: " ")
        if product.state == .deleted {
            try await sql.raw(
                """
                INSERT INTO recs_products (product_id, name, category_id, state, skus, catalog_version)
                VALUES (\(bind: product.id), \(bind: product.name), \(bind: product.categoryId), 'deleted', \(bind: skus), \(bind: product.version))
                ON CONFLICT (product_id) DO UPDATE SET state = 'deleted'
                """
            ).run()
            return
        }
        try await sql.raw(
            """
            INSERT INTO recs_products (product_id, name, category_id, state, skus, catalog_version)
            VALUES (\(bind: product.id), \(bind: product.name), \(bind: product.categoryId), \(bind: product.state.rawValue), \(bind: skus), \(bind: product.version))
            ON CONFLICT (product_id) DO UPDATE SET name = excluded.name, category_id = excluded.category_id, state = excluded.state,
                skus = excluded.skus, catalog_version = excluded.catalog_version
            WHERE recs_products.catalog_version < excluded.catalog_version AND recs_products.state <> 'deleted'
            """
        ).run()
    }

    /// Raises the generation every list's cache key holds, inside the caller's transaction.
    public func raiseGeneration(_ sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE recs_generation SET generation = generation + 1 WHERE id = 1").run()
    }

    // MARK: Lists

    /// What the cache key of a product's list is made of, and whether the product may have one.
    public struct ProductListKey: Sendable, Equatable {
        public var state: ProductState
        public var categoryId: String?
        /// Raised by every order containing the product.
        public var listVersion: Int64
        /// Raised by every change to what lists show, and by a rebuild.
        public var generation: Int64
    }

    /// The key of product `id`'s list, or nil when nothing is known of it.
    public func productListKey(id: String) async throws -> ProductListKey? {
        try await database.withConnection { sql in
            guard let row = try await sql.raw(
                """
                SELECT p.state, p.category_id, p.list_version, g.generation FROM recs_products p CROSS JOIN recs_generation g
                WHERE p.product_id = \(bind: id.lowercased()) AND g.id = 1
                """
            ).first() else { return nil }
            let raw = try row.decode(column: "state", as: String.self)
            guard let state = ProductState(rawValue: raw) else { throw CorruptValueError(value: raw, expected: "a product state") }
            return ProductListKey(
                state: state, categoryId: try row.decodeNil(column: "category_id") ? nil : try row.decode(column: "category_id", as: String.self),
                listVersion: try row.decode(column: "list_version", as: Int64.self), generation: try row.decode(column: "generation", as: Int64.self))
        }
    }

    /// What the cache key of a user's list is made of: how many orders of theirs are recorded,
    /// and the generation.
    public func userListKey(userId: String) async throws -> (orders: Int, generation: Int64) {
        try await database.withConnection { sql in
            let row = try await sql.raw(
                """
                SELECT (SELECT COUNT(*) FROM recs_purchases WHERE user_id = \(bind: userId.lowercased())) AS orders,
                    (SELECT generation FROM recs_generation WHERE id = 1) AS generation
                """
            ).first()
            return (try row?.decode(column: "orders", as: Int.self) ?? 0, try row?.decode(column: "generation", as: Int64.self) ?? 0)
        }
    }

    /// The generation every list's cache key holds (raised by changes to what lists show).
    public func generation() async throws -> Int64 {
        try await database.withConnection { sql in
            try await sql.raw("SELECT generation FROM recs_generation WHERE id = 1").first()?.decode(column: "generation", as: Int64.self) ?? 0
        }
    }

    /// n(`id`) and up to `limit` of its shown partners with co(p, q) and n(q), those of the
    /// highest cosine first. (For one product, co²/n(q) orders the partners as the cosine
    /// `co / sqrt(n(p) · n(q))` does, without a square root SQLite lacks.)
    public func coPurchases(of id: String, limit: Int) async throws -> CoPurchases {
        let id = id.lowercased()
        return try await database.withConnection { sql in
            let orders = try await sql.raw("SELECT purchases FROM recs_products WHERE product_id = \(bind: id)").first()?
                .decode(column: "purchases", as: Int.self) ?? 0
            guard orders > 0 else { return CoPurchases(orders: 0, partners: []) }
            let partners = try await sql.raw(
                """
                SELECT q.product_id, q.name, q.category_id, q.skus, r.orders AS together, q.purchases
                FROM recs_pairs r JOIN recs_products q ON q.product_id = r.partner_id
                WHERE r.product_id = \(bind: id) AND q.state = 'active' AND q.purchases > 0
                ORDER BY (1.0 * r.orders * r.orders) / q.purchases DESC, r.orders DESC, q.product_id
                LIMIT \(bind: limit)
                """
            ).all().map { row in
                CoPurchase(
                    partner: try Self.listed(row), together: try row.decode(column: "together", as: Int.self),
                    orders: try row.decode(column: "purchases", as: Int.self))
            }
            return CoPurchases(orders: orders, partners: partners)
        }
    }

    /// Up to `limit` shown products of `category` (or of every category when nil) with the
    /// orders that contained them on `firstDay` or later, most first (ties by id).
    public func popular(category: String?, since firstDay: Int64, limit: Int) async throws -> [PopularProduct] {
        let inCategory: SQLQueryString = category.map { (id: String) -> SQLQueryString in " AND q.category_id = \(bind: id.lowercased())" } ?? ""
        return try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT q.product_id, q.name, q.category_id, q.skus, CAST(SUM(c.orders) AS BIGINT) AS window_orders
                FROM recs_popularity c JOIN recs_products q ON q.product_id = c.product_id
                WHERE c.day >= \(bind: firstDay) AND q.state = 'active'\(inCategory)
                GROUP BY q.product_id, q.name, q.category_id, q.skus
                ORDER BY window_orders DESC, q.product_id
                LIMIT \(bind: limit)
                """
            ).all().map { row in PopularProduct(product: try Self.listed(row), orders: try row.decode(column: "window_orders", as: Int.self)) }
        }
    }

    /// A product a user bought, with its category when the catalog told it.
    public struct BoughtProduct: Sendable, Equatable {
        public var id: String
        public var categoryId: String?
    }

    /// Every product `userId` bought, most recently bought first (ties by id).
    public func boughtProducts(userId: String) async throws -> [BoughtProduct] {
        try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT i.product_id, q.category_id, MAX(p.purchased_at) AS last
                FROM recs_purchases p JOIN recs_purchase_products i ON i.order_id = p.order_id
                LEFT JOIN recs_products q ON q.product_id = i.product_id
                WHERE p.user_id = \(bind: userId.lowercased())
                GROUP BY i.product_id, q.category_id
                ORDER BY last DESC, i.product_id
                """
            ).all().map { row in
                BoughtProduct(
                    id: try row.decode(column: "product_id", as: String.self),
                    categoryId: try row.decodeNil(column: "category_id") ? nil : try row.decode(column: "category_id", as: String.self))
            }
        }
    }

    // MARK: Maintenance

    /// Recomputes every counter from the record of purchases, `batchSize` purchases at a time,
    /// in one transaction (readers see the old counters until it commits; on PostgreSQL new
    /// purchases wait for it, so none is counted twice or missed); then raises the generation,
    /// so every cached list is computed again. `progress(done, total)` after each batch.
    /// - Returns: the purchases counted.
    public func rebuild(
        window: PopularityWindow, now: Date, batchSize: Int = 500, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Int {
        try await database.transaction { sql in
            if database.kind == .postgres {
                try await sql.raw("LOCK TABLE recs_purchases IN EXCLUSIVE MODE").run()
            }
            try await sql.raw("DELETE FROM recs_pairs").run()
            try await sql.raw("DELETE FROM recs_popularity").run()
            try await sql.raw("UPDATE recs_products SET purchases = 0").run()
            let total = try await sql.raw("SELECT COUNT(*) AS n FROM recs_purchases").first()?.decode(column: "n", as: Int.self) ?? 0
            var done = 0
            var after = ""
            while true {
                let purchases = try await Self.purchases(after: after, limit: batchSize, sql)
                guard let last = purchases.last else { break }
                try await add(PurchaseTally(purchases, window: window, now: now), sql)
                done += purchases.count
                after = last.orderId
                progress(done, total)
            }
            try await raiseGeneration(sql)
            return done
        }
    }

    /// Every recorded purchase, in order id order (for tests and tools).
    public func purchases() async throws -> [Purchase] {
        try await database.withConnection { sql in try await Self.purchases(after: "", limit: Int(Int32.max), sql) }
    }

    /// Deletes the daily counts of days before `firstDay` (they left the popularity window).
    public func prune(before firstDay: Int64) async throws {
        try await database.transaction { sql in
            try await sql.raw("DELETE FROM recs_popularity WHERE day < \(bind: firstDay)").run()
        }
    }

    // MARK: SQL helpers

    /// Up to `limit` purchases with order ids after `after`, in order id order, with their products.
    private static func purchases(after: String, limit: Int, _ sql: any SQLDatabase) async throws -> [Purchase] {
        let rows = try await sql.raw(
            """
            SELECT order_id, user_id, purchased_at FROM recs_purchases WHERE order_id > \(bind: after) ORDER BY order_id LIMIT \(bind: limit)
            """
        ).all()
        guard let first = rows.first, let last = rows.last else { return [] }
        let from = try first.decode(column: "order_id", as: String.self), to = try last.decode(column: "order_id", as: String.self)
        var products: [String: [String]] = [:]
        for row in try await sql.raw(
            """
            SELECT order_id, product_id FROM recs_purchase_products
            WHERE order_id >= \(bind: from) AND order_id <= \(bind: to)
            """
        ).all() {
            products[try row.decode(column: "order_id", as: String.self), default: []].append(try row.decode(column: "product_id", as: String.self))
        }
        return try rows.map { row in
            let id = try row.decode(column: "order_id", as: String.self)
            return Purchase(
                orderId: id, userId: try row.decode(column: "user_id", as: String.self), productIds: products[id] ?? [],
                at: try Timestamp.parse(try row.decode(column: "purchased_at", as: String.self)))
        }
    }

    /// A shown product from a row with `product_id`, `name`, `category_id` and `skus`.
    private static func listed(_ row: any SQLRow) throws -> ListedProduct {
        ListedProduct(
            id: try row.decode(column: "product_id", as: String.self), name: try row.decode(column: "name", as: String.self),
            categoryId: try row.decodeNil(column: "category_id") ? "" : try row.decode(column: "category_id", as: String.self),
            skus: skus(try row.decode(column: "skus", as: String.self)))
    }

    /// The SKUs of the `skus` column (space-separated: an SKU holds no space).
    private static func skus(_ column: String) -> [String] {
        column.split(separator: " ").map(String.init)
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
