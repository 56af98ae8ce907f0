import EmporiumKit
import HTTPTypes
import Hummingbird
import Security

/// `/v1/cart`: thin handlers over ``CartActions``. Each answers with the cart (``CartView``)
/// and, for a guest, the cart's id in `X-Cart-Id`.
///
/// Whose cart: a request with a valid access token acts on the user's cart (a refused token is a
/// 401, never a silent fall-back to a guest cart); one without acts on the guest cart named by
/// `X-Cart-Id`, or on a new one when that header is missing, malformed or unknown.
struct CartController: Sendable {
    let actions: CartActions

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/cart", use: show)
        router.delete("/v1/cart", use: clear)
        router.post("/v1/cart/items", use: add)
        router.patch("/v1/cart/items/{sku}", use: setQuantity)
        router.delete("/v1/cart/items/{sku}", use: remove)
        router.post("/v1/cart/merge", use: merge)
    }

    /// The cart, priced now.
    @Sendable func show(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        try Self.respond(try await actions.show(try Self.addressed(request, context)), context: context)
    }

    /// Adds units of a SKU: `{"sku", "quantity"}`.
    @Sendable func add(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let cart = try Self.addressed(request, context)
        let item = try CartRules.validate(try await request.decodeJSON(as: AddItemRequest.self, context: context))
        return try Self.respond(try await actions.add(sku: item.sku, quantity: item.quantity, to: cart), context: context)
    }

    /// Sets a line's quantity: `{"quantity"}`.
    @Sendable func setQuantity(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let cart = try Self.addressed(request, context)
        let sku = try CartRules.skuParameter(context.parameters.get("sku"))
        let quantity = try CartRules.validate(try await request.decodeJSON(as: QuantityRequest.self, context: context))
        return try Self.respond(try await actions.set(sku: sku, quantity: quantity, in: cart), context: context)
    }

    /// Removes a line.
    @Sendable func remove(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let cart = try Self.addressed(request, context)
        let sku = try CartRules.skuParameter(context.parameters.get("sku"))
        return try Self.respond(try await actions.remove(sku: sku, from: cart), context: context)
    }

    /// Empties the cart.
    @Sendable func clear(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        try Self.respond(try await actions.clear(try Self.addressed(request, context)), context: context)
    }

    /// Adds the lines of the guest cart in `X-Cart-Id` to the signed-in user's cart.
    @Sendable func merge(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.ownAccount)
        guard let guestID = request.headers[.cartID] else {
            throw ProblemDetails.invalidParameter(CartRules.cartIDHeader, "is required: the id of the guest cart to merge")
        }
        return try Self.respond(try await actions.merge(guestID: guestID, into: .user(principal.subject)), context: context)
    }

    // MARK: Helpers

    /// The cart `request` addresses (see the type's comment).
    static func addressed(_ request: Request, _ context: EmporiumRequestContext) throws -> AddressedCart {
        if context.principal != nil || context.authenticationFailure != nil {
            return AddressedCart(owner: .user(try context.requirePermission(.ownAccount).subject), isNew: false)
        }
        if let id = request.headers[.cartID], GuestCartID.isWellFormed(id) {
            return AddressedCart(owner: .guest(id), isNew: false)
        }
        return .newGuest()
    }

    /// The view as JSON, with `X-Cart-Id` for a guest's cart.
    static func respond(_ answer: (owner: CartOwner, view: CartView), context: EmporiumRequestContext) throws -> Response {
        var response = try Response.json(answer.view, context: context)
        if answer.owner.isGuest { response.headers[.cartID] = answer.owner.id }
        return response
    }
}

extension HTTPField.Name {
    /// `X-Cart-Id`: a guest cart's id, issued by the server.
    static let cartID = Self(CartRules.cartIDHeader)!
}
