import Storage

/// The catalog database's schema, oldest first. Released migrations never change.
enum CatalogMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create categories, products and variants",
            statements: [
                """
                CREATE TABLE categories (
                    id TEXT PRIMARY KEY,
                    slug TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    parent_id TEXT REFERENCES categories (id)
                )
                """,
                """
                CREATE TABLE products (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    category_id TEXT NOT NULL REFERENCES categories (id),
                    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
                    image_urls TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX products_status_id ON products (status, id)",
                "CREATE INDEX products_category ON products (category_id)",
                """
                CREATE TABLE product_variants (
                    sku TEXT PRIMARY KEY,
                    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    attributes TEXT NOT NULL,
                    price_amount BIGINT NOT NULL CHECK (price_amount >= 0),
                    price_currency TEXT NOT NULL
                )
                """,
                "CREATE INDEX product_variants_product ON product_variants (product_id, position)",
            ]
        )
    ]
}
