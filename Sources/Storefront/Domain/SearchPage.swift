import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
/// The view of a search or category page from the catalog's answer.
enum SearchPage {
    static func view(
        filters: SearchFilters, page: APITypes.ProductPage, categoryNames: [String: String], invalid: [String: String], formError: String?
    ) -> PageViews.Search {
        let categoryName = filters.category.flatMap { categoryNames[$0] }
        let heading = if let text = filters.text { "Results for “\(text)”" } else if let categoryName { categoryName } else { "All products" }
        let facets = page.facets
        let categoryFacets = (facets?.categories ?? []).compactMap { count -> PageViews.Link? in
            guard let name = categoryNames[count.id] else { return nil }
            return PageViews.Link(
                label: name, href: filters.link { $0.category = count.id }, count: count.count, current: filters.category == count.id)
        }
        let attributeFacets = (facets?.attributes ?? [:]).keys.sorted().map { name in
            PageViews.FacetGroup(
                name: name,
                values: (facets?.attributes[name] ?? []).map { value in
                    PageViews.Link(
                        label: value.value, href: filters.link { $0.attributes[name] = value.value }, count: value.count,
                        current: filters.attributes[name] == value.value)
                })
        }
        var applied: [PageViews.AppliedFilter] = []
        if let text = filters.text { applied.append(.init(label: "“\(text)”", removeHref: filters.link { $0.text = nil; $0.sort = nil })) }
        if let categoryName { applied.append(.init(label: categoryName, removeHref: filters.link { $0.category = nil })) }
        if let min = filters.minPrice { applied.append(.init(label: "from \(min)", removeHref: filters.link { $0.minPrice = nil })) }
        if let max = filters.maxPrice { applied.append(.init(label: "up to \(max)", removeHref: filters.link { $0.maxPrice = nil })) }
        for name in filters.attributes.keys.sorted() {
            applied.append(.init(label: "\(name): \(filters.attributes[name]!)", removeHref: filters.link { $0.attributes[name] = nil }))
        }
        let sort = filters.effectiveSort
        let sorts = SearchFilters.sorts.filter { $0.value != "relevance" || filters.text != nil }.map {
            PageViews.SortOption(value: $0.value, label: $0.label, selected: $0.value == sort)
        }
        var view = PageViews.Search(
            heading: heading, text: filters.text, category: filters.category, minPrice: filters.minPrice, maxPrice: filters.maxPrice,
            minError: invalid["min"], maxError: invalid["max"], sorts: sorts,
            attributes: filters.attributes.keys.sorted().map { PageViews.HiddenField(name: "attr." + $0, value: filters.attributes[$0]!) },
            total: facets?.total, products: page.items.map(PageViews.ProductCard.init), empty: page.items.isEmpty,
            categoryFacets: categoryFacets, attributeFacets: attributeFacets, applied: applied,
            nextPage: filters.nextPageLink(cursor: page.nextCursor), firstPage: filters.firstPageLink, formError: formError)
        view.hasApplied = !applied.isEmpty
        view.hasCategoryFacets = !categoryFacets.isEmpty
        return view
    }
}

/// The view of a product page.
enum ProductPage {
    static func view(
        _ product: APITypes.Product, stock: [String: Int], chosen: String?, category: PageViews.Link?, together: [APITypes.Recommendation]
    ) -> PageViews.Product {
        let inStock = product.variants.filter { (stock[$0.sku] ?? 0) > 0 }
        let checked = product.variants.first { $0.sku == chosen }?.sku ?? inStock.first?.sku ?? product.variants.first?.sku
        let variants = product.variants.enumerated().map { index, variant in
            let available = stock[variant.sku]
            let label = PageViews.attributes(variant.attributes)
            return PageViews.VariantOption(
                sku: variant.sku, label: label.isEmpty ? variant.sku : label, price: PriceFormat.format(variant.price),
                availability: available.map { $0 > 0 ? ($0 < 5 ? "Only \($0) left" : "In stock") : "Out of stock" } ?? "Availability unknown",
                inStock: (available ?? 1) > 0, checked: variant.sku == checked, inputID: "variant-\(index)")
        }
        let prices = product.variants.map(\.price)
        let low = prices.min { $0.amount < $1.amount }
        let high = prices.max { $0.amount < $1.amount }
        let price = if let low, let high, low != high { "\(PriceFormat.format(low)) – \(PriceFormat.format(high))" } else { low.map(PriceFormat.format) ?? "" }
        return PageViews.Product(
            id: product.id, name: product.name, description: product.description, image: "/assets/placeholder/\(product.id).svg",
            category: category, price: price, variants: variants, canBuy: variants.contains { $0.inStock },
            boughtTogether: together.map { PageViews.ProductCard(id: $0.id, name: $0.name, price: nil) }, formError: nil,
            hasBoughtTogether: !together.isEmpty)
    }
}
