import EmporiumCore
import EmporiumKit
import Foundation

/// A deterministic, realistic demo catalog: a category tree and `productCount` active products
/// with variants, the same for a given count on every run.
public struct DemoCatalog: Sendable {
    public let categories: [Category]
    public let productCount: Int
    private let leaves: [Leaf]

    /// The count `emporium serve` seeds on first start.
    public static let defaultProductCount = 240

    /// A leaf category and how its products are named and varied.
    struct Leaf: Sendable {
        var category: Category
        var nouns: [String]
        var axis: (name: String, values: [String])
        var priceRange: ClosedRange<Int64>
    }

    public init(productCount: Int = DemoCatalog.defaultProductCount) {
        var generator = SeededGenerator(seed: 0xE3_9071_0001)
        var categories: [Category] = []
        var leaves: [Leaf] = []
        func category(_ slug: String, _ name: String, parent: Category?) -> Category {
            let category = Category(
                id: .v7(milliseconds: Self.epochMilliseconds + UInt64(categories.count), using: &generator),
                slug: slug, name: name, parentId: parent?.id
            )
            categories.append(category)
            return category
        }
        for department in Self.departments {
            let top = category(department.slug, department.name, parent: nil)
            for sub in department.children {
                leaves.append(
                    Leaf(
                        category: category(sub.slug, sub.name, parent: top),
                        nouns: sub.nouns, axis: sub.axis, priceRange: sub.prices
                    )
                )
            }
        }
        self.categories = categories
        self.leaves = leaves
        self.productCount = productCount
    }

    /// Products `range` of the catalog (generated on demand, so large catalogs stream in batches).
    public func products(_ range: Range<Int>) -> [Product] {
        range.map(product(at:))
    }

