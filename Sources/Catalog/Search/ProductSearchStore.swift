import EmporiumCore
import EmporiumContracts
import EmporiumKit
import Foundation
import SQLKit
import Storage

/// The search read model's SQL: documents with PostgreSQL full text (a weighted `tsvector` with
/// a GIN index, `ts_rank`) or SQLite FTS5 (`bm25`), filters, sorts, facets and keyset pages.
struct ProductSearchStore: Sendable {
    /// The catalog's database, whose kind decides the SQL; writers pass their own connection.
    let database: any Database
    /// Where searches are read (a read replica's ``ReplicatedDatabase``, or `database`).
    let readDatabase: any Database
    /// PostgreSQL's side tables (term and category lists, facet counts).
    private let postings = SearchPostings()
    /// How PostgreSQL pages are read: by cost, or one way only (tests compare the ways).
    var planning: Planning = .byCost

    /// How a page is read on PostgreSQL.
    enum Planning: Sendable, Equatable {
        /// Walk an ordered side table or sort every match, whichever costs less.
        case byCost
        /// Always sort every match.
        case sortAll
        /// A word within a category by relevance: walk at most this many entries of the word's
        /// list whatever the counts say (then sort when the page is cut short); otherwise by cost.
        case walkWordLists(bound: Int)
    }

    init(database: any Database, readDatabase: (any Database)? = nil) {
        self.database = database
        self.readDatabase = readDatabase ?? database
    }

    // MARK: Writing documents

    /// The category tree as parent by child id.
    static func parents(_ sql: any SQLDatabase) async throws -> [String: String] {
        var parents: [String: String] = [:]
        for row in try await sql.raw("SELECT id, parent_id FROM categories WHERE parent_id IS NOT NULL").all() {
            parents[try row.decode(column: "id", as: String.self)] = try row.decode(column: "parent_id", as: String.self)
        }
        return parents
    }

    /// Applies `product` (as of its version) to the read model: stored when active, removed
    /// otherwise. An older version than the stored one is ignored (reindexing uses ``replace``).
    /// - Returns: whether anything changed.
    @discardableResult
    func apply(_ product: ProductEvent, parents: [String: String], _ sql: any SQLDatabase) async throws -> Bool {
        if let stored = try await sql.raw(
            "SELECT version FROM product_search WHERE product_id = \(bind: product.id)"
        ).first()?.decode(column: "version", as: Int64.self), stored >= product.version {
            return false
        }
        try await remove(productID: product.id, sql)
        guard let document = try SearchDocument(product, parents: parents) else { return true }
        try await insert(document, sql)
        return true
    }

    /// Removes a product from the read model.
    func remove(productID: String, _ sql: any SQLDatabase) async throws {
        try await remove(productIDs: [productID], sql)
    }

    /// Removes products from the read model, a few statements for all of them.
    func remove(productIDs: [String], _ sql: any SQLDatabase) async throws {
        guard !productIDs.isEmpty else { return }
        if database.kind == .sqlite {
            try await sql.raw("DELETE FROM product_search_categories WHERE product_id IN (\(binds: productIDs))").run()
            try await sql.raw("DELETE FROM product_search_attributes WHERE product_id IN (\(binds: productIDs))").run()
            try await sql.raw(
                "DELETE FROM product_search_fts WHERE rowid IN (SELECT doc_id FROM product_search WHERE product_id IN (\(binds: productIDs)))"
            ).run()
        } else {
            try await postings.remove(productIDs: productIDs, sql)
        }
        try await sql.raw("DELETE FROM product_search_documents WHERE product_id IN (\(binds: productIDs))").run()
        try await sql.raw("DELETE FROM product_search WHERE product_id IN (\(binds: productIDs))").run()
    }

    /// Replaces the documents of `products` whatever their stored versions (reindexing): all of
    /// them removed, the active ones added, in a few multi-row statements.
    func replace(_ products: [ProductEvent], parents: [String: String], _ sql: any SQLDatabase) async throws {
        try await remove(productIDs: products.map(\.id), sql)
        try await insertNew(products, parents: parents, sql)
    }

