import Foundation

/// What a shared cache in front of the platform (a CDN, Varnish, nginx) may keep of its answers,
/// and for how long: one table for every service (docs/caching.md), applied by
/// ``EdgeCacheMiddleware`` after the handler, never by handlers one by one.
///
/// - **Public reads** (``publicRoutes``): the same answer for everyone, so a shared cache may keep
///   it: `Cache-Control: public, max-age=…, stale-while-revalidate=…, stale-if-error=…`, a strong
///   `ETag`, `Vary: Authorization, Cookie`, and surrogate keys (`Surrogate-Key`, `Cache-Tag`)
///   that a purge names when the data changes.
/// - **Immutable files** (``immutableRoutes``): content-hashed names, kept a year.
/// - **Everything else**, and any request that carries `Authorization` or a cookie (the answer
///   may depend on who asks: drafts for managers, a cart, an order), is `private, no-store`.
public struct EdgeCachePolicy: Sendable, Equatable {
    /// How long a public answer is fresh.
    public var maxAge: Int
    /// How long after that a cache may answer with it while it fetches a new one.
    public var staleWhileRevalidate: Int
    /// How long after that a cache may answer with it while the origin fails (5xx, no answer).
    public var staleIfError: Int

    public init(maxAge: Int = 60, staleWhileRevalidate: Int = 30, staleIfError: Int = 86_400) {
        self.maxAge = maxAge
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
    }

    /// The routes (templates, as registered) of public reads, with the surrogate keys every answer
    /// of the route carries; handlers add the keys of what they answered with (the product's id
    /// and category) in a `Surrogate-Key` header of their own.
    public static let publicRoutes: [String: [String]] = [
        "/v1/products": [SurrogateKey.products],
        "/v1/products/{id}": [SurrogateKey.products],
        "/v1/categories": [SurrogateKey.categories],
        "/v1/recommendations/products/{id}": [SurrogateKey.recommendations],
        "/v1/recommendations/popular": [SurrogateKey.recommendations],
        "/assets/placeholder/{id}": [SurrogateKey.assets],
        // The storefront's pages for a guest without a session (with one, they are the
        // visitor's, and private): what they show of the catalog.
        "/": [SurrogateKey.products, SurrogateKey.categories, SurrogateKey.recommendations],
        "/search": [SurrogateKey.products, SurrogateKey.categories],
        "/products/{id}": [SurrogateKey.products, SurrogateKey.categories, SurrogateKey.recommendations],
    ]

    /// Public routes whose answer never depends on the caller, cookies or not (files): shared
    /// caches may keep them whatever the request carries.
    public static let callerIndependentRoutes: Set<String> = ["/assets/placeholder/{id}", "/assets/{file}"]

    /// Routes of files whose names carry a hash of their content: a new content is a new name.
    public static let immutableRoutes: Set<String> = ["/assets/{file}"]

    /// A year, the longest `max-age` caches honour.
    public static let immutableMaxAge = 31_536_000

    /// `Cache-Control` of a public read.
    public var publicCacheControl: String {
        "public, max-age=\(maxAge), stale-while-revalidate=\(staleWhileRevalidate), stale-if-error=\(staleIfError)"
    }

    public static let immutableCacheControl = "public, max-age=\(immutableMaxAge), immutable"
    public static let privateCacheControl = "private, no-store"
}

/// The names of surrogate keys: what a cached answer is about, so that a purge of a key drops
/// every answer that showed it (docs/caching.md).
public enum SurrogateKey {
    /// Every product list and product.
    public static let products = "products"
    /// The category tree.
    public static let categories = "categories"
    /// Every recommendation list.
    public static let recommendations = "recommendations"
    /// Generated images.
    public static let assets = "assets"

    public static func product(_ id: String) -> String { "product-\(id.lowercased())" }
    public static func category(_ id: String) -> String { "category-\(id.lowercased())" }

    /// The header value of `keys` for `Surrogate-Key` (Fastly, Varnish): separated by spaces.
    public static func surrogateKeyHeader(_ keys: [String]) -> String { keys.joined(separator: " ") }
    /// The header value of `keys` for `Cache-Tag` (Cloudflare): separated by commas.
    public static func cacheTagHeader(_ keys: [String]) -> String { keys.joined(separator: ",") }
}
