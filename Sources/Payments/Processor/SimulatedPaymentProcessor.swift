public import EmporiumCore
import Synchronization

/// The processor built in: no network, outcomes chosen by the card number, from the test card
/// numbers that payment providers publish (docs/api.md lists them):
///
/// | number | outcome |
/// |---|---|
/// | 4242 4242 4242 4242 (and any other valid number) | approved |
/// | 4000 0000 0000 0002 | authorization declined, `card_declined` |
/// | 4000 0000 0000 9995 | authorization declined, `insufficient_funds` |
/// | 5453 0100 0009 5323 | the first authorize for a key never answers (the authorization is made, the answer is lost); asked again with the key, it answers approved |
/// | 4000 0000 0000 0341 | authorized, but the capture fails, `capture_failed` |
///
/// It remembers each call's outcome by key (the most recent ``memory`` calls, in this process),
/// as a real processor's idempotency keys do, so a repeated call answers the first outcome. An
/// authorization it does not remember (made before a restart) is taken as approved when it is
/// captured, voided or refunded.
public final class SimulatedPaymentProcessor: PaymentProcessor {
    /// The test card numbers with a special outcome.
    public enum TestCard {
        /// Stripe's and most providers' card that always succeeds.
        public static let succeeds = "4242424242424242"
        /// Stripe's generic decline (`card_declined`).
        public static let declined = "4000000000000002"
        /// Stripe's decline for insufficient funds (`insufficient_funds`).
        public static let insufficientFunds = "4000000000009995"
        /// Windcave's Mastercard that delays its answer and is found approved when asked again:
        /// here the first authorize never answers.
        public static let authorizationTimesOut = "5453010000095323"
        /// Stripe's card that can be saved but whose charge fails: here the authorization
        /// succeeds and the capture (the charge) fails (`capture_failed`).
        public static let captureFails = "4000000000000341"
    }

    /// How many calls' outcomes are remembered.
    public let memory: Int

    private struct Authorization {
        var captureFails: Bool
        var captured = false
        var voided = false
    }

    private struct State {
        var outcomes: [String: ProcessorOutcome] = [:]
        var remembered: [String] = []
        var authorizations: [String: Authorization] = [:]
        var sequence = 0

        mutating func reference(_ prefix: String) -> String {
            sequence += 1
            return "sim_\(prefix)_\(sequence)"
        }

        /// Remembers `outcome` for `key`, forgetting the oldest beyond `memory`.
        mutating func remember(_ outcome: ProcessorOutcome, for key: String, memory: Int) {
            if outcomes.updateValue(outcome, forKey: key) == nil { remembered.append(key) }
            if remembered.count > memory {
                let forgotten = remembered.prefix(remembered.count - memory)
                for key in forgotten {
                    outcomes[key] = nil
                    if key.hasPrefix("authorize:") { authorizations[String(key.dropFirst("authorize:".count))] = nil }
                }
                remembered.removeFirst(forgotten.count)
            }
        }
    }

    private let state = Mutex(State())

    public init(memory: Int = 100_000) {
        self.memory = memory
    }

    public func authorize(key: String, card: ValidCard, amount: Money) async throws -> ProcessorOutcome {
        let (outcome, answers) = state.withLock { state -> (ProcessorOutcome, Bool) in
            if let known = state.outcomes["authorize:\(key)"] { return (known, true) }
            let outcome: ProcessorOutcome
            switch card.number {
            case TestCard.declined:
                outcome = .refused(code: "card_declined", reason: "card declined")
            case TestCard.insufficientFunds:
                outcome = .refused(code: "insufficient_funds", reason: "insufficient funds")
            default:
                outcome = .approved(reference: state.reference("auth"))
                state.authorizations[key] = Authorization(captureFails: card.number == TestCard.captureFails)
            }
            state.remember(outcome, for: "authorize:\(key)", memory: memory)
            return (outcome, card.number != TestCard.authorizationTimesOut)
        }
        if !answers {
            // The authorization is made, but its answer never comes: wait until the caller gives up.
            try await Task.sleep(for: .seconds(86_400))
        }
        return outcome
    }

    public func capture(key: String, authorizationKey: String, amount: Money) async throws -> ProcessorOutcome {
        state.withLock { state in
            if let known = state.outcomes["capture:\(key)"] { return known }
            let outcome: ProcessorOutcome
            // An authorization it does not remember was made by an earlier process (its memory
            // is per process): taken as approved.
            var authorization = state.authorizations[authorizationKey] ?? Authorization(captureFails: false)
            if authorization.voided {
                outcome = .refused(code: "processor_error", reason: "the authorization was voided")
            } else if authorization.captureFails {
                outcome = .refused(code: "capture_failed", reason: "capture failed")
            } else {
                authorization.captured = true
                state.authorizations[authorizationKey] = authorization
                outcome = .approved(reference: state.reference("capture"))
            }
            state.remember(outcome, for: "capture:\(key)", memory: memory)
            return outcome
        }
    }

    public func void(key: String, authorizationKey: String) async throws -> ProcessorOutcome {
        state.withLock { state in
            if let known = state.outcomes["void:\(key)"] { return known }
            let outcome: ProcessorOutcome
            if var authorization = state.authorizations[authorizationKey] {
                if authorization.captured {
                    outcome = .refused(code: "processor_error", reason: "the authorization was captured")
                } else {
                    authorization.voided = true
                    state.authorizations[authorizationKey] = authorization
                    outcome = .approved(reference: state.reference("void"))
                }
            } else {
                // Not made (or declined): make sure a late authorize for the key makes nothing.
                if state.outcomes["authorize:\(authorizationKey)"] == nil {
                    state.remember(.refused(code: "processor_error", reason: "the authorization was cancelled"), for: "authorize:\(authorizationKey)", memory: memory)
                }
                outcome = .approved(reference: state.reference("void"))
            }
            state.remember(outcome, for: "void:\(key)", memory: memory)
            return outcome
        }
    }

    public func refund(key: String, authorizationKey: String, amount: Money) async throws -> ProcessorOutcome {
        state.withLock { state in
            if let known = state.outcomes["refund:\(key)"] { return known }
            let outcome: ProcessorOutcome
            if let authorization = state.authorizations[authorizationKey], !authorization.captured {
                outcome = .refused(code: "processor_error", reason: "nothing was captured to refund")
            } else {
                outcome = .approved(reference: state.reference("refund"))
            }
            state.remember(outcome, for: "refund:\(key)", memory: memory)
            return outcome
        }
    }
}
