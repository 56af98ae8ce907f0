/// Why the recommendations service refused a request.
public enum RecommendationsError: Error, Sendable, Equatable {
    /// No active product has this id (never heard of, a draft, archived or deleted): 404.
    case unknownProduct(String)
}
