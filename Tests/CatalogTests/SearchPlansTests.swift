@testable import Catalog
import EmporiumTestSupport
import Foundation
import Logging
import Messaging
import SQLKit
import Storage
import Testing

/// PostgreSQL reads a page of a word within a category by walking the word's ranked list
/// (bounded, and sorting all matches when the walk is cut short) or by sorting every match: on
/// the same catalog, every way gives the same pages.
@Suite(.enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct SearchPlansTests {
    @Test("a word within a category (and a price range): walked pages, however bounded, equal sorted pages")
    func walkedWordPagesEqualSortedPages() async throws {
        try await TestDatabases.withDatabase(.postgres) { database throws in
            var logger = Logger(label: "search-plans")
            logger.logLevel = .warning
            try await Migrator(database: database, service: MessagingSchema.history(of: "catalog"), logger: logger).migrate(MessagingSchema.migrations)
            try await Migrator(database: database, service: "catalog", logger: logger).migrate(CatalogMigrations.all)
            let catalog = DemoCatalog(productCount: 1_500)
            try await CatalogSeeder(store: CatalogStore(database: database, outbox: .init(service: "catalog")), logger: logger)
                .seedIfEmpty(productCount: 1_500)

            var sorted = ProductSearchStore(database: database)
            sorted.planning = .sortAll
            let plans: [ProductSearchStore.Planning] = [.byCost, .walkWordLists(bound: 3), .walkWordLists(bound: 40), .walkWordLists(bound: 100_000)]
            // A noun of names, words of descriptions (in every category).
            let words = ["boot", "lamp", "season", "warranty"]
            let categories = catalog.categories.map(\.id)
            var compared = 0
            var nonEmpty = 0
            for word in words {
                for category in categories {
                    for (low, high) in [(nil, nil), (Int64(2_000), Int64(9_000))] as [(Int64?, Int64?)] {
                        for offset in [0, 4] {
                            let query = SearchQuery(
                                text: word, category: category, minPrice: low, maxPrice: high, limit: 4,
                                position: offset == 0 ? nil : SearchPosition(sort: .relevance, offset: offset)
                            )
                            let reference = try await sorted.search(query)
                            let expected = reference.documents.map(\.id)
                            if !expected.isEmpty { nonEmpty += 1 }
                            for plan in plans {
                                var store = ProductSearchStore(database: database)
                                store.planning = plan
                                let results = try await store.search(query)
                                #expect(results.documents.map(\.id) == expected && results.hasMore == reference.hasMore, "\(word) in \(category) \(low.map(String.init) ?? "-")-\(high.map(String.init) ?? "-") from \(offset), \(plan)")
                                compared += 1
                            }
                        }
                    }
                }
            }
            #expect(compared > 1_000 && nonEmpty > 50, "\(compared) pages compared, \(nonEmpty) not empty")

            // Migration 4 re-ranks a read model ranked the old way to exactly what writing
            // documents stores now.
            let ranks = { () async throws -> [String] in
                try await database.withConnection { sql in
                    try await sql.raw("SELECT lexeme, product_id, rank FROM product_search_terms ORDER BY lexeme, product_id").all().map {
                        "\(try $0.decode(column: "lexeme", as: String.self)) \(try $0.decode(column: "product_id", as: String.self)) \(try $0.decode(column: "rank", as: Float.self))"
                    }
                }
            }
            let written = try await ranks()
            let reRank = try #require(CatalogMigrations.all.first { $0.version == 4 })
            try await database.withConnection { sql in
                try await sql.raw("UPDATE product_search_terms SET rank = 0").run()
                try await reRank.apply(sql, .postgres)
            }
            #expect(try await ranks() == written)
        }
    }
}