    /// Product number `index`: its content depends only on `index`.
    public func product(at index: Int) -> Product {
        var generator = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(index))
        let leaf = leaves[index % leaves.count]
        let adjective = Self.adjectives.randomElement(using: &generator)!
        let material = Self.materials.randomElement(using: &generator)!
        let noun = leaf.nouns.randomElement(using: &generator)!
        let brand = Self.brands.randomElement(using: &generator)!
        let name = "\(brand) \(adjective) \(material) \(noun)"
        let base = Int64.random(in: leaf.priceRange, using: &generator) / 100 * 100 - 1
        let variantCount = Int.random(in: 1...min(4, leaf.axis.values.count), using: &generator)
        let code = "\(leaf.category.slug.prefix(3).uppercased())-\(String(format: "%06d", index + 1))"
        let variants = leaf.axis.values.prefix(variantCount).enumerated().map { position, value in
            Variant(
                sku: "\(code)-\(value.uppercased().filter { $0.isLetter || $0.isNumber })",
                attributes: [leaf.axis.name: value],
                price: Money(amount: max(99, base + Int64(position) * 500), currency: "USD")
            )
        }
        let created = Date(timeIntervalSince1970: Double(Self.epochMilliseconds) / 1000 + Double(index) * 60)
        return Product(
            id: .v7(milliseconds: Self.epochMilliseconds + 1_000 + UInt64(index) * 60_000, using: &generator),
            name: name,
            description: "\(adjective) \(noun.lowercased()) in \(material.lowercased()) by \(brand). \(Self.blurbs.randomElement(using: &generator)!)",
            categoryId: leaf.category.id,
            status: .active,
            imageUrls: ["https://images.emporium.dev/products/\(code.lowercased()).jpg"],
            variants: variants,
            createdAt: created,
            updatedAt: created
        )
    }

    /// 2026-01-01T00:00:00Z, the demo catalog's creation time.
    static let epochMilliseconds: UInt64 = 1_767_225_600_000

    struct Department {
        var slug: String
        var name: String
        var children: [Sub]
    }

    struct Sub {
        var slug: String
        var name: String
        var nouns: [String]
        var axis: (name: String, values: [String])
        var prices: ClosedRange<Int64>
    }

    static let sizes = (name: "size", values: ["S", "M", "L", "XL"])
    static let shoeSizes = (name: "size", values: ["39", "40", "41", "42", "43", "44"])
    static let colours = (name: "colour", values: ["black", "white", "blue", "red"])

    static let departments: [Department] = [
        Department(slug: "clothing", name: "Clothing", children: [
            Sub(slug: "tops", name: "Tops", nouns: ["T-Shirt", "Shirt", "Sweater", "Hoodie", "Polo"], axis: sizes, prices: 1_500...8_000),
            Sub(slug: "outerwear", name: "Outerwear", nouns: ["Jacket", "Coat", "Parka", "Vest"], axis: sizes, prices: 6_000...30_000),
        ]),
        Department(slug: "footwear", name: "Footwear", children: [
            Sub(slug: "sneakers", name: "Sneakers", nouns: ["Sneaker", "Runner", "Trainer"], axis: shoeSizes, prices: 5_000...18_000),
            Sub(slug: "boots", name: "Boots", nouns: ["Boot", "Chelsea Boot", "Hiking Boot"], axis: shoeSizes, prices: 8_000...25_000),
        ]),
        Department(slug: "electronics", name: "Electronics", children: [
            Sub(slug: "audio", name: "Audio", nouns: ["Headphones", "Speaker", "Earbuds", "Soundbar"], axis: colours, prices: 2_000...40_000),
            Sub(slug: "accessories", name: "Accessories", nouns: ["Charger", "Cable", "Power Bank", "Phone Case"], axis: colours, prices: 900...6_000),
        ]),
        Department(slug: "home-kitchen", name: "Home & Kitchen", children: [
            Sub(slug: "cookware", name: "Cookware", nouns: ["Skillet", "Saucepan", "Dutch Oven", "Wok"], axis: (name: "diameter", values: ["20 cm", "24 cm", "28 cm"]), prices: 2_500...20_000),
            Sub(slug: "decor", name: "Decor", nouns: ["Vase", "Lamp", "Cushion", "Throw"], axis: colours, prices: 1_500...12_000),
        ]),
        Department(slug: "books", name: "Books", children: [
            Sub(slug: "fiction", name: "Fiction", nouns: ["Novel", "Story Collection", "Thriller"], axis: (name: "format", values: ["paperback", "hardcover", "ebook"]), prices: 800...3_500),
            Sub(slug: "cookbooks", name: "Cookbooks", nouns: ["Cookbook", "Baking Guide", "Recipe Journal"], axis: (name: "format", values: ["paperback", "hardcover"]), prices: 1_500...4_500),
        ]),
        Department(slug: "sports-outdoors", name: "Sports & Outdoors", children: [
            Sub(slug: "camping", name: "Camping", nouns: ["Tent", "Sleeping Bag", "Lantern", "Backpack"], axis: colours, prices: 2_000...35_000),
            Sub(slug: "fitness", name: "Fitness", nouns: ["Yoga Mat", "Kettlebell", "Jump Rope", "Resistance Band"], axis: colours, prices: 900...9_000),
        ]),
        Department(slug: "beauty", name: "Beauty", children: [
            Sub(slug: "skincare", name: "Skincare", nouns: ["Moisturiser", "Serum", "Cleanser", "Sunscreen"], axis: (name: "volume", values: ["50 ml", "100 ml", "200 ml"]), prices: 900...6_500),
        ]),
        Department(slug: "toys-games", name: "Toys & Games", children: [
            Sub(slug: "board-games", name: "Board Games", nouns: ["Board Game", "Card Game", "Puzzle"], axis: (name: "edition", values: ["standard", "deluxe"]), prices: 1_500...7_000),
            Sub(slug: "building-sets", name: "Building Sets", nouns: ["Building Set", "Robot Kit", "Marble Run"], axis: (name: "pieces", values: ["250", "500", "1000"]), prices: 2_000...15_000),
        ]),
    ]

    static let adjectives = ["Classic", "Everyday", "Premium", "Lightweight", "Essential", "Vintage", "Modern", "Compact", "Heritage", "Urban", "Coastal", "Alpine"]
    static let materials = ["Cotton", "Wool", "Leather", "Bamboo", "Steel", "Oak", "Canvas", "Linen", "Recycled", "Ceramic", "Aluminium", "Merino"]
    static let brands = ["Northwind", "Fabrikam", "Contoso", "Tailspin", "Lumen & Co", "Harbor", "Kestrel", "Ironbark", "Meridian", "Solstice"]
    static let blurbs = [
        "Built to last and easy to care for.",
        "A customer favourite, restocked every season.",
        "Designed in small batches with attention to detail.",
        "Backed by a two-year warranty.",
        "Made with responsibly sourced materials.",
        "Pairs well with the rest of the collection.",
    ]
}
