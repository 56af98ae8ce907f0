import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Hummingbird

/// `/internal/v1/inventory/...`: the ``InventoryAPI`` for services in other processes (the
/// gateway never routes `/internal/`; the platform asks callers for a service credential). Each
/// handler decodes its body and calls the same method of ``InventoryService`` that callers in
/// this process call. Not in the public OpenAPI document.
struct InternalInventoryController: Sendable {
    let inventory: InventoryService

    func addRoutes(to router: ServiceRouter) {
        router.post("/internal/v1/inventory/stock/lookup", use: lookup)
        router.put("/internal/v1/inventory/reservations/{orderId}", use: reserve)
        router.get("/internal/v1/inventory/reservations/{orderId}", use: show)
        router.post("/internal/v1/inventory/reservations/{orderId}/release", use: release)
        router.post("/internal/v1/inventory/reservations/{orderId}/commit", use: commit)
        router.post("/internal/v1/inventory/reservations/{orderId}/keep", use: keep)
    }

    /// `{"skus": [...]}` → `{"items": [StockLevel]}`, in the order asked (SKUs without stock left out).
    @Sendable func lookup(_ request: Request, context: EmporiumRequestContext) async throws -> ContractBody<StockLookupResult> {
        let skus = try await request.decodeJSON(as: LookupBody.self, context: context).skus
        let levels = try await inventory.stock(skus: skus)
        var seen: Set<String> = []
        return ContractBody(StockLookupResult(items: skus.compactMap { seen.insert($0).inserted ? levels[$0] : nil }))
    }

    /// `{"lines": [...]}` → the ``ReservationOutcome`` (200 whether reserved or short).
    @Sendable func reserve(_ request: Request, context: EmporiumRequestContext) async throws -> ContractBody<ReservationOutcome> {
        let orderId = try context.uuidParameter("orderId")
        let lines = try await request.decodeJSON(as: ReservationBody.self, context: context).lines
        return ContractBody(try await inventory.reserve(ReservationRequest(orderId: orderId, lines: lines)))
    }

    /// The order's reservation, or 404.
    @Sendable func show(_ request: Request, context: EmporiumRequestContext) async throws -> ContractBody<Reservation> {
        let orderId = try context.uuidParameter("orderId")
        guard let reservation = try await inventory.reservation(orderId: orderId) else {
            throw ReservationError.notFound(orderId: orderId.lowercased)
        }
        return ContractBody(reservation)
    }

    @Sendable func release(_ request: Request, context: EmporiumRequestContext) async throws -> ContractBody<Reservation> {
        ContractBody(try await inventory.release(orderId: try context.uuidParameter("orderId")))
    }

    /// The reservation kept until shipment (``InventoryAPI/keep(orderId:)``).
    @Sendable func keep(_ request: Request, context: EmporiumRequestContext) async throws -> ContractBody<Reservation> {
        ContractBody(try await inventory.keep(orderId: try context.uuidParameter("orderId")))
    }

    @Sendable func commit(_ request: Request, context: EmporiumRequestContext) async throws -> ContractBody<Reservation> {
        ContractBody(try await inventory.commit(orderId: try context.uuidParameter("orderId")))
    }

    /// The body of the lookup: exactly `skus`.
    struct LookupBody: StrictJSONBody {
        static let knownFields: Set<String> = ["skus"]
        var skus: [String]
    }

    /// The body of a reservation: exactly `lines`, each exactly `sku` and `quantity`.
    struct ReservationBody: StrictJSONBody {
        static let knownFields: Set<String> = ["lines"]
        static let knownNestedFields: [String: Set<String>] = ["lines": ["sku", "quantity"]]
        var lines: [ReservationLine]
    }
}

/// A contract type as a JSON response body, encoded exactly as the type encodes itself (the
/// HTTP client decodes the same type).
struct ContractBody<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
