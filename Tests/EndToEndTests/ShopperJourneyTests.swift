import Foundation
import NIOHTTP1
import Testing

/// The shop from outside, through the one base URL its clients use (a cluster's gateway, or
/// `emporium serve`): a shopper registers, browses and fills a cart as a guest, signs in and
/// merges it, pays; the confirmation email arrives; a support agent ships the order and refunds
/// part of it; the shopper sees the order refunded and gets the refund email. A few gateway rules
/// are checked on the way, as a client meets them.
///
/// Every step checks the status, the content type and the members a client relies on, and stops
/// the journey at the first step that differs, naming it with its request and answer. The steps'
/// answers go into the ``Transcript``, so that two deployments can be compared line by line.
@Suite("End to end, through one base URL", .enabled(if: EndToEndEnvironment.isEnabled, EndToEndEnvironment.skipReason), .timeLimit(.minutes(5)))
struct ShopperJourneyTests {
    static let password = "seven tired otters paddle home at dusk"
    static let query = "lamp"
    static let address: JSONValue = .object([
        "line1": .string("1 Main St"), "city": .string("London"), "postalCode": .string("N1 1AA"), "country": .string("GB"),
    ])
    /// A card the simulated processor authorizes, captures and refunds.
    static let card = "4242424242424242"
    static let refund: Int64 = 500

    @Test("a shopper buys (guest cart, sign-in, merge, checkout, email); support ships and refunds part; the shopper sees it and is told")
    func shopperAndSupport() async throws {
        let environment = try EndToEndEnvironment.load()
        if let file = environment.transcript { try? FileManager.default.removeItem(at: file) }
        let transcript = Transcript(file: environment.transcript)
        let shop = ShopClient(baseURL: environment.baseURL, transcript: transcript)
        let email = "e2e-\(UUID().uuidString.lowercased().prefix(12))@example.com"
        transcript.mask(email, as: "shopper-email")
        transcript.mask(environment.supportEmail.lowercased(), as: "support-email")
        let mail = MailDrop(folder: environment.mailFolder, recipient: email)
        let credentials = JSONValue.object(["email": .string(email), "password": .string(Self.password)]).canonical

        // MARK: An account

        let registered = try await shop.send("register", .POST, "/v1/auth/register", json: credentials)
        try registered.expect(201)
        let userID = try registered.string("id")
        try registered.check(UUID(uuidString: userID) != nil, "id to be a UUID")
        try registered.expect("email", equals: .string(email))
        try registered.expect("roles", equals: .array([.string("customer")]))

        let login = try await shop.send("login", .POST, "/v1/auth/login", json: credentials)
        try login.expect(200)
        try Self.checkTokens(login)

        let refreshed = try await shop.send(
            "refresh the session", .POST, "/v1/auth/refresh",
            json: JSONValue.object(["refreshToken": .string(try login.string("refreshToken"))]).canonical)
        try refreshed.expect(200)
        try Self.checkTokens(refreshed)
        try refreshed.check(try refreshed.string("refreshToken") != (try login.string("refreshToken")), "a new refresh token (rotation)")

        // MARK: Browsing and a guest cart

        let search = try await shop.send("search the catalog", .GET, "/v1/products?q={q}&sort=price_asc&limit=3", ["q": Self.query])
        try search.expect(200)
        let found = try search.array("items")
        try search.check(found.count == 3, "3 items")
        for (index, item) in found.enumerated() {
            try search.check(item["id"]?.string.flatMap(UUID.init(uuidString:)) != nil, "items[\(index)].id to be a UUID")
            let words = ((item["name"]?.string ?? "") + " " + (item["description"]?.string ?? "")).lowercased()
            try search.check(words.contains(Self.query), "items[\(index)] to mention \(Self.query)")
            try search.check(item["variants"]?[0]?["sku"]?.string != nil, "items[\(index)].variants[0].sku")
            try search.check(item["variants"]?[0]?["price"]?.money != nil, "items[\(index)].variants[0].price")
        }
        let prices = found.compactMap { $0["variants"]?.array?.compactMap { $0["price"]?.money?.amount }.min() }
        try search.check(prices == prices.sorted(), "items by price, lowest first: \(prices)")
        // The gateway: every routed answer tells the client its rate limit.
        for name in ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] {
            try search.check(search.header(name).flatMap(Int.init) != nil, "a numeric \(name) header")
        }
        let firstID = try search.string("items", 0, "id")
        let firstSKU = try search.string("items", 0, "variants", 0, "sku")
        let firstPrice = try search.money("items", 0, "variants", 0, "price")
        let secondSKU = try search.string("items", 1, "variants", 0, "sku")
        let secondPrice = try search.money("items", 1, "variants", 0, "price")

