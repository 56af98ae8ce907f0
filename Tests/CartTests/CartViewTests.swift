import Cart
import EmporiumContracts
import EmporiumCore
import Testing

@Suite struct CartViewTests {
    func variant(_ sku: String, _ amount: Int64, currency: String = "USD", status: String = "active") -> SellableVariant {
        SellableVariant(sku: sku, productId: "p-\(sku)", productName: "Product \(sku)", attributes: ["size": "M"], price: Money(amount: amount, currency: currency), status: status)
    }

    func stock(_ sku: String, _ available: Int) -> StockLevel {
        StockLevel(sku: sku, available: available, onHand: available, reserved: 0)
    }

    @Test func pricesEachLineAtTheCurrentPrice() {
        let cart = StoredCart(currency: "USD", quantities: ["MUG-1": 2, "CUP-1": 3])
        let view = CartView(
            id: "c", cart: cart, variants: ["MUG-1": variant("MUG-1", 1999), "CUP-1": variant("CUP-1", 500)],
            stock: ["MUG-1": stock("MUG-1", 10), "CUP-1": stock("CUP-1", 3)])
        #expect(view.lines.map(\.sku) == ["CUP-1", "MUG-1"], "by SKU")
        #expect(view.lines[1].unitPrice == Money(amount: 1999, currency: "USD"))
        #expect(view.lines[1].lineTotal == Money(amount: 3998, currency: "USD"))
        #expect(view.lines[1].name == "Product MUG-1")
        #expect(view.lines[1].productId == "p-MUG-1")
        #expect(view.lines[1].attributes == ["size": "M"])
        #expect(view.lines.allSatisfy { $0.available && $0.issues.isEmpty && $0.availableQuantity == nil })
        #expect(view.total == Money(amount: 5498, currency: "USD"))
        #expect(view.itemCount == 5)
        #expect(!view.hasIssues)
    }

    @Test func flagsLinesThatCannotBeBoughtAndLeavesThemOutOfTheTotal() {
        let cart = StoredCart(currency: "USD", quantities: ["OK-1": 1, "OLD-1": 1, "GONE-1": 1, "LOW-1": 5, "EUR-1": 1, "DRAFT-1": 1])
        let view = CartView(
            id: "c", cart: cart,
            variants: [
                "OK-1": variant("OK-1", 100), "OLD-1": variant("OLD-1", 200, status: "archived"), "LOW-1": variant("LOW-1", 300),
                "EUR-1": variant("EUR-1", 400, currency: "EUR"), "DRAFT-1": variant("DRAFT-1", 500, status: "draft"),
            ],
            stock: ["OK-1": stock("OK-1", 1), "OLD-1": stock("OLD-1", 9), "GONE-1": stock("GONE-1", 9), "LOW-1": stock("LOW-1", 2), "EUR-1": stock("EUR-1", 9)])
        func line(_ sku: String) -> CartView.Line? { view.lines.first { $0.sku == sku } }
        #expect(line("OK-1")?.available == true)
        #expect(line("OLD-1")?.issues == [.productUnavailable])
        #expect(line("DRAFT-1")?.issues == [.productUnavailable, .insufficientStock], "no stock row: nothing available")
        #expect(line("DRAFT-1")?.availableQuantity == 0)
        #expect(line("GONE-1")?.issues == [.productRemoved])
        #expect(line("GONE-1")?.unitPrice == nil)
        #expect(line("GONE-1")?.productId == nil)
        #expect(line("LOW-1")?.issues == [.insufficientStock])
        #expect(line("LOW-1")?.availableQuantity == 2)
        #expect(line("LOW-1")?.lineTotal == Money(amount: 1500, currency: "USD"), "a flagged line still shows its price")
        #expect(line("EUR-1")?.issues == [.currencyChanged])
        #expect(view.lines.filter(\.available).map(\.sku) == ["OK-1"])
        #expect(view.total == Money(amount: 100, currency: "USD"))
        #expect(view.itemCount == 1)
        #expect(view.hasIssues)
    }

    @Test func anEmptyCart() {
        let view = CartView(id: "c", cart: nil, variants: [:], stock: [:])
        #expect(view.lines.isEmpty)
        #expect(view.total == Money(amount: 0, currency: CartRules.emptyCartCurrency))
        #expect(view.itemCount == 0)
        #expect(!view.hasIssues)
    }
}
