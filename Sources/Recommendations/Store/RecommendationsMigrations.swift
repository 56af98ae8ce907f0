import Storage

/// The recommendations database's schema, oldest first. Released migrations never change.
///
/// `recs_purchases` and `recs_purchase_products` are the record of confirmed orders; every
/// counter below them (`recs_products.purchases`, `recs_pairs`, `recs_popularity`) is derived
/// from that record and rebuilt from it by `emporium recommendations rebuild`.
enum RecommendationsMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create purchases, products, co-purchase pairs, daily popularity and the list generation",
            statements: [
                // One row per confirmed order (its id claims it: a second event for the same
                // order counts nothing). purchased_at: ISO 8601 UTC.
                """
                CREATE TABLE recs_purchases (
                    order_id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    purchased_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX recs_purchases_user ON recs_purchases (user_id, purchased_at)",
                // The distinct products of each order's lines.
                """
                CREATE TABLE recs_purchase_products (
                    order_id TEXT NOT NULL REFERENCES recs_purchases (order_id),
                    product_id TEXT NOT NULL,
                    PRIMARY KEY (order_id, product_id)
                )
                """,
                // What the catalog's events said of each product (state 'unknown' for a product
                // bought before its catalog event arrived), n(p) in purchases, and list_version,
                // raised whenever the product's co-purchase counts move: part of the cache key of
                // its list, so a new order is seen by the next request.
                """
                CREATE TABLE recs_products (
                    product_id TEXT PRIMARY KEY,
                    name TEXT NOT NULL DEFAULT '',
                    category_id TEXT,
                    state TEXT NOT NULL CHECK (state IN ('unknown', 'draft', 'active', 'archived', 'deleted')),
                    skus TEXT NOT NULL DEFAULT '',
                    catalog_version BIGINT NOT NULL DEFAULT 0,
                    purchases BIGINT NOT NULL DEFAULT 0 CHECK (purchases >= 0),
                    list_version BIGINT NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX recs_products_category ON recs_products (category_id) WHERE state = 'active'",
                // co(p, q) in both directions: a product's partners are one range of the key.
                """
                CREATE TABLE recs_pairs (
                    product_id TEXT NOT NULL,
                    partner_id TEXT NOT NULL,
                    orders BIGINT NOT NULL CHECK (orders > 0),
                    PRIMARY KEY (product_id, partner_id)
                )
                """,
                // Orders per product and UTC day (days since 1970): the time buckets of the
                // popularity window; days that left it are pruned.
                """
                CREATE TABLE recs_popularity (
                    product_id TEXT NOT NULL,
                    day BIGINT NOT NULL,
                    orders BIGINT NOT NULL CHECK (orders > 0),
                    PRIMARY KEY (product_id, day)
                )
                """,
                "CREATE INDEX recs_popularity_day ON recs_popularity (day)",
                // Raised when what lists show of products changes (a name, a category, archived,
                // deleted) or by a rebuild: part of every list's cache key.
                """
                CREATE TABLE recs_generation (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    generation BIGINT NOT NULL
                )
                """,
                "INSERT INTO recs_generation (id, generation) VALUES (1, 0)",
            ]
        )
    ]
}
