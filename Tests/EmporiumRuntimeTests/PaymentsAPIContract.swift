import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Messaging
import Metrics
import NIOCore
import NIOFoundationCompat
import Payments
import SQLKit
import Security
import Storage
import Synchronization
import Testing

extension ServiceTable {
    /// The standard services, the payments service's processor timeout short (the timeout card
    /// waits for it).
    static let fastPayments = ServiceTable(modules: ServiceTable.standard.modules.map { module in
        guard module.name == "payments" else { return module }
        return ServiceModule(name: module.name, summary: module.summary, storesPersonalData: true) {
            PaymentsService(environment: $0, processorTimeout: PaymentsTestPlatform.processorTimeout)
        }
    })
}

/// A processor whose first answer to a capture is lost (it captures, then never answers), as a
/// real processor's can be: the service must record nothing, and the same capture asked again
/// must find the processor's capture, not make a second.
final class LostCaptureAnswerProcessor: PaymentProcessor {
    let inner = SimulatedPaymentProcessor()
    let captures = Mutex(0)

    func authorize(key: String, card: ValidCard, amount: Money) async throws -> ProcessorOutcome {
        try await inner.authorize(key: key, card: card, amount: amount)
    }

    func capture(key: String, authorizationKey: String, amount: Money) async throws -> ProcessorOutcome {
        let attempt = captures.withLock { count in
            count += 1
            return count
        }
        let outcome = try await inner.capture(key: key, authorizationKey: authorizationKey, amount: amount)
        if attempt == 1 { try await Task.sleep(for: .seconds(3600)) }
        return outcome
    }

    func void(key: String, authorizationKey: String) async throws -> ProcessorOutcome {
        try await inner.void(key: key, authorizationKey: authorizationKey)
    }

    func refund(key: String, authorizationKey: String, amount: Money) async throws -> ProcessorOutcome {
        .refused(code: "processor_error", reason: "refunds are closed today")
    }
}

extension ServiceTable {
    /// The standard services, payments with a ``LostCaptureAnswerProcessor``.
    static func lostCaptureAnswers() -> ServiceTable {
        ServiceTable(modules: ServiceTable.standard.modules.map { module in
            guard module.name == "payments" else { return module }
            return ServiceModule(name: module.name, summary: module.summary, storesPersonalData: true) {
                PaymentsService(environment: $0, processor: LostCaptureAnswerProcessor(), processorTimeout: PaymentsTestPlatform.processorTimeout)
            }
        })
    }
}

/// A platform running auth, users and payments for the payments tests.
enum PaymentsTestPlatform {
    static let processorTimeout: Duration = .milliseconds(400)

    struct Context: Sendable {
        var client: any TestClientProtocol
        var platform: EmporiumPlatform
        var payments: PaymentsService
        var database: any Database
    }

    static func run(
        _ kind: DatabaseKind, logger: Logger = TestDatabases.logger, table: ServiceTable = .fastPayments, _ body: @Sendable (Context) async throws -> Void
    ) async throws {
        try await TestPlatform.withClient(kind, logger: logger, table: table, extra: ["services": "auth,users,payments", "seed.demo": "false"]) {
            client, platform in
            let payments = try #require(platform.services.lazy.compactMap { $0 as? PaymentsService }.first)
            let database = try #require(platform.databases["payments"])
            try await body(Context(client: client, platform: platform, payments: payments, database: database))
        }
    }
}

/// The payments service through the whole platform, on either database.
enum PaymentsAPIContract {
    typealias Context = PaymentsTestPlatform.Context
    typealias Card = SimulatedPaymentProcessor.TestCard

    static let expiryYear = Calendar(identifier: .gregorian).component(.year, from: .now) + 2

    // MARK: Helpers

    static func customer(_ context: Context, roles: Set<Role> = [.customer]) async throws -> (token: String, userID: String) {
        let userID = UUID.v7().lowercased
        return (try await TestPlatform.authorization(context.platform, roles: roles, userID: userID), userID)
    }

