import EmporiumCore
import Catalog
import EmporiumKit
import Foundation
import Testing

@Suite struct ProductRulesTests {
    func input(
        name: String = "Mug", categoryId: String = "0190b2f0-0000-7000-8000-000000000001", status: String? = nil,
        imageUrls: [String]? = nil, variants: [NewProduct.NewVariant]? = nil
    ) -> NewProduct {
        NewProduct(
            name: name, description: nil, categoryId: categoryId, status: status, imageUrls: imageUrls,
            variants: variants ?? [variant()]
        )
    }

    func variant(sku: String = "MUG-1", amount: Int64 = 1200, currency: String = "USD") -> NewProduct.NewVariant {
        try! JSONDecoder().decode(
            NewProduct.NewVariant.self,
            from: Data(#"{"sku": "\#(sku)", "price": {"amount": \#(amount), "currency": "\#(currency)"}}"#.utf8)
        )
    }

    func fields(_ input: NewProduct) -> [String] {
        do {
            _ = try ProductRules.validate(input)
            return []
        } catch {
            return error.errors?.compactMap(\.field) ?? []
        }
    }

    @Test func validProductDefaultsToDraft() throws {
        let product = try ProductRules.validate(input(name: "  Mug  "))
        #expect(product.name == "Mug")
        #expect(product.status == .draft)
        #expect(product.variants.first?.attributes == [:])
    }

    @Test func everyViolationIsNamed() {
        #expect(fields(input(name: "")) == ["name"])
        #expect(fields(input(name: String(repeating: "x", count: 201))) == ["name"])
        #expect(fields(input(categoryId: "nope")) == ["categoryId"])
        #expect(fields(input(status: "live")) == ["status"])
        #expect(fields(input(imageUrls: ["ftp://x/y.jpg", "https://ok.example/a.jpg"])) == ["imageUrls[0]"])
        #expect(fields(input(variants: [])) == ["variants"])
        #expect(fields(input(variants: [variant(amount: -1)])) == ["variants[0].price.amount"])
        #expect(fields(input(variants: [variant(currency: "usd")])) == ["variants[0].price.currency"])
        #expect(fields(input(variants: [variant(currency: "ABC")])) == ["variants[0].price.currency"])
        #expect(fields(input(variants: [variant(sku: "mug 1")])) == ["variants[0].sku"])
        #expect(fields(input(variants: [variant(), variant()])) == ["variants[1].sku"])
        #expect(fields(input(name: "", variants: [variant(amount: -1)])) == ["name", "variants[0].price.amount"])
    }
}

@Suite struct DemoCatalogTests {
    @Test func isDeterministicAndRealistic() {
        let a = DemoCatalog(), b = DemoCatalog()
        #expect(a.categories == b.categories)
        #expect(a.products(0..<240) == b.products(0..<240))
        let products = a.products(0..<240)
        let leafCategories = Set(products.map(\.categoryId))
        #expect(leafCategories.count >= 8)
        #expect(Set(products.map(\.id)).count == 240)
        let skus = products.flatMap { $0.variants.map(\.sku) }
        #expect(Set(skus).count == skus.count, "SKUs are unique")
        #expect(products.map(\.id.lowercased) == products.map(\.id.lowercased).sorted(), "ids follow creation order")
        for product in products {
            #expect(!product.variants.isEmpty)
            #expect(product.variants.allSatisfy { $0.price.amount > 0 && $0.price.currency == "USD" })
            #expect(throws: Never.self) {
                try ProductRules.validate(NewProduct(
                    name: product.name, description: product.description, categoryId: product.categoryId.lowercased,
                    status: product.status.rawValue, imageUrls: product.imageUrls, variants: []
                ).withVariants(product.variants))
            }
        }
    }
}

extension NewProduct {
    func withVariants(_ variants: [Variant]) throws -> NewProduct {
        var copy = self
        let json = try JSONEncoder().encode(variants)
        copy.variants = try JSONDecoder().decode([NewProduct.NewVariant].self, from: json)
        return copy
    }
}
