import Synchronization

/// Every route registered in this process, as (method, path template) pairs.
///
/// Filled while services register routes through ``ServiceRouter``, read by ``ProblemMiddleware``
/// to tell a 405 (path known, method not) from a 404, and by tests that check the OpenAPI document
/// describes every route.
public final class RouteTable: Sendable {
    /// One registered route; `path` uses `{name}` for parameters, as OpenAPI does.
    public struct Route: Hashable, Sendable, CustomStringConvertible, Comparable {
        public var method: String
        public var path: String
        /// An HTML page for browsers (the storefront's), not an operation of the JSON API: no
        /// OpenAPI document describes it.
        public var isPage: Bool = false
        public var description: String { "\(method) \(path)" }
        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
    }

    private let routes = Mutex<[Route]>([])

    public init() {}

    /// Records a route.
    public func add(method: String, path: String, isPage: Bool = false) {
        routes.withLock { $0.append(Route(method: method, path: path, isPage: isPage)) }
    }

    /// All routes, sorted by path then method.
    public var all: [Route] { routes.withLock { $0.sorted() } }

    /// The routes clients may call: all but the `/internal/` ones (which only other services
    /// call, with a service credential, and which no OpenAPI document or gateway shows).
    /// Pages (``Route/isPage``) are not among them.
    public var publicRoutes: [Route] { all.filter { !$0.path.hasPrefix("/internal/") && !$0.isPage } }

    /// The HTML pages for browsers.
    public var pageRoutes: [Route] { all.filter(\.isPage) }

    /// The `/internal/` routes.
    public var internalRoutes: [Route] { all.filter { $0.path.hasPrefix("/internal/") } }

    /// The methods registered for routes whose template matches `path`, sorted.
    public func allowedMethods(forPath path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return Set(routes.withLock { $0 }.filter { Self.template($0.path, matches: segments) }.map(\.method)).sorted()
    }

    static func template(_ template: String, matches segments: [Substring]) -> Bool {
        let parts = template.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in
            (part.hasPrefix("{") && part.hasSuffix("}")) || part == segment
        }
    }
}
