import Caching
import Cart
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import RESP
import Security
import Synchronization
import Testing

/// The cart API through the whole platform, with carts in memory and in Redis, the real catalog,
/// and the stock test double as the inventory (``CartTestPlatform``).
@Suite("Cart API")
struct CartAPITests {
    typealias Backend = CartTestPlatform.Backend
    typealias Context = CartTestPlatform.Context

    // MARK: Helpers

    static let cartID = HTTPField.Name("X-Cart-Id")!

    /// Sends a request; `cart` as `X-Cart-Id`, `token` as a bearer token.
    static func send(
        _ context: Context, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, cart: String? = nil, token: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if body != nil { headers[.contentType] = "application/json" }
        if let cart { headers[cartID] = cart }
        if let token { headers[.authorization] = token }
        return try await context.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
    }

    static func add(_ context: Context, _ sku: String, _ quantity: Int, cart: String? = nil, token: String? = nil) async throws -> TestResponse {
        try await send(context, .post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": \#(quantity)}"#, cart: cart, token: token)
    }

    static func lines(_ response: TestResponse) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: (response.json["lines"] as? [[String: Any]] ?? []).compactMap { line in
            (line["sku"] as? String).map { ($0, line) }
        })
    }

    static func quantities(_ response: TestResponse) -> [String: Int] {
        lines(response).compactMapValues { $0["quantity"] as? Int }
    }

    static func money(_ value: Any?) -> Money? {
        guard let object = value as? [String: Any], let amount = object["amount"] as? Int, let currency = object["currency"] as? String else { return nil }
        return Money(amount: Int64(amount), currency: currency)
    }

    static func problemNames(_ response: TestResponse) -> [String] {
        (response.json["errors"] as? [[String: Any]] ?? []).compactMap { ($0["field"] ?? $0["parameter"]) as? String }
    }

    /// Creates a product with one variant; returns its id.
    @discardableResult
    static func product(_ context: Context, sku: String, amount: Int64, currency: String = "USD", status: String = "active") async throws -> String {
        let category = try await CatalogAPIContract.firstCategory(context.client)
        let body = #"""
            {"name": "Product \#(sku)", "categoryId": "\#(category)", "status": "\#(status)",
             "variants": [{"sku": "\#(sku)", "attributes": {"colour": "blue"}, "price": {"amount": \#(amount), "currency": "\#(currency)"}}]}
            """#
        let id = try await context.client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: body)) { response in
            #expect(response.status == .created)
            return try #require(response.json["id"] as? String)
        }
        try await context.waitForStock([sku])
        return id
    }

    static func patchProduct(_ context: Context, _ id: String, _ json: String) async throws {
        try await context.client.execute(uri: "/v1/products/\(id)", method: .patch, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: json)) { response in
            #expect(response.status == .ok)
        }
    }

    /// SKUs of the seeded demo catalog (active products, USD).
    static func demoSKUs(_ context: Context, count: Int) async throws -> [String] {
        let skus = try await context.client.execute(uri: "/v1/products?limit=100", method: .get) { response in
            let items = response.json["items"] as? [[String: Any]] ?? []
            let skus = items.compactMap { (($0["variants"] as? [[String: Any]])?.first?["sku"]) as? String }
            #expect(skus.count >= count)
            return Array(skus.prefix(count))
        }
        try await context.waitForStock(skus)
        return skus
    }

    static func token(_ context: Context, userID: String = UUID.v7().lowercased) async throws -> (token: String, userID: String) {
        (try await TestPlatform.authorization(context.platform, roles: [.customer], userID: userID), userID)
    }

    // MARK: Guests

    @Test(arguments: Backend.allCases)
    func guestCartIsIssuedAnIDAndFoundWithIt(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let empty = try await Self.send(context, .get, "/v1/cart")
            #expect(empty.status == .ok)
            let issued = try #require(empty.headers[Self.cartID])
            #expect(GuestCartID.isWellFormed(issued))
            #expect(empty.json["id"] as? String == issued)
            #expect((empty.json["lines"] as? [Any])?.isEmpty == true)
            #expect(Self.money(empty.json["total"]) == Money(amount: 0, currency: "USD"))
            #expect(empty.headers[.cacheControl] == "no-store", "carts are private")

            let skus = try await Self.demoSKUs(context, count: 2)
            let first = try await Self.add(context, skus[0], 2)
            #expect(first.status == .ok)
            let id = try #require(first.headers[Self.cartID])
            #expect(first.json["id"] as? String == id)
            #expect(first.headers[.cacheControl] == "no-store")
            let second = try await Self.add(context, skus[1], 1, cart: id)
            #expect(second.headers[Self.cartID] == id, "the same cart, the same id")
            let again = try await Self.add(context, skus[0], 3, cart: id)
            #expect(Self.quantities(again) == [skus[0]: 5, skus[1]: 1], "adding to a line adds to its quantity")

            let read = try await Self.send(context, .get, "/v1/cart", cart: id)
            #expect(read.headers[Self.cartID] == id)
            #expect(Self.quantities(read) == [skus[0]: 5, skus[1]: 1])
            #expect(read.json["itemCount"] as? Int == 6)

            let patched = try await Self.send(context, .patch, "/v1/cart/items/\(skus[0])", #"{"quantity": 1}"#, cart: id)
            #expect(patched.status == .ok)
            #expect(Self.quantities(patched) == [skus[0]: 1, skus[1]: 1])
            let removed = try await Self.send(context, .delete, "/v1/cart/items/\(skus[1])", cart: id)
            #expect(Self.quantities(removed) == [skus[0]: 1])
            #expect(removed.headers[Self.cartID] == id)
            #expect(try await Self.send(context, .patch, "/v1/cart/items/\(skus[1])", #"{"quantity": 1}"#, cart: id).status == .notFound)

            let cleared = try await Self.send(context, .delete, "/v1/cart", cart: id)
            #expect(cleared.status == .ok)
            #expect(Self.quantities(cleared).isEmpty)
            #expect(try await Self.send(context, .get, "/v1/cart", cart: id).headers[Self.cartID] != id, "a cleared cart is gone: a new id")
        }
    }

    @Test(arguments: Backend.allCases)
    func malformedOrUnknownIDStartsANewCart(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let sku = try await Self.demoSKUs(context, count: 1)[0]
            let existing = try #require(try await Self.add(context, sku, 1).headers[Self.cartID])
            let unknown = GuestCartID.generate()
            for sent in ["not-a-cart-id", "", String(existing.dropLast()), existing + "x", unknown] {
                let read = try await Self.send(context, .get, "/v1/cart", cart: sent)
                #expect(read.status == .ok)
                let issued = try #require(read.headers[Self.cartID])
                #expect(issued != sent && issued != existing && GuestCartID.isWellFormed(issued), "\(sent)")
                #expect(Self.quantities(read).isEmpty)
                let added = try await Self.add(context, sku, 1, cart: sent)
                let created = try #require(added.headers[Self.cartID])
                #expect(created != sent && created != existing)
                #expect(Self.quantities(added) == [sku: 1], "a new cart, not the existing one")
            }
            #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", cart: existing)) == [sku: 1], "the existing cart is untouched")
        }
    }

    // MARK: Users

    @Test(arguments: Backend.allCases)
    func signedInCartIsTheUsers(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let skus = try await Self.demoSKUs(context, count: 2)
            let (token, userID) = try await Self.token(context)
            let added = try await Self.add(context, skus[0], 2, token: token)
            #expect(added.status == .ok)
            #expect(added.json["id"] as? String == userID)
            #expect(added.headers[Self.cartID] == nil, "a user's cart needs no id header")
            // Another token of the same user finds it; an X-Cart-Id beside a token is ignored.
            let (again, _) = try await Self.token(context, userID: userID)
            let guest = try #require(try await Self.add(context, skus[1], 1).headers[Self.cartID])
            let read = try await Self.send(context, .get, "/v1/cart", cart: guest, token: again)
            #expect(Self.quantities(read) == [skus[0]: 2])
            #expect(read.json["id"] as? String == userID)
            // Another user has another cart; a guest sending the user's id gets a new cart.
            let (other, _) = try await Self.token(context)
            #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", token: other)).isEmpty)
            let impostor = try await Self.send(context, .get, "/v1/cart", cart: userID)
            #expect(Self.quantities(impostor).isEmpty)
            #expect(impostor.headers[Self.cartID] != userID)
            // A refused token is a 401, not a guest cart.
            let refused = try await Self.send(context, .get, "/v1/cart", token: "Bearer not.a.token")
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.contentType] == "application/problem+json")
        }
    }

    /// What orders read of a user's cart (``CartAPI``): the service itself in the process and
    /// its internal routes across processes give the same lines, and an order's lines come off.
    @Test(arguments: Backend.allCases)
    func ordersReadTheUsersCartAndTakeOffWhatTheyBought(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let skus = try await Self.demoSKUs(context, count: 2).sorted()
            let (token, userID) = try await Self.token(context)
            #expect(try await Self.add(context, skus[1], 3, token: token).status == .ok)
            #expect(try await Self.add(context, skus[0], 1, token: token).status == .ok)
            let cart = try #require(context.platform.services.lazy.compactMap { $0 as? any CartAPI }.first)
            let expected = [CartLine(sku: skus[0], quantity: 1), CartLine(sku: skus[1], quantity: 3)]
            #expect(try await cart.lines(ofUser: userID) == expected)
            #expect(try await cart.lines(ofUser: UUID.v7().lowercased).isEmpty, "a user without a cart has no lines")

            func internalCall(_ method: HTTPRequest.Method) async throws -> TestResponse {
                let uri = "/internal/v1/cart/users/\(userID)"
                let headers: HTTPFields = [.serviceCredential: TestPlatform.serviceCredential(method: method, uri: uri, body: nil)]
                return try await context.client.execute(uri: uri, method: method, headers: headers) { $0 }
            }
            let read = try await internalCall(.get)
            #expect(read.status == .ok)
            let lines = try JSONDecoder().decode(CartLines.self, from: Data(buffer: read.body))
            #expect(lines.items == expected)
            // An order bought 2 of the second SKU and all of the first: that comes off, the rest stays.
            let left = try await cart.remove([CartLine(sku: skus[1], quantity: 2), CartLine(sku: skus[0], quantity: 1)], fromCartOf: userID)
            #expect(left == [CartLine(sku: skus[1], quantity: 1)])
            func removals(_ body: String) async throws -> TestResponse {
                let uri = "/internal/v1/cart/users/\(userID)/removals"
                let headers: HTTPFields = [
                    .serviceCredential: TestPlatform.serviceCredential(method: .post, uri: uri, body: body), .contentType: "application/json",
                ]
                return try await context.client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { $0 }
            }
            let bad = try await removals(#"{"items": [{"sku": "\#(skus[1])", "quantity": 0}]}"#)
            #expect(bad.status == .badRequest)
            #expect(Self.problemNames(bad) == ["items[0].quantity"])
            let removed = try await removals(#"{"items": [{"sku": "\#(skus[1])", "quantity": 1}]}"#)
            #expect(removed.status == .ok)
            #expect(try JSONDecoder().decode(CartLines.self, from: Data(buffer: removed.body)).items.isEmpty)
            #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", token: token)).isEmpty)
            #expect(try await removals(#"{"items": [{"sku": "\#(skus[1])", "quantity": 1}]}"#).status == .ok, "a retry takes nothing more")
        }
    }

    @Test(arguments: Backend.allCases)
    func guestCartMergesIntoTheUsersOnce(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let skus = try await Self.demoSKUs(context, count: 3)
            try await context.setStock(skus[1], 999)
            var guest = try #require(try await Self.add(context, skus[0], 3).headers[Self.cartID])
            guest = try #require(try await Self.add(context, skus[1], 600, cart: guest).headers[Self.cartID])
            let (token, userID) = try await Self.token(context)
            _ = try await Self.add(context, skus[1], 500, token: token)
            _ = try await Self.add(context, skus[2], 1, token: token)

            let merged = try await Self.send(context, .post, "/v1/cart/merge", cart: guest, token: token)
            #expect(merged.status == .ok)
            #expect(merged.json["id"] as? String == userID)
            let expected = [skus[0]: 3, skus[1]: 999, skus[2]: 1]
            #expect(Self.quantities(merged) == expected, "quantities added, capped at 999")
            let guestAfter = try await Self.send(context, .get, "/v1/cart", cart: guest)
            #expect(Self.quantities(guestAfter).isEmpty, "the guest cart is emptied")
            #expect(guestAfter.headers[Self.cartID] != guest)
            let retried = try await Self.send(context, .post, "/v1/cart/merge", cart: guest, token: token)
            #expect(retried.status == .ok)
            #expect(Self.quantities(retried) == expected, "a second merge adds nothing")
            #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", token: token)) == expected)

            // Signed in, with the header: else 401 and 400.
            #expect(try await Self.send(context, .post, "/v1/cart/merge", cart: guest).status == .unauthorized)
            let missing = try await Self.send(context, .post, "/v1/cart/merge", token: token)
            #expect(missing.status == .badRequest)
            #expect(Self.problemNames(missing) == ["X-Cart-Id"])
            #expect(Self.quantities(try await Self.send(context, .post, "/v1/cart/merge", cart: "garbage", token: token)) == expected)
        }
    }

    // MARK: Concurrency

    /// 50 concurrent adds of different SKUs to one cart keep every line; 50 of the same SKU add up.
    @Test(arguments: Backend.allCases)
    func concurrentAddsLoseNothing(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let skus = try await Self.demoSKUs(context, count: 51)
            let cart = try #require(try await Self.add(context, skus[50], 1).headers[Self.cartID])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sku in skus.prefix(50) {
                    group.addTask {
                        let response = try await Self.add(context, sku, 2, cart: cart)
                        #expect(response.status == .ok)
                        #expect(response.headers[Self.cartID] == cart)
                    }
                }
                try await group.waitForAll()
            }
            let read = try await Self.send(context, .get, "/v1/cart", cart: cart)
            #expect(Self.quantities(read).count == 51)
            #expect(skus.prefix(50).allSatisfy { Self.quantities(read)[$0] == 2 })

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await Self.add(context, skus[50], 1, cart: cart)
                        #expect(response.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", cart: cart))[skus[50]] == 51)
        }
    }

    // MARK: Prices and flags

    @Test(arguments: Backend.allCases)
    func pricesComeFromTheCatalogWhenRead(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let id = try await Self.product(context, sku: "CART-PRICE-1", amount: 1000)
            let added = try await Self.add(context, "CART-PRICE-1", 2)
            let cart = try #require(added.headers[Self.cartID])
            let line = try #require(Self.lines(added)["CART-PRICE-1"])
            #expect(Self.money(line["unitPrice"]) == Money(amount: 1000, currency: "USD"))
            #expect(Self.money(line["lineTotal"]) == Money(amount: 2000, currency: "USD"))
            #expect(line["productId"] as? String == id)
            #expect(line["name"] as? String == "Product CART-PRICE-1")
            #expect(line["attributes"] as? [String: String] == ["colour": "blue"])
            #expect(line["available"] as? Bool == true)
            #expect(Self.money(added.json["total"]) == Money(amount: 2000, currency: "USD"))

            try await Self.patchProduct(context, id, #"{"variants": [{"sku": "CART-PRICE-1", "price": {"amount": 1500, "currency": "USD"}}]}"#)
            let read = try await Self.send(context, .get, "/v1/cart", cart: cart)
            #expect(Self.money(Self.lines(read)["CART-PRICE-1"]?["unitPrice"]) == Money(amount: 1500, currency: "USD"))
            #expect(Self.money(read.json["total"]) == Money(amount: 3000, currency: "USD"), "the new price, not the one at adding")
        }
    }

    @Test(arguments: Backend.allCases)
    func linesThatCannotBeBoughtAreFlaggedAndLeftOutOfTheTotal(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            let archived = try await Self.product(context, sku: "CART-ARCH-1", amount: 100)
            let deleted = try await Self.product(context, sku: "CART-GONE-1", amount: 200)
            try await Self.product(context, sku: "CART-LOW-1", amount: 300)
            try await Self.product(context, sku: "CART-OK-1", amount: 400)
            var cart: String?
            for sku in ["CART-ARCH-1", "CART-GONE-1", "CART-LOW-1", "CART-OK-1"] {
                cart = try await Self.add(context, sku, 5, cart: cart).headers[Self.cartID]
            }
            let id = try #require(cart)
            try await Self.patchProduct(context, archived, #"{"status": "archived"}"#)
            try await context.client.execute(uri: "/v1/products/\(deleted)", method: .delete, headers: TestPlatform.writerHeaders()) { #expect($0.status == .noContent) }
            try await context.setStock("CART-LOW-1", 2)

            let read = try await Self.send(context, .get, "/v1/cart", cart: id)
            #expect(read.status == .ok)
            let lines = Self.lines(read)
            #expect(lines["CART-ARCH-1"]?["issues"] as? [String] == ["product_unavailable"])
            #expect(lines["CART-ARCH-1"]?["available"] as? Bool == false)
            #expect(lines["CART-GONE-1"]?["issues"] as? [String] == ["product_removed"])
            #expect(lines["CART-GONE-1"]?["unitPrice"] == nil)
            #expect(lines["CART-LOW-1"]?["issues"] as? [String] == ["insufficient_stock"])
            #expect(lines["CART-LOW-1"]?["availableQuantity"] as? Int == 2)
            #expect(lines["CART-OK-1"]?["issues"] as? [String] == [])
            #expect(lines["CART-OK-1"]?["available"] as? Bool == true)
            #expect(Self.money(read.json["total"]) == Money(amount: 2000, currency: "USD"), "only the line that can be bought")
            #expect(read.json["itemCount"] as? Int == 5)
            #expect(read.json["hasIssues"] as? Bool == true)

            // The flagged lines stay until the customer acts: removing works, changing is refused.
            #expect(try await Self.send(context, .patch, "/v1/cart/items/CART-ARCH-1", #"{"quantity": 1}"#, cart: id).status == .unprocessableContent)
            let removed = try await Self.send(context, .delete, "/v1/cart/items/CART-GONE-1", cart: id)
            #expect(Self.lines(removed)["CART-GONE-1"] == nil)
            let lowered = try await Self.send(context, .patch, "/v1/cart/items/CART-LOW-1", #"{"quantity": 2}"#, cart: id)
            #expect(Self.lines(lowered)["CART-LOW-1"]?["available"] as? Bool == true)
        }
    }

    // MARK: Time to live

    @Test(.enabled(if: CartTestPlatform.redisURL != nil, "needs EMPORIUM_TEST_REDIS_URL"))
    func timeToLiveIsSetAndRenewedByEveryChange() async throws {
        try await CartTestPlatform.run(.redis) { context in
            let redis = try #require(context.platform.caching.redis)
            func pttl(_ key: String) async throws -> Int { try #require(try await redis.send(command: "PTTL", args: [.string(key)]).int) }
            let skus = try await Self.demoSKUs(context, count: 2)
            let cart = try #require(try await Self.add(context, skus[0], 1).headers[Self.cartID])
            let key = "emporium:cart:guest:\(cart)"
            let week = 7 * 86_400_000
            #expect(try await pttl(key) > week - 60_000)
            #expect(try await pttl(key) <= week)
            _ = try await redis.send(command: "PEXPIRE", args: [.string(key), 10_000])
            _ = try await Self.send(context, .get, "/v1/cart", cart: cart)
            #expect(try await pttl(key) <= 10_000, "reading does not renew")
            _ = try await Self.send(context, .patch, "/v1/cart/items/\(skus[0])", #"{"quantity": 2}"#, cart: cart)
            #expect(try await pttl(key) > week - 60_000, "a change renews")

            let (token, userID) = try await Self.token(context)
            _ = try await Self.add(context, skus[1], 1, token: token)
            let userKey = "emporium:cart:user:\(userID)"
            #expect(try await pttl(userKey) > 30 * 86_400_000 - 60_000, "30 days for a user")
            _ = try await redis.send(command: "PEXPIRE", args: [.string(userKey), 10_000])
            _ = try await Self.send(context, .post, "/v1/cart/merge", cart: cart, token: token)
            #expect(try await pttl(userKey) > 30 * 86_400_000 - 60_000, "a merge renews")
            #expect(try await pttl(key) == -2, "the merged guest cart is deleted")
        }
    }

    // MARK: Bad input

    @Test(arguments: Backend.allCases)
    func badInputIsRefusedNamingTheFieldAndChangesNothing(_ backend: Backend) async throws {
        try await CartTestPlatform.run(backend) { context in
            try await Self.product(context, sku: "CART-BAD-ARCH", amount: 100, status: "archived")
            try await Self.product(context, sku: "CART-BAD-EUR", amount: 100, currency: "EUR")
            let sku = try await Self.demoSKUs(context, count: 1)[0]
            try await context.setStock(sku, 10)
            let cart = try #require(try await Self.add(context, sku, 1).headers[Self.cartID])
            let before = Self.quantities(try await Self.send(context, .get, "/v1/cart", cart: cart))

            let cases: [(method: HTTPRequest.Method, uri: String, body: String, status: HTTPResponse.Status, names: [String])] = [
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": 0}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": -1}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": 1000}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": "2"}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": 1.5}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)"}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": null}"#, .badRequest, ["quantity"]),
                (.post, "/v1/cart/items", #"{"sku": "lower-case", "quantity": 1}"#, .badRequest, ["sku"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": 1, "price": 1}"#, .badRequest, ["price"]),
                (.post, "/v1/cart/items", #"{"sku": "NO-SUCH-SKU-1", "quantity": 1}"#, .unprocessableContent, ["sku"]),
                (.post, "/v1/cart/items", #"{"sku": "CART-BAD-ARCH", "quantity": 1}"#, .unprocessableContent, ["sku"]),
                (.post, "/v1/cart/items", #"{"sku": "CART-BAD-EUR", "quantity": 1}"#, .unprocessableContent, ["sku"]),
                (.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": 10}"#, .unprocessableContent, ["quantity"]),
                (.patch, "/v1/cart/items/\(sku)", #"{"quantity": 0}"#, .badRequest, ["quantity"]),
                (.patch, "/v1/cart/items/\(sku)", #"{"quantity": 11}"#, .unprocessableContent, ["quantity"]),
                (.patch, "/v1/cart/items/\(sku)", #"{"quantity": 2, "sku": "X"}"#, .badRequest, ["sku"]),
                (.patch, "/v1/cart/items/lower", #"{"quantity": 1}"#, .badRequest, ["sku"]),
                (.patch, "/v1/cart/items/NO-SUCH-SKU-1", #"{"quantity": 1}"#, .unprocessableContent, ["sku"]),
            ]
            for (method, uri, body, status, names) in cases {
                let response = try await Self.send(context, method, uri, body, cart: cart)
                #expect(response.status == status, "\(method) \(uri) \(body)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(body)")
                #expect(Self.problemNames(response) == names, "\(method) \(uri) \(body): \(response.json)")
                #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", cart: cart)) == before, "nothing changed: \(body)")
            }
            let stock = try await Self.add(context, sku, 10, cart: cart)
            let detail = (stock.json["errors"] as? [[String: Any]])?.first?["detail"] as? String ?? ""
            #expect(detail.contains("only 10"), "the available count is named: \(detail)")
            #expect(try await Self.send(context, .post, "/v1/cart/items", "not json", cart: cart).status == .badRequest)
        }
    }

    // MARK: Unavailable callees

    /// A catalog or inventory that cannot be reached is a 503 naming it, and the cart works again
    /// when it is back.
    @Test(arguments: Backend.allCases)
    func anUnavailableCalleeIsA503NamingIt(_ backend: Backend) async throws {
        let catalogDown = CatalogSwitch()
        try await CartTestPlatform.run(backend, catalog: { SwitchableCatalog(catalog: $0, state: catalogDown) }) { context in
            let sku = try await Self.demoSKUs(context, count: 1)[0]
            let cart = try #require(try await Self.add(context, sku, 1).headers[Self.cartID])

            catalogDown.isDown.store(true, ordering: .relaxed)
            for response in [
                try await Self.send(context, .get, "/v1/cart", cart: cart),
                try await Self.add(context, sku, 1, cart: cart),
            ] {
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect((response.json["detail"] as? String)?.contains("The catalog service is unavailable") == true, "\(response.json)")
            }
            catalogDown.isDown.store(false, ordering: .relaxed)
            #expect(Self.quantities(try await Self.send(context, .get, "/v1/cart", cart: cart)) == [sku: 1], "nothing was added meanwhile")

            context.setInventoryDown(true)
            let inventory = try await Self.add(context, sku, 1, cart: cart)
            #expect(inventory.status == .serviceUnavailable)
            #expect((inventory.json["detail"] as? String)?.contains("The inventory service is unavailable") == true)
            #expect(try await Self.add(context, "NO-SUCH-SKU-9", 1, cart: cart).status == .unprocessableContent, "the catalog's refusal comes first")
            context.setInventoryDown(false)
            #expect(Self.quantities(try await Self.add(context, sku, 1, cart: cart)) == [sku: 2], "works again")
        }
    }

    // MARK: Document

    @Test func theDocumentDescribesTheCart() async throws {
        try await CartTestPlatform.run(.memory) { context in
            try await context.client.execute(uri: "/openapi.json", method: .get) { response in
                let document = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
                let paths = try #require(document["paths"]?.objectValue)
                for path in ["/v1/cart", "/v1/cart/items", "/v1/cart/items/{sku}", "/v1/cart/merge"] {
                    #expect(paths[path] != nil, "\(path)")
                }
                let add = try #require(paths["/v1/cart/items"]?["post"])
                #expect(add["responses"]?["503"] != nil)
                #expect(add["responses"]?["200"]?["headers"]?["X-Cart-Id"] != nil)
                let quantity = document["components"]?["schemas"]?["NewCartItem"]?["properties"]?["quantity"]
                #expect(quantity?["minimum"] == .number(1))
                #expect(quantity?["maximum"] == .number(999))
            }
        }
    }
}

/// Whether ``SwitchableCatalog`` fails.
final class CatalogSwitch: Sendable {
    let isDown = Atomic(false)
}

/// The catalog the cart is given, failing as an unreachable catalog does while switched down.
struct SwitchableCatalog: CatalogPricing {
    let catalog: any CatalogPricing
    let state: CatalogSwitch

    func variants(skus: [String]) async throws -> [String: SellableVariant] {
        if state.isDown.load(ordering: .relaxed) { throw ServiceUnavailableError(service: "catalog", reason: "connection refused") }
        return try await catalog.variants(skus: skus)
    }
}
