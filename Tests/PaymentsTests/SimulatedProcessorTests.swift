import EmporiumCore
import Payments
import Testing

@Suite("Simulated processor")
struct SimulatedProcessorTests {
    static let amount = Money(amount: 1000, currency: "USD")

    static func card(_ number: String) -> ValidCard {
        ValidCard(number: number, expMonth: 12, expYear: 2040, brand: CardBrand.detect(number))
    }

    @Test func testCardsAnswerAsDocumented() async throws {
        let processor = SimulatedPaymentProcessor()
        typealias Card = SimulatedPaymentProcessor.TestCard
        guard case .approved = try await processor.authorize(key: "a", card: Self.card(Card.succeeds), amount: Self.amount) else {
            Issue.record("4242 declined")
            return
        }
        #expect(try await processor.authorize(key: "b", card: Self.card(Card.declined), amount: Self.amount) == .refused(code: "card_declined", reason: "card declined"))
        #expect(
            try await processor.authorize(key: "c", card: Self.card(Card.insufficientFunds), amount: Self.amount)
                == .refused(code: "insufficient_funds", reason: "insufficient funds"))
        guard case .approved = try await processor.authorize(key: "d", card: Self.card(Card.captureFails), amount: Self.amount) else {
            Issue.record("0341 declined")
            return
        }
        #expect(try await processor.capture(key: "cap-d", authorizationKey: "d", amount: Self.amount) == .refused(code: "capture_failed", reason: "capture failed"))
        guard case .approved = try await processor.capture(key: "cap-a", authorizationKey: "a", amount: Self.amount) else {
            Issue.record("capture failed")
            return
        }
        guard case .approved = try await processor.refund(key: "ref-a", authorizationKey: "a", amount: Self.amount) else {
            Issue.record("refund failed")
            return
        }
    }

    @Test func sameKeyAnswersTheFirstOutcome() async throws {
        let processor = SimulatedPaymentProcessor()
        let first = try await processor.authorize(key: "k", card: Self.card("4242424242424242"), amount: Self.amount)
        #expect(try await processor.authorize(key: "k", card: Self.card("4000000000000002"), amount: Self.amount) == first)
        let capture = try await processor.capture(key: "c", authorizationKey: "k", amount: Self.amount)
        #expect(try await processor.capture(key: "c", authorizationKey: "k", amount: Self.amount) == capture)
    }

    @Test func timeoutCardHangsOnceThenAnswersApproved() async throws {
        let processor = SimulatedPaymentProcessor()
        let hanging = Task { try await processor.authorize(key: "t", card: Self.card(SimulatedPaymentProcessor.TestCard.authorizationTimesOut), amount: Self.amount) }
        try await Task.sleep(for: .milliseconds(100))
        hanging.cancel()
        await #expect(throws: CancellationError.self) { try await hanging.value }
        guard case .approved = try await processor.authorize(key: "t", card: Self.card(SimulatedPaymentProcessor.TestCard.authorizationTimesOut), amount: Self.amount) else {
            Issue.record("the retry did not find the authorization")
            return
        }
    }

    @Test func voidBeforeTheAuthorizationMakesALateOneFail() async throws {
        let processor = SimulatedPaymentProcessor()
        guard case .approved = try await processor.void(key: "v", authorizationKey: "never-made") else {
            Issue.record("void refused")
            return
        }
        guard case .refused = try await processor.authorize(key: "never-made", card: Self.card("4242424242424242"), amount: Self.amount) else {
            Issue.record("authorized after its void")
            return
        }
    }

    @Test func memoryIsBounded() async throws {
        let processor = SimulatedPaymentProcessor(memory: 3)
        for index in 0..<5 {
            _ = try await processor.authorize(key: "k\(index)", card: Self.card("4000000000000002"), amount: Self.amount)
        }
        // k0 is forgotten: asked again, it is a new call (with another card, another answer).
        guard case .approved = try await processor.authorize(key: "k0", card: Self.card("4242424242424242"), amount: Self.amount) else {
            Issue.record("k0 remembered")
            return
        }
        #expect(try await processor.authorize(key: "k4", card: Self.card("4242424242424242"), amount: Self.amount) == .refused(code: "card_declined", reason: "card declined"))
    }
}
