import EmporiumKit
import Foundation

/// How search results are ordered.
public enum SearchSort: String, Sendable, CaseIterable {
    /// Best text match first (an exact name match before all others); needs `q`.
    case relevance
    /// Newest product first.
    case newest
    /// Oldest product first (by id, which is time-ordered): the default without `q`.
    case oldest
    /// Lowest price first (a product's price is its cheapest variant's).
    case priceAsc = "price_asc"
    /// Highest price first.
    case priceDesc = "price_desc"
}

/// A validated `GET /v1/products` query: text, filters, sort, page, facets.
public struct SearchQuery: Sendable, Equatable {
    /// The words to find (name and description), or nil to list.
    public var text: String?
    /// Products in this category or any of its descendants.
    public var category: UUID?
    /// Inclusive bounds on the product's price (its cheapest variant), in minor units.
    public var minPrice: Int64?
    public var maxPrice: Int64?
    /// Variant attributes that must match (`attr.colour=red`): some variant has each.
    public var attributes: [String: String]
    public var sort: SearchSort
    public var limit: Int
    /// Where the page starts (decoded from `cursor`).
    public var position: SearchPosition?
    /// Whether to count matches by category, attribute and price.
    public var facets: Bool

    public static let maximumAttributeFilters = 10

    public init(
        text: String? = nil, category: UUID? = nil, minPrice: Int64? = nil, maxPrice: Int64? = nil,
        attributes: [String: String] = [:], sort: SearchSort? = nil, limit: Int = PageRequest.defaultLimit,
        position: SearchPosition? = nil, facets: Bool = false
    ) {
        self.text = text
        self.category = category
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.attributes = attributes
        self.sort = sort ?? (text == nil ? .oldest : .relevance)
        self.limit = limit
        self.position = position
        self.facets = facets
    }

