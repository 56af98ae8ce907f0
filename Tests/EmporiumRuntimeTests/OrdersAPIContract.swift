import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import NIOCore
@testable import Ordering
import Payments
import SQLKit
import Security
import Storage
import Synchronization
import Testing

/// The orders service and its checkout saga through the whole platform, on either database.
enum OrdersAPIContract {
    typealias Context = OrdersTestPlatform.Context
    typealias Card = SimulatedPaymentProcessor.TestCard

    static func sku() -> String { "ORD-\(UUID().uuidString.prefix(8))" }

    static func events(_ context: Context, _ orderID: String, token: String? = nil) async throws -> [String] {
        let response = try await context.send(.get, "/v1/orders/\(orderID)/events", token: token ?? context.support)
        return (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
    }

    static func outboxTypes(_ context: Context, _ orderID: String) async throws -> [String] {
        try await context.database.withConnection { sql in
            try await sql.raw("SELECT type, payload FROM emporium_outbox WHERE service = 'orders' ORDER BY sequence").all()
                .filter { try $0.decode(column: "payload", as: String.self).contains(#""subject":"\#(orderID)""#) }
                .map { try $0.decode(column: "type", as: String.self) }
        }
    }

    // MARK: Journeys

    /// A checkout confirms, empties the cart and holds the stock; shipping captures and commits;
    /// delivery; a refund by support reaches the order; each step is an event of its stream.
    static func happyPathToDelivered(_ kind: DatabaseKind, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            let sku = sku()
            try await context.product(sku, amount: 2_500, stock: 10)
            let buyer = try await context.buyer()
            try await context.addToCart(buyer.token, sku, 3)
            let placed = try await context.checkout(buyer.token, method: buyer.method)
            #expect(placed.status == .created, "\(String(buffer: placed.body))")
            #expect(placed.json["status"] as? String == "confirmed")
            #expect((placed.json["total"] as? [String: Any])?["amount"] as? Int == 7_500)
            #expect(((placed.json["lines"] as? [[String: Any]])?.first?["quantity"]) as? Int == 3)
            #expect((placed.json["shippingAddress"] as? [String: Any])?["country"] as? String == "GB")
            let orderID = try #require(placed.json["id"] as? String)
            #expect(placed.headers[.location] == "/v1/orders/\(orderID)")
            let cart = try await context.send(.get, "/v1/cart", token: buyer.token)
            #expect((cart.json["lines"] as? [Any])?.isEmpty == true, "a confirmed checkout empties the cart")
            #expect(try await context.stock(sku) == (7, 10, 3))
            #expect(try await context.payments(of: orderID).map { $0["status"] as? String } == ["authorized"])
            // Confirmed: the reservation is kept until shipment, whatever the expiry job finds later.
            let inventory = try #require(context.platform.services.lazy.compactMap { $0 as? InventoryService }.first)
            #expect(try await inventory.reservation(orderId: try #require(UUID(uuidString: orderID)))?.keptAt != nil)
            _ = try await inventory.store.expireDue(now: .now.addingTimeInterval(86_400), limit: 100)
            #expect(try await context.stock(sku) == (7, 10, 3), "a day later the stock is still held")

            // The owner sees it; the list shows it; another customer does not.
            #expect(try await context.order(orderID, token: buyer.token)["status"] as? String == "confirmed")
            let mine = try await context.send(.get, "/v1/orders", token: buyer.token)
            #expect((mine.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [orderID])
            let stranger = try await context.buyer()
            #expect(try await context.send(.get, "/v1/orders/\(orderID)", token: stranger.token).status == .notFound)
            #expect(try await context.send(.get, "/v1/orders/\(orderID)/events", token: stranger.token).status == .notFound)
            #expect((try await context.send(.get, "/v1/orders", token: stranger.token).json["items"] as? [Any])?.isEmpty == true)

            // Only support ships and delivers; delivering before shipping is a 409 naming both states.
            #expect(try await context.send(.post, "/v1/orders/\(orderID)/ship", token: buyer.token).status == .forbidden)
            let early = try await context.send(.post, "/v1/orders/\(orderID)/deliver", token: context.support)
            #expect(early.status == .conflict)
            #expect((early.json["detail"] as? String) == "An order that is confirmed cannot become delivered.")
            let shipped = try await context.send(.post, "/v1/orders/\(orderID)/ship", token: context.support)
            #expect(shipped.status == .ok, "\(String(buffer: shipped.body))")
            #expect(shipped.json["status"] as? String == "shipped")
            #expect(try await context.stock(sku) == (7, 7, 0), "shipping commits the stock")
            let again = try await context.send(.post, "/v1/orders/\(orderID)/ship", token: context.support)
            #expect(again.status == .ok, "shipping a shipped order answers it")
            #expect(again.json["version"] as? Int == shipped.json["version"] as? Int, "and appends nothing")
            #expect(try await context.payments(of: orderID).map { $0["status"] as? String } == ["captured"])
            #expect(try await context.send(.post, "/v1/orders/\(orderID)/cancel", token: buyer.token).status == .conflict, "too late to cancel")
            let delivered = try await context.send(.post, "/v1/orders/\(orderID)/deliver", token: context.support)
            #expect(delivered.json["status"] as? String == "delivered")

            // Support refunds part of the payment: the order hears of it.
            let paymentID = try #require(try await context.payments(of: orderID).first?["id"] as? String)
            let refund = try await context.send(
                .post, "/v1/payments/\(paymentID)/refunds", #"{"amount": {"amount": 1000, "currency": "USD"}, "reason": "scratched"}"#,
                token: context.support, headers: [IdempotencyKey.header: "refund-1"])
            #expect(refund.status == .created)
            var status = ""
            for _ in 0..<1_200 where status != "partially_refunded" {
                status = try await context.order(orderID)["status"] as? String ?? ""
                if status != "partially_refunded" { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == "partially_refunded")
            #expect((try await context.order(orderID)["refundedAmount"] as? [String: Any])?["amount"] as? Int == 1_000)

            #expect(try await events(context, orderID, token: buyer.token) == [
                "placed", "stock_reserved", "payment_authorized", "confirmed", "shipment_requested", "shipped", "delivered", "refunded",
            ])
            // Over HTTP, the saga's calls went through the other services' internal routes.
            let metrics = String(buffer: try await context.send(.get, "/metrics").body)
            for route in ["/internal/v1/payments/authorizations", "/internal/v1/inventory/reservations/{orderId}", "/internal/v1/cart/users/{userId}"] {
                #expect(metrics.contains(#"route="\#(route)""#) == (calls == .http), "\(route) called over HTTP: \(calls)")
            }
            #expect(try await outboxTypes(context, orderID) == [
                OrdersEvents.orderPlaced, OrdersEvents.orderConfirmed, OrdersEvents.orderShipped, OrdersEvents.orderDelivered,
                OrdersEvents.orderRefunded,
            ])
        }
    }

    /// A declined card: the order is cancelled with the card's reason, the stock released and
    /// nothing captured. Too little stock: cancelled out of stock, and no payment is attempted.
    static func failuresCompensate(_ kind: DatabaseKind, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            let sku = sku()
            try await context.product(sku, stock: 5)
            let declined = try await context.buyer(card: Card.declined)
            try await context.addToCart(declined.token, sku, 2)
            let refused = try await context.checkout(declined.token, method: declined.method)
            #expect(refused.status == .created)
            #expect(refused.json["status"] as? String == "cancelled")
            #expect(refused.json["cancellationReason"] as? String == "card declined")
            #expect(refused.json["cancellationCode"] as? String == "card_declined")
            let refusedID = try #require(refused.json["id"] as? String)
            #expect(try await context.stock(sku) == (5, 5, 0), "the reservation was released")
            #expect(try await context.payments(of: refusedID).map { $0["status"] as? String } == ["failed"])
            #expect(try await events(context, refusedID) == ["placed", "stock_reserved", "cancellation_requested", "cancelled"])
            let cart = try await context.send(.get, "/v1/cart", token: declined.token)
            #expect((cart.json["lines"] as? [Any])?.count == 1, "a cancelled checkout leaves the cart")

            let greedy = try await context.buyer()
            try await context.addToCart(greedy.token, sku, 5)
            try await context.send(.put, "/v1/inventory/\(sku)", #"{"available": 4}"#, token: TestPlatform.writerAuthorization)
            let authorizationsBefore = context.payments.authorizations.load(ordering: .relaxed)
            let short = try await context.checkout(greedy.token, method: greedy.method)
            #expect(short.status == .created)
            #expect(short.json["status"] as? String == "cancelled")
            #expect(short.json["cancellationReason"] as? String == "out of stock: \(sku)")
            let shortID = try #require(short.json["id"] as? String)
            #expect(try await context.payments(of: shortID).isEmpty)
            #expect(context.payments.authorizations.load(ordering: .relaxed) == authorizationsBefore, "no authorization was attempted")
            #expect(try await context.stock(sku) == (4, 4, 0))

            // The customer cancels a confirmed order: the authorization is voided, the stock released.
            let buyer = try await context.buyer()
            try await context.addToCart(buyer.token, sku, 1)
            let confirmed = try await context.checkout(buyer.token, method: buyer.method)
            let confirmedID = try #require(confirmed.json["id"] as? String)
            #expect(try await context.stock(sku) == (3, 4, 1))
            let cancelled = try await context.send(.post, "/v1/orders/\(confirmedID)/cancel", token: buyer.token)
            #expect(cancelled.status == .ok)
            #expect(cancelled.json["cancellationReason"] as? String == "cancelled by the customer")
            #expect(try await context.stock(sku) == (4, 4, 0))
            #expect(try await context.payments(of: confirmedID).map { $0["status"] as? String } == ["voided"])
            let again = try await context.send(.post, "/v1/orders/\(confirmedID)/cancel", token: buyer.token)
            #expect(again.status == .ok, "cancelling a cancelled order answers it")
            #expect(again.json["version"] as? Int == cancelled.json["version"] as? Int, "and appends nothing")

            // Checkouts by outcome and reason, and the saga's steps, in /metrics.
            let metrics = String(buffer: try await context.send(.get, "/metrics").body)
            #expect(metrics.contains(#"orders_checkouts_total{outcome="cancelled",reason="card_declined"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"orders_checkouts_total{outcome="cancelled",reason="out_of_stock"} 1"#))
            #expect(metrics.contains(#"orders_checkouts_total{outcome="confirmed",reason="none"} 1"#))
            #expect(metrics.contains(#"orders_checkout_step_duration_seconds_count{step="authorize"} 2"#))
            #expect(metrics.contains("orders_awaiting_recovery"))
            // What an operator watches besides: the refused authorization, the value of the
            // confirmed order (one unit at 25.00 USD), and the three carts made.
            #expect(MetricsRegistry.value(#"emporium_payment_failures_total{operation="authorize",reason="card_declined"}"#, in: metrics) == 1)
            #expect(MetricsRegistry.value(#"emporium_orders_confirmed_amount_total{currency="USD"}"#, in: metrics) == 25)
            #expect(MetricsRegistry.value("emporium_carts_created_total", in: metrics) == 3)
        }
    }

    /// The same checkout sent 10 times at once with one key places one order and authorizes
    /// once; the key with another body is a 422.
    static func oneKeyOneOrder(_ kind: DatabaseKind, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            let sku = sku()
            try await context.product(sku, stock: 50)
            let buyer = try await context.buyer()
            try await context.addToCart(buyer.token, sku, 2)
            let before = context.payments.authorizations.load(ordering: .relaxed)
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let response = try await context.checkout(buyer.token, method: buyer.method, key: "same-key")
                        return (response.status, response.json["id"] as? String)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == .created }.count == 1, "\(answers)")
            #expect(answers.allSatisfy { $0.0 == .created || $0.0 == .ok }, "\(answers)")
            #expect(Set(answers.compactMap(\.1)).count == 1, "one order")
            let orderID = try #require(answers.first?.1)
            #expect(try await context.payments(of: orderID).count == 1)
            #expect(context.payments.authorizations.load(ordering: .relaxed) - before == 1)
            #expect(try await context.count("orders") == 1)
            #expect(try await context.stock(sku).reserved == 2)

            let other = try await context.checkout(
                buyer.token, method: buyer.method, key: "same-key",
                address: #"{"line1": "2 Other Road", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB"}"#)
            #expect(other.status == .unprocessableContent)
            #expect(CartAPITests.problemNames(other) == ["Idempotency-Key"])
            // Another user may use the same key: keys belong to their user.
            let neighbour = try await context.buyer()
            try await context.addToCart(neighbour.token, sku, 1)
            #expect(try await context.checkout(neighbour.token, method: neighbour.method, key: "same-key").status == .created)
        }
    }

    /// 20 buyers at once for 5 units: exactly 5 confirmed, 15 cancelled out of stock, nothing
    /// left available, 5 authorizations; `rounds` times.
    static func noOverselling(_ kind: DatabaseKind, rounds: Int, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            for round in 0..<rounds {
                let sku = sku()
                try await context.product(sku, stock: 5)
                var buyers: [(token: String, userID: String, method: String)] = []
                for _ in 0..<20 {
                    let buyer = try await context.buyer()
                    try await context.addToCart(buyer.token, sku, 1)
                    buyers.append(buyer)
                }
                let orders = try await withThrowingTaskGroup(of: (id: String, status: String, reason: String?).self) { group in
                    for buyer in buyers {
                        group.addTask {
                            let json = try await context.checkout(buyer.token, method: buyer.method).json
                            return (json["id"] as? String ?? "", json["status"] as? String ?? "", json["cancellationReason"] as? String)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let confirmed = orders.filter { $0.status == "confirmed" }
                let cancelled = orders.filter { $0.status == "cancelled" }
                #expect(confirmed.count == 5, "round \(round)")
                #expect(cancelled.count == 15, "round \(round)")
                #expect(cancelled.allSatisfy { $0.reason == "out of stock: \(sku)" })
                #expect(try await context.stock(sku) == (0, 5, 5), "round \(round)")
                var authorized = 0
                for order in orders {
                    let payments = try await context.payments(of: order.id)
                    authorized += payments.filter { $0["status"] as? String == "authorized" }.count
                }
                #expect(authorized == 5, "round \(round)")
            }
        }
    }

    // MARK: Recovery

    /// The payments service is down during a checkout: the order waits, reserved, for the
    /// recovery, which confirms it once payments is back, authorizing once. A card whose
    /// processor does not answer is settled by the recovery too. A reservation that expired
    /// meanwhile cancels the order.
    static func recoveryFinishesCheckouts(_ kind: DatabaseKind, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            let sku = sku()
            try await context.product(sku, stock: 10)
            let buyer = try await context.buyer()
            try await context.addToCart(buyer.token, sku, 1)
            // A second checkout, made while payments is down: 503 before anything is written.
            context.payments.setDown(true)
            let refused = try await context.checkout(buyer.token, method: buyer.method, key: "refused-while-down")
            #expect(refused.status == .serviceUnavailable)
            #expect((refused.json["detail"] as? String ?? "").contains("payments"))
            #expect(try await context.count("checkout_keys") == 0, "nothing written")
            context.payments.setDown(false)

            // An order stranded after its reservation (the payments service went down mid-saga).
            try await context.addToCart(buyer.token, sku, 2)
            let stranded = try await stranded(context, buyer)
            #expect(stranded.status == .accepted, "\(String(buffer: stranded.body))")
            #expect(stranded.json["status"] as? String == "stock_reserved")
            let strandedID = try #require(stranded.json["id"] as? String)
            context.payments.setDown(true)
            try await context.recover()
            #expect(try await context.order(strandedID)["status"] as? String == "stock_reserved", "still waiting while payments is down")
            context.payments.setDown(false)
            try await context.recover()
            #expect(try await context.order(strandedID)["status"] as? String == "confirmed")
            #expect(try await context.payments(of: strandedID).map { $0["status"] as? String } == ["authorized"], "authorized once")
            // The same key now answers the settled order.
            let repeated = try await context.checkout(buyer.token, method: buyer.method, key: "stranded")
            #expect(repeated.status == .ok)
            #expect(repeated.json["status"] as? String == "confirmed")

            // The processor does not answer: 202, then the recovery asks again with the same key.
            let slow = try await context.buyer(card: Card.authorizationTimesOut)
            try await context.addToCart(slow.token, sku, 1)
            let pending = try await context.checkout(slow.token, method: slow.method)
            #expect(pending.status == .accepted)
            let pendingID = try #require(pending.json["id"] as? String)
            try await context.recover()
            #expect(try await context.order(pendingID)["status"] as? String == "confirmed")
            #expect(try await context.payments(of: pendingID).map { $0["status"] as? String } == ["authorized"])
            #expect(try await context.stock(sku) == (6, 10, 4))
        }
    }

    /// Places an order whose saga finds payments down at the authorization (the hook: payments
    /// is down for the authorization only).
    private static func stranded(_ context: Context, _ buyer: (token: String, userID: String, method: String)) async throws -> TestResponse {
        context.payments.failAuthorizations(true)
        defer { context.payments.failAuthorizations(false) }
        return try await context.checkout(buyer.token, method: buyer.method, key: "stranded")
    }

    // MARK: Input

    /// Bad input is a 4xx problem naming what is wrong, and writes nothing.
    static func badInputWritesNothing(_ kind: DatabaseKind, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            let sku = sku()
            try await context.product(sku, stock: 5)
            let buyer = try await context.buyer()
            let body = #"{"paymentMethodId": "\#(buyer.method)", "shippingAddress": \#(Context.address)}"#
            // The key: missing, too long, with a space.
            let missing = try await context.send(.post, "/v1/checkout", body, token: buyer.token)
            #expect(missing.status == .badRequest)
            #expect(CartAPITests.problemNames(missing) == ["Idempotency-Key"])
            for key in [String(repeating: "k", count: 256), "with space"] {
                let bad = try await context.checkout(buyer.token, method: buyer.method, key: key)
                #expect(bad.status == .badRequest)
                #expect(CartAPITests.problemNames(bad) == ["Idempotency-Key"])
            }
            #expect(try await context.checkout(buyer.token, method: buyer.method, key: String(repeating: "k", count: 255)).status == .unprocessableContent, "a 255-character key is fine; the cart is empty")
            // An empty cart.
            let empty = try await context.checkout(buyer.token, method: buyer.method)
            #expect(empty.status == .unprocessableContent)
            #expect(CartAPITests.problemNames(empty) == ["cart"])
            try await context.addToCart(buyer.token, sku, 1)
            // Someone else's card, a card id that is no UUID.
            let other = try await context.buyer()
            let theirs = try await context.checkout(buyer.token, method: other.method)
            #expect(theirs.status == .unprocessableContent)
            #expect(CartAPITests.problemNames(theirs) == ["paymentMethodId"])
            let notUUID = try await context.checkout(buyer.token, method: "card-1")
            #expect(notUUID.status == .badRequest)
            #expect(CartAPITests.problemNames(notUUID) == ["paymentMethodId"])
            // A bad address, an unknown member, no body.
            let address = try await context.checkout(
                buyer.token, method: buyer.method, address: #"{"line1": " ", "city": "London", "postalCode": "N1", "country": "GBR"}"#)
            #expect(address.status == .badRequest)
            #expect(CartAPITests.problemNames(address).sorted() == ["shippingAddress.country", "shippingAddress.line1"])
            let unknown = try await context.send(
                .post, "/v1/checkout", #"{"paymentMethodId": "\#(buyer.method)", "shippingAddress": \#(Context.address), "total": 1}"#,
                token: buyer.token, headers: [IdempotencyKey.header: "k"])
            #expect(unknown.status == .badRequest)
            #expect(try await context.send(.post, "/v1/checkout", nil, token: buyer.token, headers: [IdempotencyKey.header: "k"]).status == .badRequest)
            // No token; a token without account.own.
            #expect(try await context.send(.post, "/v1/checkout", body, headers: [IdempotencyKey.header: "k"]).status == .unauthorized)
            // An archived product in the cart.
            #expect(try await context.count("order_events") == 0, "nothing written")
            #expect(try await context.count("checkout_keys") == 0)
            #expect(try await context.stock(sku) == (5, 5, 0))

            // Someone else's order: 404 to read, to cancel; support-only routes: 403.
            let placed = try await context.checkout(buyer.token, method: buyer.method)
            let orderID = try #require(placed.json["id"] as? String)
            #expect(try await context.send(.post, "/v1/orders/\(orderID)/cancel", token: other.token).status == .notFound)
            #expect(try await context.send(.post, "/v1/orders/\(orderID)/deliver", token: other.token).status == .forbidden)
            #expect(try await context.send(.get, "/v1/orders/not-a-uuid", token: buyer.token).status == .badRequest)
            #expect(try await context.send(.get, "/v1/orders?status=lost", token: buyer.token).status == .badRequest)
            #expect(try await context.send(.get, "/v1/orders?customer=\(other.userID)", token: buyer.token).status == .badRequest)
            let filtered = try await context.send(.get, "/v1/orders?customer=\(buyer.userID)&status=confirmed", token: context.support)
            #expect((filtered.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [orderID])
            #expect(try await context.order(orderID, token: buyer.token)["status"] as? String == "confirmed")
        }
    }

    // MARK: Streams and projections

    /// `replay` rebuilds the projections byte for byte; an append at a stale version is refused.
    static func replayEqualsProjections(_ kind: DatabaseKind, calls: OrdersTestPlatform.Calls = .local) async throws {
        try await OrdersTestPlatform.run(kind, calls: calls) { context in
            let sku = sku()
            try await context.product(sku, stock: 3)
            for card in [Card.succeeds, Card.declined, Card.succeeds, Card.succeeds] {
                let buyer = try await context.buyer(card: card)
                try await context.addToCart(buyer.token, sku, 1)
                _ = try await context.checkout(buyer.token, method: buyer.method)
            }
            let orders = try await context.send(.get, "/v1/orders?limit=100", token: context.support).json["items"] as? [[String: Any]] ?? []
            #expect(orders.count == 4)
            if let first = orders.first?["id"] as? String {
                _ = try await context.send(.post, "/v1/orders/\(first)/ship", token: context.support)
            }
            func snapshot() async throws -> [String] {
                try await context.database.withConnection { sql in
                    var rows: [String] = []
                    for query in [
                        "SELECT id, user_id, status, currency, total, refunded_amount, item_count, payment_method_id, payment_id, cancellation_reason, cancellation_code, intent, version, created_at, updated_at FROM orders ORDER BY id",
                        "SELECT order_id, position, sku, product_id, product_name, quantity, currency, unit_price, line_total FROM order_lines ORDER BY order_id, position",
                    ] {
                        for row in try await sql.raw(SQLQueryString(query)).all() {
                            var cells: [String] = []
                            for column in row.allColumns {
                                if try row.decodeNil(column: column) { cells.append("NULL") }
                                else if let text = try? row.decode(column: column, as: String.self) { cells.append(text) }
                                else { cells.append(String(try row.decode(column: column, as: Int64.self))) }
                            }
                            rows.append(cells.joined(separator: "|"))
                        }
                    }
                    return rows
                }
            }
            let before = try await snapshot()
            #expect(before.count == 8)
            try await context.database.transaction { sql in
                try await sql.raw("DELETE FROM order_lines").run()
                try await sql.raw("UPDATE orders SET status = 'pending', total = 0").run()
                try await sql.raw("INSERT INTO orders SELECT 'stray', user_id, status, currency, total, refunded_amount, item_count, payment_method_id, payment_id, cancellation_reason, cancellation_code, intent, version, created_at, updated_at FROM orders LIMIT 1").run()
            }
            #expect(try await snapshot() != before)
            #expect(try await context.orders.replay() == 4)
            #expect(try await snapshot() == before)

            // A writer at a stale version loses, and writes nothing.
            let id = try #require(orders.last?["id"] as? String)
            let current = try #require(try await context.orders.store.order(id: id))
            var stale = current
            stale.version -= 1
            await #expect(throws: OrderError.concurrentChange(orderId: id, expectedVersion: stale.version)) {
                _ = try await context.orders.store.append([.delivered], to: stale)
            }
            #expect(try await context.orders.store.order(id: id) == current)
        }
    }
}

