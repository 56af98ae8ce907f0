import EmporiumKit

extension RecommendationsError: ProblemConvertible {
    public var problem: ProblemDetails {
        switch self {
        case .unknownProduct(let id):
            return .notFound("Product \(id) is not a product on sale (unknown, a draft, archived or deleted), or the catalog has not told the recommendations service yet.")
        }
    }
}