    private func insert(_ document: SearchDocument, _ sql: any SQLDatabase) async throws {
        try await insert([document], sql)
    }

    /// Adds documents of products not in the read model yet (seeding), a few multi-row
    /// statements per batch.
    func insertNew(_ products: [ProductEvent], parents: [String: String], _ sql: any SQLDatabase) async throws {
        let documents = try products.compactMap { try SearchDocument($0, parents: parents) }
        for chunk in documents.chunked(500) { try await insert(Array(chunk), sql) }
    }

    private func insert(_ documents: [SearchDocument], _ sql: any SQLDatabase) async throws {
        guard !documents.isEmpty else { return }
        let postgres = database.kind == .postgres
        let rows: [SQLQueryString] = documents.map { document in
            let values: SQLQueryString = """
                \(bind: document.productID), \(bind: document.version), \(bind: document.name), \(bind: document.name.lowercased()), \
                \(bind: document.description), \(bind: document.categoryID), \(bind: document.minPrice), \(bind: document.maxPrice), \
                \(bind: document.currency), \(bind: document.createdAt)
                """
            return postgres
                ? "(" + values + ", setweight(to_tsvector('english', \(bind: document.name)), 'A') || setweight(to_tsvector('english', \(bind: document.description)), 'B'), "
                    + "\(bind: document.categoryPath), \(bind: document.attributes.map(Self.pairKey).sorted()))"
                : "(" + values + ")"
        }
        try await sql.raw(
            "INSERT INTO product_search (product_id, version, name, name_folded, description, category_id, min_price, max_price, currency, created_at"
                + (postgres ? ", search_vector, category_ids, attribute_pairs) VALUES " : ") VALUES ") + rows.joined(separator: ", ")
        ).run()
        let bodies: [SQLQueryString] = documents.map { "(\(bind: $0.productID), \(bind: $0.document))" }
        try await sql.raw("INSERT INTO product_search_documents (product_id, document) VALUES " + bodies.joined(separator: ", ")).run()
        guard !postgres else {
            try await postings.add(productIDs: documents.map(\.productID), sql)
            return
        }
        let categories: [SQLQueryString] = documents.flatMap { document in
            document.categoryPath.map { "(\(bind: $0), \(bind: document.productID))" as SQLQueryString }
        }
        for chunk in categories.chunked(1000) {
            try await sql.raw("INSERT INTO product_search_categories (category_id, product_id) VALUES " + chunk.joined(separator: ", ")).run()
        }
        let attributes: [SQLQueryString] = documents.flatMap { document in
            document.attributes.sorted { ($0.name, $0.value) < ($1.name, $1.value) }.map {
                "(\(bind: $0.name), \(bind: $0.value), \(bind: document.productID))" as SQLQueryString
            }
        }
        for chunk in attributes.chunked(1000) {
            try await sql.raw("INSERT INTO product_search_attributes (name, value, product_id) VALUES " + chunk.joined(separator: ", ")).run()
        }
        try await sql.raw(
            "INSERT INTO product_search_fts (rowid, name, description) SELECT doc_id, name, description FROM product_search WHERE product_id IN (\(binds: documents.map(\.productID)))"
        ).run()
    }

    // MARK: Searching

