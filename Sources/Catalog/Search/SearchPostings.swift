import SQLKit

/// The PostgreSQL search read model's side tables, kept with each document so that broad queries
/// cost what their page costs rather than what their matches number:
/// - `product_search_terms`: each lexeme of each document with the document's `ts_rank` for a
///   query of that lexeme alone and its price, ordered both ways, so a one-word search reads its
///   best page off an index;
/// - `product_search_category_prices`: each document under each category of its path, by price,
///   so browsing a category by price walks an index;
/// - `product_search_facet_counts`: per ``FacetScope``, how many documents have each direct
///   category and set of attribute pairs, so facets of a scope are a few rows to add up.
///
/// Everything is derived from the `product_search` rows (lexemes from their `search_vector`), in
/// SQL, so it always agrees with them.
struct SearchPostings: Sendable {
    // MARK: Writing

    /// Adds the side-table rows of documents already in `product_search`, in one statement.
    func add(productIDs: [String], _ sql: any SQLDatabase) async throws {
        guard !productIDs.isEmpty else { return }
        let documents: SQLQueryString = "s.product_id IN (\(binds: productIDs))"
        try await sql.raw(
            "WITH terms AS (INSERT INTO product_search_terms (lexeme, min_price, product_id, rank) SELECT l, s.min_price, s.product_id, "
                + "ts_rank(s.search_vector, " + Self.lexemeQuery("l") + ") FROM product_search s, unnest(tsvector_to_array(s.search_vector)) AS l WHERE "
                + documents + "), prices AS (INSERT INTO product_search_category_prices (category_id, min_price, product_id) "
                + "SELECT c, s.min_price, s.product_id FROM product_search s, unnest(s.category_ids) AS c WHERE " + documents + ") "
                + count(documents, sign: "")
        ).run()
    }

    /// Removes the side-table rows of documents still in `product_search`: one statement, and
    /// one more for the facet counts they brought to zero.
    func remove(productIDs: [String], _ sql: any SQLDatabase) async throws {
        guard !productIDs.isEmpty else { return }
        let document: SQLQueryString = "s.product_id IN (\(binds: productIDs))"
        try await sql.raw(
            "WITH terms AS (DELETE FROM product_search_terms t USING product_search s WHERE " + document
                + " AND t.lexeme = ANY(tsvector_to_array(s.search_vector)) AND t.min_price = s.min_price AND t.product_id = s.product_id), "
                + "prices AS (DELETE FROM product_search_category_prices p USING product_search s WHERE " + document
                + " AND p.category_id = ANY(s.category_ids) AND p.min_price = s.min_price AND p.product_id = s.product_id) "
                + count(document, sign: "-")
        ).run()
        // Locked in key order, like the counting.
        try await sql.raw(
            "DELETE FROM product_search_facet_counts WHERE n = 0 AND (scope, category_id, attribute_pairs) IN (SELECT f.scope, f.category_id, f.attribute_pairs "
                + "FROM product_search_facet_counts f JOIN product_search s ON f.category_id = s.category_id AND f.attribute_pairs = s.attribute_pairs "
                + "AND f.scope = ANY(" + Self.scopes + ") WHERE " + document
                + " AND f.n = 0 ORDER BY f.scope, f.category_id, f.attribute_pairs FOR UPDATE OF f)"
        ).run()
    }

    /// The statement adding (`sign` "") or subtracting ("-") the documents matching `documents`
    /// to the facet counts of each of their scopes. Rows are locked in key order (here and when
    /// emptied rows are deleted), so concurrent writers cannot deadlock on them.
    private func count(_ documents: SQLQueryString, sign: String) -> SQLQueryString {
        "INSERT INTO product_search_facet_counts (scope, category_id, attribute_pairs, n) SELECT scope, category_id, attribute_pairs, \(unsafeRaw: sign)COUNT(*) "
            + "FROM (SELECT unnest(" + Self.scopes + ") AS scope, s.category_id, s.attribute_pairs FROM product_search s WHERE " + documents + ") d "
            + "GROUP BY scope, category_id, attribute_pairs ORDER BY scope, category_id, attribute_pairs "
            + "ON CONFLICT (scope, category_id, attribute_pairs) DO UPDATE SET n = product_search_facet_counts.n + EXCLUDED.n"
    }

    /// The ``FacetScope`` keys of document `s`: all, each category of its path, each lexeme.
    private static let scopes: SQLQueryString =
        "ARRAY[''] || ARRAY(SELECT 'category:' || c FROM unnest(s.category_ids) AS c) || ARRAY(SELECT 'term:' || l FROM unnest(tsvector_to_array(s.search_vector)) AS l)"

    /// A `tsquery` of the single lexeme in column `column` (quoted, quotes and backslashes doubled),
    /// the same query `websearch_to_tsquery` makes of a word with that lexeme.
    private static func lexemeQuery(_ column: String) -> SQLQueryString {
        #"('''' || replace(replace(\#(unsafeRaw: column), '\', '\\'), '''', '''''') || '''')::tsquery"#
    }

    // MARK: Reading

    /// The lexeme of `text` when its query (`websearch_to_tsquery`) is that one lexeme, nil for
    /// anything else (several words, operators, only stop words). Asks PostgreSQL (which stems)
    /// only about a text of one word.
    func lexeme(of text: String, _ sql: any SQLDatabase) async throws -> String? {
        guard SearchQuery.terms(of: text).count == 1, let row = try await sql.raw(
            "SELECT numnode(q) AS nodes, q::text AS query FROM websearch_to_tsquery('english', \(bind: text)) AS q"
        ).first(), try row.decode(column: "nodes", as: Int.self) == 1 else { return nil }
        return Self.lexeme(inQueryText: try row.decode(column: "query", as: String.self))
    }

