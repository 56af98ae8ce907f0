@testable import Catalog
import Testing

/// The words of search text, and the FTS5 query made of them.
@Suite("Search terms and the FTS5 query")
struct SearchTermsTests {
    /// U+0D4E is a prepended letter: with the quote after it, one `Character`. The quote must
    /// not become part of the word.
    @Test func aPrependedLetterDoesNotSwallowAQuote() {
        #expect(SearchQuery.terms(of: "\u{0D4E}\"") == ["\u{0D4E}"])
        #expect(ProductSearchStore.ftsQuery("\u{0D4E}\"") == "\"\u{0D4E}\"")
        #expect(SearchQuery.terms(of: "Lamp\u{0D4E}\"shade") == ["lamp\u{0D4E}", "shade"])
    }

    @Test func marksStayWithTheirLetters() {
        #expect(SearchQuery.terms(of: "cafe\u{301} \u{301}x") == ["cafe\u{301}", "x"])
        #expect(SearchQuery.terms(of: "NEAR(a b) AND c* -d ^e") == ["near", "a", "b", "and", "c", "d", "e"])
        #expect(SearchQuery.terms(of: String(repeating: "w ", count: 40)).count == 16)
    }

    @Test func aQuoteInsideATermIsDoubled() {
        #expect(ProductSearchStore.ftsString("a\"b") == "\"a\"\"b\"")
    }

    /// Over random text, the query is always FTS5 strings separated by spaces: each opens with
    /// a quote and ends at the first quote not doubled.
    @Test func theQueryIsAlwaysQuotedStrings() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["\"", "'", "*", "-", "^", "(", ")", ":", "NEAR", "AND", "OR", "NOT", " ", "\u{0D4E}", "\u{301}", "😀", "a", "Z", "9", "\u{1}", "\u{200D}"]
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...12, using: &random) { text += pieces.randomElement(using: &random)! }
            let query = ProductSearchStore.ftsQuery(text)
            #expect(Self.isQuotedStrings(query), "\(text.debugDescription) → \(query.debugDescription)")
            #expect(query.isEmpty == SearchQuery.terms(of: text).isEmpty)
        }
    }

    static func isQuotedStrings(_ query: String) -> Bool {
        var scalars = Array(query.unicodeScalars)[...]
        while !scalars.isEmpty {
            guard scalars.popFirst() == "\"" else { return false }
            var closed = false
            while let scalar = scalars.popFirst() {
                if scalar == "\"" {
                    if scalars.first == "\"" { scalars.removeFirst() } else { closed = true; break }
                }
            }
            guard closed else { return false }
            if !scalars.isEmpty, scalars.popFirst() != " " { return false }
        }
        return true
    }
}
