import SQLKit
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
        ),
        Migration(version: 2, name: "create the search read model") { sql, kind in
            // One document per active product. SQLite keys it by an integer row id as well, the
            // row id of its FTS5 entry; PostgreSQL keeps a weighted tsvector with a GIN index.
            switch kind {
            case .postgres:
                try await sql.raw(
                    """
                    CREATE TABLE product_search (
                        product_id TEXT PRIMARY KEY, version BIGINT NOT NULL,
                        name TEXT NOT NULL, name_folded TEXT NOT NULL, description TEXT NOT NULL,
                        category_id TEXT NOT NULL, min_price BIGINT NOT NULL, max_price BIGINT NOT NULL,
                        currency TEXT NOT NULL, created_at TEXT NOT NULL,
                        search_vector tsvector NOT NULL,
                        category_ids TEXT[] NOT NULL,
                        attribute_pairs TEXT[] NOT NULL
                    )
                    """
                ).run()
                // Text, category and attribute filters are GIN lookups that PostgreSQL can AND
                // together as bitmaps.
                try await sql.raw("CREATE INDEX product_search_text ON product_search USING GIN (search_vector)").run()
                try await sql.raw("CREATE INDEX product_search_category_ids ON product_search USING GIN (category_ids)").run()
                try await sql.raw("CREATE INDEX product_search_attribute_pairs ON product_search USING GIN (attribute_pairs)").run()
            case .sqlite:
                try await sql.raw(
                    """
                    CREATE TABLE product_search (
                        doc_id INTEGER PRIMARY KEY, product_id TEXT NOT NULL UNIQUE, version BIGINT NOT NULL,
                        name TEXT NOT NULL, name_folded TEXT NOT NULL, description TEXT NOT NULL,
                        category_id TEXT NOT NULL, min_price BIGINT NOT NULL, max_price BIGINT NOT NULL,
                        currency TEXT NOT NULL, created_at TEXT NOT NULL
                    )
                    """
                ).run()
                try await sql.raw(
                    "CREATE VIRTUAL TABLE product_search_fts USING fts5(name, description, tokenize='porter unicode61')"
                ).run()
                // The categories (with ancestors) and attributes of each document, as rows.
                for statement in [
                    "CREATE TABLE product_search_categories (category_id TEXT NOT NULL, product_id TEXT NOT NULL, PRIMARY KEY (category_id, product_id))",
                    "CREATE INDEX product_search_categories_product ON product_search_categories (product_id)",
                    "CREATE TABLE product_search_attributes (name TEXT NOT NULL, value TEXT NOT NULL, product_id TEXT NOT NULL, PRIMARY KEY (name, value, product_id))",
                    "CREATE INDEX product_search_attributes_product ON product_search_attributes (product_id)",
                ] {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
            }
            for statement in [
                // The JSON shown for each hit, apart: the rows that searches scan and sort stay narrow.
                "CREATE TABLE product_search_documents (product_id TEXT PRIMARY KEY, document TEXT NOT NULL)",
                "CREATE INDEX product_search_price ON product_search (min_price, product_id)",
                "CREATE INDEX product_search_created ON product_search (created_at, product_id)",
                "CREATE INDEX product_search_name ON product_search (name_folded)",
            ] {
                try await sql.raw(SQLQueryString(statement)).run()
            }
        },
        Migration(version: 3, name: "search side tables: term and category lists, facet counts") { sql, kind in
            // PostgreSQL only (SQLite searches its FTS5 and side tables as before). Filled from the
            // documents already stored, with the SQL the read model keeps them with.
            guard kind == .postgres else { return }
            let scopes =
                "ARRAY[''] || ARRAY(SELECT 'category:' || c FROM unnest(s.category_ids) AS c) || ARRAY(SELECT 'term:' || l FROM unnest(tsvector_to_array(s.search_vector)) AS l)"
            let lexemeQuery = #"('''' || replace(replace(l, '\', '\\'), '''', '''''') || '''')::tsquery"#
            for statement in [
                // Each lexeme of each document, with ts_rank_cd of a query of that lexeme alone.
                "CREATE TABLE product_search_terms (lexeme TEXT NOT NULL, min_price BIGINT NOT NULL, product_id TEXT NOT NULL, rank REAL NOT NULL, PRIMARY KEY (lexeme, min_price, product_id))",
                "INSERT INTO product_search_terms (lexeme, min_price, product_id, rank) SELECT l, s.min_price, s.product_id, ts_rank_cd(s.search_vector, \(lexemeQuery)) FROM product_search s, unnest(tsvector_to_array(s.search_vector)) AS l",
                "CREATE INDEX product_search_terms_rank ON product_search_terms (lexeme, rank DESC, product_id)",
                // Each document under each category of its path, by price.
                "CREATE TABLE product_search_category_prices (category_id TEXT NOT NULL, min_price BIGINT NOT NULL, product_id TEXT NOT NULL, PRIMARY KEY (category_id, min_price, product_id))",
                "INSERT INTO product_search_category_prices (category_id, min_price, product_id) SELECT c, s.min_price, s.product_id FROM product_search s, unnest(s.category_ids) AS c",
                // Per scope ('' every document, 'category:ID', 'term:LEXEME'): documents by direct
                // category and set of attribute pairs.
                "CREATE TABLE product_search_facet_counts (scope TEXT NOT NULL, category_id TEXT NOT NULL, attribute_pairs TEXT[] NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (scope, category_id, attribute_pairs))",
                "INSERT INTO product_search_facet_counts (scope, category_id, attribute_pairs, n) SELECT scope, category_id, attribute_pairs, COUNT(*) FROM (SELECT unnest(\(scopes)) AS scope, s.category_id, s.attribute_pairs FROM product_search s) d GROUP BY scope, category_id, attribute_pairs",
            ] {
                try await sql.raw(SQLQueryString(statement)).run()
            }
        },
        Migration(version: 4, name: "search relevance by ts_rank: the term lists re-ranked") { sql, kind in
            // Relevance on PostgreSQL is `ts_rank` from now on (it weighs how close the words are
            // too, at under half of `ts_rank_cd`'s cost); each stored one-lexeme rank follows.
            guard kind == .postgres else { return }
            let lexemeQuery = #"('''' || replace(replace(t.lexeme, '\', '\\'), '''', '''''') || '''')::tsquery"#
            try await sql.raw(
                SQLQueryString(
                    "UPDATE product_search_terms t SET rank = ts_rank(s.search_vector, \(lexemeQuery)) FROM product_search s WHERE s.product_id = t.product_id"
                )
            ).run()
        },
    ]
}
