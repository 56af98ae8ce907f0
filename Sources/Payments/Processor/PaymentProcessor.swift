public import EmporiumCore

/// The card processor behind the payments service: it authorizes amounts on cards, captures,
/// voids and refunds them.
///
/// Every call carries a key and is idempotent by it at the processor, as real processors'
/// idempotency keys are: asking again with a key answers the first call's outcome and moves no
/// money twice. The service derives the keys from the payment (the authorization's key is the
/// payment id; a capture's `capture:<payment id>`; a refund's `refund:<payment id>:<the caller's
/// key>`), so a call repeated after a lost answer or a crash is the same call.
///
/// A call that throws, or does not return within the service's processor timeout, has no
/// known outcome: the payment is left as it was (an authorization stays `pending`) and a later
/// call with the same key settles it.
public protocol PaymentProcessor: Sendable {
    /// Authorizes `amount` on `card`; `key` identifies the authorization in the later calls.
    func authorize(key: String, card: ValidCard, amount: Money) async throws -> ProcessorOutcome

    /// Captures `amount` of the authorization `authorizationKey`.
    func capture(key: String, authorizationKey: String, amount: Money) async throws -> ProcessorOutcome

    /// Releases the authorization `authorizationKey`, or, when the processor has not made it
    /// (the authorize call's answer was lost before it got there), makes sure it never will.
    func void(key: String, authorizationKey: String) async throws -> ProcessorOutcome

    /// Refunds `amount` of what the authorization `authorizationKey` captured.
    func refund(key: String, authorizationKey: String, amount: Money) async throws -> ProcessorOutcome
}

/// The processor's answer to one call.
public enum ProcessorOutcome: Sendable, Equatable {
    /// Done; `reference` is the processor's id of the transaction.
    case approved(reference: String)
    /// Refused: `code` for machines (`card_declined`, `insufficient_funds`, `capture_failed`,
    /// `processor_error`), `reason` for people (`card declined`).
    case refused(code: String, reason: String)
}
