import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import Security

/// `/v1/payment-methods`: the signed-in user's saved cards. Thin handlers over ``CardRules`` and
/// the vault (``PaymentMethodStore``). Nothing here logs or answers a card number or a CVC: the
/// body's values go from the decoder to the rules to the vault, and only the brand, the last
/// four digits and the expiry come back.
struct PaymentMethodsController: Sendable {
    let vault: PaymentMethodStore
    let maximumPerUser: Int

    func addRoutes(to router: ServiceRouter) {
        router.post("/v1/payment-methods", use: create)
        router.get("/v1/payment-methods", use: list)
        router.delete("/v1/payment-methods/{id}", use: remove)
    }

    /// A saved card as its owner sees it.
    struct PaymentMethodResource: ResponseEncodable, Sendable {
        var id: String
        var brand: String
        var last4: String
        var expMonth: Int
        var expYear: Int

        init(_ method: StoredPaymentMethod) {
            id = method.id
            brand = method.brand.rawValue
            last4 = method.last4
            expMonth = method.expMonth
            expYear = method.expYear
        }
    }

    /// Saves a card: `{"number", "expMonth", "expYear", "cvc"}` → 201 `{"id", "brand", "last4", "expMonth", "expYear"}`.
    @Sendable func create(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<PaymentMethodResource> {
        let principal = try context.requirePermission(.ownAccount)
        let card = try CardRules.validate(try await request.decodeJSON(as: NewPaymentMethod.self, context: context), now: .now)
        let method = try await vault.add(card, userId: principal.subject.lowercased(), id: UUID.v7().lowercased, limit: maximumPerUser)
        return EditedResponse(status: .created, response: PaymentMethodResource(method))
    }

    /// The caller's cards, oldest first, a page at a time.
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Page<PaymentMethodResource> {
        let principal = try context.requirePermission(.ownAccount)
        let page = try PageRequest(query: request.queryParameters)
        let methods = try await vault.methods(userId: principal.subject.lowercased(), after: page.after, limit: page.limit + 1)
        let shown = Array(methods.prefix(page.limit))
        return Page(
            items: shown.map(PaymentMethodResource.init),
            nextCursor: methods.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }

    /// Removes one of the caller's cards; another user's is a 404, as an unknown one.
    @Sendable func remove(_ request: Request, context: EmporiumRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.requirePermission(.ownAccount)
        let id = try context.uuidParameter("id").lowercased
        guard try await vault.remove(id: id, userId: principal.subject.lowercased()) else { throw PaymentMethodError.notFound(id) }
        return .noContent
    }
}