    /// One page of documents (as stored JSON) matching `query`, whether more follow, and with
    /// `query.facets` the facets of every match, on one connection of the read database (so
    /// possibly behind the latest writes).
    func search(_ query: SearchQuery) async throws -> SearchResults {
        try await readDatabase.withConnection { sql in
            // PostgreSQL: the lexeme of a one-word text whose term list (ranked) and kept facet
            // counts answer it: with no filter, or by relevance within a category.
            let unfiltered = query.category == nil && query.attributes.isEmpty && query.minPrice == nil && query.maxPrice == nil
            let walkable = query.sort == .relevance && (unfiltered || query.category != nil)
            var lexeme: String?
            if database.kind == .postgres, walkable || (unfiltered && query.facets), let text = query.text {
                lexeme = try await postings.lexeme(of: text, sql)
            }
            let rows: [any SQLRow]
            if let walked = try await walkedPage(query, lexeme: lexeme, sql) { rows = walked } else { rows = try await sortedPage(query, sql) }
            let page = Array(rows.prefix(query.limit))
            var bodies: [String: String] = [:]
            if !page.isEmpty {
                let ids = try page.map { try $0.decode(column: "product_id", as: String.self) }
                for row in try await sql.raw("SELECT product_id, document FROM product_search_documents WHERE product_id IN (\(binds: ids))").all() {
                    bodies[try row.decode(column: "product_id", as: String.self)] = try row.decode(column: "document", as: String.self)
                }
            }
            let documents = try page.map { row -> SearchResults.Document in
                let sortKey: String?
                switch query.sort {
                case .newest: sortKey = try row.decode(column: "created_at", as: String.self)
                case .priceAsc, .priceDesc: sortKey = String(try row.decode(column: "min_price", as: Int64.self))
                case .oldest, .relevance: sortKey = nil
                }
                let id = try row.decode(column: "product_id", as: String.self)
                return (id, bodies[id] ?? "{}", sortKey)
            }
            let facets = query.facets ? try await facets(query, lexeme: lexeme, sql) : nil
            return SearchResults(documents: documents, hasMore: rows.count > query.limit, facets: facets)
        }
    }

    /// The page (product_id, min_price, created_at; one row more than the limit when more follow)
    /// from every match, sorted.
    private func sortedPage(_ query: SearchQuery, _ sql: any SQLDatabase) async throws -> [any SQLRow] {
        var select: SQLQueryString = "SELECT s.product_id, s.min_price, s.created_at " + from(query)
        // With category or attribute filters, PostgreSQL's estimate of how many rows match is
        // a guess (it cannot see that categories and attributes go together), and walking the
        // price or time index until enough rows pass the filter can read the whole table when
        // few or none do. Sorting the GIN bitmap's matches instead costs what they number
        // (``walkedPage`` walks a category's own price list when that is cheaper).
        let sortAfterFiltering = database.kind == .postgres && (query.category != nil || !query.attributes.isEmpty)
        let price = sortAfterFiltering ? "(s.min_price + 0)" : "s.min_price"
        let created = sortAfterFiltering ? "(s.created_at || '')" : "s.created_at"
        let order: SQLQueryString
        switch query.sort {
        case .relevance:
            order = " ORDER BY " + relevance(query) + ", s.product_id"
        case .oldest:
            if let after = query.position?.productID { select += " AND s.product_id > \(bind: after)" }
            order = " ORDER BY s.product_id"
        case .newest:
            if let position = query.position, let key = position.key, let id = position.productID {
                select += " AND (s.created_at < \(bind: key) OR (s.created_at = \(bind: key) AND s.product_id < \(bind: id)))"
            }
            order = " ORDER BY \(unsafeRaw: created) DESC, s.product_id DESC"
        case .priceAsc:
            if let position = query.position, let key = position.key.flatMap(Int64.init), let id = position.productID {
                select += " AND (s.min_price > \(bind: key) OR (s.min_price = \(bind: key) AND s.product_id > \(bind: id)))"
            }
            order = " ORDER BY \(unsafeRaw: price), s.product_id"
        case .priceDesc:
            if let position = query.position, let key = position.key.flatMap(Int64.init), let id = position.productID {
                select += " AND (s.min_price < \(bind: key) OR (s.min_price = \(bind: key) AND s.product_id < \(bind: id)))"
            }
            order = " ORDER BY \(unsafeRaw: price) DESC, s.product_id DESC"
        }
        let offset = query.sort == .relevance ? (query.position?.offset ?? 0) : 0
        return try await sql.raw(select + order + " LIMIT \(bind: query.limit + 1) OFFSET \(bind: offset)").all()
    }

