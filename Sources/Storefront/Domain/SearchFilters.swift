import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
/// What a search or category page asks the catalog: the page's query parameters, checked and
/// turned into the API's (`/v1/products?…`) and into the links of the page (facets, sort,
/// pagination), which keep every other filter.
struct SearchFilters: Sendable, Equatable {
    var text: String?
    var category: String?
    /// Prices as typed, in major units (`12.50`).
    var minPrice: String?
    var maxPrice: String?
    /// `attr.NAME=VALUE` filters, by name.
    var attributes: [String: String] = [:]
    var sort: String?
    var cursor: String?

    /// The sorts offered, with their labels.
    static let sorts: [(value: String, label: String)] = [
        ("relevance", "Best match"), ("newest", "Newest"), ("price_asc", "Price: low to high"), ("price_desc", "Price: high to low"),
    ]
    /// Products per page.
    static let pageSize = 12

    /// The page's parameters; unknown ones are ignored, bad ones dropped (the catalog would
    /// refuse them; a shopper's typo in a URL shows the unfiltered page instead).
    init(query: [(String, String)]) {
        for (name, value) in query {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 200 else { continue }
            switch name {
            case "q": text = trimmed
            case "category": category = trimmed
            case "min": minPrice = trimmed
            case "max": maxPrice = trimmed
            case "sort" where Self.sorts.contains { $0.value == trimmed }: sort = trimmed
            case "cursor": cursor = trimmed
            default:
                if name.hasPrefix("attr."), name.count > 5, name.count <= 55, attributes.count < 5 { attributes[String(name.dropFirst(5))] = trimmed }
            }
        }
        if sort == "relevance", text == nil { sort = nil }
    }

    init() {}

    /// The sort used: the one asked, else relevance with words, newest without.
    var effectiveSort: String { sort ?? (text == nil ? "newest" : "relevance") }

    /// The catalog's query (`/v1/products?…`) for this page with facets, and the price
    /// fields that could not be read (by form field).
    func apiQuery(currency: String) -> (target: String, invalid: [String: String]) {
        var pairs: [(String, String)] = []
        var invalid: [String: String] = [:]
        if let text { pairs.append(("q", text)) }
        if let category { pairs.append(("category", category)) }
        for (field, value, parameter) in [("min", minPrice, "min_price"), ("max", maxPrice, "max_price")] {
            guard let value else { continue }
            if let minor = PriceFormat.minorUnits(value, currency: currency) {
                pairs.append((parameter, String(minor)))
            } else {
                invalid[field] = "Enter a price such as 12.50."
            }
        }
        for name in attributes.keys.sorted() { pairs.append(("attr." + name, attributes[name]!)) }
        pairs.append(("sort", effectiveSort))
        if let cursor { pairs.append(("cursor", cursor)) }
        pairs.append(("limit", String(Self.pageSize)))
        pairs.append(("facets", "true"))
        return (QueryString.link("/v1/products", pairs), invalid)
    }

    /// This page's own parameters, without the cursor (a changed filter starts at page one).
    var pagePairs: [(String, String)] {
        var pairs: [(String, String)] = []
        if let text { pairs.append(("q", text)) }
        if let category { pairs.append(("category", category)) }
        if let minPrice { pairs.append(("min", minPrice)) }
        if let maxPrice { pairs.append(("max", maxPrice)) }
        for name in attributes.keys.sorted() { pairs.append(("attr." + name, attributes[name]!)) }
        if let sort { pairs.append(("sort", sort)) }
        return pairs
    }

    /// The link to this search with `change` applied, from its first page.
    func link(_ change: (inout SearchFilters) -> Void) -> String {
        var changed = self
        changed.cursor = nil
        change(&changed)
        return QueryString.link("/search", changed.pagePairs)
    }

    /// The link to the page after this one (`nextCursor` of the catalog's answer).
    func nextPageLink(cursor next: String?) -> String? {
        guard let next else { return nil }
        return QueryString.link("/search", pagePairs + [("cursor", next)])
    }

    /// The link to the first page, when this is not it.
    var firstPageLink: String? {
        cursor == nil ? nil : QueryString.link("/search", pagePairs)
    }
}