    static func send(
        _ context: Context, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, token: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers: HTTPFields = extra
        if body != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = token }
        return try await context.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
    }

    static func cardBody(_ number: String, month: Int = 12, year: Int = expiryYear, cvc: String = "123") -> String {
        #"{"number": "\#(number)", "expMonth": \#(month), "expYear": \#(year), "cvc": "\#(cvc)"}"#
    }

    /// Saves `number` for the user of `token`; returns the method's id.
    static func addCard(_ context: Context, token: String, _ number: String = Card.succeeds) async throws -> String {
        let response = try await send(context, .post, "/v1/payment-methods", cardBody(number), token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(response.json["id"] as? String)
    }

    static func authorization(
        userID: String, method: String, amount: Int64 = 10_000, currency: String = "USD", key: String = UUID().uuidString,
        order: String = UUID.v7().lowercased
    ) -> PaymentAuthorization {
        PaymentAuthorization(orderId: order, userId: userID, paymentMethodId: method, amount: Money(amount: amount, currency: currency), idempotencyKey: key)
    }

    /// A new customer's payment with `card`, authorized (or as the card answers).
    static func payment(_ context: Context, card: String = Card.succeeds, amount: Int64 = 10_000) async throws -> Payment {
        let (token, userID) = try await customer(context)
        let method = try await addCard(context, token: token, card)
        return try await context.payments.authorize(authorization(userID: userID, method: method, amount: amount))
    }

    static func ledgerKinds(_ context: Context, _ payment: String) async throws -> [LedgerEntry.Kind] {
        try await context.payments.ledger(paymentId: payment).map(\.kind)
    }

    static func problemNames(_ response: TestResponse) -> [String] {
        (response.json["errors"] as? [[String: Any]] ?? []).compactMap { ($0["field"] ?? $0["parameter"]) as? String }
    }

    static func money(_ value: Any?) -> Money? {
        guard let object = value as? [String: Any], let amount = object["amount"] as? Int, let currency = object["currency"] as? String else { return nil }
        return Money(amount: Int64(amount), currency: currency)
    }

    /// Every row of every table of the payments database, as text (PostgreSQL: each row as
    /// `t::text`; SQLite: the file and its WAL).
    static func storedText(_ context: Context) async throws -> String {
        let database = context.database
        switch database.location {
        case .sqlite(let location):
            let path = try #require(location)
            _ = try await database.withConnection { sql in try await sql.raw("PRAGMA wal_checkpoint(PASSIVE)").all() }
            var text = ""
            for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
                text += String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
            }
            return text
        case .postgres:
            return try await database.withConnection { sql in
                let tables = try await sql.raw("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
                    .all().map { try $0.decode(column: "table_name", as: String.self) }
                var text = ""
                for table in tables {
                    for row in try await sql.raw("SELECT t::text AS row FROM \(unsafeRaw: table) t").all() {
                        text += try row.decode(column: "row", as: String.self) + "\n"
                    }
                }
                return text
            }
        }
    }

    /// The events the payments service recorded, as their stored JSON.
    static func events(_ context: Context) async throws -> [(type: String, payload: String)] {
        try await context.database.withConnection { sql in
            try await sql.raw("SELECT type, payload FROM emporium_outbox WHERE service = 'payments' ORDER BY sequence").all().map {
                (try $0.decode(column: "type", as: String.self), try $0.decode(column: "payload", as: String.self))
            }
        }
    }

    static func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
        for _ in 0..<2_400 {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("timed out waiting for \(what)")
    }

    // MARK: The vault

    /// Bad cards are refused naming the field, with nothing written; a good one is stored sealed,
    /// and its number and CVC appear in no response, log line, event or row.
    static func cardsAreCheckedAndSealed(_ kind: DatabaseKind) async throws {
        let capture = LogCapture()
        let number = "4242424242424242"
        let cvc = "7391"
        try await PaymentsTestPlatform.run(kind, logger: capture.logger(level: .debug)) { context in
            let (token, userID) = try await customer(context)
            let refused: [(String, HTTPResponse.Status, String)] = [
                (cardBody("4242 4242 4242 4242", cvc: cvc), .badRequest, "number"),
                (cardBody("42424242424", cvc: cvc), .badRequest, "number"),
                (cardBody("4242424242424241", cvc: cvc), .unprocessableContent, "number"),
                (cardBody(number, year: expiryYear - 4, cvc: cvc), .unprocessableContent, "expYear"),
                (cardBody(number, month: 13, cvc: cvc), .badRequest, "expMonth"),
                (cardBody(number, cvc: "73"), .badRequest, "cvc"),
                (cardBody(number, cvc: "73910"), .badRequest, "cvc"),
                (#"{"number": "\#(number)", "expMonth": 12, "expYear": \#(expiryYear), "cvv": "\#(cvc)"}"#, .badRequest, "cvv"),
                (#"{"number": \#(number), "expMonth": 12, "expYear": \#(expiryYear), "cvc": "\#(cvc)"}"#, .badRequest, "number"),
            ]
            for (body, status, field) in refused {
                let response = try await send(context, .post, "/v1/payment-methods", body, token: token)
                #expect(response.status == status, "\(field): \(String(buffer: response.body))")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(problemNames(response).contains(field), "\(String(buffer: response.body))")
                #expect(!String(buffer: response.body).contains("424242424242"))
            }
            #expect((try await send(context, .get, "/v1/payment-methods", token: token).json["items"] as? [Any])?.isEmpty == true, "nothing written")
            #expect(try await send(context, .post, "/v1/payment-methods", cardBody(number)).status == .unauthorized)

            let created = try await send(context, .post, "/v1/payment-methods", cardBody(number, cvc: cvc), token: token)
            #expect(created.status == .created)
            #expect(Set(created.json.keys) == ["id", "brand", "last4", "expMonth", "expYear"])
            #expect(created.json["brand"] as? String == "visa")
            #expect(created.json["last4"] as? String == "4242")
            #expect(created.json["expYear"] as? Int == expiryYear)
            #expect(created.headers[.cacheControl] == "no-store")
            let id = try #require(created.json["id"] as? String)
            let listed = try await send(context, .get, "/v1/payment-methods", token: token)
            #expect((listed.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect(listed.headers[.cacheControl] == "no-store")

            // A payment with it, so that the payment rows, ledger and events exist too.
            let payment = try await context.payments.authorize(authorization(userID: userID, method: id))
            #expect(payment.status == .authorized)

            let row = try await context.database.withConnection { sql in
                try #require(try await sql.raw("SELECT card_number, last4, brand FROM payment_methods WHERE id = \(bind: id)").first())
            }
            let sealed = try row.decode(column: "card_number", as: String.self)
            #expect(sealed.hasPrefix("v1."), "sealed with the data keys")
            #expect(try row.decode(column: "last4", as: String.self) == "4242")
            let stored = try await storedText(context)
            #expect(!stored.contains(number), "the number is stored in the clear")
            #expect(!stored.contains(String(number.dropLast(4))), "digits of the number other than the last four are stored")
            for (type, payload) in try await events(context) {
                #expect(!payload.contains("42424242"), "\(type) carries the number")
                #expect(!payload.contains(cvc), "\(type) carries the CVC")
            }
        }
        let lines = capture.entries.map { String(decoding: (try? JSONSerialization.data(withJSONObject: $0, options: [.withoutEscapingSlashes])) ?? Data(), as: UTF8.self) }
        #expect(lines.contains { $0.contains("/v1/payment-methods") }, "the requests were logged")
        let cvcPattern = try Regex("(^|[^0-9.])\(cvc)([^0-9]|$)")
        for line in lines {
            #expect(!line.contains("42424242"), "a log line holds the number: \(line)")
            #expect(line.firstMatch(of: cvcPattern) == nil, "a log line holds the CVC: \(line)")
        }
    }

    /// At most 20 cards per account; removing one (the user's own only) frees a place.
    static func cardsPerAccountAreCapped(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let (token, _) = try await customer(context)
            var ids: [String] = []
            for _ in 0..<CardRules.defaultMaximumPerUser { ids.append(try await addCard(context, token: token)) }
            let over = try await send(context, .post, "/v1/payment-methods", cardBody(Card.succeeds), token: token)
            #expect(over.status == .unprocessableContent)
            #expect(problemNames(over) == ["paymentMethods"])
            let firstPage = try await send(context, .get, "/v1/payment-methods?limit=15", token: token)
            let cursor = try #require(firstPage.json["nextCursor"] as? String)
            let secondPage = try await send(context, .get, "/v1/payment-methods?limit=15&cursor=\(cursor)", token: token)
            let paged = ((firstPage.json["items"] as? [[String: Any]]) ?? []) + ((secondPage.json["items"] as? [[String: Any]]) ?? [])
            #expect(paged.compactMap { $0["id"] as? String } == ids)
            #expect(secondPage.json["nextCursor"] == nil)

            let (other, _) = try await customer(context)
            #expect(try await send(context, .delete, "/v1/payment-methods/\(ids[0])", token: other).status == .notFound, "another user's card")
            #expect(try await send(context, .delete, "/v1/payment-methods/\(ids[0])", token: token).status == .noContent)
            #expect(try await send(context, .delete, "/v1/payment-methods/\(ids[0])", token: token).status == .notFound, "removed already")
            #expect(try await send(context, .delete, "/v1/payment-methods/not-a-uuid", token: token).status == .badRequest)
            let erased = try await context.database.withConnection { sql in
                try await sql.raw("SELECT card_number FROM payment_methods WHERE id = \(bind: ids[0])").first()?.decodeNil(column: "card_number")
            }
            #expect(erased == true, "the sealed number is erased")
            _ = try await addCard(context, token: token)
        }
    }

    // MARK: Test cards

    /// Each documented test card's outcome, its ledger and events; the timeout card stays
    /// `pending` until the same key is sent again, which settles it with one authorization.
    static func testCardsAnswerAsDocumented(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let approved = try await payment(context, card: Card.succeeds)
            #expect(approved.status == .authorized)
            #expect(approved.capturedAmount == Money(amount: 0, currency: "USD"))
            #expect(try await ledgerKinds(context, approved.id) == [.authorization])

            let declined = try await payment(context, card: Card.declined)
            #expect(declined.status == .failed)
            #expect(declined.failureCode == "card_declined")
            #expect(declined.failureReason == "card declined")
            #expect(try await ledgerKinds(context, declined.id) == [.failure])

            let poor = try await payment(context, card: Card.insufficientFunds)
            #expect(poor.status == .failed)
            #expect(poor.failureCode == "insufficient_funds")

            let fragile = try await payment(context, card: Card.captureFails)
            #expect(fragile.status == .authorized)
            let failedCapture = try await context.payments.capture(paymentId: fragile.id, idempotencyKey: "ship-1")
            #expect(failedCapture.status == .failed)
            #expect(failedCapture.failureCode == "capture_failed")
            #expect(failedCapture.capturedAmount.amount == 0)
            #expect(try await context.payments.capture(paymentId: fragile.id, idempotencyKey: "ship-1") == failedCapture, "the same key answers the same")
            let ledger = try await context.payments.ledger(paymentId: fragile.id)
            #expect(ledger.map(\.kind) == [.authorization, .failure])
            #expect(ledger.last?.operation == .capture)
            #expect(ledger.last?.failureCode == "capture_failed")

            // The timeout card: no answer within the processor timeout.
            let (token, userID) = try await customer(context)
            let method = try await addCard(context, token: token, Card.authorizationTimesOut)
            let request = authorization(userID: userID, method: method)
            let clock = ContinuousClock()
            let started = clock.now
            let pending = try await context.payments.authorize(request)
            #expect(pending.status == .pending)
            #expect(clock.now - started >= PaymentsTestPlatform.processorTimeout)
            #expect(try await ledgerKinds(context, pending.id).isEmpty, "nothing moved yet, as far as the service knows")
            #expect(try await context.payments.payments(orderId: request.orderId).map(\.status) == [.pending])
            await #expect(throws: PaymentError.conflict(
                paymentId: pending.id, status: .pending,
                detail: "the processor has not answered its authorization yet: authorize again with the same key first")
            ) {
                _ = try await context.payments.capture(paymentId: pending.id, idempotencyKey: "too-early")
            }
            let settled = try await context.payments.authorize(request)
            #expect(settled.id == pending.id)
            #expect(settled.status == .authorized)
            #expect(try await context.payments.authorize(request) == settled)
            #expect(try await ledgerKinds(context, pending.id) == [.authorization], "one authorization in the ledger")

            let types = try await events(context).map(\.type)
            #expect(types.filter { $0 == PaymentsEvents.paymentAuthorized }.count == 3)
            #expect(types.filter { $0 == PaymentsEvents.paymentFailed }.count == 3)
            // emporium_payment_failures_total as /metrics shows it: each refusal, and the
            // authorization the processor did not answer in time.
            let metrics = String(buffer: try await context.client.execute(uri: "/metrics", method: .get).body)
            for (operation, reason) in [
                ("authorize", "card_declined"), ("authorize", "insufficient_funds"), ("capture", "capture_failed"), ("authorize", "processor_error"),
            ] {
                let series = #"emporium_payment_failures_total{operation="\#(operation)",reason="\#(reason)"}"#
                #expect(MetricsRegistry.value(series, in: metrics) == 1, "\(series)")
            }
        }
    }

    /// A pending payment can be voided: the processor cancels what it may have made, and a
    /// later authorization with the key answers the voided payment.
    static func pendingPaymentIsVoided(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let (token, userID) = try await customer(context)
            let method = try await addCard(context, token: token, Card.authorizationTimesOut)
            let request = authorization(userID: userID, method: method)
            let pending = try await context.payments.authorize(request)
            #expect(pending.status == .pending)
            let voided = try await context.payments.void(paymentId: pending.id, idempotencyKey: "cancel-1")
            #expect(voided.status == .voided)
            #expect(try await context.payments.authorize(request).status == .voided)
            #expect(try await ledgerKinds(context, pending.id) == [.void])
        }
    }

    // MARK: Idempotency

    /// The same authorization sent 10 times at once with one key makes one payment and one
    /// ledger authorization; the key with another amount is a 422.
    static func concurrentAuthorizationsWithOneKey(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let (token, userID) = try await customer(context)
            let method = try await addCard(context, token: token)
            let request = authorization(userID: userID, method: method, key: "checkout-\(UUID().uuidString)")
            let payments = context.payments
            let answers = try await withThrowingTaskGroup(of: Payment.self) { group in
                for _ in 0..<10 { group.addTask { try await payments.authorize(request) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 10)
            #expect(Set(answers.map(\.id)).count == 1, "one payment")
            #expect(answers.allSatisfy { $0.status == .authorized })
            let id = try #require(answers.first?.id)
            #expect(try await payments.payments(orderId: request.orderId).map(\.id) == [id])
            #expect(try await ledgerKinds(context, id) == [.authorization])
            #expect(try await events(context).filter { $0.type == PaymentsEvents.paymentAuthorized }.count == 1)

            var other = request
            other.amount.amount += 1
            await #expect(throws: PaymentError.unprocessable(
                field: "idempotencyKey", detail: "was used for another request: use a new key for a new request, the same key only to repeat one")
            ) {
                _ = try await payments.authorize(other)
            }
            #expect(try await payments.payments(orderId: request.orderId).count == 1, "nothing written")
        }
    }

    /// Another user's card, a removed card or an unknown one: `paymentMethodNotFound`, nothing
    /// written (not even the key).
    static func someoneElsesCardIsRefused(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let (ownerToken, _) = try await customer(context)
            let theirs = try await addCard(context, token: ownerToken)
            let (token, userID) = try await customer(context)
            let request = authorization(userID: userID, method: theirs, key: "mine")
            await #expect(throws: PaymentError.paymentMethodNotFound(theirs)) { _ = try await context.payments.authorize(request) }
            #expect(try await context.payments.payments(orderId: request.orderId).isEmpty)
            let unknown = UUID.v7().lowercased
            await #expect(throws: PaymentError.paymentMethodNotFound(unknown)) {
                _ = try await context.payments.authorize(authorization(userID: userID, method: unknown))
            }
            let removed = try await addCard(context, token: token)
            #expect(try await send(context, .delete, "/v1/payment-methods/\(removed)", token: token).status == .noContent)
            await #expect(throws: PaymentError.paymentMethodNotFound(removed)) {
                _ = try await context.payments.authorize(authorization(userID: userID, method: removed))
            }
            // The key was not kept: the same key with the user's own card works.
            var own = request
            own.paymentMethodId = try await addCard(context, token: token)
            #expect(try await context.payments.authorize(own).status == .authorized)
            await #expect(throws: PaymentError.invalid(field: "orderId", detail: "must be a UUID")) {
                var bad = own
                bad.orderId = "order-1"
                _ = try await context.payments.authorize(bad)
            }
        }
    }

    // MARK: Capture, void, refund

    /// Capture, void and refund move a payment through its statuses; what a status forbids is
    /// a 409 naming it; partial refunds add up to the captured amount and one cent more is a
    /// 422 naming what is refundable, with nothing written.
    static func transitionsAndRefundArithmetic(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let api = context.payments
            let payment = try await payment(context, amount: 10_000)
            await #expect(throws: PaymentError.conflict(paymentId: payment.id, status: .authorized, detail: "only a captured payment can be refunded")) {
                _ = try await api.refund(paymentId: payment.id, amount: nil, reason: "early", idempotencyKey: "r0")
            }
            let captured = try await api.capture(paymentId: payment.id, idempotencyKey: "ship")
            #expect(captured.status == .captured)
            #expect(captured.capturedAmount == Money(amount: 10_000, currency: "USD"))
            #expect(try await api.capture(paymentId: payment.id, idempotencyKey: "ship") == captured, "replayed")
            await #expect(throws: PaymentError.conflict(paymentId: payment.id, status: .captured, detail: "it was captured already")) {
                _ = try await api.capture(paymentId: payment.id, idempotencyKey: "ship-again")
            }
            await #expect(throws: PaymentError.conflict(
                paymentId: payment.id, status: .captured, detail: "a captured payment cannot be voided; refund it instead")
            ) {
                _ = try await api.void(paymentId: payment.id, idempotencyKey: "cancel")
            }

            let first = try await api.refund(paymentId: payment.id, amount: Money(amount: 3_000, currency: "USD"), reason: "damaged", idempotencyKey: "r1")
            #expect(first.status == .partiallyRefunded)
            #expect(first.refundedAmount.amount == 3_000)
            let ledgerBefore = try await api.ledger(paymentId: payment.id)
            await #expect(throws: PaymentError.refundExceedsCaptured(paymentId: payment.id, refundable: Money(amount: 7_000, currency: "USD"))) {
                _ = try await api.refund(paymentId: payment.id, amount: Money(amount: 7_001, currency: "USD"), reason: "too much", idempotencyKey: "r2")
            }
            await #expect(throws: PaymentError.unprocessable(field: "amount.currency", detail: "must be USD, the payment's currency")) {
                _ = try await api.refund(paymentId: payment.id, amount: Money(amount: 1, currency: "EUR"), reason: "euros", idempotencyKey: "r3")
            }
            #expect(try await api.ledger(paymentId: payment.id) == ledgerBefore, "nothing written")
            #expect(try await api.payments(orderId: payment.orderId).first?.refundedAmount.amount == 3_000)
            #expect(try await api.refund(paymentId: payment.id, amount: Money(amount: 3_000, currency: "USD"), reason: "damaged", idempotencyKey: "r1") == first)
            await #expect(throws: PaymentError.self) {
                _ = try await api.refund(paymentId: payment.id, amount: Money(amount: 2_000, currency: "USD"), reason: "damaged", idempotencyKey: "r1")
            }
            let rest = try await api.refund(paymentId: payment.id, amount: nil, reason: "returned", idempotencyKey: "r4")
            #expect(rest.status == .refunded)
            #expect(rest.refundedAmount.amount == 10_000)
            await #expect(throws: PaymentError.conflict(paymentId: payment.id, status: .refunded, detail: "it was refunded in full")) {
                _ = try await api.refund(paymentId: payment.id, amount: Money(amount: 1, currency: "USD"), reason: "more", idempotencyKey: "r5")
            }
            let ledger = try await api.ledger(paymentId: payment.id)
            #expect(ledger.map(\.kind) == [.authorization, .capture, .refund, .refund])
            #expect(ledger.filter { $0.kind == .refund }.map(\.amount.amount) == [3_000, 7_000])
            #expect(ledger.filter { $0.kind == .refund }.map(\.reason) == ["damaged", "returned"])

            // Void: authorized → voided; voided or failed answer unchanged; nothing else is allowed.
            let second = try await Self.payment(context)
            let voided = try await api.void(paymentId: second.id, idempotencyKey: "cancel")
            #expect(voided.status == .voided)
            #expect(try await api.void(paymentId: second.id, idempotencyKey: "cancel-again") == voided)
            await #expect(throws: PaymentError.conflict(paymentId: second.id, status: .voided, detail: "it was voided")) {
                _ = try await api.capture(paymentId: second.id, idempotencyKey: "ship")
            }
            #expect(try await ledgerKinds(context, second.id) == [.authorization, .void])
            let declined = try await Self.payment(context, card: Card.declined)
            #expect(try await api.void(paymentId: declined.id, idempotencyKey: "cancel").status == .failed)
            let unknown = UUID.v7().lowercased
            await #expect(throws: PaymentError.notFound(unknown)) { _ = try await api.capture(paymentId: unknown, idempotencyKey: "k") }
            await #expect(throws: PaymentError.notFound("nope")) { _ = try await api.void(paymentId: "nope", idempotencyKey: "k") }
            await #expect(throws: PaymentError.invalid(field: "idempotencyKey", detail: PaymentRules.keyRule)) {
                _ = try await api.capture(paymentId: second.id, idempotencyKey: "")
            }

            let types = try await events(context).map(\.type)
            for type in [PaymentsEvents.paymentCaptured, PaymentsEvents.paymentRefunded, PaymentsEvents.paymentVoided] {
                #expect(types.contains(type), "\(type)")
            }
        }
    }

    /// Two refunds at once that together exceed what was captured: one is refused with a 422
    /// naming what is refundable; the total refunded never exceeds the captured amount.
    static func concurrentRefundsNeverExceedTheCapture(_ kind: DatabaseKind, rounds: Int) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let api = context.payments
            for round in 0..<rounds {
                let payment = try await payment(context, amount: 10_000)
                _ = try await api.capture(paymentId: payment.id, idempotencyKey: "ship")
                let amounts: [Int64] = [6_000, 5_000]
                let outcomes = try await withThrowingTaskGroup(of: (Int64, Result<Payment, PaymentError>).self) { group in
                    for (index, amount) in amounts.enumerated() {
                        group.addTask {
                            do {
                                return (amount, .success(try await api.refund(
                                    paymentId: payment.id, amount: Money(amount: amount, currency: "USD"), reason: "round \(round)",
                                    idempotencyKey: "refund-\(index)")))
                            } catch let error as PaymentError {
                                return (amount, .failure(error))
                            }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let succeeded = outcomes.filter { if case .success = $0.1 { true } else { false } }
                #expect(succeeded.count == 1, "round \(round): \(outcomes)")
                for (amount, outcome) in outcomes {
                    guard case .failure(let error) = outcome else { continue }
                    let winner = amounts.first { $0 != amount }!
                    #expect(error == .refundExceedsCaptured(paymentId: payment.id, refundable: Money(amount: 10_000 - winner, currency: "USD")))
                }
                let after = try #require(try await api.payments(orderId: payment.orderId).first)
                #expect(after.refundedAmount.amount == succeeded.first?.0)
                let refunds = try await api.ledger(paymentId: payment.id).filter { $0.kind == .refund }
                #expect(refunds.map(\.amount.amount).reduce(0, +) == after.refundedAmount.amount)
            }
        }
    }

    // MARK: Public routes

    /// `GET /v1/payments?order_id=` (the owner, support) and `POST /v1/payments/{id}/refunds`
    /// (support, audited, by `Idempotency-Key`).
    static func publicRoutes(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let (token, userID) = try await customer(context)
            let method = try await addCard(context, token: token)
            let request = authorization(userID: userID, method: method, amount: 2_500)
            let payment = try await context.payments.authorize(request)
            _ = try await context.payments.capture(paymentId: payment.id, idempotencyKey: "ship")
            let uri = "/v1/payments?order_id=\(request.orderId)"

            let mine = try await send(context, .get, uri, token: token)
            #expect(mine.status == .ok)
            #expect(mine.headers[.cacheControl] == "no-store")
            let items = try #require(mine.json["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(Set(items[0].keys) == ["id", "orderId", "status", "amount", "capturedAmount", "refundedAmount"])
            #expect(items[0]["status"] as? String == "captured")
            #expect(money(items[0]["capturedAmount"]) == Money(amount: 2_500, currency: "USD"))
            #expect(mine.json["nextCursor"] == nil)

            let (stranger, _) = try await customer(context)
            let theirs = try await send(context, .get, uri, token: stranger)
            #expect(theirs.status == .ok)
            #expect((theirs.json["items"] as? [Any])?.isEmpty == true, "another user's order lists nothing")
            let (support, supportID) = try await customer(context, roles: [.support])
            #expect((try await send(context, .get, uri, token: support).json["items"] as? [Any])?.count == 1)
            #expect(try await send(context, .get, uri).status == .unauthorized)
            #expect(try await send(context, .get, "/v1/payments", token: token).status == .badRequest)
            #expect(problemNames(try await send(context, .get, "/v1/payments?order_id=x", token: token)) == ["order_id"])

            let refunds = "/v1/payments/\(payment.id)/refunds"
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "refund-\(UUID().uuidString)"]
            let body = #"{"amount": {"amount": 1000, "currency": "USD"}, "reason": "late delivery"}"#
            let forbidden = try await send(context, .post, refunds, body, token: token, headers: key)
            #expect(forbidden.status == .forbidden, "a customer may not refund")
            #expect((forbidden.json["detail"] as? String)?.contains("payments.refund") == true)
            let noKey = try await send(context, .post, refunds, body, token: support)
            #expect(noKey.status == .badRequest)
            #expect(problemNames(noKey) == ["Idempotency-Key"])
            let badKey = try await send(context, .post, refunds, body, token: support, headers: [HTTPField.Name("Idempotency-Key")!: "has space"])
            #expect(problemNames(badKey) == ["Idempotency-Key"])
            for (bad, field) in [
                (#"{"amount": {"amount": 0, "currency": "USD"}, "reason": "r"}"#, "amount.amount"),
                (#"{"amount": {"amount": 10, "currency": "usd"}, "reason": "r"}"#, "amount.currency"),
                (#"{"amount": {"amount": 10, "currency": "USD", "extra": 1}, "reason": "r"}"#, "amount.extra"),
                (#"{"reason": "   "}"#, "reason"), (#"{}"#, "reason"),
            ] {
                let response = try await send(context, .post, refunds, bad, token: support, headers: key)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(problemNames(response) == [field], "\(String(buffer: response.body))")
            }
            let refunded = try await send(context, .post, refunds, body, token: support, headers: key)
            #expect(refunded.status == .created, "\(String(buffer: refunded.body))")
            #expect(refunded.json["status"] as? String == "partially_refunded")
            #expect(money(refunded.json["refundedAmount"]) == Money(amount: 1_000, currency: "USD"))
            let replay = try await send(context, .post, refunds, body, token: support, headers: key)
            #expect(replay.status == .ok)
            #expect(money(replay.json["refundedAmount"]) == Money(amount: 1_000, currency: "USD"), "nothing refunded twice")
            let reused = try await send(context, .post, refunds, #"{"reason": "all of it"}"#, token: support, headers: key)
            #expect(reused.status == .unprocessableContent)
            #expect(problemNames(reused) == ["Idempotency-Key"])
            let tooMuch = try await send(
                context, .post, refunds, #"{"amount": {"amount": 1501, "currency": "USD"}, "reason": "r"}"#, token: support,
                headers: [HTTPField.Name("Idempotency-Key")!: "too-much"])
            #expect(tooMuch.status == .unprocessableContent)
            #expect(problemNames(tooMuch) == ["amount"])
            #expect((tooMuch.json["detail"] as? String)?.contains("1500 USD can be refunded") == true)
            let unknown = try await send(context, .post, "/v1/payments/\(UUID.v7().lowercased)/refunds", body, token: support, headers: key)
            #expect(unknown.status == .notFound)
            let rest = try await send(context, .post, refunds, #"{"reason": "the rest"}"#, token: support, headers: [HTTPField.Name("Idempotency-Key")!: "rest"])
            #expect(rest.status == .created)
            #expect(rest.json["status"] as? String == "refunded")
            let again = try await send(context, .post, refunds, #"{"reason": "more"}"#, token: support, headers: [HTTPField.Name("Idempotency-Key")!: "more"])
            #expect(again.status == .conflict)

            // Audited: the users service appends the payments' audit facts.
            let (admin, _) = try await customer(context, roles: [.admin])
            try await eventually("the refunds in the audit log") {
                let entries = try await send(context, .get, "/v1/audit?limit=100", token: admin).json["items"] as? [[String: Any]] ?? []
                let refunds = entries.filter { $0["action"] as? String == "payment_refunded" }
                guard refunds.count == 2 else { return false }
                #expect(refunds.allSatisfy { $0["actor"] as? String == supportID && $0["target"] as? String == payment.id })
                #expect((refunds.first?["details"] as? [String: Any])?["amount"] as? String == "1000")
                return true
            }
        }
    }

    /// The routes under `/internal/` refuse calls without a service credential.
    static func internalRoutesNeedACredential(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            for (method, uri) in [
                (HTTPRequest.Method.post, "/internal/v1/payments/authorizations"), (.post, "/internal/v1/payments/\(UUID.v7().lowercased)/capture"),
                (.post, "/internal/v1/payments/\(UUID.v7().lowercased)/refunds"), (.get, "/internal/v1/payments?order_id=\(UUID.v7().lowercased)"),
            ] {
                let response = try await send(context, method, uri, method == .post ? "{}" : nil)
                #expect(response.status == .unauthorized, "\(uri)")
            }
        }
    }

    /// A processor that does not answer a capture in time: a 503 (nothing recorded, the payment
    /// still authorized); the same capture asked again finds the processor's capture and records
    /// it once. A refund the processor refuses is a 503 too, with a failure in the ledger.
    static func processorWithoutAnswer(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind, table: .lostCaptureAnswers()) { context in
            let api = context.payments
            let payment = try await payment(context)
            let clock = ContinuousClock()
            let started = clock.now
            await #expect(throws: PaymentsUnavailableError.self) { _ = try await api.capture(paymentId: payment.id, idempotencyKey: "ship") }
            #expect(clock.now - started < .seconds(5), "the processor timeout ends the call")
            #expect(try await api.payments(orderId: payment.orderId).first?.status == .authorized)
            #expect(try await ledgerKinds(context, payment.id) == [.authorization])
            let problem = PaymentsUnavailableError(reason: "no answer").problem
            #expect(problem.status == 503)
            let captured = try await api.capture(paymentId: payment.id, idempotencyKey: "ship")
            #expect(captured.status == .captured)
            #expect(try await ledgerKinds(context, payment.id) == [.authorization, .capture], "one capture")

            await #expect(throws: PaymentsUnavailableError(reason: "the payment processor refused the refund (refunds are closed today)")) {
                _ = try await api.refund(paymentId: payment.id, amount: nil, reason: "broken", idempotencyKey: "r1")
            }
            #expect(try await api.payments(orderId: payment.orderId).first?.refundedAmount.amount == 0)
            let ledger = try await api.ledger(paymentId: payment.id)
            #expect(ledger.map(\.kind) == [.authorization, .capture, .failure])
            #expect(ledger.last?.operation == .refund)
        }
    }

    /// `emporium admin rotate-data-key`'s step for payments: every card re-sealed under the
    /// active key (once: a second run has nothing to do), and still usable.
    static func reencryptsTheVault(_ kind: DatabaseKind) async throws {
        try await PaymentsTestPlatform.run(kind) { context in
            let (token, userID) = try await customer(context)
            let method = try await addCard(context, token: token)
            #expect(try await context.payments.reencryptPersonalData() == 0, "already under the active key")
            var rotated = TestPlatform.keys
            let newKey = rotated.addActiveDataKey()
            let environment = ServiceEnvironment(
                database: context.database, seedsDemoData: false, logger: TestDatabases.logger, outbox: Outbox(service: "payments"),
                metrics: NOOPMetricsHandler.instance, security: try SecuritySettings(bcryptCost: 4, keys: rotated))
            let afterRotation = PaymentsService(environment: environment)
            #expect(try await afterRotation.reencryptPersonalData() == 1)
            #expect(try await afterRotation.reencryptPersonalData() == 0)
            let sealed = try await context.database.withConnection { sql in
                try await sql.raw("SELECT card_number FROM payment_methods WHERE id = \(bind: method)").first()?.decode(column: "card_number", as: String.self)
            }
            #expect(sealed?.hasPrefix("v1.\(newKey).") == true)
            #expect(try await afterRotation.authorize(authorization(userID: userID, method: method)).status == .authorized)
        }
    }
}

@Suite("Payments API on SQLite")
struct PaymentsAPISQLiteTests {
    @Test func cardsAreCheckedAndSealed() async throws { try await PaymentsAPIContract.cardsAreCheckedAndSealed(.sqlite) }
    @Test func cardsPerAccountAreCapped() async throws { try await PaymentsAPIContract.cardsPerAccountAreCapped(.sqlite) }
    @Test func testCardsAnswerAsDocumented() async throws { try await PaymentsAPIContract.testCardsAnswerAsDocumented(.sqlite) }
    @Test func pendingPaymentIsVoided() async throws { try await PaymentsAPIContract.pendingPaymentIsVoided(.sqlite) }
    @Test func concurrentAuthorizationsWithOneKey() async throws { try await PaymentsAPIContract.concurrentAuthorizationsWithOneKey(.sqlite) }
    @Test func someoneElsesCardIsRefused() async throws { try await PaymentsAPIContract.someoneElsesCardIsRefused(.sqlite) }
    @Test func transitionsAndRefundArithmetic() async throws { try await PaymentsAPIContract.transitionsAndRefundArithmetic(.sqlite) }
    @Test func concurrentRefundsNeverExceedTheCapture() async throws { try await PaymentsAPIContract.concurrentRefundsNeverExceedTheCapture(.sqlite, rounds: 3) }
    @Test func publicRoutes() async throws { try await PaymentsAPIContract.publicRoutes(.sqlite) }
    @Test func internalRoutesNeedACredential() async throws { try await PaymentsAPIContract.internalRoutesNeedACredential(.sqlite) }
    @Test func reencryptsTheVault() async throws { try await PaymentsAPIContract.reencryptsTheVault(.sqlite) }
    @Test func processorWithoutAnswer() async throws { try await PaymentsAPIContract.processorWithoutAnswer(.sqlite) }
}

@Suite("Payments API on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct PaymentsAPIPostgresTests {
    @Test func cardsAreCheckedAndSealed() async throws { try await PaymentsAPIContract.cardsAreCheckedAndSealed(.postgres) }
    @Test func cardsPerAccountAreCapped() async throws { try await PaymentsAPIContract.cardsPerAccountAreCapped(.postgres) }
    @Test func testCardsAnswerAsDocumented() async throws { try await PaymentsAPIContract.testCardsAnswerAsDocumented(.postgres) }
    @Test func pendingPaymentIsVoided() async throws { try await PaymentsAPIContract.pendingPaymentIsVoided(.postgres) }
    @Test func concurrentAuthorizationsWithOneKey() async throws { try await PaymentsAPIContract.concurrentAuthorizationsWithOneKey(.postgres) }
    @Test func someoneElsesCardIsRefused() async throws { try await PaymentsAPIContract.someoneElsesCardIsRefused(.postgres) }
    @Test func transitionsAndRefundArithmetic() async throws { try await PaymentsAPIContract.transitionsAndRefundArithmetic(.postgres) }
    @Test func concurrentRefundsNeverExceedTheCapture() async throws { try await PaymentsAPIContract.concurrentRefundsNeverExceedTheCapture(.postgres, rounds: 10) }
    @Test func publicRoutes() async throws { try await PaymentsAPIContract.publicRoutes(.postgres) }
    @Test func reencryptsTheVault() async throws { try await PaymentsAPIContract.reencryptsTheVault(.postgres) }
    @Test func processorWithoutAnswer() async throws { try await PaymentsAPIContract.processorWithoutAnswer(.postgres) }
}
