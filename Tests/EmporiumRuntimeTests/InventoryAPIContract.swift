import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Inventory
import Messaging
import NIOCore
import NIOFoundationCompat
import SQLKit
import Security
import Storage
import Testing

/// The inventory as its clients see it, through the whole middleware stack, on either
/// database: the public stock routes, the internal routes other services call, its events and
/// audit facts, its stock rows made from the catalog's events, and its expiry job.
enum InventoryAPIContract {
    // MARK: Helpers

    static func inventory(_ platform: EmporiumPlatform) throws -> InventoryService {
        try #require(platform.services.lazy.compactMap { $0 as? InventoryService }.first, "the inventory runs in the test platform")
    }

    /// Gives `sku` a stock row with `available` units, as the catalog's event and an adjustment would.
    static func stock(_ platform: EmporiumPlatform, _ sku: String, available: Int) async throws {
        let store = InventoryStore(database: try #require(platform.databases["inventory"]), outbox: Outbox(service: "inventory"))
        try await store.createMissingStock(skus: [sku], onHand: 0)
        _ = try await store.setAvailable(sku: sku, available: available, actor: "test")
    }

    static func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: String? = nil,
        authorization: String? = nil, contentType: String = "application/json"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if json != nil { headers[.contentType] = contentType }
        if let authorization { headers[.authorization] = authorization }
        if uri.hasPrefix("/internal/") { headers[.serviceCredential] = TestPlatform.serviceCredential(method: method, uri: uri, body: json) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { $0 }
    }

    /// The inventory's outbox: (type, subject, data), oldest first.
    static func events(_ platform: EmporiumPlatform, _ type: String) async throws -> [(subject: String, data: JSONValue)] {
        try await #require(platform.databases["inventory"]).withConnection { sql in
            try await sql.raw(
                "SELECT payload FROM emporium_outbox WHERE service = 'inventory' AND type = \(bind: type) ORDER BY sequence"
            ).all().map { row in
                let event = try CloudEvent.decode(Data(try row.decode(column: "payload", as: String.self).utf8))
                return (event.subject ?? "", event.data)
            }
        }
    }

