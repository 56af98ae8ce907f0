import EmporiumContracts
import EmporiumCore
import Payments
import Testing

@Suite("Payment rules")
struct PaymentRulesTests {
    static func payment(captured: Int64, refunded: Int64, amount: Int64 = 10_000, currency: String = "USD") -> Payment {
        Payment(
            id: "01900000-0000-7000-8000-000000000001", orderId: "01900000-0000-7000-8000-000000000002",
            status: PaymentRules.statusAfterRefund(captured: captured, refunded: refunded), amount: Money(amount: amount, currency: currency),
            capturedAmount: Money(amount: captured, currency: currency), refundedAmount: Money(amount: refunded, currency: currency))
    }

    @Test func refundArithmetic() throws {
        let payment = Self.payment(captured: 10_000, refunded: 2_500)
        #expect(PaymentRules.refundable(payment) == Money(amount: 7_500, currency: "USD"))
        #expect(try PaymentRules.refundAmount(nil, of: payment) == Money(amount: 7_500, currency: "USD"), "no amount: all that remains")
        #expect(try PaymentRules.refundAmount(Money(amount: 7_500, currency: "USD"), of: payment) == Money(amount: 7_500, currency: "USD"))
        #expect(throws: PaymentError.refundExceedsCaptured(paymentId: payment.id, refundable: Money(amount: 7_500, currency: "USD"))) {
            try PaymentRules.refundAmount(Money(amount: 7_501, currency: "USD"), of: payment)
        }
        #expect(throws: PaymentError.unprocessable(field: "amount.currency", detail: "must be USD, the payment's currency")) {
            try PaymentRules.refundAmount(Money(amount: 1, currency: "EUR"), of: payment)
        }
        let spent = Self.payment(captured: 10_000, refunded: 10_000)
        #expect(throws: PaymentError.refundExceedsCaptured(paymentId: spent.id, refundable: Money(amount: 0, currency: "USD"))) {
            try PaymentRules.refundAmount(nil, of: spent)
        }
        #expect(PaymentRules.statusAfterRefund(captured: 100, refunded: 0) == .captured)
        #expect(PaymentRules.statusAfterRefund(captured: 100, refunded: 99) == .partiallyRefunded)
        #expect(PaymentRules.statusAfterRefund(captured: 100, refunded: 100) == .refunded)
    }

    @Test func idempotencyKeys() {
        for key in ["a", "order-1:authorize", String(repeating: "~", count: 255), "!\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`{|}~"] {
            #expect(PaymentRules.isValidKey(key), "\(key)")
        }
        for key in ["", " ", "a b", String(repeating: "k", count: 256), "é", "tab\there", "\u{7F}"] {
            #expect(!PaymentRules.isValidKey(key), "\(key)")
        }
    }

    @Test func authorizationValidation() throws {
        let valid = PaymentAuthorization(
            orderId: "0190B2F0-0000-7000-8000-000000000000", userId: "0190b2f0-0000-7000-8000-000000000001",
            paymentMethodId: "0190b2f0-0000-7000-8000-000000000002", amount: Money(amount: 1999, currency: "USD"), idempotencyKey: "k-1")
        #expect(try PaymentRules.validate(valid).orderId == "0190b2f0-0000-7000-8000-000000000000", "ids in lower case")
        let cases: [(PaymentAuthorization, String)] = [
            ({ var r = valid; r.orderId = "order-1"; return r }(), "orderId"),
            ({ var r = valid; r.userId = ""; return r }(), "userId"),
            ({ var r = valid; r.paymentMethodId = "x"; return r }(), "paymentMethodId"),
            ({ var r = valid; r.amount.amount = 0; return r }(), "amount.amount"),
            ({ var r = valid; r.amount.amount = PaymentRules.maximumAmount + 1; return r }(), "amount.amount"),
            ({ var r = valid; r.amount.currency = "usd"; return r }(), "amount.currency"),
            ({ var r = valid; r.idempotencyKey = "with space"; return r }(), "idempotencyKey"),
        ]
        for (request, field) in cases {
            do {
                _ = try PaymentRules.validate(request)
                Issue.record("\(field) accepted")
            } catch {
                guard case .invalid(let named, _) = error else { Issue.record("\(error)"); continue }
                #expect(named == field)
            }
        }
    }

    @Test func reasons() throws {
        #expect(try PaymentRules.reason("  damaged in transit ") == "damaged in transit")
        #expect(throws: PaymentError.self) { try PaymentRules.reason("   ") }
        #expect(throws: PaymentError.self) { try PaymentRules.reason(String(repeating: "r", count: 501)) }
        #expect(throws: PaymentError.self) { try PaymentRules.reason("line\nbreak") }
        #expect(try PaymentRules.reason(String(repeating: "é", count: 500)).count == 500)
    }

    @Test func fingerprintsTellRequestsApart() {
        let base = PaymentAuthorization(
            orderId: "o", userId: "u", paymentMethodId: "m", amount: Money(amount: 100, currency: "USD"), idempotencyKey: "k")
        let same = IdempotencyFingerprint.authorization(base)
        #expect(same == IdempotencyFingerprint.authorization(base))
        #expect(same.count == 64)
        var otherKey = base
        otherKey.idempotencyKey = "another"
        #expect(IdempotencyFingerprint.authorization(otherKey) == same, "the key is not part of the request")
        let changes: [PaymentAuthorization] = [
            { var r = base; r.amount.amount = 101; return r }(), { var r = base; r.amount.currency = "EUR"; return r }(),
            { var r = base; r.orderId = "o2"; return r }(), { var r = base; r.paymentMethodId = "m2"; return r }(),
            { var r = base; r.userId = "u2"; return r }(),
        ]
        for changed in changes {
            #expect(IdempotencyFingerprint.authorization(changed) != same)
        }
        // Lengths are part of the text: fields cannot slide into each other.
        #expect(
            IdempotencyFingerprint.refund(paymentId: "p", amount: nil, reason: "a|b")
                != IdempotencyFingerprint.refund(paymentId: "p|a", amount: nil, reason: "b"))
        #expect(
            IdempotencyFingerprint.refund(paymentId: "p", amount: nil, reason: "r")
                != IdempotencyFingerprint.refund(paymentId: "p", amount: Money(amount: 1, currency: "USD"), reason: "r"))
        #expect(IdempotencyFingerprint.capture(paymentId: "p") != IdempotencyFingerprint.void(paymentId: "p"))
    }
}
