@testable import Catalog
import EmporiumContracts
import EmporiumCore
import Foundation
import Storage
import Testing

@Suite("Catalog events are contract types")
struct CatalogEventContractTests {
    static let product = Product(
        id: UUID(uuidString: "0190B2F0-0000-7000-8000-000000000001")!, name: "Desk lamp", description: "A lamp.\nFor desks.",
        categoryId: UUID(uuidString: "0190B2F0-0000-7000-8000-0000000000C1")!, status: .active, imageUrls: ["https://img.test/1.jpg"],
        variants: [
            Variant(sku: "LAMP-RED", attributes: ["colour": "red"], price: Money(amount: 1999, currency: "USD")),
            Variant(sku: "LAMP-BLUE", attributes: ["colour": "blue"], price: Money(amount: 2499, currency: "USD")),
        ],
        createdAt: Date(timeIntervalSince1970: 1_800_000_000.123), updatedAt: Date(timeIntervalSince1970: 1_800_000_100.456), version: 3
    )

    @Test("a product's event data has the contract's fields and decodes as ProductEvent")
    func publishedShape() throws {
        let event = ProductEvent(Self.product)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? [String: Any])
        #expect(Set(json.keys) == ["id", "name", "description", "categoryId", "status", "imageUrls", "variants", "version", "createdAt", "updatedAt"])
        #expect(json["id"] as? String == "0190b2f0-0000-7000-8000-000000000001")
        #expect(json["createdAt"] as? String == "2027-01-15T08:00:00.123Z")
        #expect(try JSONDecoder().decode(ProductEvent.self, from: JSONEncoder().encode(event)) == event)
        #expect(event.variants.map(\.sku) == ["LAMP-RED", "LAMP-BLUE"])
    }

    @Test("the search read model, built from the event, stores the product exactly as the API shows it")
    func searchDocumentFromTheEvent() throws {
        let document = try #require(try SearchDocument(ProductEvent(Self.product), parents: [:]))
        #expect(document.document == (try JSONText.encode(ProductResource(Self.product))))
        #expect(document.minPrice == 1999 && document.maxPrice == 2499)
        #expect(document.categoryPath == ["0190b2f0-0000-7000-8000-0000000000c1"])
    }
}