        let product = try await shop.send("a product", .GET, "/v1/products/{id}", ["id": firstID])
        try product.expect(200)
        try product.expect("id", equals: .string(firstID))
        try product.check(product.header("ETag")?.hasPrefix("\"") == true, "an ETag")
        try product.check(
            try product.array("variants").contains { $0["sku"]?.string == firstSKU && $0["price"]?.money == firstPrice },
            "the variant \(firstSKU) at \(firstPrice)")

        // A guest cart's id is new on every run: masked before the answer is recorded.
        let added = try await shop.send(
            "guest: add to cart", .POST, "/v1/cart/items", json: #"{"sku": "\#(firstSKU)", "quantity": 2}"#, record: false)
        transcript.mask(added.header("X-Cart-Id") ?? "", as: "guest-cart")
        added.record()
        try added.expect(200)
        let guestCart = try Self.checkGuestCart(added)
        try Self.checkLines(added, [firstSKU: 2])
        try added.check(try added.money("total") == firstPrice * 2, "total \(firstPrice * 2)")

        let addedAgain = try await shop.send(
            "guest: add another product", .POST, "/v1/cart/items", json: #"{"sku": "\#(secondSKU)", "quantity": 1}"#,
            headers: [("X-Cart-Id", guestCart)])
        try addedAgain.expect(200)
        try addedAgain.check(try Self.checkGuestCart(addedAgain) == guestCart, "the same X-Cart-Id")
        try Self.checkLines(addedAgain, [firstSKU: 2, secondSKU: 1])
        let cartTotal = firstPrice * 2 + secondPrice
        try addedAgain.check(try addedAgain.money("total") == cartTotal, "total \(cartTotal)")
        try addedAgain.expect("itemCount", equals: .int(3))

        // MARK: Signing in: the guest cart becomes the shopper's

        let signIn = try await shop.send("log in again", .POST, "/v1/auth/login", json: credentials)
        try signIn.expect(200)
        try Self.checkTokens(signIn)
        let token = try signIn.string("accessToken")

        let merged = try await shop.send("merge the guest cart", .POST, "/v1/cart/merge", token: token, headers: [("X-Cart-Id", guestCart)])
        try merged.expect(200)
        try merged.expect("id", equals: .string(userID))
        try merged.check(merged.header("X-Cart-Id") == nil, "no X-Cart-Id for a signed-in shopper")
        try Self.checkLines(merged, [firstSKU: 2, secondSKU: 1])
        try merged.check(try merged.money("total") == cartTotal, "total \(cartTotal)")

        let oldCart = try await shop.send("the guest cart is gone", .GET, "/v1/cart", headers: [("X-Cart-Id", guestCart)], record: false)
        transcript.mask(oldCart.header("X-Cart-Id") ?? "", as: "guest-cart")
        oldCart.record()
        try oldCart.expect(200)
        let newGuestCart = try Self.checkGuestCart(oldCart)
        try oldCart.check(newGuestCart != guestCart, "a new X-Cart-Id: the merged cart was deleted")
        try Self.checkLines(oldCart, [:])

        // MARK: Profile, address and card

        let profile = try await shop.poll("profile", .GET, "/v1/users/me", token: token, within: .seconds(30)) { $0.status == 200 }
        try profile.expect(200)
        try profile.expect("id", equals: .string(userID))
        try profile.expect("email", equals: .string(email))
        try profile.expect("roles", equals: .array([.string("customer")]))

        let address = try await shop.send("add an address", .POST, "/v1/users/me/addresses", json: Self.address.canonical, token: token)
        try address.expect(201)
        for (key, value) in Self.address.object! { try address.expect(.key(key), equals: value) }

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let expiryYear = calendar.component(.year, from: Date()) + 3
        let card = try await shop.send(
            "add a card", .POST, "/v1/payment-methods",
            json: #"{"number": "\#(Self.card)", "expMonth": 12, "expYear": \#(expiryYear), "cvc": "123"}"#, token: token,
            varying: ["expYear"])
        try card.expect(201)
        let cardID = try card.string("id")
        try card.expect("brand", equals: .string("visa"))
        try card.expect("last4", equals: .string("4242"))
        try card.check(!String(decoding: card.body, as: UTF8.self).contains(Self.card), "no card number in the answer")

        // MARK: Checkout

        let checkoutBody = JSONValue.object(["paymentMethodId": .string(cardID), "shippingAddress": Self.address]).canonical
        let checkout = try await shop.send(
            "checkout", .POST, "/v1/checkout", json: checkoutBody, token: token, headers: [("Idempotency-Key", "e2e-checkout-1")])
        try checkout.expect(201)
        let orderID = try checkout.string("id")
        try Self.checkOrder(checkout, id: orderID, userID: userID, status: "confirmed", total: cartTotal, refunded: 0)
        try checkout.check(checkout.header("Location") == "/v1/orders/\(orderID)", "Location /v1/orders/\(orderID)")
        try checkout.expect("paymentMethodId", equals: .string(cardID))
        let paymentID = try checkout.string("paymentId")

        let repeated = try await shop.send(
            "checkout again with the same key", .POST, "/v1/checkout", json: checkoutBody, token: token,
            headers: [("Idempotency-Key", "e2e-checkout-1")])
        try repeated.expect(200)
        try repeated.expect("id", equals: .string(orderID))

        let emptied = try await shop.send("the cart after checkout", .GET, "/v1/cart", token: token)
        try emptied.expect(200)
        try Self.checkLines(emptied, [:])

        let welcome = try await Self.email(
            "welcome email", mail, subject: "Welcome to Emporium", within: environment.mailTimeout, transcript: transcript)
        try Self.check(welcome, "welcome email", contains: [])
        let confirmation = try await Self.email(
            "order confirmation email", mail, subject: "Order \(orderID) confirmed", within: environment.mailTimeout, transcript: transcript)
        try Self.check(confirmation, "order confirmation email", contains: [
            orderID, "2 × ", "(\(firstSKU)): \(firstPrice * 2)", "1 × ", "(\(secondSKU)): \(secondPrice)", "Total: \(cartTotal)",
        ])

        // MARK: The order, as the shopper sees it

        let orders = try await shop.send("my orders", .GET, "/v1/orders", token: token)
        try orders.expect(200)
        try orders.check(try orders.array("items").count == 1, "one order")
        try orders.expect("items", 0, "id", equals: .string(orderID))
        try orders.expect("items", 0, "status", equals: .string("confirmed"))
        try orders.expect("items", 0, "itemCount", equals: .int(3))
        try orders.check(try orders.money("items", 0, "total") == cartTotal, "items[0].total \(cartTotal)")

        let order = try await shop.send("my order", .GET, "/v1/orders/{id}", ["id": orderID], token: token)
        try order.expect(200)
        try Self.checkOrder(order, id: orderID, userID: userID, status: "confirmed", total: cartTotal, refunded: 0)

        // MARK: What a client cannot do

        let internalRoute = try await shop.send("internal routes are not routed", .GET, "/internal/v1/cart/users/{id}", ["id": userID])
        try internalRoute.expect(404)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try signIn.check(parts.count == 3, "a JWT of three parts")
        // Another first character of the signature: still canonical base64url, no longer the signature.
        let tampered = "\(parts[0]).\(parts[1]).\(parts[2].hasPrefix("A") ? "B" : "A")\(parts[2].dropFirst())"
        let refused = try await shop.send("a tampered token is refused", .GET, "/v1/orders", token: tampered)
        try refused.expect(401)
        try refused.check(refused.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "a WWW-Authenticate: Bearer challenge")
        let notSupport = try await shop.send("a shopper may not ship", .POST, "/v1/orders/{id}/ship", ["id": orderID], token: token)
        try notSupport.expect(403)

        // MARK: Support ships and refunds part

        let supportLogin = try await shop.send(
            "support: log in", .POST, "/v1/auth/login",
            json: JSONValue.object(["email": .string(environment.supportEmail), "password": .string(environment.supportPassword)]).canonical)
        try supportLogin.expect(200)
        try Self.checkTokens(supportLogin)
        let support = try supportLogin.string("accessToken")

        let supportView = try await shop.send("support: the order", .GET, "/v1/orders/{id}", ["id": orderID], token: support)
        try supportView.expect(200)
        try Self.checkOrder(supportView, id: orderID, userID: userID, status: "confirmed", total: cartTotal, refunded: 0)

        let shipped = try await shop.send("support: ship", .POST, "/v1/orders/{id}/ship", ["id": orderID], token: support)
        try shipped.expect(200)
        try Self.checkOrder(shipped, id: orderID, userID: userID, status: "shipped", total: cartTotal, refunded: 0)

        let shipment = try await Self.email(
            "shipment email", mail, subject: "Order \(orderID) has shipped", within: environment.mailTimeout, transcript: transcript)
        try Self.check(shipment, "shipment email", contains: [orderID])

        let payments = try await shop.send("support: the order's payments", .GET, "/v1/payments?order_id={id}", ["id": orderID], token: support)
        try payments.expect(200)
        try payments.check(try payments.array("items").count == 1, "one payment")
        try payments.expect("items", 0, "id", equals: .string(paymentID))
        try payments.expect("items", 0, "orderId", equals: .string(orderID))
        try payments.expect("items", 0, "status", equals: .string("captured"))
        try payments.check(try payments.money("items", 0, "capturedAmount") == cartTotal, "capturedAmount \(cartTotal)")

        let refundAmount = Money(amount: Self.refund, currency: cartTotal.currency)
        try payments.check(cartTotal.amount > refundAmount.amount, "a total above \(refundAmount), to refund part of it")
        let refund = try await shop.send(
            "support: refund part", .POST, "/v1/payments/{id}/refunds", ["id": paymentID],
            json: #"{"amount": {"amount": \#(refundAmount.amount), "currency": "\#(refundAmount.currency)"}, "reason": "arrived scratched"}"#,
            token: support, headers: [("Idempotency-Key", "e2e-refund-1")])
        try refund.expect(201)
        try refund.expect("id", equals: .string(paymentID))
        try refund.expect("status", equals: .string("partially_refunded"))
        try refund.check(try refund.money("refundedAmount") == refundAmount, "refundedAmount \(refundAmount)")
        try refund.check(try refund.money("capturedAmount") == cartTotal, "capturedAmount \(cartTotal)")

        // MARK: The shopper sees the refund and is told

        let refunded = try await shop.poll(
            "my order, refunded in part", .GET, "/v1/orders/{id}", ["id": orderID], token: token, within: .seconds(30)
        ) { $0.json?["status"]?.string == "partially_refunded" }
        try refunded.expect(200)
        try Self.checkOrder(refunded, id: orderID, userID: userID, status: "partially_refunded", total: cartTotal, refunded: refundAmount.amount)

        let refundEmail = try await Self.email(
            "refund email", mail, subject: "Refund for order \(orderID)", within: environment.mailTimeout, transcript: transcript)
        try Self.check(refundEmail, "refund email", contains: [orderID, "refunded \(refundAmount)", "(total \(cartTotal))"])

        let history = try await shop.send("my order's history", .GET, "/v1/orders/{id}/events", ["id": orderID], token: token)
        try history.expect(200)
        let types = try history.array("items").map { $0["type"]?.string ?? "?" }
        try history.check(
            types == ["placed", "stock_reserved", "payment_authorized", "confirmed", "shipment_requested", "shipped", "refunded"],
            "the events placed … refunded, not \(types)")

        let notifications = try await shop.send("my notifications", .GET, "/v1/notifications", token: token)
        try notifications.expect(200)
        let kinds = try notifications.array("items").map { $0["kind"]?.string ?? "?" }
        try notifications.check(
            kinds == ["order_refunded", "order_shipped", "order_confirmed", "welcome"], "the notifications newest first, not \(kinds)")

        // Each email exactly once.
        let subjects = try mail.messages().map(\.subject)
        try Self.check(subjects.sorted() == [
            "Order \(orderID) confirmed", "Order \(orderID) has shipped", "Refund for order \(orderID)", "Welcome to Emporium",
        ], "the shopper's mailbox holds each email once: \(subjects)")
        transcript.record(
            step: "the shopper's mailbox", request: "MAIL \(email)", status: "\(subjects.count) messages", contentType: nil,
            body: .array(subjects.sorted().map(JSONValue.string)))
    }

