import Cart
import Testing

@Suite struct StoredCartTests {
    func add(_ sku: String, _ quantity: Int, currency: String = "USD", available: Int = 1000) -> LineChange {
        LineChange(kind: .add, sku: sku, quantity: quantity, currency: currency, available: available)
    }

    func set(_ sku: String, _ quantity: Int, currency: String = "USD", available: Int = 1000) -> LineChange {
        LineChange(kind: .set, sku: sku, quantity: quantity, currency: currency, available: available)
    }

    @Test func addAddsToTheLineAndSetReplacesIt() throws {
        var cart = try StoredCart().applying(add("MUG-1", 2))
        #expect(cart == StoredCart(currency: "USD", quantities: ["MUG-1": 2]))
        cart = try cart.applying(add("MUG-1", 3))
        #expect(cart.quantities["MUG-1"] == 5)
        cart = try cart.applying(set("MUG-1", 1))
        #expect(cart.quantities["MUG-1"] == 1)
        #expect(throws: CartError.lineNotFound(sku: "CUP-1")) { try cart.applying(set("CUP-1", 1)) }
    }

    @Test("a cart is made by the change that adds its first line, and by no other (emporium_carts_created_total)")
    func firstLineMakesTheCart() throws {
        let first = add("MUG-1", 2)
        let made = try StoredCart().applying(first)
        #expect(made.wasMade(by: first))
        let more = add("MUG-1", 1)
        #expect(try !made.applying(more).wasMade(by: more), "a line grown")
        let other = add("CUP-1", 1)
        #expect(try !made.applying(other).wasMade(by: other), "a second line")
        let again = add("MUG-1", 2)
        #expect(try !StoredCart(currency: "USD", quantities: ["MUG-1": 1]).applying(set("MUG-1", 2)).wasMade(by: set("MUG-1", 2)), "a line set")
        #expect(try !made.removing(sku: "CUP-1").applying(again).wasMade(by: again), "2 + 2 units: the line existed")
    }

    @Test func theResultingQuantityIsChecked() throws {
        let cart = try StoredCart().applying(add("MUG-1", 990))
        #expect(throws: CartError.quantityAboveMaximum(sku: "MUG-1", requested: 1000)) { try cart.applying(add("MUG-1", 10)) }
        #expect(throws: CartError.insufficientStock(sku: "MUG-1", requested: 995, available: 992)) {
            try cart.applying(add("MUG-1", 5, available: 992))
        }
        #expect(throws: CartError.insufficientStock(sku: "MUG-1", requested: 4, available: 3)) {
            try cart.applying(set("MUG-1", 4, available: 3))
        }
        #expect(try cart.applying(set("MUG-1", 3, available: 3)).quantities["MUG-1"] == 3, "a line may hold all that is available")
    }

    @Test func oneCurrencyAndAtMost100Lines() throws {
        var cart = StoredCart()
        for index in 0..<CartRules.maximumLines { cart = try cart.applying(add("SKU-\(index)", 1)) }
        #expect(throws: CartError.tooManyLines(subject: .field("sku"))) { try cart.applying(add("SKU-X", 1)) }
        #expect(try cart.applying(add("SKU-0", 1)).quantities["SKU-0"] == 2, "an existing line still grows")
        #expect(throws: CartError.currencyMismatch(cart: "USD", other: "EUR", subject: .field("sku"))) {
            try cart.applying(add("SKU-0", 1, currency: "EUR"))
        }
        #expect(throws: CartError.currencyMismatch(cart: "USD", other: "EUR", subject: .parameter("sku"))) {
            try cart.applying(set("SKU-0", 1, currency: "EUR"))
        }
    }

    @Test func removingTheLastLineEmptiesTheCart() throws {
        let cart = try StoredCart().applying(add("MUG-1", 1)).applying(add("CUP-1", 1))
        #expect(cart.removing(sku: "MUG-1") == StoredCart(currency: "USD", quantities: ["CUP-1": 1]))
        #expect(cart.removing(sku: "NONE-1") == cart)
        #expect(cart.removing(sku: "MUG-1").removing(sku: "CUP-1") == StoredCart())
    }

    @Test func mergeAddsQuantitiesCappedAt999() throws {
        let user = StoredCart(currency: "USD", quantities: ["MUG-1": 2, "CUP-1": 900])
        let guest = StoredCart(currency: "USD", quantities: ["MUG-1": 3, "CUP-1": 200, "PEN-1": 1])
        #expect(try user.merging(guest) == StoredCart(currency: "USD", quantities: ["MUG-1": 5, "CUP-1": 999, "PEN-1": 1]))
        #expect(try StoredCart().merging(guest) == guest, "into an empty cart")
        #expect(try user.merging(StoredCart()) == user, "from an empty cart")
    }

    @Test func mergeRefusesTwoCurrenciesAndTooManyLines() throws {
        let user = StoredCart(currency: "USD", quantities: ["MUG-1": 2])
        #expect(throws: CartError.currencyMismatch(cart: "USD", other: "EUR", subject: .parameter("X-Cart-Id"))) {
            try user.merging(StoredCart(currency: "EUR", quantities: ["TEE-1": 1]))
        }
        var full = StoredCart(currency: "USD")
        for index in 0..<99 { full.quantities["SKU-\(index)"] = 1 }
        #expect(try full.merging(StoredCart(currency: "USD", quantities: ["SKU-0": 1, "NEW-1": 1])).quantities.count == 100)
        #expect(throws: CartError.tooManyLines(subject: .parameter("X-Cart-Id"))) {
            try full.merging(StoredCart(currency: "USD", quantities: ["NEW-1": 1, "NEW-2": 1]))
        }
    }
}