    /// PostgreSQL: the page read off an ordered side table, when that is cheaper than sorting
    /// every match; nil otherwise. A one-word search by relevance with no filter reads the word's
    /// rank-ordered list; within a category (and any other filters) it walks that list, checking
    /// each entry, when enough of the word's documents lie there (counted exactly by the facet
    /// counts, the price range's share estimated); browsing a category by price walks the
    /// category's price list when enough of it passes the attribute filters. Either reads nothing
    /// when the counts say nothing matches.
    private func walkedPage(_ query: SearchQuery, lexeme: String?, _ sql: any SQLDatabase) async throws -> [any SQLRow]? {
        guard database.kind == .postgres, planning != .sortAll else { return nil }
        switch query.sort {
        case .relevance:
            guard let text = query.text, let lexeme else { return nil }
            guard let category = query.category?.lowercased else {
                let filtered = !query.attributes.isEmpty || query.minPrice != nil || query.maxPrice != nil
                return filtered ? nil : try await termPage(query, text: text, lexeme: lexeme, sql)
            }
            // Within a category: the word's documents there (with the attributes asked for) are
            // counted exactly; walk its ranked list when enough of it passes.
            let (matches, listed, priceShare) = try await postings.termMatches(
                lexeme, category: category, pairs: query.attributes.map { Self.pairKey(.init(name: $0.key, value: $0.value)) },
                minPrice: query.minPrice, maxPrice: query.maxPrice, sql
            )
            if matches == 0 || priceShare == 0 { return [] }
            let needed = query.limit + 1 + (query.position?.offset ?? 0)
            let bound: Int
            if case .walkWordLists(let forced) = planning {
                bound = forced
            } else {
                // How many pass the price range too, were prices and words independent.
                let passing = Int((Double(matches) * priceShare).rounded(.up))
                guard WalkChoice.walk(matches: passing, scopeSize: listed, needed: needed) else { return nil }
                // At most as many entries as the bitmap would read: past that, sorting the
                // matches is cheaper. A page cut short by that bound is read again by sorting.
                bound = max(needed, matches)
            }
            let rows = try await termPage(query, text: text, lexeme: lexeme, walking: bound, sql)
            return rows.count > query.limit || bound >= listed ? rows : nil
        case .priceAsc, .priceDesc:
            guard query.text == nil, let category = query.category?.lowercased else { return nil }
            let groups = try await postings.groups(.category(category), sql)
            let matches = groups.count(having: Set(query.attributes.map { Self.pairKey(.init(name: $0.key, value: $0.value)) }))
            // Nothing in the category has these attributes (books have no colour): no page to read.
            if matches == 0 { return [] }
            guard WalkChoice.walk(matches: matches, scopeSize: groups.count(having: []), needed: query.limit + 1) else { return nil }
            return try await categoryPricePage(query, category: category, sql)
        case .newest, .oldest:
            return nil
        }
    }