    /// Rows of the inventory's reservation tables and its stock's reserved units.
    static func reservationState(_ platform: EmporiumPlatform) async throws -> [Int] {
        try await #require(platform.databases["inventory"]).withConnection { sql in
            [
                try await sql.raw("SELECT COUNT(*) AS n FROM inventory_reservations").first()!.decode(column: "n", as: Int.self),
                try await sql.raw("SELECT COUNT(*) AS n FROM inventory_reservation_lines").first()!.decode(column: "n", as: Int.self),
                try await sql.raw("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) AS n FROM inventory_stock").first()!.decode(column: "n", as: Int.self),
            ]
        }
    }

    /// Waits until `check` is true, at most 2 minutes (events are applied moments after the write
    /// that caused them, after the demo catalog's; alone a test waits a second or two, but the whole
    /// suite on two cores shared with other builds and suites was seen to slow tests tenfold).
    static func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
    }

    static func fields(_ response: TestResponse) -> [String] {
        (response.json["errors"] as? [[String: Any]] ?? []).compactMap { ($0["field"] ?? $0["parameter"]) as? String }
    }

    /// The response is a problem with `status` naming `field` (when given).
    static func expectProblem(_ response: TestResponse, _ status: HTTPResponse.Status, field: String? = nil, _ what: String) {
        #expect(response.status == status, "\(what): \(String(buffer: response.body))")
        #expect(response.headers[.contentType] == "application/problem+json", "\(what)")
        if let field { #expect(fields(response).contains(field), "\(what): expected \(field) in \(fields(response))") }
    }

    // MARK: Stock from the catalog

    /// A product created through the catalog gets stock rows for its SKUs (100 units in the demo,
    /// 0 otherwise), and so does every seeded product; later events never overwrite stock.
    static func stockFromCatalogEvents(_ kind: DatabaseKind, demo: Bool) async throws {
        try await TestPlatform.withClient(kind, extra: ["seed.demo": demo ? "true" : "false"]) { client, platform throws in
            let expected = demo ? 100 : 0
            let category: String
            if demo {
                category = try await CatalogAPIContract.firstCategory(client)
            } else {
                category = try await client.execute(
                    uri: "/v1/categories", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"slug": "boots", "name": "Boots"}"#)
                ) { try #require($0.json["id"] as? String) }
            }
            let sku = "INV-\(UInt32.random(in: 0...UInt32.max))"
            let id = try await client.execute(
                uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(string: CatalogAPIContract.validProduct(sku: sku, categoryId: category))
            ) { response in
                #expect(response.status == .created)
                return try #require(response.json["id"] as? String)
            }
            var stock: TestResponse?
            try await eventually("a stock row for \(sku)") {
                stock = try await send(client, .get, "/v1/inventory/\(sku)")
                return stock?.status == .ok
            }
            #expect(stock?.json["sku"] as? String == sku)
            #expect(stock?.json["available"] as? Int == expected)
            #expect(stock?.json["onHand"] as? Int == expected)
            #expect(stock?.json["reserved"] as? Int == 0)
            #expect(stock?.headers[.contentType]?.hasPrefix("application/json") == true)

            // An adjusted row survives the product's next event; a new variant gets its row.
            let manager = try #require(TestPlatform.writerAuthorization)
            #expect(try await send(client, .put, "/v1/inventory/\(sku)", json: #"{"available": 7}"#, authorization: manager).status == .ok)
            let added = "\(sku)-B"
            let patch = #"{"variants": [{"sku": "\#(sku)", "price": {"amount": 100, "currency": "EUR"}}, {"sku": "\#(added)", "price": {"amount": 100, "currency": "EUR"}}]}"#
            try await client.execute(uri: "/v1/products/\(id)", method: .patch, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: patch)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            try await eventually("a stock row for \(added)") {
                try await send(client, .get, "/v1/inventory/\(added)").status == .ok
            }
            #expect(try await send(client, .get, "/v1/inventory/\(sku)").json["available"] as? Int == 7)

            if demo {
                // Every seeded SKU has 100 units, so a newcomer can check out.
                let seeded = try await client.execute(uri: "/v1/products?limit=100", method: .get) { response in
                    (response.json["items"] as? [[String: Any]] ?? []).flatMap { ($0["variants"] as? [[String: Any]] ?? []).compactMap { $0["sku"] as? String } }
                }
                #expect(seeded.count >= 100)
                try await eventually("stock for every seeded SKU") {
                    try await inventory(platform).stock(skus: Array(seeded.prefix(StockLookup.maximumSKUs))).count == min(seeded.count, StockLookup.maximumSKUs)
                }
                let levels = try await inventory(platform).stock(skus: Array(seeded.prefix(StockLookup.maximumSKUs)))
                #expect(levels.values.allSatisfy { $0.onHand == 100 && $0.available == 100 })
            }
        }
    }

    // MARK: Public routes

    /// `PUT /v1/inventory/{sku}` needs `inventory.write` (catalog managers and admins): 401
    /// without a token, 403 for a customer. An adjustment publishes `.adjusted` (and `.low` when
    /// crossing the threshold) and its audit fact reaches the users service's audit log.
    static func adjustments(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind, extra: ["services": "auth,users,inventory"]) { client, platform throws in
            let sku = "ADJ-1"
            try await stock(platform, sku, available: 10)
            let body = #"{"available": 7}"#
            expectProblem(try await send(client, .put, "/v1/inventory/\(sku)", json: body), .unauthorized, "no token")
            let customer = try await TestPlatform.authorization(platform, roles: [.customer])
            expectProblem(try await send(client, .put, "/v1/inventory/\(sku)", json: body, authorization: customer), .forbidden, "a customer")
            #expect(try await send(client, .get, "/v1/inventory/\(sku)").json["available"] as? Int == 10, "refused: nothing changed")

            let managerID = UUID.v7().lowercased
            let manager = try await TestPlatform.authorization(platform, roles: [.catalogManager], userID: managerID)
            let adjusted = try await send(client, .put, "/v1/inventory/\(sku)", json: body, authorization: manager)
            #expect(adjusted.status == .ok, "\(String(buffer: adjusted.body))")
            #expect(adjusted.json["sku"] as? String == sku)
            #expect(adjusted.json["available"] as? Int == 7)
            #expect(adjusted.json["onHand"] as? Int == 7)
            #expect(adjusted.json["reserved"] as? Int == 0)

            // Reserved units stay reserved: on hand = available + reserved.
            _ = try await inventory(platform).reserve(ReservationRequest(orderId: .v7(), lines: [ReservationLine(sku: sku, quantity: 2)]))
            let admin = try await TestPlatform.authorization(platform, roles: [.admin])
            let lowered = try await send(client, .put, "/v1/inventory/\(sku)", json: #"{"available": 3}"#, authorization: admin)
            #expect(lowered.status == .ok)
            #expect(lowered.json["onHand"] as? Int == 5)
            #expect(lowered.json["reserved"] as? Int == 2)
            let read = try await send(client, .get, "/v1/inventory/\(sku)")
            #expect(read.json["available"] as? Int == 3 && read.json["onHand"] as? Int == 5 && read.json["reserved"] as? Int == 2)

            let adjustedEvents = try await events(platform, InventoryEvents.stockAdjusted).filter { $0.subject == sku }
            #expect(adjustedEvents.count == 3, "the fixture's, the manager's and the admin's")
            #expect(adjustedEvents.last?.data == (try JSONValue(encoding: StockLevelEvent(sku: sku, available: 3, onHand: 5, reserved: 2))))
            let low = try await events(platform, InventoryEvents.stockLow).filter { $0.subject == sku }
            #expect(low.count == 1, "5 available → 3: crossed below the default threshold 5")
            #expect(low.first?.data["threshold"] == .number(5))

            // The audit log (users service) records who adjusted what, hash-linked.
            var entry: [String: Any]?
            try await eventually("the adjustment in the audit log") {
                let items = try await send(client, .get, "/v1/audit?limit=100", authorization: admin).json["items"] as? [[String: Any]] ?? []
                entry = items.first { $0["action"] as? String == "inventory_adjusted" && $0["actor"] as? String == managerID }
                return entry != nil
            }
            #expect(entry?["target"] as? String == sku)
            #expect((entry?["details"] as? [String: String])?["available"] == "7")
            #expect((entry?["details"] as? [String: String])?["availableBefore"] == "10")
            #expect((entry?["hash"] as? String)?.isEmpty == false)
        }
    }

    /// Bad input on every route is a 4xx problem naming the field or parameter, and writes nothing.
    static func refusesBadInput(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind, extra: ["services": "auth,inventory"]) { client, platform throws in
            try await stock(platform, "GOOD-1", available: 5)
            let manager = try #require(TestPlatform.writerAuthorization)
            let before = try await InputHardeningContract.settledRowCounts(platform)

            // GET and PUT /v1/inventory/{sku}
            for sku in ["-LEADING", "A%20B", "A%2FB", String(repeating: "X", count: 65), "%C3%84"] {
                expectProblem(try await send(client, .get, "/v1/inventory/\(sku)"), .badRequest, field: "sku", "GET \(sku)")
                expectProblem(try await send(client, .put, "/v1/inventory/\(sku)", json: #"{"available": 1}"#, authorization: manager), .badRequest, field: "sku", "PUT \(sku)")
            }
            expectProblem(try await send(client, .get, "/v1/inventory/NO-SUCH-SKU"), .notFound, "GET unknown")
            expectProblem(try await send(client, .put, "/v1/inventory/NO-SUCH-SKU", json: #"{"available": 1}"#, authorization: manager), .notFound, "PUT unknown")
            for (body, field) in [
                (#"{"available": -1}"#, "available"), (#"{"available": 1000000001}"#, "available"), (#"{"available": "ten"}"#, "available"),
                (#"{"available": 1.5}"#, "available"), (#"{"available": null}"#, "available"), ("{}", "available"),
                (#"{"available": 1, "onHand": 3}"#, "onHand"), (#"[1]"#, nil), ("not json", nil),
            ] as [(String, String?)] {
                expectProblem(try await send(client, .put, "/v1/inventory/GOOD-1", json: body, authorization: manager), .badRequest, field: field, "PUT \(body)")
            }
            expectProblem(
                try await send(client, .put, "/v1/inventory/GOOD-1", json: "available=1", authorization: manager, contentType: "text/plain"),
                .unsupportedMediaType, "PUT text/plain")

            // POST /internal/v1/inventory/stock/lookup
            let many = "[" + (0...StockLookup.maximumSKUs).map { #""S\#($0)""# }.joined(separator: ",") + "]"
            for (body, field) in [
                (#"{"skus": "A"}"#, "skus"), (#"{"skus": [1]}"#, "skus[0]"), (#"{"skus": ["A", ""]}"#, "skus[1]"),
                (#"{"skus": ["A B"]}"#, "skus[0]"), (#"{"skus": \#(many)}"#, "skus"), ("{}", "skus"), (#"{"skus": [], "sku": "A"}"#, "sku"),
            ] {
                expectProblem(try await send(client, .post, "/internal/v1/inventory/stock/lookup", json: body), .badRequest, field: field, "lookup \(body.prefix(60))")
            }

            // PUT /internal/v1/inventory/reservations/{orderId}
            let order = UUID.v7().lowercased
            let line = #"{"sku": "GOOD-1", "quantity": 1}"#
            let tooMany = "[" + (0...ReservationRequest.maximumLines).map { #"{"sku": "S\#($0)", "quantity": 1}"# }.joined(separator: ",") + "]"
            for (body, field) in [
                (#"{"lines": []}"#, "lines"), (#"{"lines": \#(tooMany)}"#, "lines"), ("{}", "lines"), (#"{"lines": {}}"#, "lines"),
                (#"{"lines": [{"sku": "GOOD-1", "quantity": 0}]}"#, "lines[0].quantity"),
                (#"{"lines": [{"sku": "GOOD-1", "quantity": -1}]}"#, "lines[0].quantity"),
                (#"{"lines": [{"sku": "GOOD-1", "quantity": 1000}]}"#, "lines[0].quantity"),
                (#"{"lines": [{"sku": "GOOD-1", "quantity": "1"}]}"#, "lines[0].quantity"),
                (#"{"lines": [{"sku": "GOOD-1", "quantity": 1.5}]}"#, "lines[0].quantity"),
                (#"{"lines": [\#(line), {"quantity": 1}]}"#, "lines[1].sku"),
                (#"{"lines": [\#(line), {"sku": "", "quantity": 1}]}"#, "lines[1].sku"),
                (#"{"lines": [\#(line), \#(line)]}"#, "lines[1].sku"),
                (#"{"lines": [{"sku": "GOOD-1", "quantity": 1, "price": 5}]}"#, "lines[0].price"),
                (#"{"lines": [\#(line)], "orderId": "x"}"#, "orderId"),
            ] {
                expectProblem(
                    try await send(client, .put, "/internal/v1/inventory/reservations/\(order)", json: body), .badRequest, field: field,
                    "reserve \(body.prefix(80))")
            }
            expectProblem(try await send(client, .put, "/internal/v1/inventory/reservations/not-a-uuid", json: #"{"lines": [\#(line)]}"#), .badRequest, field: "orderId", "reserve with a bad id")
            for action in ["release", "commit"] {
                expectProblem(try await send(client, .post, "/internal/v1/inventory/reservations/12345/\(action)"), .badRequest, field: "orderId", action)
            }
            expectProblem(try await send(client, .get, "/internal/v1/inventory/reservations/12345"), .badRequest, field: "orderId", "get with a bad id")
            expectProblem(try await send(client, .get, "/internal/v1/inventory/reservations/\(order)"), .notFound, "get unknown")
            expectProblem(try await send(client, .post, "/internal/v1/inventory/reservations/\(order)/commit"), .notFound, "commit unknown")

            try await InputHardeningContract.expectUnchanged(platform, since: before, "a refused request writes nothing")
            #expect(try await reservationState(platform) == [0, 0, 0])
            #expect(try await send(client, .get, "/v1/inventory/GOOD-1").json["available"] as? Int == 5)
        }
    }

    // MARK: Internal routes

    /// The internal routes answer as the ``InventoryAPI`` does: lookups, reservations (reserved
    /// or short, 200 either way), repeats, conflicts (409 naming the status), release and commit.
    static func internalRoutes(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind, extra: ["services": "auth,inventory"]) { client, platform throws in
            try await stock(platform, "A-1", available: 5)
            try await stock(platform, "B-1", available: 2)
            let lookup = try await send(client, .post, "/internal/v1/inventory/stock/lookup", json: #"{"skus": ["B-1", "NONE", "A-1", "B-1"]}"#)
            #expect(lookup.status == .ok)
            let found = try JSONDecoder().decode(StockLookupResult.self, from: Data(buffer: lookup.body))
            #expect(found.items == [StockLevel(sku: "B-1", available: 2, onHand: 2, reserved: 0), StockLevel(sku: "A-1", available: 5, onHand: 5, reserved: 0)])

            let order = UUID.v7().lowercased
            let body = #"{"lines": [{"sku": "A-1", "quantity": 2}, {"sku": "B-1", "quantity": 1}]}"#
            let reserved = try await send(client, .put, "/internal/v1/inventory/reservations/\(order)", json: body)
            #expect(reserved.status == .ok)
            let outcome = try JSONDecoder().decode(ReservationOutcome.self, from: Data(buffer: reserved.body))
            guard case .reservation(let reservation) = outcome else { Issue.record("not reserved: \(outcome)"); return }
            #expect(reservation.orderId == order)
            #expect(reservation.status == .reserved)
            #expect(reservation.lines == [ReservationLine(sku: "A-1", quantity: 2), ReservationLine(sku: "B-1", quantity: 1)])
            let expiresAt = try Timestamp.parse(reservation.expiresAt)
            #expect(abs(expiresAt.timeIntervalSinceNow - 900) < 60, "15 minutes by default")
            #expect(reserved.json["outcome"] as? String == "reserved")

            let again = try await send(client, .put, "/internal/v1/inventory/reservations/\(order.uppercased())", json: body)
            #expect(try JSONDecoder().decode(ReservationOutcome.self, from: Data(buffer: again.body)) == outcome, "the same answer")
            let other = try await send(client, .put, "/internal/v1/inventory/reservations/\(order)", json: #"{"lines": [{"sku": "A-1", "quantity": 1}]}"#)
            expectProblem(other, .conflict, "other lines")
            #expect((other.json["detail"] as? String)?.contains("reserved") == true, "\(String(buffer: other.body))")

            let short = try await send(client, .put, "/internal/v1/inventory/reservations/\(UUID.v7().lowercased)",
                                       json: #"{"lines": [{"sku": "A-1", "quantity": 1}, {"sku": "B-1", "quantity": 2}, {"sku": "NONE", "quantity": 1}]}"#)
            #expect(short.status == .ok)
            #expect(try JSONDecoder().decode(ReservationOutcome.self, from: Data(buffer: short.body)) == .insufficientStock([
                StockShortage(sku: "B-1", requested: 2, available: 1), StockShortage(sku: "NONE", requested: 1, available: 0),
            ]))
            #expect(short.json["outcome"] as? String == "insufficient_stock")
            #expect(try await send(client, .get, "/v1/inventory/A-1").json["reserved"] as? Int == 2, "the short one reserved nothing")
            let metrics = String(buffer: try await send(client, .get, "/metrics").body)
            #expect(metrics.contains(#"inventory_reservations_total{outcome="reserved"} 2"#), "\(metrics.prefix(3000))")
            #expect(metrics.contains(#"inventory_reservations_total{outcome="insufficient_stock"} 1"#))

            let shown = try await send(client, .get, "/internal/v1/inventory/reservations/\(order)")
            #expect(try JSONDecoder().decode(Reservation.self, from: Data(buffer: shown.body)) == reservation)
            let committed = try await send(client, .post, "/internal/v1/inventory/reservations/\(order)/commit")
            #expect(committed.status == .ok)
            #expect(committed.json["status"] as? String == "committed")
            #expect(try await send(client, .get, "/v1/inventory/A-1").json["onHand"] as? Int == 3)
            let refused = try await send(client, .post, "/internal/v1/inventory/reservations/\(order)/release")
            expectProblem(refused, .conflict, "release after commit")
            #expect((refused.json["detail"] as? String)?.contains("committed") == true)

            // Released before it was reserved: a later reservation reserves nothing.
            let early = UUID.v7().lowercased
            let released = try await send(client, .post, "/internal/v1/inventory/reservations/\(early)/release")
            #expect(released.status == .ok)
            #expect(released.json["status"] as? String == "released")
            #expect((released.json["lines"] as? [Any])?.isEmpty == true)
            let late = try await send(client, .put, "/internal/v1/inventory/reservations/\(early)", json: body)
            #expect(try JSONDecoder().decode(ReservationOutcome.self, from: Data(buffer: late.body))
                == .reservation(Reservation(orderId: early, status: .released, lines: [], expiresAt: try #require(released.json["expiresAt"] as? String))))
            #expect(try await send(client, .get, "/v1/inventory/B-1").json["reserved"] as? Int == 0)
        }
    }

    // MARK: Expiry

    /// With `inventory.reservationTTL` of 5 seconds, the job (every `inventory.expiryInterval`)
    /// releases the reservation; a committed one is not released, nor one kept for a confirmed
    /// order (which can still be committed at shipment); an expired one cannot be kept.
    static func expiryJob(_ kind: DatabaseKind) async throws {
        let extra = ["services": "auth,inventory", "inventory.reservationTTL": "5", "inventory.expiryInterval": "1"]
        try await TestPlatform.withClient(kind, extra: extra) { client, platform throws in
            try await stock(platform, "EXP-1", available: 5)
            let api = try inventory(platform)
            let abandoned = UUID.v7(), shipped = UUID.v7(), confirmed = UUID.v7()
            _ = try await api.reserve(ReservationRequest(orderId: abandoned, lines: [ReservationLine(sku: "EXP-1", quantity: 2)]))
            _ = try await api.reserve(ReservationRequest(orderId: shipped, lines: [ReservationLine(sku: "EXP-1", quantity: 1)]))
            _ = try await api.reserve(ReservationRequest(orderId: confirmed, lines: [ReservationLine(sku: "EXP-1", quantity: 1)]))
            _ = try await api.commit(orderId: shipped)
            let kept = try await api.keep(orderId: confirmed)
            #expect(kept.status == .reserved)
            #expect(kept.keptAt != nil)
            #expect(try await api.keep(orderId: confirmed) == kept, "keeping again changes nothing")
            let unknown = UUID.v7()
            await #expect(throws: ReservationError.notFound(orderId: unknown.lowercased)) { _ = try await api.keep(orderId: unknown) }
            try await eventually("the reservation expired") {
                try await api.reservation(orderId: abandoned)?.status == .expired
            }
            await #expect(throws: ReservationError.self, "an expired reservation cannot be kept") { _ = try await api.keep(orderId: abandoned) }
            try await Task.sleep(for: .seconds(1.5))
            #expect(try await api.reservation(orderId: confirmed)?.status == .reserved, "a kept reservation does not expire")
            #expect(try await api.reservation(orderId: shipped)?.status == .committed)
            #expect(try await api.stock(skus: ["EXP-1"])["EXP-1"] == StockLevel(sku: "EXP-1", available: 3, onHand: 4, reserved: 1))
            #expect(try await api.commit(orderId: confirmed).status == .committed, "a kept reservation is committed at shipment")
            let released = try await events(platform, InventoryEvents.stockReleased)
            #expect(released.map(\.subject) == [abandoned.lowercased])
            #expect(released.first?.data["status"] == .string("expired"))
        }
    }
}

@Suite("Inventory API on SQLite")
struct InventoryAPISQLiteTests {
    @Test("stock rows from the catalog's events: 100 units in the demo")
    func stockFromCatalogEventsDemo() async throws { try await InventoryAPIContract.stockFromCatalogEvents(.sqlite, demo: true) }
    @Test("stock rows from the catalog's events: 0 units outside the demo")
    func stockFromCatalogEvents() async throws { try await InventoryAPIContract.stockFromCatalogEvents(.sqlite, demo: false) }
    @Test func adjustments() async throws { try await InventoryAPIContract.adjustments(.sqlite) }
    @Test func refusesBadInput() async throws { try await InventoryAPIContract.refusesBadInput(.sqlite) }
    @Test func internalRoutes() async throws { try await InventoryAPIContract.internalRoutes(.sqlite) }
    @Test func expiryJob() async throws { try await InventoryAPIContract.expiryJob(.sqlite) }
}

@Suite("Inventory API on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct InventoryAPIPostgresTests {
    @Test("stock rows from the catalog's events: 100 units in the demo")
    func stockFromCatalogEventsDemo() async throws { try await InventoryAPIContract.stockFromCatalogEvents(.postgres, demo: true) }
    @Test("stock rows from the catalog's events: 0 units outside the demo")
    func stockFromCatalogEvents() async throws { try await InventoryAPIContract.stockFromCatalogEvents(.postgres, demo: false) }
    @Test func adjustments() async throws { try await InventoryAPIContract.adjustments(.postgres) }
    @Test func refusesBadInput() async throws { try await InventoryAPIContract.refusesBadInput(.postgres) }
    @Test func internalRoutes() async throws { try await InventoryAPIContract.internalRoutes(.postgres) }
    @Test func expiryJob() async throws { try await InventoryAPIContract.expiryJob(.postgres) }
}

@Suite("Inventory settings")
struct InventorySettingsTests {
    @Test("inventory.* settings come from flags or EMPORIUM_INVENTORY_*; an unusable one stops start-up naming its key")
    func settings() async throws {
        func settings(_ flags: [String: String], environment: [String: String] = [:]) async throws -> RuntimeSettings {
            try RuntimeSettings(
                config: try await ConfigurationLoader.reader(flags: flags, environment: environment, file: nil),
                serviceNames: ServiceTable.standard.modules.map(\.name))
        }
        let fromEnvironment = try await settings([:], environment: ["EMPORIUM_INVENTORY_RESERVATION_TTL": "60", "EMPORIUM_INVENTORY_LOW_STOCK_THRESHOLD": "2"])
        let read = try InventorySettings(fromEnvironment.serviceSettings(for: "inventory"))
        #expect(read.reservationTTL == .seconds(60))
        #expect(read.lowStockThreshold == 2)
        #expect(try InventorySettings(try await settings([:]).serviceSettings(for: "inventory")) == .defaults)

        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let bad = try await TestPlatform.settings(database: url, extra: ["services": "inventory", "inventory.reservationTTL": "0"])
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await EmporiumPlatform.build(settings: bad, logger: TestDatabases.logger)
        }
        #expect(error?.key == "inventory.reservationTTL")
        #expect(error?.description.contains("EMPORIUM_INVENTORY_RESERVATION_TTL") == true)
    }
}
