import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Hummingbird

/// `/internal/v1/cart/users/{userId}`: a user's cart for other services (orders) in other
/// processes (its lines; `POST …/removals` takes the ordered lines off); the platform admits
/// only calls with a service credential.
struct InternalCartController: Sendable {
    let cart: any CartAPI

    func addRoutes(to router: ServiceRouter) {
        router.get("/internal/v1/cart/users/{userId}") { _, context in
            try Response.json(CartLines(items: try await cart.lines(ofUser: try Self.userID(context))), context: context)
        }
        router.post("/internal/v1/cart/users/{userId}/removals") { request, context in
            let removals = try await request.decodeJSON(as: CartLines.self, context: context)
            return try Response.json(CartLines(items: try await cart.remove(removals.items, fromCartOf: try Self.userID(context))), context: context)
        }
    }

    /// The user id of the path, lower case.
    static func userID(_ context: EmporiumRequestContext) throws -> String {
        try context.uuidParameter("userId").uuidString.lowercased()
    }
}