    /// A one-lexeme search by relevance: exact name matches first (by rank, then id), then the
    /// lexeme's list in (stored rank, id) order without them; the same order as ``sortedPage``'s
    /// (the stored rank is `ts_rank` of the same one-lexeme query).
    ///
    /// With filters (`query`'s category, price range, attributes), each entry of the list is
    /// checked against them, and at most `walking` entries are read: the page is then complete
    /// when it is full or the list shorter, since every entry left ranks lower.
    private func termPage(_ query: SearchQuery, text: String, lexeme: String, walking: Int? = nil, _ sql: any SQLDatabase) async throws -> [any SQLRow] {
        let tsquery: SQLQueryString = "websearch_to_tsquery('english', \(bind: text))"
        let folded = text.lowercased()
        let offset = query.position?.offset ?? 0
        let filters = conditions(query, text: false)
        let list: SQLQueryString
        if let walking {
            // The lateral lookup (kept apart by OFFSET 0) checks each entry by product id.
            list = "(SELECT w.product_id, 1 AS exact, w.rank FROM (SELECT t.product_id, t.rank FROM product_search_terms t WHERE t.lexeme = \(bind: lexeme) "
                + "ORDER BY t.rank DESC, t.product_id LIMIT \(bind: walking)) w CROSS JOIN LATERAL (SELECT 1 FROM product_search s WHERE s.product_id = w.product_id "
                + "AND s.name_folded <> \(bind: folded) AND " + filters + " OFFSET 0) f ORDER BY w.rank DESC, w.product_id LIMIT \(bind: query.limit + 1 + offset))"
        } else {
            list = "(SELECT t.product_id, 1, t.rank FROM product_search_terms t WHERE t.lexeme = \(bind: lexeme) "
                + "AND t.product_id NOT IN (SELECT e.product_id FROM product_search e WHERE e.name_folded = \(bind: folded)) "
                + "ORDER BY t.rank DESC, t.product_id LIMIT \(bind: query.limit + 1 + offset))"
        }
        return try await sql.raw(
            "SELECT s.product_id, s.min_price, s.created_at FROM ((SELECT s.product_id, 0 AS exact, ts_rank(s.search_vector, " + tsquery
                + ") AS rank FROM product_search s WHERE s.name_folded = \(bind: folded) AND s.search_vector @@ " + tsquery + " AND " + filters + ") "
                + "UNION ALL " + list + ") m "
                + "JOIN product_search s ON s.product_id = m.product_id ORDER BY m.exact, m.rank DESC, m.product_id "
                + "LIMIT \(bind: query.limit + 1) OFFSET \(bind: offset)"
        ).all()
    }

    /// A category browsed by price: its price list walked in order (price range and cursor as
    /// index bounds), each document checked against every filter until the page is full.
    private func categoryPricePage(_ query: SearchQuery, category: String, _ sql: any SQLDatabase) async throws -> [any SQLRow] {
        var walk: SQLQueryString = "p.category_id = \(bind: category)"
        if let minPrice = query.minPrice { walk += " AND p.min_price >= \(bind: minPrice)" }
        if let maxPrice = query.maxPrice { walk += " AND p.min_price <= \(bind: maxPrice)" }
        let descending = query.sort == .priceDesc
        if let position = query.position, let key = position.key.flatMap(Int64.init), let id = position.productID {
            walk += " AND (p.min_price, p.product_id) \(unsafeRaw: descending ? "<" : ">") (\(bind: key), \(bind: id))"
        }
        let direction = descending ? " DESC" : ""
        // The lateral subquery (kept apart by OFFSET 0) makes each step one lookup by product id.
        return try await sql.raw(
            "SELECT s.product_id, s.min_price, s.created_at FROM product_search_category_prices p CROSS JOIN LATERAL "
                + "(SELECT s.product_id, s.min_price, s.created_at FROM product_search s WHERE s.product_id = p.product_id AND "
                + conditions(query) + " OFFSET 0) s WHERE " + walk
                + " ORDER BY p.min_price\(unsafeRaw: direction), p.product_id\(unsafeRaw: direction) LIMIT \(bind: query.limit + 1)"
        ).all()
    }

    /// Counts of the products matching `query` (all pages): in total, by direct category, by
    /// attribute value, and their price range.
    /// - Parameter lexeme: PostgreSQL: the lexeme of a one-word `query.text`, if looked up.
    private func facets(_ query: SearchQuery, lexeme: String?, _ sql: any SQLDatabase) async throws -> SearchFacets {
        let from = from(query)
        if database.kind == .postgres {
            if let scope = countedScope(query, lexeme: lexeme) { return try await postings.facets(scope, sql) }
            return try await postgresFacets(from, sql)
        }
        let summary = try await sql.raw("SELECT COUNT(*) AS n, MIN(s.min_price) AS low, MAX(s.min_price) AS high " + from).first()
        let total = try summary?.decode(column: "n", as: Int.self) ?? 0
        var facets = SearchFacets(total: total, categories: [], attributes: [:], price: nil)
        guard total > 0, let summary else { return facets }
        facets.price = .init(min: try summary.decode(column: "low", as: Int64.self), max: try summary.decode(column: "high", as: Int64.self))
        facets.categories = try await sql.raw(
            "SELECT s.category_id, COUNT(*) AS n " + from + " GROUP BY s.category_id ORDER BY n DESC, s.category_id"
        ).all().map { .init(id: try $0.decode(column: "category_id", as: String.self), count: try $0.decode(column: "n", as: Int.self)) }
        for row in try await sql.raw(
            "SELECT a.name, a.value, COUNT(*) AS n FROM product_search_attributes a WHERE a.product_id IN (SELECT s.product_id "
                + from + ") GROUP BY a.name, a.value ORDER BY a.name, n DESC, a.value"
        ).all() {
            facets.attributes[try row.decode(column: "name", as: String.self), default: []].append(
                .init(value: try row.decode(column: "value", as: String.self), count: try row.decode(column: "n", as: Int.self))
            )
        }
        return facets
    }