    // MARK: Checks shared by steps

    /// A login's or refresh's answer: an access token (a JWT), a refresh token, `Bearer`, 900 s.
    static func checkTokens(_ exchange: Exchange) throws {
        let access = try exchange.string("accessToken")
        try exchange.check(access.split(separator: ".", omittingEmptySubsequences: false).count == 3, "accessToken to be a JWT")
        try exchange.check(!(try exchange.string("refreshToken")).isEmpty, "a refreshToken")
        try exchange.expect("tokenType", equals: .string("Bearer"))
        try exchange.expect("expiresIn", equals: .int(900))
    }

    /// A guest's cart answer: its id in `X-Cart-Id` and in the body, never cached; returns the id.
    static func checkGuestCart(_ exchange: Exchange) throws -> String {
        guard let id = exchange.header("X-Cart-Id") else { throw exchange.failure("an X-Cart-Id header") }
        try exchange.check(id.count == 22 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "a cart id of 22 base64url characters")
        try exchange.expect("id", equals: .string(id))
        try exchange.check(exchange.header("Cache-Control") == "no-store", "Cache-Control: no-store")
        return id
    }

    /// The cart's lines are `quantities` by SKU, each available, priced and totalled.
    static func checkLines(_ exchange: Exchange, _ quantities: [String: Int64]) throws {
        let lines = try exchange.array("lines")
        var found: [String: Int64] = [:]
        for line in lines {
            guard let sku = line["sku"]?.string, let quantity = line["quantity"]?.int else { throw exchange.failure("lines with sku and quantity") }
            found[sku] = quantity
            try exchange.check(line["available"]?.bool == true, "line \(sku) available")
            if let price = line["unitPrice"]?.money {
                try exchange.check(line["lineTotal"]?.money == price * quantity, "line \(sku): lineTotal = unitPrice × quantity")
            } else {
                throw exchange.failure("line \(sku) with a unitPrice")
            }
        }
        try exchange.check(found == quantities, "the lines \(quantities), not \(found)")
        try exchange.check(lines.compactMap { $0["sku"]?.string } == lines.compactMap { $0["sku"]?.string }.sorted(), "lines by SKU")
    }