    /// The lexeme of a one-lexeme `tsquery`'s text (`'word'`, quotes and backslashes doubled);
    /// nil for any other form (weights, prefix).
    static func lexeme(inQueryText text: String) -> String? {
        guard text.count >= 3, text.first == "'", text.last == "'" else { return nil }
        let inner = Array(text.dropFirst().dropLast())
        var lexeme = ""
        var index = 0
        while index < inner.count {
            let character = inner[index]
            if character == "'" || character == "\\" {
                guard index + 1 < inner.count, inner[index + 1] == character else { return nil }
                index += 1
            }
            lexeme.append(character)
            index += 1
        }
        return lexeme
    }

    /// How many documents containing `lexeme` lie in `category` (or below it) and have every one
    /// of `pairs`, and how many contain it at all (its list's length), from the kept counts: the
    /// term's groups whose direct category has documents under `category`. With a price range,
    /// also the share of the category's documents priced within it, from up to
    /// ``priceSample`` entries of its price list (a lower bound when there are more).
    func termMatches(
        _ lexeme: String, category: String, pairs: [String], minPrice: Int64?, maxPrice: Int64?, _ sql: any SQLDatabase
    ) async throws -> (matches: Int, listed: Int, priceShare: Double) {
        let categoryScope = FacetScope.category(category).key
        var priceColumns: SQLQueryString = "1 AS priced, 1 AS category_size"
        if minPrice != nil || maxPrice != nil {
            priceColumns = "(SELECT COUNT(*) FROM (SELECT 1 FROM product_search_category_prices p WHERE p.category_id = \(bind: category) "
                + "AND p.min_price >= \(bind: minPrice ?? .min) AND p.min_price <= \(bind: maxPrice ?? .max) LIMIT \(bind: Self.priceSample)) x) AS priced, "
                + "(SELECT COALESCE(SUM(c.n), 0) FROM product_search_facet_counts c WHERE c.scope = \(bind: categoryScope)) AS category_size"
        }
        let row = try await sql.raw(
            "SELECT COALESCE(SUM(t.n) FILTER (WHERE t.attribute_pairs @> \(bind: pairs) AND t.category_id IN (SELECT c.category_id FROM product_search_facet_counts c "
                + "WHERE c.scope = \(bind: categoryScope) AND c.n > 0)), 0) AS matches, COALESCE(SUM(t.n), 0) AS listed, "
                + priceColumns + " FROM product_search_facet_counts t WHERE t.scope = \(bind: FacetScope.term(lexeme).key)"
        ).first()
        guard let row else { return (0, 0, 0) }
        let priced = try row.decode(column: "priced", as: Int.self)
        let size = try row.decode(column: "category_size", as: Int.self)
        return (
            try row.decode(column: "matches", as: Int.self), try row.decode(column: "listed", as: Int.self),
            size > 0 ? min(1, Double(priced) / Double(size)) : 0
        )
    }

    /// Entries of a category's price list read at most to estimate a price range's share.
    static let priceSample = 2_000

    /// The facet counts of `scope`.
    func groups(_ scope: FacetScope, _ sql: any SQLDatabase) async throws -> [FacetGroup] {
        try await sql.raw(
            "SELECT category_id, attribute_pairs, n FROM product_search_facet_counts WHERE scope = \(bind: scope.key) AND n > 0"
        ).all().map {
            FacetGroup(
                categoryID: try $0.decode(column: "category_id", as: String.self),
                pairs: try $0.decode(column: "attribute_pairs", as: [String].self),
                count: try $0.decode(column: "n", as: Int.self)
            )
        }
    }

    /// The facets of `scope`: its kept counts and its price range (read off an index), in one
    /// statement.
    func facets(_ scope: FacetScope, _ sql: any SQLDatabase) async throws -> SearchFacets {
        let prices: SQLQueryString
        switch scope {
        case .all: prices = "FROM product_search"
        case .category(let id): prices = "FROM product_search_category_prices WHERE category_id = \(bind: id)"
        case .term(let lexeme): prices = "FROM product_search_terms WHERE lexeme = \(bind: lexeme)"
        }
        var groups: [FacetGroup] = []
        var price: SearchFacets.PriceRange?
        for row in try await sql.raw(
            "SELECT category_id, attribute_pairs, n, NULL::BIGINT AS low, NULL::BIGINT AS high FROM product_search_facet_counts "
                + "WHERE scope = \(bind: scope.key) AND n > 0 UNION ALL SELECT NULL, NULL, NULL, MIN(min_price), MAX(min_price) " + prices
        ).all() {
            if let count = try row.decode(column: "n", as: Int?.self) {
                groups.append(
                    FacetGroup(
                        categoryID: try row.decode(column: "category_id", as: String.self),
                        pairs: try row.decode(column: "attribute_pairs", as: [String].self), count: count
                    )
                )
            } else if let low = try row.decode(column: "low", as: Int64?.self), let high = try row.decode(column: "high", as: Int64?.self) {
                price = .init(min: low, max: high)
            }
        }
        return SearchFacets(groups: groups, price: price)
    }
}
