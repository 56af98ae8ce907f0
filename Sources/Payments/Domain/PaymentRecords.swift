import EmporiumContracts
import EmporiumCore
import Foundation

/// A payment as the store keeps it: what the contract shows plus whose it is and with what.
public struct StoredPayment: Sendable, Equatable {
    public var payment: Payment
    public var userId: String
    public var paymentMethodId: String
    /// The processor's reference of the authorization, once it answered.
    public var processorReference: String?

    public var id: String { payment.id }
}

/// A card in the vault as its owner sees it: never the number.
public struct StoredPaymentMethod: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var brand: CardBrand
    public var last4: String
    public var expMonth: Int
    public var expYear: Int
    public var createdAt: Date
}

/// One row of the ledger: a movement of money (or its failure) at the processor, in minor units.
public struct LedgerEntry: Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable, CaseIterable {
        case authorization
        case capture
        case void
        case refund
        /// The processor refused (a decline, a failed capture): ``LedgerEntry/failureCode`` says why.
        case failure
    }

    public var id: String
    public var paymentId: String
    public var kind: Kind
    /// The call that caused it (a failure names the call that failed).
    public var operation: PaymentOperationKind
    public var amount: Money
    public var processorReference: String?
    public var failureCode: String?
    /// A refund's reason, a failure's reason.
    public var reason: String?
    public var idempotencyKey: String?
    public var createdAt: String
}

/// Why the vault refused a change; nothing was written.
public enum PaymentMethodError: Error, Equatable, Sendable {
    /// The user keeps `limit` payment methods already.
    case limitReached(limit: Int)
    /// No payment method of the user has this id.
    case notFound(String)
}

/// A call the payments service cannot complete now (503): the processor did not answer in time,
/// or another request holds the payment for longer than a call may wait. Nothing was recorded;
/// asking again with the same idempotency key is safe.
public struct PaymentsUnavailableError: Error, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