    /// PostgreSQL: the scope whose kept counts are exactly the facets of `query`, if any: no price
    /// or attribute filter, and either a one-lexeme text or a category or neither.
    private func countedScope(_ query: SearchQuery, lexeme: String?) -> FacetScope? {
        guard query.minPrice == nil, query.maxPrice == nil, query.attributes.isEmpty else { return nil }
        switch (query.text, query.category) {
        case (nil, nil): return .all
        case (nil, let category?): return .category(category.lowercased)
        case (_?, nil): return lexeme.map(FacetScope.term)
        case (_?, _?): return nil
        }
    }

    /// The facets in one statement: the matches are found once (a materialised CTE) and counted
    /// three ways (attribute pairs unnested in the select list, a set-returning projection, which
    /// costs half of a lateral `unnest` joined per row: 10 instead of 23 ms for 18,615 matches).
    private func postgresFacets(_ from: SQLQueryString, _ sql: any SQLDatabase) async throws -> SearchFacets {
        let rows = try await sql.raw(
            "WITH m AS MATERIALIZED (SELECT s.category_id, s.min_price, s.attribute_pairs " + from + ") "
                + "SELECT 'total' AS kind, '' AS key, COUNT(*) AS n, MIN(min_price) AS low, MAX(min_price) AS high FROM m "
                + "UNION ALL SELECT 'category', category_id, COUNT(*), NULL, NULL FROM m GROUP BY category_id "
                + "UNION ALL SELECT 'attribute', pair, COUNT(*), NULL, NULL FROM (SELECT unnest(m.attribute_pairs) AS pair FROM m) AS p GROUP BY pair"
        ).all()
        var facets = SearchFacets(total: 0, categories: [], attributes: [:], price: nil)
        for row in rows {
            let key = try row.decode(column: "key", as: String.self)
            let count = try row.decode(column: "n", as: Int.self)
            switch try row.decode(column: "kind", as: String.self) {
            case "total":
                facets.total = count
                if count > 0 {
                    facets.price = .init(min: try row.decode(column: "low", as: Int64.self), max: try row.decode(column: "high", as: Int64.self))
                }
            case "category":
                facets.categories.append(.init(id: key, count: count))
            default:
                let (name, value) = Self.pair(key)
                facets.attributes[name, default: []].append(.init(value: value, count: count))
            }
        }
        facets.categories.sort { ($0.count, $1.id) > ($1.count, $0.id) }
        for name in facets.attributes.keys {
            facets.attributes[name]?.sort { ($0.count, $1.value) > ($1.count, $0.value) }
        }
        return facets
    }

