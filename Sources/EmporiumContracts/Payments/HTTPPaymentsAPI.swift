public import EmporiumCore
public import EmporiumKit
import Foundation
import NIOHTTP1

/// ``PaymentsAPI`` over HTTP, for a caller whose process does not run the payments service: the
/// `/internal/v1/payments/…` routes through a ``RemoteService``. The contract's refusals come
/// back as ``PaymentError``; anything else (no answer, a 503 of the processor) is a
/// `ServiceUnavailableError` naming the payments service, and the caller asks again with the
/// same key.
public struct HTTPPaymentsAPI: PaymentsAPI {
    private let remote: RemoteService

    public init(_ remote: RemoteService) {
        self.remote = remote
    }

    public func authorize(_ request: PaymentAuthorization) async throws -> Payment {
        try await remote.call(
            .POST, "/internal/v1/payments/authorizations", body: request, as: Payment.self,
            refusal: { PaymentError(problem: $0, paymentId: "", paymentMethodId: request.paymentMethodId) })
    }

    public func capture(paymentId: String, idempotencyKey: String) async throws -> Payment {
        try await remote.call(
            .POST, try Self.path(paymentId, "capture"), body: PaymentOperation(idempotencyKey: idempotencyKey), as: Payment.self,
            refusal: { PaymentError(problem: $0, paymentId: paymentId) })
    }

    public func void(paymentId: String, idempotencyKey: String) async throws -> Payment {
        try await remote.call(
            .POST, try Self.path(paymentId, "void"), body: PaymentOperation(idempotencyKey: idempotencyKey), as: Payment.self,
            refusal: { PaymentError(problem: $0, paymentId: paymentId) })
    }

    public func refund(paymentId: String, amount: Money?, reason: String, idempotencyKey: String) async throws -> Payment {
        try await remote.call(
            .POST, try Self.path(paymentId, "refunds"), body: PaymentRefund(amount: amount, reason: reason, idempotencyKey: idempotencyKey),
            as: Payment.self, refusal: { PaymentError(problem: $0, paymentId: paymentId) })
    }

    public func payments(orderId: String) async throws -> [Payment] {
        guard let order = UUID(uuidString: orderId) else { throw PaymentError.invalid(field: "orderId", detail: "must be a UUID") }
        let list = try await remote.call(
            .GET, "/internal/v1/payments?order_id=\(order.uuidString.lowercased())", as: PaymentList.self,
            refusal: { PaymentError(problem: $0, paymentId: "") })
        return list.items
    }

    public func hasPaymentMethod(id paymentMethodId: String, userId: String) async throws -> Bool {
        guard let method = UUID(uuidString: paymentMethodId), let user = UUID(uuidString: userId) else { return false }
        do {
            _ = try await remote.call(
                .GET, "/internal/v1/payments/users/\(user.uuidString.lowercased())/payment-methods/\(method.uuidString.lowercased())",
                as: PaymentMethodCheck.self, refusal: { PaymentError(problem: $0, paymentId: "", paymentMethodId: paymentMethodId) })
            return true
        } catch PaymentError.paymentMethodNotFound {
            return false
        }
    }

    /// `/internal/v1/payments/{id}/<action>`; an id that is not a UUID names no payment, so it is
    /// refused without a call.
    private static func path(_ paymentId: String, _ action: String) throws -> String {
        guard let id = UUID(uuidString: paymentId) else { throw PaymentError.notFound(paymentId) }
        return "/internal/v1/payments/\(id.uuidString.lowercased())/\(action)"
    }
}

// MARK: Wire types of the internal routes

/// The body of `POST /internal/v1/payments/{id}/capture` and `/void`.
public struct PaymentOperation: Codable, Sendable, Equatable, StrictJSONBody {
    public static let knownFields: Set<String> = ["idempotencyKey"]
    public var idempotencyKey: String

    public init(idempotencyKey: String) {
        self.idempotencyKey = idempotencyKey
    }
}

/// The body of `POST /internal/v1/payments/{id}/refunds`: no `amount` refunds all that remains.
public struct PaymentRefund: Codable, Sendable, Equatable, StrictJSONBody {
    public static let knownFields: Set<String> = ["amount", "reason", "idempotencyKey"]
    public static let knownNestedFields: [String: Set<String>] = ["amount": ["amount", "currency"]]
    public var amount: Money?
    public var reason: String
    public var idempotencyKey: String

    public init(amount: Money?, reason: String, idempotencyKey: String) {
        self.amount = amount
        self.reason = reason
        self.idempotencyKey = idempotencyKey
    }
}

/// The answer of `GET /internal/v1/payments?order_id=`: the order's payments, oldest first.
public struct PaymentList: Codable, Sendable, Equatable {
    public var items: [Payment]

    public init(items: [Payment]) {
        self.items = items
    }
}

/// The answer of `GET /internal/v1/payments/users/{userId}/payment-methods/{id}` when the
/// method is the user's (otherwise a 422 `payment-method-not-found` problem).
public struct PaymentMethodCheck: Codable, Sendable, Equatable {
    public var id: String

