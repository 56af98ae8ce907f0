import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation

/// The calls that are idempotent by key, each with keys of its own.
public enum PaymentOperationKind: String, Sendable, CaseIterable {
    case authorize
    case capture
    case void
    case refund
}

/// The fingerprint of a request stored with its idempotency key: the same key with a request of
/// another fingerprint is refused (422), never answered with the first request's result.
///
/// A SHA-256 over the operation and the request's fields, each prefixed with its length so that
/// no two requests share the text hashed. Requests are taken as validated (ids in lower case,
/// the reason trimmed), so spellings of one request agree.
public enum IdempotencyFingerprint {
    public static func authorization(_ request: PaymentAuthorization) -> String {
        digest([
            PaymentOperationKind.authorize.rawValue, request.orderId, request.userId, request.paymentMethodId,
            String(request.amount.amount), request.amount.currency,
        ])
    }

    public static func capture(paymentId: String) -> String {
        digest([PaymentOperationKind.capture.rawValue, paymentId])
    }

    public static func void(paymentId: String) -> String {
        digest([PaymentOperationKind.void.rawValue, paymentId])
    }

    /// `amount` nil (all that remains) differs from any amount given.
    public static func refund(paymentId: String, amount: Money?, reason: String) -> String {
        digest([
            PaymentOperationKind.refund.rawValue, paymentId, amount.map { String($0.amount) } ?? "rest", amount?.currency ?? "", reason,
        ])
    }

    static func digest(_ parts: [String]) -> String {
        IdempotencyKey.fingerprint(parts)
    }
}
