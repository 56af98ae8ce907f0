import AsyncHTTPClient
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Payments
import Security
import Storage
import Testing

/// ``HTTPPaymentsAPI`` against a payments service in another process (a platform serving HTTP
/// on a port, as `--services auth,payments` would): the same answers as in one process, the
/// contract's refusals back as ``PaymentError``, and a stopped service as unavailable.
@Suite("Payments over HTTP")
struct PaymentsRemoteTests {
    static let secret = ServiceCredential.generateSecret().base64EncodedString()

    /// Sends JSON to the served platform; the answer's status and body.
    static func send(_ port: Int, _ method: HTTPMethod, _ path: String, _ json: String, token: String? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:])
    }

    /// A registered, signed-in user of the served platform with a saved `card`: (user id, method id).
    static func customer(_ port: Int, card: String) async throws -> (userID: String, methodID: String) {
        let email = "payer-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let credentials = #"{"email": "\#(email)", "password": "\#(IdentityAPIContract.password)"}"#
        let (registered, account) = try await send(port, .POST, "/v1/auth/register", credentials)
        #expect(registered == 201)
        let (_, tokens) = try await send(port, .POST, "/v1/auth/login", credentials)
        let token = "Bearer " + (try #require(tokens["accessToken"] as? String))
        let (saved, method) = try await send(port, .POST, "/v1/payment-methods", PaymentsAPIContract.cardBody(card), token: token)
        #expect(saved == 201)
        return (try #require(account["id"] as? String), try #require(method["id"] as? String))
    }

    static func api(_ port: Int) throws -> HTTPPaymentsAPI {
        HTTPPaymentsAPI(RemoteService(
            name: "payments", baseURL: "http://127.0.0.1:\(port)", caller: "orders",
            credential: try ServiceCredential(secret: Data(base64Encoded: secret)!), timeout: .seconds(15), client: HTTPClient.shared,
            logger: TestDatabases.logger))
    }

    @Test func theContractOverHTTP() async throws {
        let port = try await TestPlatform.serving(.sqlite, table: .fastPayments, extra: ["services": "auth,payments", "services.secret": Self.secret]) { port in
            let api = try Self.api(port)
            let (userID, method) = try await Self.customer(port, card: SimulatedPaymentProcessor.TestCard.succeeds)
            let order = UUID.v7().lowercased
            let request = PaymentAuthorization(
                orderId: order, userId: userID, paymentMethodId: method, amount: Money(amount: 4_200, currency: "EUR"), idempotencyKey: "order-\(order)")
            let payment = try await api.authorize(request)
            #expect(payment.status == .authorized)
            #expect(payment.orderId == order)
            #expect(payment.amount == Money(amount: 4_200, currency: "EUR"))
            #expect(try await api.authorize(request) == payment, "the same key answers the same payment")
            #expect(try await api.payments(orderId: order) == [payment])

            // The contract's refusals come back as PaymentError.
            var reused = request
            reused.amount.amount = 1
            await #expect(throws: PaymentError.unprocessable(
                field: "idempotencyKey", detail: "was used for another request: use a new key for a new request, the same key only to repeat one")
            ) {
                _ = try await api.authorize(reused)
            }
            let (stranger, _) = try await Self.customer(port, card: SimulatedPaymentProcessor.TestCard.succeeds)
            var theirs = request
            theirs.userId = stranger
            theirs.idempotencyKey = "stranger"
            await #expect(throws: PaymentError.paymentMethodNotFound(method)) { _ = try await api.authorize(theirs) }
            var malformed = request
            malformed.amount.currency = "eur"
            malformed.idempotencyKey = "malformed"
            await #expect(throws: PaymentError.invalid(field: "amount.currency", detail: "must be an active ISO 4217 code in upper case")) {
                _ = try await api.authorize(malformed)
            }

            let captured = try await api.capture(paymentId: payment.id, idempotencyKey: "ship")
            #expect(captured.status == .captured)
            await #expect(throws: PaymentError.conflict(paymentId: payment.id, status: .captured, detail: "it was captured already")) {
                _ = try await api.capture(paymentId: payment.id, idempotencyKey: "ship-again")
            }
            await #expect(throws: PaymentError.conflict(
                paymentId: payment.id, status: .captured, detail: "a captured payment cannot be voided; refund it instead")
            ) {
                _ = try await api.void(paymentId: payment.id, idempotencyKey: "cancel")
            }
            let refunded = try await api.refund(paymentId: payment.id, amount: Money(amount: 200, currency: "EUR"), reason: "late", idempotencyKey: "r1")
            #expect(refunded.status == .partiallyRefunded)
            #expect(refunded.refundedAmount == Money(amount: 200, currency: "EUR"))
            #expect(try await api.refund(paymentId: payment.id, amount: Money(amount: 200, currency: "EUR"), reason: "late", idempotencyKey: "r1") == refunded)
            await #expect(throws: PaymentError.refundExceedsCaptured(paymentId: payment.id, refundable: Money(amount: 4_000, currency: "EUR"))) {
                _ = try await api.refund(paymentId: payment.id, amount: Money(amount: 4_001, currency: "EUR"), reason: "too much", idempotencyKey: "r2")
            }
            await #expect(throws: PaymentError.unprocessable(field: "amount.currency", detail: "must be EUR, the payment's currency")) {
                _ = try await api.refund(paymentId: payment.id, amount: Money(amount: 1, currency: "USD"), reason: "dollars", idempotencyKey: "r3")
            }
            #expect(try await api.refund(paymentId: payment.id, amount: nil, reason: "returned", idempotencyKey: "r4").status == .refunded)
            let unknown = UUID.v7().lowercased
            await #expect(throws: PaymentError.notFound(unknown)) { _ = try await api.capture(paymentId: unknown, idempotencyKey: "k") }
            await #expect(throws: PaymentError.invalid(field: "idempotencyKey", detail: PaymentRules.keyRule)) {
                _ = try await api.void(paymentId: payment.id, idempotencyKey: "with space")
            }

            // A declined card and the timeout card answer as in one process.
            let (poorUser, poorCard) = try await Self.customer(port, card: SimulatedPaymentProcessor.TestCard.declined)
            let declined = try await api.authorize(PaymentAuthorization(
                orderId: UUID.v7().lowercased, userId: poorUser, paymentMethodId: poorCard, amount: Money(amount: 100, currency: "USD"),
                idempotencyKey: "declined"))
            #expect(declined.status == .failed)
            #expect(declined.failureCode == "card_declined")
            #expect(declined.failureReason == "card declined")
            let (slowUser, slowCard) = try await Self.customer(port, card: SimulatedPaymentProcessor.TestCard.authorizationTimesOut)
            let slow = PaymentAuthorization(
                orderId: UUID.v7().lowercased, userId: slowUser, paymentMethodId: slowCard, amount: Money(amount: 100, currency: "USD"),
                idempotencyKey: "slow")
            #expect(try await api.authorize(slow).status == .pending)
            #expect(try await api.authorize(slow).status == .authorized)
            return port
        }
        // The payments process is stopped: a call is a ServiceUnavailableError naming it.
        do {
            _ = try await Self.api(port).payments(orderId: UUID.v7().lowercased)
            Issue.record("a stopped service answered")
        } catch let error as ServiceUnavailableError {
            #expect(error.service == "payments")
        }
    }
}
