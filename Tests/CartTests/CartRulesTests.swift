import Cart
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Testing

@Suite struct CartRulesTests {
    func fields(_ body: AddItemRequest) -> [String] {
        do {
            _ = try CartRules.validate(body)
            return []
        } catch {
            #expect(error.status == 400)
            return error.errors?.compactMap(\.field) ?? []
        }
    }

    @Test func quantityIsFrom1To999() throws {
        #expect(fields(AddItemRequest(sku: "MUG-1", quantity: 1)) == [])
        #expect(fields(AddItemRequest(sku: "MUG-1", quantity: 999)) == [])
        for bad in [0, -1, 1000, Int.max, Int.min] {
            #expect(fields(AddItemRequest(sku: "MUG-1", quantity: bad)) == ["quantity"], "\(bad)")
            #expect(throws: ProblemDetails.self) { try CartRules.validate(QuantityRequest(quantity: bad)) }
        }
        #expect(try CartRules.validate(QuantityRequest(quantity: 7)) == 7)
    }

    @Test func skuFollowsTheSharedRule() throws {
        #expect(fields(AddItemRequest(sku: "mug-1", quantity: 1)) == ["sku"])
        #expect(fields(AddItemRequest(sku: "", quantity: 1)) == ["sku"])
        #expect(fields(AddItemRequest(sku: "-MUG", quantity: 1)) == ["sku"])
        #expect(fields(AddItemRequest(sku: String(repeating: "A", count: 65), quantity: 1)) == ["sku"])
        #expect(fields(AddItemRequest(sku: "mug 1", quantity: 0)) == ["sku", "quantity"], "every bad field is named at once")
        #expect(throws: ProblemDetails.invalidParameter("sku", SKU.rule)) { try CartRules.skuParameter("mug") }
        #expect(throws: ProblemDetails.invalidParameter("sku", SKU.rule)) { try CartRules.skuParameter(nil) }
        #expect(try CartRules.skuParameter("MUG-1") == "MUG-1")
    }

    @Test func onlyActiveProductsAreSellable() throws {
        func variant(_ status: String) -> SellableVariant {
            SellableVariant(sku: "MUG-1", productId: "p", productName: "Mug", attributes: [:], price: Money(amount: 100, currency: "USD"), status: status)
        }
        #expect(try CartRules.sellable(variant("active"), sku: "MUG-1", subject: .field("sku")).sku == "MUG-1")
        #expect(throws: CartError.notSellable("MUG-1", status: "archived", subject: .field("sku"))) {
            try CartRules.sellable(variant("archived"), sku: "MUG-1", subject: .field("sku"))
        }
        #expect(throws: CartError.notSellable("MUG-1", status: "draft", subject: .parameter("sku"))) {
            try CartRules.sellable(variant("draft"), sku: "MUG-1", subject: .parameter("sku"))
        }
        #expect(throws: CartError.unknownSKU("MUG-1", subject: .field("sku"))) {
            try CartRules.sellable(nil, sku: "MUG-1", subject: .field("sku"))
        }
    }

    @Test func problemsNameTheFieldOrParameter() {
        let unknown = CartError.unknownSKU("NOPE-1", subject: .field("sku")).problem
        #expect(unknown.status == 422)
        #expect(unknown.errors?.first?.field == "sku")
        let inactive = CartError.notSellable("OLD-1", status: "archived", subject: .parameter("sku")).problem
        #expect(inactive.errors?.first?.parameter == "sku")
        let stock = CartError.insufficientStock(sku: "MUG-1", requested: 5, available: 3).problem
        #expect(stock.status == 422)
        #expect(stock.errors?.first?.field == "quantity")
        #expect(stock.errors?.first?.detail.contains("only 3") == true, "the available count is named")
        #expect(CartError.quantityAboveMaximum(sku: "MUG-1", requested: 1000).problem.errors?.first?.field == "quantity")
        #expect(CartError.lineNotFound(sku: "MUG-1").problem.status == 404)
        #expect(CartError.storageUnavailable(reason: "down").problem.status == 503)
        #expect(CartError.tooManyLines(subject: .parameter("X-Cart-Id")).problem.errors?.first?.parameter == "X-Cart-Id")
    }

    @Test func guestIDsAreRandomAndCanonical() {
        let ids = (0..<1000).map { _ in GuestCartID.generate() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 22)
            #expect(GuestCartID.isWellFormed(id))
        }
        let id = ids[0]
        #expect(!GuestCartID.isWellFormed(""))
        #expect(!GuestCartID.isWellFormed(String(id.dropLast())))
        #expect(!GuestCartID.isWellFormed(id + "A"))
        #expect(!GuestCartID.isWellFormed(String(id.dropLast()) + "!"))
        #expect(!GuestCartID.isWellFormed(String(id.dropLast()) + "B"), "the last character carries 2 bits: only A, Q, g, w are canonical")
        #expect(!GuestCartID.isWellFormed("user-id-0190b2f0-0000-7000"))
    }
}