    /// An order as the API writes it.
    static func checkOrder(_ exchange: Exchange, id: String, userID: String, status: String, total: Money, refunded: Int64) throws {
        try exchange.expect("id", equals: .string(id))
        try exchange.expect("userId", equals: .string(userID))
        try exchange.expect("status", equals: .string(status))
        try exchange.check(try exchange.money("total") == total, "total \(total)")
        try exchange.check(try exchange.money("refundedAmount") == Money(amount: refunded, currency: total.currency), "refundedAmount \(refunded)")
        let lines = try exchange.array("lines")
        try exchange.check(
            lines.reduce(Money(amount: 0, currency: total.currency)) { $0 + ($1["lineTotal"]?.money ?? Money(amount: -1, currency: "?")) } == total,
            "lines adding up to the total")
        for (key, value) in address.object! { try exchange.expect("shippingAddress", .key(key), equals: value) }
        try exchange.check(exchange.json?["cancellationReason"] == nil, "no cancellationReason")
    }

    /// Waits for the email `subject` to the shopper and records it as the step `step`.
    static func email(_ step: String, _ mail: MailDrop, subject: String, within deadline: Duration, transcript: Transcript) async throws -> MailDrop.Message {
        let started = ContinuousClock.now
        let message: MailDrop.Message
        do {
            message = try await mail.waitForMessage(subject: subject, within: deadline)
        } catch {
            throw EndToEndFailure("step \"\(step)\": \(error)")
        }
        let elapsed = started.duration(to: .now).components
        print("e2e: \(step): \(message.file) after \(elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000) ms")
        transcript.record(step: step, request: "MAIL \(mail.recipient)", status: "received", contentType: "message/rfc822", body: message.json)
        return message
    }

    /// The email is to the shopper alone, has a text and an HTML part, and its text holds `texts`.
    static func check(_ message: MailDrop.Message, _ step: String, contains texts: [String]) throws {
        func fail(_ expectation: String) -> EndToEndFailure {
            EndToEndFailure("step \"\(step)\": expected \(expectation)\n  message: \(message.file) \"\(message.subject)\" to \(message.to)\n  text: \(message.text)")
        }
        guard message.recipients.count == 1 else { throw fail("one recipient, not \(message.recipients)") }
        guard message.to.contains(message.recipients[0]) else { throw fail("To: naming \(message.recipients[0])") }
        guard !message.text.isEmpty, message.html?.isEmpty == false else { throw fail("a text and an HTML part") }
        for text in texts where !message.text.contains(text) { throw fail("the text to contain \"\(text)\"") }
    }

    static func check(_ condition: Bool, _ expectation: String) throws {
        if !condition { throw EndToEndFailure(expectation) }
    }
}
