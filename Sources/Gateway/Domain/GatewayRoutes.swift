import Foundation

/// Which service answers a public path: the gateway's routing table, by path prefix.
///
/// A prefix matches the path itself and anything below it (`/v1/orders` matches `/v1/orders`
/// and `/v1/orders/42/events`, not `/v1/ordersx`); the longest matching prefix wins. Paths under
/// `/internal/` (the calls between services) are never routed, whatever the table says.
public struct GatewayRoutes: Sendable, Equatable {
    /// One prefix and the service that answers it.
    public struct Route: Sendable, Equatable {
        public var prefix: String
        public var service: String
        /// Whether the route matches its path only, nothing below it: the storefront's home
        /// page `/` (a prefix `/` would take every path).
        public var exact: Bool

        public init(prefix: String, service: String) {
            self.prefix = prefix
            self.service = service
            self.exact = false
        }

        /// A route of `path` itself only.
        public init(exactly path: String, service: String) {
            self.prefix = path
            self.service = service
            self.exact = true
        }
    }

    /// The routes, longest prefix first.
    public let routes: [Route]

    /// - Throws: ``GatewayRouteError`` for a prefix that is not an absolute path, ends with `/`,
    ///   lies under `/internal/`, or appears twice.
    public init(_ routes: [Route]) throws(GatewayRouteError) {
        var seen: Set<String> = []
        for route in routes {
            guard route.prefix.hasPrefix("/"), route.prefix == "/" || !route.prefix.hasSuffix("/") else {
                throw .invalidPrefix(route.prefix, reason: "must start with '/' and not end with '/'")
            }
            guard !Self.isInternal(route.prefix) else {
                throw .invalidPrefix(route.prefix, reason: "paths under /internal/ are never routed")
            }
            guard seen.insert(route.prefix).inserted else { throw .duplicatePrefix(route.prefix) }
        }
        self.routes = routes.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    /// The public paths of Emporium's services (the API map, docs/api.md).
    public static let standard: GatewayRoutes = try! GatewayRoutes([
        Route(prefix: "/v1/auth", service: "auth"),
        Route(prefix: "/.well-known/jwks.json", service: "auth"),
        Route(prefix: "/v1/users", service: "users"),
        Route(prefix: "/v1/audit", service: "users"),
        Route(prefix: "/v1/products", service: "catalog"),
        Route(prefix: "/v1/categories", service: "catalog"),
        Route(prefix: "/v1/cart", service: "cart"),
        Route(prefix: "/v1/inventory", service: "inventory"),
        Route(prefix: "/v1/checkout", service: "orders"),
        Route(prefix: "/v1/orders", service: "orders"),
        Route(prefix: "/v1/payment-methods", service: "payments"),
        Route(prefix: "/v1/payments", service: "payments"),
        Route(prefix: "/v1/notifications", service: "notifications"),
        Route(prefix: "/v1/webhooks", service: "notifications"),
        Route(prefix: "/v1/recommendations", service: "recommendations"),
    ] + storefrontRoutes)

    /// The storefront's pages (docs/storefront.md): its home page `/` and the paths below.
    public static let storefrontRoutes: [Route] =
        [Route(exactly: "/", service: "storefront")]
        + ["/search", "/products", "/cart", "/signup", "/signin", "/signout", "/checkout", "/orders", "/notifications", "/assets", "/admin"]
        .map { Route(prefix: $0, service: "storefront") }

    /// The service for `path` (without its query), or nil when no route matches or the path is
    /// internal.
    public func service(for path: String) -> String? {
        guard !Self.isInternal(path) else { return nil }
        let bytes = path.utf8
        for route in routes where route.exact ? path == route.prefix : Self.path(bytes, isUnder: route.prefix.utf8) {
            return route.service
        }
        return nil
    }

    /// The services the table names, each once, in table order.
    public var services: [String] {
        var seen: Set<String> = []
        return routes.map(\.service).filter { seen.insert($0).inserted }
    }

    /// Whether `path` is `/internal` or lies under it, however it is spelled: the check is on the
    /// path as the services' router will see it (percent-decoded, dot segments and repeated
    /// slashes removed), so `/v1/../internal/x` or `//internal/x` cannot slip through.
    public static func isInternal(_ path: String) -> Bool {
        let bytes = path.utf8
        guard Self.needsNormalizing(bytes) else {
            // The usual path, `/v1/products/42`: its first segment as it stands.
            let first = bytes.dropFirst().prefix { $0 != UInt8(ascii: "/") }
            return first.count == 8 && first.elementsEqual("internal".utf8) { $0 | 0x20 == $1 }
        }
        return normalizedSegments(path).first?.lowercased() == "internal"
    }

    /// Whether a path may read differently once normalized: it does not start with `/`, or holds
    /// a `%` escape, an empty segment (`//`) or a dot segment (`/.`).
    static func needsNormalizing(_ path: String.UTF8View) -> Bool {
        guard path.first == UInt8(ascii: "/") else { return true }
        var previous: UInt8 = 0
        for byte in path {
            if byte == UInt8(ascii: "%") { return true }
            if previous == UInt8(ascii: "/"), byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".") { return true }
            previous = byte
        }
        return false
    }

    static func path(_ path: String.UTF8View, isUnder prefix: String.UTF8View) -> Bool {
        if prefix.count == 1, prefix.first == UInt8(ascii: "/") { return true }
        guard path.starts(with: prefix) else { return false }
        let rest = path.dropFirst(prefix.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }

    /// The path's segments after percent-decoding and resolving `.`, `..` and empty segments.
    static func normalizedSegments(_ path: String) -> [String] {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            let segment = String(raw).removingPercentEncoding ?? String(raw)
            switch segment {
            case ".", "": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default:
                // A decoded segment may hold a slash (%2F): split it as a router that decodes first would.
                let parts = segment.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
                segments += parts
            }
        }
        return segments
    }
}

/// A routing table that cannot be used.
public enum GatewayRouteError: Error, Equatable, CustomStringConvertible {
    case invalidPrefix(String, reason: String)
    case duplicatePrefix(String)

    public var description: String {
        switch self {
        case .invalidPrefix(let prefix, let reason): "route prefix '\(prefix)' \(reason)"
        case .duplicatePrefix(let prefix): "route prefix '\(prefix)' appears twice"
        }
    }
}
