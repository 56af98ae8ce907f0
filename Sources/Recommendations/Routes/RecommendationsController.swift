import EmporiumKit
import Foundation
import Hummingbird
import Security

/// `/v1/recommendations`: a product's list and the shop's popular products (public), and the
/// caller's own (`account.own`), thin
/// handlers over ``RecommendationLists``.
struct RecommendationsController: Sendable {
    let lists: RecommendationLists

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/recommendations/products/{id}", use: forProduct)
        router.get("/v1/recommendations/me", use: forMe)
        router.get("/v1/recommendations/popular", use: popular)
    }

    /// `?limit=` (1–50, default 10) products to show with product `{id}`; 404 when it is not an
    /// active product. A bad `id` and a bad `limit` are named in one 400.
    @Sendable func forProduct(_ request: Request, context: EmporiumRequestContext) async throws -> RecommendationList {
        var invalid: [ProblemDetails.FieldError] = []
        let id = try Self.read(into: &invalid) { try context.uuidParameter("id") }
        let limit = try Self.read(into: &invalid) { try RecommendationRules.limit(request.queryParameters["limit"]) }
        guard let id, let limit else { throw ProblemDetails.validation(invalid) }
        return RecommendationList(try await lists.forProduct(id.uuidString, limit: limit))
    }

    /// `?limit=` of the shop's most ordered products in the popularity window; no token needed.
    @Sendable func popular(_ request: Request, context: EmporiumRequestContext) async throws -> RecommendationList {
        let limit = try RecommendationRules.limit(request.queryParameters["limit"])
        return RecommendationList(try await lists.popular(limit: limit))
    }

    /// `?limit=` products for the caller, from what they bought; 401 without a token.
    @Sendable func forMe(_ request: Request, context: EmporiumRequestContext) async throws -> RecommendationList {
        let principal = try context.requirePermission(.ownAccount)
        let limit = try RecommendationRules.limit(request.queryParameters["limit"])
        return RecommendationList(try await lists.forUser(principal.subject, limit: limit))
    }
}

extension RecommendationsController {
    /// The value `read` returns, or nil with the parameters its 400 names added to `invalid`.
    /// - Throws: what `read` throws other than a ``ProblemDetails``.
    static func read<Value>(into invalid: inout [ProblemDetails.FieldError], _ read: () throws -> Value) throws -> Value? {
        do {
            return try read()
        } catch let problem as ProblemDetails {
            invalid += problem.errors ?? []
            return nil
        }
    }
}

/// A list as the API shows it: `{"items": [{"id", "name", "categoryId", "score", "reason"}]}`.
struct RecommendationList: ResponseEncodable, Sendable {
    struct Item: Encodable, Sendable {
        var id: String
        var name: String
        var categoryId: String
        var score: Double
        var reason: RecommendationReason
    }

    var items: [Item]

    init(_ recommendations: [Recommendation]) {
        items = recommendations.map { Item(id: $0.id, name: $0.name, categoryId: $0.categoryId, score: $0.score, reason: $0.reason) }
    }
}
