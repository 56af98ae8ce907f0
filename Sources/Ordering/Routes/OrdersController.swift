import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Hummingbird
import Security

/// `/v1/orders`: a customer's own orders (`account.own`), every order for support
/// (`orders.read`), and the commands on one (cancel by its owner or support; ship and deliver by
/// support, `orders.fulfil`). An order the caller may not see is a 404, as if it did not exist.
struct OrdersController: Sendable {
    let store: OrderStore
    let commands: OrderCommands

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/orders", use: list)
        router.get("/v1/orders/{id}", use: show)
        router.get("/v1/orders/{id}/events", use: events)
        router.post("/v1/orders/{id}/cancel", use: cancel)
        router.post("/v1/orders/{id}/ship", use: ship)
        router.post("/v1/orders/{id}/deliver", use: deliver)
    }

    /// Newest first; `?status=` filters, and for `orders.read` `?customer=` (a user id).
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Page<OrderSummary> {
        let principal = try context.requirePrincipal()
        let seesAll = principal.may(.ordersRead)
        if !seesAll { try context.requirePermission(.ownAccount) }
        let query = request.queryParameters
        var status: OrderStatus?
        if let raw = query["status"] {
            guard let value = OrderStatus(rawValue: raw) else {
                throw ProblemDetails.invalidParameter("status", "must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        var customer = seesAll ? nil : principal.subject.lowercased()
        if let raw = query["customer"] {
            guard seesAll else { throw ProblemDetails.invalidParameter("customer", "needs the orders.read permission; your own orders are listed without it") }
            guard let id = UUID(uuidString: raw) else { throw ProblemDetails.invalidParameter("customer", "must be a user id (a UUID)") }
            customer = id.uuidString.lowercased()
        }
        let page = try PageRequest(query: query)
        let orders = try await store.summaries(userId: customer, status: status, before: page.after, limit: page.limit + 1)
        let shown = Array(orders.prefix(page.limit))
        return Page(items: shown, nextCursor: orders.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }

    @Sendable func show(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let details = try await visibleOrder(context)
        return try Response.json(details, context: context)
    }

    /// The order's stream, oldest first: `{"items": [{"version", "type", "recordedAt", "data"}]}`.
    @Sendable func events(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let details = try await visibleOrder(context)
        let items = try await store.events(orderId: details.id).map { event in
            OrderEventView(
                version: event.version, type: event.change.type, recordedAt: event.recordedAt,
                data: try JSONValue(parsing: try event.change.encodedData()))
        }
        return try Response.json(OrderEventList(items: items), context: context)
    }

    /// Cancels the order before it ships (its owner, or `orders.fulfil`): voids the payment,
    /// releases the stock. 200 with the order cancelled (also when it was already), 202 when
    /// the work waits for a service that could not be reached, 409 once it shipped.
    @Sendable func cancel(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let details = try await visibleOrder(context)
        let bySupport = principal.may(.ordersFulfil) && details.userId != principal.subject.lowercased()
        if !bySupport { try context.requirePermission(.ownAccount) }
        let cancellation = bySupport
            ? OrderChange.Cancellation(reason: "cancelled by customer support", code: "support")
            : OrderChange.Cancellation(reason: "cancelled by the customer", code: "customer")
        return try await answer(try await commands.cancel(details.id, cancellation), context: context)
    }

    /// Ships a confirmed order (`orders.fulfil`): captures the payment, commits the stock.
    @Sendable func ship(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        try context.requirePermission(.ordersFulfil)
        let details = try await visibleOrder(context)
        return try await answer(try await commands.ship(details.id), context: context)
    }

    /// Records a shipped order delivered (`orders.fulfil`).
    @Sendable func deliver(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        try context.requirePermission(.ordersFulfil)
        let details = try await visibleOrder(context)
        return try await answer(try await commands.deliver(details.id), context: context)
    }

    private func answer(_ result: OrderCommands.Result, context: EmporiumRequestContext) async throws -> Response {
        guard let details = try await store.details(id: result.order.id) else { throw OrderError.notFound(result.order.id) }
        return try Response.json(details, status: result.settled ? .ok : .accepted, context: context)
    }

    /// The order `{id}` when the caller may see it (its owner with `account.own`, or
    /// `orders.read`); otherwise 404.
    private func visibleOrder(_ context: EmporiumRequestContext) async throws -> OrderDetails {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id").uuidString.lowercased()
        guard let details = try await store.details(id: id),
            principal.may(.ordersRead) || (principal.may(.ownAccount) && details.userId == principal.subject.lowercased())
        else { throw OrderError.notFound(id) }
        return details
    }
}

/// The answer of `GET /v1/orders/{id}/events`.
struct OrderEventList: Encodable, Sendable {
    var items: [OrderEventView]
}
