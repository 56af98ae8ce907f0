import Catalog
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Storage
import Testing

/// The search read model as a client sees it, checked against a brute-force computation over
/// the write model's tables.
enum CatalogSearchContract {
    /// An active product as the write model holds it.
    struct Row: Sendable {
        var id: String
        var name: String
        var categoryID: String
        var minPrice: Int64
        var createdAt: String
        var attributes: Set<[String]>
    }

    /// Every active product and the category tree, straight from the write model's tables.
    static func writeModel(_ platform: EmporiumPlatform) async throws -> (rows: [Row], parents: [String: String]) {
        try await #require(platform.databases["catalog"]).withConnection { sql in
            var parents: [String: String] = [:]
            for row in try await sql.raw("SELECT id, parent_id FROM categories WHERE parent_id IS NOT NULL").all() {
                parents[try row.decode(column: "id", as: String.self)] = try row.decode(column: "parent_id", as: String.self)
            }
            var rows: [String: Row] = [:]
            for row in try await sql.raw("SELECT id, name, category_id, created_at FROM products WHERE status = 'active'").all() {
                let id = try row.decode(column: "id", as: String.self)
                rows[id] = Row(
                    id: id, name: try row.decode(column: "name", as: String.self), categoryID: try row.decode(column: "category_id", as: String.self),
                    minPrice: .max, createdAt: try row.decode(column: "created_at", as: String.self), attributes: []
                )
            }
            for row in try await sql.raw("SELECT product_id, attributes, price_amount FROM product_variants").all() {
                let id = try row.decode(column: "product_id", as: String.self)
                guard rows[id] != nil else { continue }
                rows[id]!.minPrice = min(rows[id]!.minPrice, try row.decode(column: "price_amount", as: Int64.self))
                let attributes = try JSONText.decode([String: String].self, from: try row.decode(column: "attributes", as: String.self))
                for (name, value) in attributes { rows[id]!.attributes.insert([name, value]) }
            }
            return (Array(rows.values), parents)
        }
    }

    static func inCategory(_ row: Row, _ category: String, _ parents: [String: String]) -> Bool {
        var current: String? = row.categoryID
        while let id = current {
            if id == category { return true }
            current = parents[id]
        }
        return false
    }

    static func root(of category: String, _ parents: [String: String]) -> String {
        var current = category
        while let parent = parents[current] { current = parent }
        return current
    }

    /// Every page of `query` (a query string without limit and cursor), `limit` at a time.
    static func allPages(_ client: any TestClientProtocol, _ query: String, limit: Int = 7) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let uri = "/v1/products?\(query)&limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
            cursor = try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                ids += (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                return response.json["nextCursor"] as? String
            }
            pages += 1
        } while cursor != nil && pages < 200
        return ids
    }

    /// Filters, sorts, pages and facet counts equal a brute-force computation.
    static func filtersAndFacetsMatchBruteForce(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let (rows, parents) = try await writeModel(platform)
            #expect(rows.count >= 200)
            let categories = try await client.execute(uri: "/v1/categories", method: .get) { response in
                (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            let topLevel = try #require(categories.first { parents[$0] == nil })
            let leaf = try #require(categories.first { parents[$0] != nil })
            let prices = rows.map(\.minPrice).sorted()
            // A top-level category holding blue products, for a combined filter.
            let blue = try #require(rows.first { $0.attributes.contains(["colour", "blue"]) })
            let blueTop = root(of: blue.categoryID, parents)
            let (low, high) = (prices[prices.count / 4], prices[prices.count * 3 / 4])

            let cases: [(query: String, keep: @Sendable (Row) -> Bool)] = [
                ("sort=oldest", { _ in true }),
                ("category=\(topLevel)", { inCategory($0, topLevel, parents) }),
                ("category=\(leaf)", { inCategory($0, leaf, parents) }),
                ("min_price=\(low)&max_price=\(high)", { (low...high).contains($0.minPrice) }),
                ("attr.colour=red", { $0.attributes.contains(["colour", "red"]) }),
                ("attr.size=M&min_price=\(low)", { $0.attributes.contains(["size", "M"]) && $0.minPrice >= low }),
                ("category=\(blueTop)&max_price=\(high)&attr.colour=blue", {
                    inCategory($0, blueTop, parents) && $0.minPrice <= high && $0.attributes.contains(["colour", "blue"])
                }),
            ]
            for (query, keep) in cases {
                let expected = rows.filter(keep)
                #expect(!expected.isEmpty, "\(query) matches something")
                let explicitSort = query.contains("sort=")
                #expect(try await allPages(client, query + (explicitSort ? "" : "&sort=oldest")) == expected.map(\.id).sorted(), "\(query) oldest")
                if !explicitSort {
                    let byPrice = expected.sorted { ($0.minPrice, $0.id) < ($1.minPrice, $1.id) }.map(\.id)
                    #expect(try await allPages(client, query + "&sort=price_asc") == byPrice, "\(query) price_asc")
                    #expect(try await allPages(client, query + "&sort=price_desc") == Array(byPrice.reversed()), "\(query) price_desc")
                    let newest = expected.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.map(\.id)
                    #expect(try await allPages(client, query + "&sort=newest") == newest, "\(query) newest")
                }

                // Facets over every match.
                let facetsResponse = try await client.execute(uri: "/v1/products?\(query)&facets=true&limit=1", method: .get) { $0 }
                checkFacets(facetsResponse, expected: expected, query: query)
            }
        }
    }

    /// The facets of `response` equal counts over `expected`.
    static func checkFacets(_ response: TestResponse, expected: [Row], query: String) {
        let facets = response.json["facets"] as? [String: Any]
        #expect(facets?["total"] as? Int == expected.count, "\(query) total")
        var categoryCounts: [String: Int] = [:]
        for row in expected { categoryCounts[row.categoryID, default: 0] += 1 }
        var returnedCategories: [String: Int] = [:]
        for entry in facets?["categories"] as? [[String: Any]] ?? [] {
            returnedCategories[entry["id"] as? String ?? ""] = entry["count"] as? Int
        }
        #expect(returnedCategories == categoryCounts, "\(query) category facet")
        var attributeCounts: [String: Int] = [:]
        for row in expected { for pair in row.attributes { attributeCounts["\(pair[0])=\(pair[1])", default: 0] += 1 } }
        var returnedAttributes: [String: Int] = [:]
        for (name, values) in facets?["attributes"] as? [String: [[String: Any]]] ?? [:] {
            for value in values { returnedAttributes["\(name)=\(value["value"] as? String ?? "")"] = value["count"] as? Int }
        }
        #expect(returnedAttributes == attributeCounts, "\(query) attribute facet")
        let price = facets?["price"] as? [String: Any]
        #expect(price?["min"] as? Int == expected.map(\.minPrice).min().map(Int.init), "\(query) price facet")
        #expect(price?["max"] as? Int == expected.map(\.minPrice).max().map(Int.init), "\(query) price facet")
    }

    /// Writes reach the read model through events: created, renamed, deactivated, deleted; an
    /// exact name match ranks first; a reindex rebuilds the same model.
    static func followsWritesAndRanks(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let category = try await CatalogAPIContract.firstCategory(client)
            func create(_ name: String, sku: String, description: String = "Soft and warm.", status: String = "active") async throws -> String {
                let body = CatalogAPIContract.validProduct(sku: sku, categoryId: category, status: status)
                    .replacingOccurrences(of: "Trail Runner", with: name).replacingOccurrences(of: "A light shoe.", with: description)
                return try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .created)
                    return try #require(response.json["id"] as? String)
                }
            }
            func search(_ query: String) async throws -> [String] {
                try await client.execute(uri: "/v1/products?\(query)", method: .get) { response in
                    #expect(response.status == .ok, "\(query)")
                    return (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                }
            }
            func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
                for _ in 0..<2_400 {
                    if try await check() { return }
                    try await Task.sleep(for: .milliseconds(25))
                }
                Issue.record("timed out waiting for \(what)")
            }

            let deluxe = try await create("Alpaca Blanket Deluxe", sku: "ALPACA-2", description: "An alpaca blanket for alpaca lovers: alpaca wool, alpaca trim.")
            let exact = try await create("Alpaca Blanket", sku: "ALPACA-1")
            let draft = try await create("Alpaca Blanket Draft", sku: "ALPACA-3", status: "draft")
            try await eventually("both searchable") { try await search("q=alpaca").count == 2 }
            #expect(try await search("q=Alpaca%20Blanket").first == exact, "the exact name match ranks first")
            #expect(try await search("q=alpaca%20lovers") == [deluxe], "description words are searched, all words required")
            #expect(!(try await search("q=alpaca").contains(draft)), "drafts are not searchable")
            #expect(try await search("q=blankets").count == 2, "stemming: blankets finds blanket")

            // Renamed: found by the new name only.
            let renamed = try await client.execute(
                uri: "/v1/products/\(deluxe)", method: .patch, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"name": "Vicuna Throw"}"#)
            ) { $0.status }
            #expect(renamed == .ok)
            try await eventually("the new name") { try await search("q=vicuna") == [deluxe] }
            #expect(try await search("q=deluxe").isEmpty)
            // Activated draft appears; deleted product disappears.
            _ = try await client.execute(
                uri: "/v1/products/\(draft)", method: .patch, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"status": "active"}"#)
            ) { $0.status }
            #expect(try await client.execute(uri: "/v1/products/\(exact)", method: .delete, headers: TestPlatform.writerHeaders()) { $0.status } == .noContent)
            // (The renamed product's description still speaks of an alpaca blanket.)
            try await eventually("activation and deletion") { Set(try await search("q=alpaca%20blanket")) == [draft, deluxe] }

            // Reindexing from the write model gives the same documents.
            let snapshot = { @Sendable () async throws -> [String] in
                let database = try #require(platform.databases["catalog"])
                return try await database.withConnection { sql in
                    let documents = try await sql.raw("SELECT s.product_id, s.version, d.document FROM product_search s JOIN product_search_documents d ON d.product_id = s.product_id ORDER BY s.product_id").all().map {
                        "\(try $0.decode(column: "product_id", as: String.self)) \(try $0.decode(column: "version", as: Int64.self)) \(try $0.decode(column: "document", as: String.self))"
                    }
                    if database.kind == .postgres {
                        let arrays = try await sql.raw(
                            "SELECT product_id, category_ids::text AS c, attribute_pairs::text AS a FROM product_search ORDER BY product_id"
                        ).all().map {
                            "\(try $0.decode(column: "product_id", as: String.self)) in \(try $0.decode(column: "c", as: String.self)) =\(try $0.decode(column: "a", as: String.self))"
                        }
                        return documents + arrays + (try await postgresSideTables(sql))
                    }
                    let categories = try await sql.raw("SELECT category_id, product_id FROM product_search_categories ORDER BY product_id, category_id").all().map {
                        "\(try $0.decode(column: "product_id", as: String.self)) in \(try $0.decode(column: "category_id", as: String.self))"
                    }
                    let attributes = try await sql.raw("SELECT name, value, product_id FROM product_search_attributes ORDER BY product_id, name, value").all().map {
                        "\(try $0.decode(column: "product_id", as: String.self)) \(try $0.decode(column: "name", as: String.self))=\(try $0.decode(column: "value", as: String.self))"
                    }
                    return documents + categories + attributes
                }
            }
            let incremental = try await snapshot()
            let catalog = try #require(platform.services.lazy.compactMap { $0 as? CatalogService }.first)
            let indexed = try await catalog.reindexSearch()
            #expect(try await snapshot() == incremental, "reindex equals the incremental model")
            let documents = try await #require(platform.databases["catalog"]).withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM product_search").first()?.decode(column: "n", as: Int.self)
            }
            #expect(indexed == documents, "one document per active product")
            #expect(try await search("q=vicuna") == [deluxe], "text search works after a reindex")

            // A one-word name equal to a one-word search ranks first (a rank tie otherwise, and
            // the older product has the smaller id).
            let vicuna = try await create("Vicuna", sku: "VICUNA-1")
            try await eventually("the one-word name") { try await search("q=vicuna").count == 2 }
            #expect(try await search("q=vicuna") == [vicuna, deluxe], "the exact name match ranks first")
            #expect(try await search("q=VICUNA&limit=1&facets=true").count == 1)
        }
    }

    /// PostgreSQL's side tables of the read model (term and category lists, facet counts), as text.
    static func postgresSideTables(_ sql: any SQLDatabase) async throws -> [String] {
        let terms = try await sql.raw("SELECT lexeme, product_id, min_price, rank FROM product_search_terms ORDER BY lexeme, product_id").all().map {
            "term \(try $0.decode(column: "lexeme", as: String.self)) \(try $0.decode(column: "product_id", as: String.self)) "
                + "\(try $0.decode(column: "min_price", as: Int64.self)) \(try $0.decode(column: "rank", as: Float.self))"
        }
        let prices = try await sql.raw("SELECT category_id, product_id, min_price FROM product_search_category_prices ORDER BY category_id, product_id").all().map {
            "price \(try $0.decode(column: "category_id", as: String.self)) \(try $0.decode(column: "product_id", as: String.self)) \(try $0.decode(column: "min_price", as: Int64.self))"
        }
        let counts = try await sql.raw(
            "SELECT scope, category_id, attribute_pairs::text AS a, n FROM product_search_facet_counts ORDER BY scope, category_id, attribute_pairs"
        ).all().map {
            "count \(try $0.decode(column: "scope", as: String.self)) \(try $0.decode(column: "category_id", as: String.self)) "
                + "\(try $0.decode(column: "a", as: String.self)) \(try $0.decode(column: "n", as: Int.self))"
        }
        #expect(!terms.isEmpty && !prices.isEmpty && !counts.isEmpty)
        return terms + prices + counts
    }

    /// One-word searches (which PostgreSQL answers from the word's own list and kept facet
    /// counts) give the same pages and facets as the same search with a filter that keeps every
    /// product (answered from all matches, sorted and counted); every category browsed by price
    /// with a colour (walked, sorted or known to be empty on PostgreSQL) equals brute force.
    static func oneWordSearchesMatchFilteredOnes(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let (rows, parents) = try await writeModel(platform)
            for category in Set(rows.map(\.categoryID)).union(parents.values).sorted() {
                for colour in ["black", "red"] {
                    let expected = rows.filter { inCategory($0, category, parents) && $0.attributes.contains(["colour", colour]) }
                        .sorted { ($0.minPrice, $0.id) < ($1.minPrice, $1.id) }.map(\.id)
                    let query = "category=\(category)&attr.colour=\(colour)&sort=price_asc"
                    #expect(try await allPages(client, query, limit: 3) == expected, "\(query)")
                    #expect(try await allPages(client, query.replacingOccurrences(of: "asc", with: "desc"), limit: 3) == expected.reversed(), "\(query) desc")
                }
            }
            let names = rows.sorted { $0.id < $1.id }.map(\.name)
            // A brand (first word), a noun (last word), words of descriptions, a stop word.
            var words = Set(names.prefix(5).compactMap { $0.split(separator: " ").first.map(String.init) })
            words.formUnion(names.prefix(5).compactMap { $0.split(separator: " ").last.map(String.init) })
            words.formUnion(["collection", "season", "warranty", "the"])
            for word in words.sorted() {
                let query = "q=\(word.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? word)"
                let pages = try await allPages(client, query)
                #expect(pages == (try await allPages(client, query + "&min_price=0")), "\(query) pages")
                #expect(word == "the" || !pages.isEmpty, "\(query) finds something")
                #expect(try await facets(client, query) == (try await facets(client, query + "&min_price=0")), "\(query) facets")
            }
            // A word within a category (PostgreSQL walks the word's ranked list for these when
            // enough of it lies there, and sorts otherwise), with and without a price range: the
            // word's own order, filtered by brute force.
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
            let categories = Set(rows.map(\.categoryID)).union(parents.values).sorted()
            for word in words.sorted() where word != "the" {
                let query = "q=\(word.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? word)"
                let ranked = try await allPages(client, query + "&min_price=0").compactMap { byID[$0] }
                let prices = ranked.map(\.minPrice).sorted()
                let (low, high) = (prices.first ?? 0, prices.isEmpty ? 0 : prices[prices.count * 2 / 3])
                for category in categories {
                    let inside = ranked.filter { inCategory($0, category, parents) }
                    #expect(try await allPages(client, query + "&category=\(category)", limit: 2) == inside.map(\.id), "\(query) in \(category)")
                    let priced = inside.filter { $0.minPrice >= low && $0.minPrice <= high }
                    #expect(
                        try await allPages(client, query + "&category=\(category)&min_price=\(low)&max_price=\(high)", limit: 2) == priced.map(\.id),
                        "\(query) in \(category) from \(low) to \(high)"
                    )
                }
            }
            for category in Set(rows.map(\.categoryID)).sorted().prefix(3) {
                #expect(try await facets(client, "category=\(category)") == (try await facets(client, "category=\(category)&min_price=0")))
            }
        }
    }

    /// The facets of `query` as JSON text with sorted keys.
    static func facets(_ client: any TestClientProtocol, _ query: String) async throws -> String {
        try await client.execute(uri: "/v1/products?\(query)&facets=true&limit=1", method: .get) { response in
            #expect(response.status == .ok, "\(query)")
            let facets = response.json["facets"] as? [String: Any] ?? [:]
            let data = try JSONSerialization.data(withJSONObject: facets, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Bad parameters are 400s naming the parameter; well-formed ones that contradict each other
    /// or a cursor this server did not issue for this sort are 422s naming it.
    static func rejectsBadSearches(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            let oldestCursor = try await client.execute(uri: "/v1/products?limit=1", method: .get) { $0.json["nextCursor"] as? String }
            for (query, parameter) in [
                ("min_price=-1", "min_price"), ("max_price=ten", "max_price"), ("min_price=500&max_price=100", "max_price"),
                ("category=shoes", "category"), ("sort=cheapest", "sort"), ("sort=relevance", "sort"), ("limit=500", "limit"),
                ("cursor=%21%21", "cursor"), ("cursor=\(oldestCursor ?? "")&sort=price_asc", "cursor"), ("colour=red", "colour"),
                ("q=%20%2B%2B%20", "q"), ("facets=maybe", "facets"), ("attr.=x", "attr."),
            ] {
                let unprocessable = ["min_price=500&max_price=100", "sort=relevance", "cursor=\(oldestCursor ?? "")&sort=price_asc"]
                try await client.execute(uri: "/v1/products?\(query)", method: .get) { response in
                    #expect(response.status == (unprocessable.contains(query) ? .unprocessableContent : .badRequest), "\(query)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let parameters = (response.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["parameter"] as? String }
                    #expect(parameters == [parameter], "\(query): \(parameters)")
                }
            }
        }
    }
}

@Suite("Catalog search on SQLite")
struct CatalogSearchSQLiteTests {
    @Test func filtersAndFacetsMatchBruteForce() async throws { try await CatalogSearchContract.filtersAndFacetsMatchBruteForce(.sqlite) }
    @Test func followsWritesAndRanks() async throws { try await CatalogSearchContract.followsWritesAndRanks(.sqlite) }
    @Test func rejectsBadSearches() async throws { try await CatalogSearchContract.rejectsBadSearches(.sqlite) }
    @Test func oneWordSearchesMatchFilteredOnes() async throws { try await CatalogSearchContract.oneWordSearchesMatchFilteredOnes(.sqlite) }
}

@Suite("Catalog search on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct CatalogSearchPostgresTests {
    @Test func filtersAndFacetsMatchBruteForce() async throws { try await CatalogSearchContract.filtersAndFacetsMatchBruteForce(.postgres) }
    @Test func followsWritesAndRanks() async throws { try await CatalogSearchContract.followsWritesAndRanks(.postgres) }
    @Test func rejectsBadSearches() async throws { try await CatalogSearchContract.rejectsBadSearches(.postgres) }
    @Test func oneWordSearchesMatchFilteredOnes() async throws { try await CatalogSearchContract.oneWordSearchesMatchFilteredOnes(.postgres) }
}