    public init(id: String) {
        self.id = id
    }
}

extension PaymentAuthorization: StrictJSONBody {
    public static let knownFields: Set<String> = ["orderId", "userId", "paymentMethodId", "amount", "idempotencyKey"]
    public static let knownNestedFields: [String: Set<String>] = ["amount": ["amount", "currency"]]
}

// MARK: Problems

extension PaymentError: ProblemConvertible {
    /// The problem type of a ``PaymentError/notFound(_:)``.
    public static let notFoundType = ProblemDetails.typeBase + "payment-not-found"
    /// The problem type of a ``PaymentError/paymentMethodNotFound(_:)``.
    public static let paymentMethodNotFoundType = ProblemDetails.typeBase + "payment-method-not-found"
    /// The problem type of a ``PaymentError/conflict(paymentId:status:detail:)``.
    public static let conflictType = ProblemDetails.typeBase + "payment-conflict"
    /// The problem type of a ``PaymentError/refundExceedsCaptured(paymentId:refundable:)``.
    public static let refundExceedsCapturedType = ProblemDetails.typeBase + "refund-exceeds-captured"
    /// The problem type of a ``PaymentError/unprocessable(field:detail:)``.
    public static let unprocessableType = ProblemDetails.typeBase + "payment-unprocessable"

    /// 400 naming the field, 404, 409 whose `errors[0]` carries the payment's status, or 422:
    /// the refund's excess names what is refundable in `errors[0].detail` as
    /// `<minor units> <currency> can be refunded`.
    public var problem: ProblemDetails {
        switch self {
        case .invalid(let field, let detail):
            return .invalidField(field, detail)
        case .notFound(let id):
            var problem = ProblemDetails.notFound("No payment has id \(id).")
            problem.type = Self.notFoundType
            return problem
        case .paymentMethodNotFound(let id):
            var problem = ProblemDetails.unprocessable(
                [.init(field: "paymentMethodId", detail: "is not a payment method of the user")],
                detail: "The payment method \(id) does not exist or is not the user's.")
            problem.type = Self.paymentMethodNotFoundType
            return problem
        case .conflict(let paymentId, let status, let detail):
            var problem = ProblemDetails.conflict("The payment \(paymentId) is \(status.rawValue): \(detail)")
            problem.type = Self.conflictType
            problem.errors = [.init(field: "status", detail: status.rawValue)]
            return problem
        case .refundExceedsCaptured(let paymentId, let refundable):
            var problem = ProblemDetails.unprocessable(
                [.init(field: "amount", detail: Self.refundableText(refundable))],
                detail: "The refund would exceed what was captured of payment \(paymentId): \(Self.refundableText(refundable)).")
            problem.type = Self.refundExceedsCapturedType
            return problem
        case .unprocessable(let field, let detail):
            var problem = ProblemDetails.unprocessable([.init(field: field, detail: detail)])
            problem.type = Self.unprocessableType
            return problem
        }
    }

    /// `1500 USD can be refunded`: the text of the refundable amount, read back by ``init(problem:paymentId:paymentMethodId:)``.
    static func refundableText(_ refundable: Money) -> String {
        "\(refundable.amount) \(refundable.currency) can be refunded"
    }

    /// The error a problem answer about `paymentId` stands for, when it is one of the contract's;
    /// nil otherwise (the caller then sees the payments service as unavailable).
    init?(problem: ProblemDetails, paymentId: String, paymentMethodId: String = "") {
        let first = problem.errors?.first
        switch problem.type {
        case Self.notFoundType:
            self = .notFound(paymentId)
        case Self.paymentMethodNotFoundType:
            self = .paymentMethodNotFound(paymentMethodId)
        case Self.conflictType:
            guard let status = first.flatMap({ PaymentStatus(rawValue: $0.detail) }) else { return nil }
            self = .conflict(paymentId: paymentId, status: status, detail: Self.conflictDetail(problem.detail ?? "", status: status))
        case Self.refundExceedsCapturedType:
            let words = first?.detail.split(separator: " ") ?? []
            guard words.count >= 2, let amount = Int64(words[0]) else { return nil }
            self = .refundExceedsCaptured(paymentId: paymentId, refundable: Money(amount: amount, currency: String(words[1])))
        case Self.unprocessableType:
            guard let first, let field = first.field else { return nil }
            self = .unprocessable(field: field, detail: first.detail)
        default:
            guard problem.status == 400, let first, let field = first.field else { return nil }
            self = .invalid(field: field, detail: first.detail)
        }
    }

    /// The detail of a conflict as it was thrown: the problem's detail without its
    /// `The payment … is <status>: ` prefix.
    private static func conflictDetail(_ text: String, status: PaymentStatus) -> String {
        guard let range = text.range(of: " is \(status.rawValue): ") else { return text }
        return String(text[range.upperBound...])
    }
}
