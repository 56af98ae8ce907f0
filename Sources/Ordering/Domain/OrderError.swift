public import EmporiumKit

/// Why an order refused a command.
public enum OrderError: Error, Sendable, Equatable {
    /// The command would move the order between states that do not follow each other: 409
    /// naming both.
    case illegalTransition(from: OrderStatus, to: OrderStatus)
    /// No order has this id (or the caller may not see it): 404.
    case notFound(String)
    /// Another writer appended to the order's stream first (`expected` was stale): the caller
    /// reloads the order and decides again.
    case concurrentChange(orderId: String, expectedVersion: Int)
}

extension OrderError: ProblemConvertible {
    public static let illegalTransitionType = ProblemDetails.typeBase + "order-state-conflict"
    public static let notFoundType = ProblemDetails.typeBase + "order-not-found"

    public var problem: ProblemDetails {
        switch self {
        case .illegalTransition(let from, let to):
            var problem = ProblemDetails.conflict("An order that is \(from.rawValue) cannot become \(to.rawValue).")
            problem.type = Self.illegalTransitionType
            problem.errors = [.init(field: "status", detail: "is \(from.rawValue); \(to.rawValue) does not follow it")]
            return problem
        case .notFound(let id):
            var problem = ProblemDetails.notFound("No order has id \(id).")
            problem.type = Self.notFoundType
            return problem
        case .concurrentChange(let id, _):
            return ProblemDetails.conflict("The order \(id) changed meanwhile; try again.")
        }
    }
}