    /// How many documents the read model holds.
    func count() async throws -> Int {
        try await database.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM product_search").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// `FROM … WHERE …` of the documents matching `query` (text, category, price, attributes),
    /// the documents as `s`; with text on SQLite, joined to the FTS5 table by row id.
    private func from(_ query: SearchQuery) -> SQLQueryString {
        let from: SQLQueryString = database.kind == .sqlite && query.text != nil
            ? "FROM product_search_fts JOIN product_search s ON s.doc_id = product_search_fts.rowid"
            : "FROM product_search s"
        return from + " WHERE " + conditions(query)
    }

    /// The conditions on document `s` (and on SQLite with text, `product_search_fts`) of `query`;
    /// without its text when `text` is false.
    private func conditions(_ query: SearchQuery, text withText: Bool = true) -> SQLQueryString {
        var conditions: [SQLQueryString] = ["1 = 1"]
        if withText, let text = query.text {
            switch database.kind {
            case .postgres:
                conditions.append("s.search_vector @@ websearch_to_tsquery('english', \(bind: text))")
            case .sqlite:
                conditions.append("product_search_fts MATCH \(bind: Self.ftsQuery(text))")
            }
        }
        if let minPrice = query.minPrice { conditions.append("s.min_price >= \(bind: minPrice)") }
        if let maxPrice = query.maxPrice { conditions.append("s.min_price <= \(bind: maxPrice)") }
        let attributes = query.attributes.sorted(by: { $0.key < $1.key })
        switch database.kind {
        case .postgres:
            if let category = query.category { conditions.append("s.category_ids @> \(bind: [category.lowercased])") }
            if !attributes.isEmpty {
                conditions.append("s.attribute_pairs @> \(bind: attributes.map { Self.pairKey(.init(name: $0.key, value: $0.value)) })")
            }
        case .sqlite:
            if let category = query.category {
                conditions.append("EXISTS (SELECT 1 FROM product_search_categories c WHERE c.category_id = \(bind: category.lowercased) AND c.product_id = s.product_id)")
            }
            for (name, value) in attributes {
                conditions.append(
                    "EXISTS (SELECT 1 FROM product_search_attributes a WHERE a.name = \(bind: name) AND a.value = \(bind: value) AND a.product_id = s.product_id)"
                )
            }
        }
        return "(" + conditions.joined(separator: ") AND (") + ")"
    }

    /// Best first: an exact name match, then the engine's text rank.
    private func relevance(_ query: SearchQuery) -> SQLQueryString {
        let text = query.text ?? ""
        let exact: SQLQueryString = "CASE WHEN s.name_folded = \(bind: text.lowercased()) THEN 0 ELSE 1 END"
        switch database.kind {
        case .postgres:
            return exact + ", ts_rank(s.search_vector, websearch_to_tsquery('english', \(bind: text))) DESC"
        case .sqlite:
            // bm25 is lower for better matches; the name column weighs five times the description.
            return exact + ", bm25(product_search_fts, 10.0, 2.0)"
        }
    }

    /// An attribute as one array element (PostgreSQL): name and value joined by the unit
    /// separator, which neither contains in practice.
    static func pairKey(_ pair: SearchDocument.Pair) -> String { pair.name + "\u{1F}" + pair.value }

    static func pair(_ key: String) -> (name: String, value: String) {
        let parts = key.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }

    /// An FTS5 query of the words of `text`, all required, each an FTS5 string (in double quotes,
    /// a quote inside doubled), so no input reaches FTS5 as syntax: `AND`, `NEAR`, `*`, `^`, `-`
    /// and quotes are only ever text.
    static func ftsQuery(_ text: String) -> String {
        SearchQuery.terms(of: text).map(ftsString).joined(separator: " ")
    }

    /// `term` as an FTS5 string: `"` + the term with each `"` doubled + `"`.
    static func ftsString(_ term: String) -> String {
        "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A page of search results and, when asked for, the facets of every match.
struct SearchResults: Sendable {
    /// A product's id, its JSON as the API shows it, and its sort key (for the next cursor).
    typealias Document = (id: String, json: String, sortKey: String?)
    var documents: [Document]
    var hasMore: Bool
    var facets: SearchFacets?
}

/// Facet counts over every match of a query.
struct SearchFacets: Codable, Sendable, Equatable {
    struct CategoryCount: Codable, Sendable, Equatable {
        var id: String
        var count: Int
    }
    struct ValueCount: Codable, Sendable, Equatable {
        var value: String
        var count: Int
    }
    struct PriceRange: Codable, Sendable, Equatable {
        var min: Int64
        var max: Int64
    }
    var total: Int
    var categories: [CategoryCount]
    var attributes: [String: [ValueCount]]
    var price: PriceRange?
}
