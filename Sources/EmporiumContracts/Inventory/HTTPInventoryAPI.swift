public import EmporiumKit
public import Foundation
import NIOHTTP1

/// ``InventoryAPI`` over HTTP, for a caller whose process does not run the inventory: the
/// `/internal/v1/inventory/…` routes through a ``RemoteService``.
public struct HTTPInventoryAPI: InventoryAPI {
    private let remote: RemoteService

    public init(_ remote: RemoteService) {
        self.remote = remote
    }

    public func stock(skus: [String]) async throws -> [String: StockLevel] {
        var found: [String: StockLevel] = [:]
        for chunk in skus.chunks(of: StockLookup.maximumSKUs) {
            let result = try await remote.call(
                .POST, "/internal/v1/inventory/stock/lookup", body: StockLookup(skus: chunk), as: StockLookupResult.self)
            for level in result.items { found[level.sku] = level }
        }
        return found
    }

    public func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome {
        try await remote.call(
            .PUT, Self.path(request.orderId), body: ReservationLines(lines: request.lines), as: ReservationOutcome.self,
            refusal: { ReservationError(problem: $0, orderId: request.orderId) })
    }

    public func release(orderId: UUID) async throws -> Reservation {
        try await remote.call(.POST, Self.path(orderId) + "/release", as: Reservation.self, refusal: { ReservationError(problem: $0, orderId: orderId) })
    }

    public func keep(orderId: UUID) async throws -> Reservation {
        try await remote.call(.POST, Self.path(orderId) + "/keep", as: Reservation.self, refusal: { ReservationError(problem: $0, orderId: orderId) })
    }

    public func commit(orderId: UUID) async throws -> Reservation {
        try await remote.call(.POST, Self.path(orderId) + "/commit", as: Reservation.self, refusal: { ReservationError(problem: $0, orderId: orderId) })
    }

    private static func path(_ orderId: UUID) -> String {
        "/internal/v1/inventory/reservations/\(orderId.uuidString.lowercased())"
    }
}

/// The body of `PUT /internal/v1/inventory/reservations/{orderId}`.
public struct ReservationLines: Codable, Sendable, Equatable {
    public var lines: [ReservationLine]

    public init(lines: [ReservationLine]) {
        self.lines = lines
    }
}

extension ReservationError: ProblemConvertible {
    /// The problem type of a ``ReservationError/conflict(orderId:status:detail:)``.
    public static let conflictType = ProblemDetails.typeBase + "reservation-conflict"
    /// The problem type of a ``ReservationError/notFound(orderId:)``.
    public static let notFoundType = ProblemDetails.typeBase + "reservation-not-found"

    /// 400 naming the field, 404, or 409 whose detail names the reservation's status (and which
    /// carries the status in `errors[0].detail` for callers).
    public var problem: ProblemDetails {
        switch self {
        case .invalid(let field, let detail):
            return .invalidField(field, detail)
        case .notFound(let orderId):
            var problem = ProblemDetails.notFound("Order \(orderId) has no reservation.")
            problem.type = Self.notFoundType
            return problem
        case .conflict(let orderId, let status, let detail):
            var problem = ProblemDetails.conflict("The reservation of order \(orderId) is \(status.rawValue): \(detail).")
            problem.type = Self.conflictType
            problem.errors = [.init(field: "status", detail: status.rawValue)]
            return problem
        }
    }

    /// The error a problem answer about `orderId`'s reservation stands for, when it is one of
    /// the contract's; nil otherwise.
    init?(problem: ProblemDetails, orderId id: UUID) {
        let orderId = id.uuidString.lowercased()
        switch problem.type {
        case Self.notFoundType:
            self = .notFound(orderId: orderId)
        case Self.conflictType:
            let status = problem.errors?.first.flatMap { ReservationStatus(rawValue: $0.detail) } ?? .reserved
            self = .conflict(orderId: orderId, status: status, detail: problem.detail ?? "")
        default:
            if problem.status == 400, let error = problem.errors?.first, let field = error.field {
                self = .invalid(field: field, detail: error.detail)
            } else {
                return nil
            }
        }
    }
}
