/// A set of documents whose facet counts the read model keeps (PostgreSQL): every document, the
/// documents in a category (or below it), or the documents containing a text-search lexeme.
enum FacetScope: Sendable, Equatable {
    case all
    case category(String)
    case term(String)

    /// The scope's key in `product_search_facet_counts`.
    var key: String {
        switch self {
        case .all: ""
        case .category(let id): "category:" + id
        case .term(let lexeme): "term:" + lexeme
        }
    }
}

/// How many documents of a scope have one direct category and one exact set of attribute pairs
/// (as `ProductSearchStore.pairKey` joins them). A scope's groups add up to its documents.
struct FacetGroup: Sendable, Equatable {
    var categoryID: String
    var pairs: [String]
    var count: Int
}

extension [FacetGroup] {
    /// How many of the documents have every one of `pairs` (all of them when `pairs` is empty).
    func count(having pairs: Set<String>) -> Int {
        reduce(0) { total, group in pairs.isSubset(of: group.pairs) ? total + group.count : total }
    }
}

extension SearchFacets {
    /// The facets of every document in `groups`, with their price range (nil when there are none).
    init(groups: [FacetGroup], price: PriceRange?) {
        var categories: [String: Int] = [:]
        var attributes: [String: [String: Int]] = [:]
        var total = 0
        for group in groups where group.count > 0 {
            total += group.count
            categories[group.categoryID, default: 0] += group.count
            for key in group.pairs {
                let (name, value) = ProductSearchStore.pair(key)
                attributes[name, default: [:]][value, default: 0] += group.count
            }
        }
        self.init(
            total: total,
            categories: categories.map { CategoryCount(id: $0.key, count: $0.value) }.sorted { ($0.count, $1.id) > ($1.count, $0.id) },
            attributes: attributes.mapValues { values in
                values.map { ValueCount(value: $0.key, count: $0.value) }.sorted { ($0.count, $1.value) > ($1.count, $0.value) }
            },
            price: total > 0 ? price : nil
        )
    }
}

/// Whether to read a sorted page by walking a price- or rank-ordered list of a scope (checking
/// the other filters on each row) rather than collecting every match from the GIN bitmaps and
/// sorting them.
enum WalkChoice {
    /// Walking reads about `needed × scopeSize / matches` entries, each an index entry and a
    /// lookup of the document (about twice the cost of a bitmap match); the bitmap reads all
    /// `matches` documents. Walk when that is cheaper.
    /// - Parameters:
    ///   - matches: The documents of the scope that pass the filters (exactly, from the facet counts).
    ///   - scopeSize: The documents of the scope.
    ///   - needed: Rows the page reads (limit + 1, plus the offset).
    static func walk(matches: Int, scopeSize: Int, needed: Int) -> Bool {
        guard matches > 0, scopeSize > 0 else { return false }
        return matches * matches >= 2 * needed * scopeSize
    }
}
