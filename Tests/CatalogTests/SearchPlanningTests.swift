@testable import Catalog
import Testing

/// The pure parts of PostgreSQL's search side tables: facets added up from kept counts, when a
/// walk pays, and lexemes read back from a query's text.
@Suite struct SearchPlanningTests {
    let groups = [
        FacetGroup(categoryID: "lamps", pairs: ["colour\u{1F}black", "colour\u{1F}red"], count: 3),
        FacetGroup(categoryID: "lamps", pairs: ["colour\u{1F}black"], count: 5),
        FacetGroup(categoryID: "vases", pairs: ["colour\u{1F}red"], count: 2),
        FacetGroup(categoryID: "books", pairs: [], count: 4),
    ]

    @Test func facetsAddUpTheGroups() {
        let facets = SearchFacets(groups: groups, price: .init(min: 100, max: 900))
        #expect(facets.total == 14)
        #expect(facets.categories == [.init(id: "lamps", count: 8), .init(id: "books", count: 4), .init(id: "vases", count: 2)])
        #expect(facets.attributes == ["colour": [.init(value: "black", count: 8), .init(value: "red", count: 5)]])
        #expect(facets.price == .init(min: 100, max: 900))
        #expect(SearchFacets(groups: [], price: .init(min: 1, max: 2)) == SearchFacets(total: 0, categories: [], attributes: [:], price: nil))
    }

    @Test func countsDocumentsHavingEveryPair() {
        #expect(groups.count(having: []) == 14)
        #expect(groups.count(having: ["colour\u{1F}red"]) == 5)
        #expect(groups.count(having: ["colour\u{1F}red", "colour\u{1F}black"]) == 3)
        #expect(groups.count(having: ["colour\u{1F}blue"]) == 0)
    }

    @Test func walksWhenEnoughOfTheScopeMatches() {
        // 21 rows from a category of 13,334: worth walking when about 750 or more match.
        #expect(WalkChoice.walk(matches: 13_334, scopeSize: 13_334, needed: 21))
        #expect(WalkChoice.walk(matches: 3_344, scopeSize: 13_334, needed: 21))
        #expect(!WalkChoice.walk(matches: 700, scopeSize: 13_334, needed: 21))
        #expect(!WalkChoice.walk(matches: 0, scopeSize: 13_334, needed: 21))
        #expect(!WalkChoice.walk(matches: 0, scopeSize: 0, needed: 21))
    }

    @Test func readsTheLexemeOfAOneLexemeQuery() {
        #expect(SearchPostings.lexeme(inQueryText: "'collect'") == "collect")
        #expect(SearchPostings.lexeme(inQueryText: #"'it''s a\\b'"#) == #"it's a\b"#)
        #expect(SearchPostings.lexeme(inQueryText: "'lamp':*") == nil)
        #expect(SearchPostings.lexeme(inQueryText: "'lamp':A") == nil)
        #expect(SearchPostings.lexeme(inQueryText: "'t-shirt' <-> 'shirt'") == nil)
        #expect(SearchPostings.lexeme(inQueryText: "'a'b'") == nil)
        #expect(SearchPostings.lexeme(inQueryText: "''") == nil)
    }

    @Test func scopesHaveDistinctKeys() {
        #expect(FacetScope.all.key == "")
        #expect(FacetScope.category("c1").key == "category:c1")
        #expect(FacetScope.term("lamp").key == "term:lamp")
    }
}