    /// Reads the query parameters; every bad one is named in one 400.
    public init(parameters: [(key: String, value: String)]) throws(ProblemDetails) {
        var errors: [ProblemDetails.FieldError] = []
        func fail(_ parameter: String, _ detail: String) { errors.append(.init(parameter: parameter, detail: detail)) }
        // Well-formed but contradictory or unknown to this server: 422 (when nothing else is wrong).
        var unprocessable: [ProblemDetails.FieldError] = []
        func refuse(_ parameter: String, _ detail: String) { unprocessable.append(.init(parameter: parameter, detail: detail)) }
        var values: [String: String] = [:]
        var attributes: [String: String] = [:]
        let known: Set<String> = ["q", "category", "min_price", "max_price", "sort", "cursor", "limit", "facets"]
        for (key, value) in parameters {
            if key.hasPrefix("attr.") {
                let name = String(key.dropFirst(5))
                if name.isEmpty || name.count > 50 || value.isEmpty || value.count > 100 {
                    fail(key, "must be attr.NAME=VALUE with a name of 1-50 and a value of 1-100 characters")
                } else {
                    attributes[name] = value
                }
            } else if known.contains(key) {
                if values[key] != nil { fail(key, "is given more than once") }
                values[key] = value
            } else {
                fail(key, "is not a parameter of this route (q, category, min_price, max_price, attr.NAME, sort, cursor, limit, facets)")
            }
        }
        if attributes.count > Self.maximumAttributeFilters { fail("attr", "at most \(Self.maximumAttributeFilters) attribute filters") }

        var text: String?
        if let raw = values["q"] {
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.count > 200 { fail("q", "must have at most 200 characters") }
            else if SearchQuery.terms(of: trimmed).isEmpty { fail("q", "must contain a letter or digit") }
            else { text = trimmed }
        }
        var category: UUID?
        if let raw = values["category"] {
            if let id = UUID(uuidString: raw) { category = id } else { fail("category", "must be a category id (UUID)") }
        }
        func price(_ key: String) -> Int64? {
            guard let raw = values[key] else { return nil }
            guard let value = Int64(raw), value >= 0 else {
                fail(key, "must be a non-negative integer amount in minor units (1999 for 19.99)")
                return nil
            }
            return value
        }
        let minPrice = price("min_price"), maxPrice = price("max_price")
        if let minPrice, let maxPrice, minPrice > maxPrice { refuse("max_price", "must not be below min_price") }
        var sort: SearchSort?
        if let raw = values["sort"] {
            if let value = SearchSort(rawValue: raw) { sort = value } else {
                fail("sort", "must be one of \(SearchSort.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if sort == .relevance && text == nil && values["q"] == nil { refuse("sort", "relevance needs q") }
        var limit = PageRequest.defaultLimit
        if let raw = values["limit"] {
            if let value = Int(raw), (1...PageRequest.maximumLimit).contains(value) { limit = value } else {
                fail("limit", "must be an integer from 1 to \(PageRequest.maximumLimit)")
            }
        }
        var facets = false
        if let raw = values["facets"] {
            switch raw {
            case "true", "1": facets = true
            case "false", "0": facets = false
            default: fail("facets", "must be true or false")
            }
        }
        self.init(text: text, category: category, minPrice: minPrice, maxPrice: maxPrice, attributes: attributes, sort: sort, limit: limit, facets: facets)
        if let raw = values["cursor"] {
            if let problem = Cursor.malformed(raw) {
                errors.append(problem)
            } else if let position = SearchPosition(cursor: raw), position.sort == self.sort {
                self.position = position
            } else {
                refuse("cursor", "is not a cursor returned by this API for this sort")
            }
        }
        try ProblemDetails.throwIfAny(invalid: errors, unprocessable: unprocessable)
    }

    /// The words of a text query: runs of letters and digits (with the combining marks that follow
    /// them), lower-cased, at most 16.
    ///
    /// It walks Unicode scalars, not `Character`s: a grapheme cluster can join a letter to a
    /// quote or an operator (U+0D4E, a prepended letter, followed by `"` is one `Character`),
    /// which must never end up inside a word.
    public static func terms(of text: String) -> [String] {
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            let properties = scalar.properties
            switch properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .decimalNumber, .letterNumber, .otherNumber:
                current.append(scalar)
            case .nonspacingMark, .spacingMark, .enclosingMark:
                if !current.isEmpty { current.append(scalar) }  // a mark with no letter before it is left out
            default:
                if !current.isEmpty {
                    terms.append(String(current))
                    current = String.UnicodeScalarView()
                }
            }
            if terms.count == 16 { break }
        }
        if !current.isEmpty, terms.count < 16 { terms.append(String(current)) }
        return terms
    }
}

/// Where a page of search results starts: after a sort key and product id (keyset), or at an
/// offset (relevance, whose scores are not stable keys).
public struct SearchPosition: Sendable, Equatable {
    public var sort: SearchSort
    /// The sort value of the last item shown (a price, a time); nil for `oldest`.
    public var key: String?
    /// The id of the last item shown.
    public var productID: String?
    /// Items already shown (relevance only).
    public var offset: Int?

    public init(sort: SearchSort, key: String? = nil, productID: String? = nil, offset: Int? = nil) {
        self.sort = sort
        self.key = key
        self.productID = productID
        self.offset = offset
    }

    /// The opaque cursor of this position.
    public var cursor: String {
        Cursor.encode(["s", sort.rawValue, key ?? "", productID ?? "", offset.map(String.init) ?? ""].joined(separator: "|"))
    }

    /// Decodes a cursor made by ``cursor``; nil for anything else.
    public init?(cursor: String) {
        guard let text = Cursor.decode(cursor) else { return nil }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "s", let sort = SearchSort(rawValue: parts[1]) else { return nil }
        self.sort = sort
        key = parts[2].isEmpty ? nil : parts[2]
        productID = parts[3].isEmpty ? nil : parts[3]
        offset = parts[4].isEmpty ? nil : Int(parts[4])
        switch sort {
        case .relevance:
            guard let offset, offset > 0, offset <= 10_000 else { return nil }
        case .oldest:
            guard productID.flatMap(UUID.init(uuidString:)) != nil else { return nil }
        case .newest:
            guard productID.flatMap(UUID.init(uuidString:)) != nil, key != nil else { return nil }
        case .priceAsc, .priceDesc:
            guard productID.flatMap(UUID.init(uuidString:)) != nil, key.flatMap(Int64.init) != nil else { return nil }
        }
    }
}