/// On SQLite, each test twice: the orders service calling the other services in the process,
/// and calling them with their HTTP clients (the same process served live), as across processes.
@Suite("Orders API on SQLite")
struct OrdersAPISQLiteTests {
    typealias Calls = OrdersTestPlatform.Calls
    @Test(arguments: Calls.allCases) func happyPathToDelivered(_ calls: Calls) async throws { try await OrdersAPIContract.happyPathToDelivered(.sqlite, calls: calls) }
    @Test(arguments: Calls.allCases) func failuresCompensate(_ calls: Calls) async throws { try await OrdersAPIContract.failuresCompensate(.sqlite, calls: calls) }
    @Test(arguments: Calls.allCases) func oneKeyOneOrder(_ calls: Calls) async throws { try await OrdersAPIContract.oneKeyOneOrder(.sqlite, calls: calls) }
    @Test(arguments: Calls.allCases) func noOverselling(_ calls: Calls) async throws { try await OrdersAPIContract.noOverselling(.sqlite, rounds: 1, calls: calls) }
    @Test(arguments: Calls.allCases) func recoveryFinishesCheckouts(_ calls: Calls) async throws { try await OrdersAPIContract.recoveryFinishesCheckouts(.sqlite, calls: calls) }
    @Test(arguments: Calls.allCases) func badInputWritesNothing(_ calls: Calls) async throws { try await OrdersAPIContract.badInputWritesNothing(.sqlite, calls: calls) }
    @Test(arguments: Calls.allCases) func replayEqualsProjections(_ calls: Calls) async throws { try await OrdersAPIContract.replayEqualsProjections(.sqlite, calls: calls) }
}

@Suite("Orders API on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct OrdersAPIPostgresTests {
    @Test func happyPathToDelivered() async throws { try await OrdersAPIContract.happyPathToDelivered(.postgres) }
    @Test func failuresCompensate() async throws { try await OrdersAPIContract.failuresCompensate(.postgres) }
    @Test func oneKeyOneOrder() async throws { try await OrdersAPIContract.oneKeyOneOrder(.postgres) }
    @Test func noOverselling() async throws { try await OrdersAPIContract.noOverselling(.postgres, rounds: 10) }
    @Test func recoveryFinishesCheckouts() async throws { try await OrdersAPIContract.recoveryFinishesCheckouts(.postgres) }
    @Test func badInputWritesNothing() async throws { try await OrdersAPIContract.badInputWritesNothing(.postgres) }
    @Test func replayEqualsProjections() async throws { try await OrdersAPIContract.replayEqualsProjections(.postgres) }
}
